// Recording through 5% packet loss between the publishers and Sabaq
// (nftables on the namespace's loopback input, TESTING.md: this kernel has
// no netem, so loss without reordering): the file still decodes without a
// word from `ffmpeg -v error` and lasts as long as it was recorded.
// Needs the recording engine (rec-core's sfu_recording_*) in the server.

import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import {
  BASE_URL, log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState, runTest,
} from './lib.mjs';
import {
  recording, waitForLog, logSize, probe, decodeErrors, countFrames, get, tmpFile, keep, sleep,
} from './recording_lib.mjs';

const MEDIA_PORT = process.env.SABAQ_MEDIA_PORT || '41000';
const LOG = process.env.SABAQ_LOG;
const TABLE = 'recloss';

function nft(args, check = true) {
  const r = spawnSync('nft', args, { encoding: 'utf8' });
  if (check && r.status !== 0) fail(`nft ${args.join(' ')}: ${r.stderr}`);
}

runTest('recording_loss', async () => {
  const lesson = await createLesson({ title: 'Lossy lesson', students_publish: true });
  const id = lesson.lesson.id;
  const ctx = await launchBrowser();
  try {
    const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher' });
    const student = await joinPage(ctx, { lesson, name: 'Dana', role: 'student', video: false });
    for (const p of [teacher, student])
      await waitForState(p, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
    // Drops 5% of what reaches the media port: the publishers' RTP (and
    // RTCP, STUN) on its way into Sabaq.
    nft(['add', 'table', 'inet', TABLE]);
    nft(['add', 'chain', 'inet', TABLE, 'input', '{ type filter hook input priority 0 ; }']);
    nft(['add', 'rule', 'inet', TABLE, 'input', 'udp', 'dport', MEDIA_PORT, 'numgen', 'random', 'mod',
      '100', '<', '5', 'drop']);
    log(`5% loss on udp port ${MEDIA_PORT}`);
    const from = logSize(LOG);
    const started = await recording(teacher, 'recording_start');
    const t0 = Date.now();
    await sleep(10000);
    await recording(teacher, 'recording_stop');
    const span = (Date.now() - t0) / 1000;
    nft(['delete', 'table', 'inet', TABLE]);
    await waitForLog(LOG, new RegExp(`recording ${started.recording} of lesson ${id} is complete`), 15000, from);
    const q = `t=${lesson.tokens.student}`;
    const whole = await get(`${BASE_URL}/recordings/${id}/${started.recording}/recording.webm?${q}`);
    if (whole.status !== 200) fail(`GET the file: HTTP ${whole.status}`);
    const file = tmpFile('lossy.webm');
    fs.writeFileSync(file, whole.body);
    const p = await probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort().join(',');
    const frames = await countFrames(file);
    log(`with loss: ${codecs}, ${p.duration.toFixed(2)} s of ${span.toFixed(1)} s, frames ${JSON.stringify(frames)}`);
    if (codecs !== 'opus,vp8') fail(`ffprobe found ${codecs}`);
    const errors = await decodeErrors(file);
    if (errors) fail(`ffmpeg -v error on the recording made under loss (kept as ${keep(file, 'recording_loss.webm')}):\n${errors.slice(0, 2000)}`);
    if (Math.abs(p.duration - span) > 1) fail(`under loss the file lasts ${p.duration} s for ${span} s recorded`);
    if (!(frames.video > 50) || !(frames.audio > 300)) fail(`too few frames under loss: ${JSON.stringify(frames)}`);
  } finally {
    nft(['delete', 'table', 'inet', TABLE], false);
    await closeBrowser(ctx);
  }
});
