// Recording through packet loss and reordering between the publishers and
// Sabaq: every datagram for the media port goes (nftables DNAT on loopback)
// through tests/e2e/recording_relay.py, which drops 5% of the RTP and holds
// back 10% of it by 10-40 ms so later packets overtake it (this kernel has no
// netem). The file must still decode without a word from `ffmpeg -v error`
// and last as long as it was recorded.
// Needs the recording engine (rec-core's sfu_recording_*) in the server.

import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import {
  BASE_URL, log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState, runTest,
} from './lib.mjs';
import {
  recording, waitForLog, logSize, probe, decodeErrors, countFrames, get, tmpFile, keep, sleep,
  publishReports,
} from './recording_lib.mjs';

const MEDIA_PORT = process.env.SABAQ_MEDIA_PORT || '41000';
const RELAY_PORT = '41500';
const LOG = process.env.SABAQ_LOG;
const TABLE = 'recrelay';

function nft(args, check = true) {
  const r = spawnSync('nft', args, { encoding: 'utf8' });
  if (check && r.status !== 0) fail(`nft ${args.join(' ')}: ${r.stderr}`);
}

// Starts the relay; resolves once it listens.
function startRelay() {
  const relay = spawn('/usr/bin/python3', ['tests/e2e/recording_relay.py', '--listen', RELAY_PORT,
    '--target', MEDIA_PORT, '--loss', '0.05', '--reorder', '0.10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  relay.out = '';
  relay.stdout.on('data', (d) => { relay.out += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the relay did not start')), 10000);
    relay.stdout.on('data', () => { if (relay.out.includes('relay ready')) { clearTimeout(t); resolve(relay); } });
  });
}

async function stopRelay(relay) {
  if (!relay || relay.exitCode !== null) return null;
  const exited = new Promise((r) => relay.once('exit', r));
  relay.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  const line = relay.out.split('\n').find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : null;
}

runTest('recording_loss', async () => {
  const lesson = await createLesson({ title: 'Lossy lesson', students_publish: true });
  const id = lesson.lesson.id;
  let relay = null;
  let ctx = null;
  try {
    relay = await startRelay();
    // Before anyone connects: NAT applies to new flows only.
    nft(['add', 'table', 'ip', TABLE]);
    nft(['add', 'chain', 'ip', TABLE, 'out', '{ type nat hook output priority -100 ; }']);
    nft(['add', 'rule', 'ip', TABLE, 'out', 'udp', 'dport', MEDIA_PORT, 'udp', 'sport', '!=',
      '42000-42999', 'dnat', 'to', `127.0.0.1:${RELAY_PORT}`]);
    ctx = await launchBrowser();
    const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher' });
    const student = await joinPage(ctx, { lesson, name: 'Dana', role: 'student', video: false });
    for (const p of [teacher, student])
      await waitForState(p, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
    log('publishing through the relay (5% of RTP lost, 10% reordered)');
    const from = logSize(LOG);
    const started = await recording(teacher, 'recording_start');
    const t0 = Date.now();
    await sleep(6000);
    const reports = await publishReports(teacher);
    log(`Sabaq's receiver reports on the teacher's streams: ${JSON.stringify(reports)}`);
    await sleep(4000);
    await recording(teacher, 'recording_stop');
    const span = (Date.now() - t0) / 1000;
    const counts = await stopRelay(relay);
    relay = null;
    log(`relay: ${JSON.stringify(counts)}`);
    if (!counts || !(counts.dropped > 20) || !(counts.reordered > 40))
      fail(`the relay did not impair the media: ${JSON.stringify(counts)}`);
    await waitForLog(LOG, new RegExp(`recording ${started.recording} of lesson ${id} is complete`), 15000, from);
    const q = `t=${lesson.tokens.student}`;
    const whole = await get(`${BASE_URL}/recordings/${id}/${started.recording}/recording.webm?${q}`);
    if (whole.status !== 200) fail(`GET the file: HTTP ${whole.status}`);
    const file = tmpFile('lossy.webm');
    fs.writeFileSync(file, whole.body);
    const p = await probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort().join(',');
    const frames = await countFrames(file);
    log(`under loss: ${codecs}, ${p.duration.toFixed(2)} s of ${span.toFixed(1)} s, frames ${JSON.stringify(frames)}`);
    if (codecs !== 'opus,vp8') fail(`ffprobe found ${codecs}`);
    const errors = await decodeErrors(file);
    if (errors) fail(`ffmpeg -v error on the recording made under loss (kept as ${keep(file, 'recording_loss.webm')}):\n${errors.slice(0, 2000)}`);
    if (Math.abs(p.duration - span) > 1) fail(`under loss the file lasts ${p.duration} s for ${span} s recorded`);
    // Some video (one frame a second at least) and audio without gaps (50 per second).
    if (!(frames.video > span) || !(frames.audio > span * 45)) fail(`too few frames under loss: ${JSON.stringify(frames)}`);
  } finally {
    nft(['delete', 'table', 'ip', TABLE], false);
    await stopRelay(relay);
    await closeBrowser(ctx);
  }
});
