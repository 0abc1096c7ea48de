// Recording under faults, on a server of the test's own (it is killed):
// 1. kill -9 of the server mid-recording: the file reads up to the kill;
//    after a restart the recording is listed as "crashed" and still served.
// 2. 5% packet loss on the media port (nftables on loopback, TESTING.md)
//    between the publishers and Sabaq: the file still decodes without errors.
// Needs the recording engine (rec-core's sfu_recording_*) in the server.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const PORT = 18091;
const MEDIA_PORT = 41091;
const DATA = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'rec-faults-'));
const LOG = path.join(DATA, 'server.log');
// lib.mjs reads these when first imported: point it at our server.
process.env.SABAQ_URL = `http://127.0.0.1:${PORT}`;
process.env.SABAQ_DATA = DATA;
process.env.SABAQ_LOG = LOG;

const { log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState, runTest } =
  await import('./lib.mjs');
const {
  startServer, waitForLog, logSize, recording, chat, probe, decodeErrors, countFrames, get, tmpFile,
  sleep,
} = await import('./recording_lib.mjs');

let server = null;

function nft(args) {
  const r = spawnSync('nft', args, { encoding: 'utf8' });
  if (r.status !== 0) fail(`nft ${args.join(' ')}: ${r.stderr}`);
}

// Joins a teacher (camera + mic) and a student (mic) and waits for both to publish.
async function classroom(ctx, lesson) {
  const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher' });
  const student = await joinPage(ctx, { lesson, name: 'Dana', role: 'student', video: false });
  for (const p of [teacher, student])
    await waitForState(p, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
  return { teacher, student };
}

// A truncated last cluster may be reported at the very end; nothing else may.
function unexpectedErrors(text) {
  return text.split('\n').filter((l) => l && !/(end of file|premature|truncat|EOF)/i.test(l));
}

runTest('recording_faults', async () => {
  server = await startServer({ port: PORT, mediaPort: MEDIA_PORT, dataDir: DATA, logFile: LOG });
  const lesson = await createLesson({ title: 'Faults', students_publish: true });
  const id = lesson.lesson.id;
  const q = `t=${lesson.tokens.student}`;
  let ctx = await launchBrowser();
  try {
    // ---- 1. kill -9 mid-recording ---------------------------------------
    let { teacher, student } = await classroom(ctx, lesson);
    const started = await recording(teacher, 'recording_start');
    const t0 = Date.now();
    const rid = started.recording;
    if (!started.active || !rid) fail(`recording_start replied ${JSON.stringify(started)}`);
    await sleep(3000);
    await chat(student, 'before the crash');
    await sleep(5000);
    const elapsed = (Date.now() - t0) / 1000;
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.once('exit', r));
    log(`server killed ${elapsed.toFixed(1)} s into recording ${rid}`);
    await closeBrowser(ctx);
    ctx = null;

    const file = path.join(DATA, 'recordings', id, String(rid), 'recording.webm');
    if (!fs.existsSync(file)) fail(`no file at ${file}`);
    const p = probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort().join(',');
    const errors = unexpectedErrors(decodeErrors(file));
    const frames = countFrames(file);
    log(`after the kill: ${codecs}, ${p.duration.toFixed(2)} s, frames ${JSON.stringify(frames)}`);
    if (codecs !== 'opus,vp8') fail(`ffprobe found ${codecs} in the killed recording`);
    if (p.duration < elapsed - 3) fail(`the file reads to ${p.duration} s, the kill came at ${elapsed} s`);
    if (errors.length) fail(`ffmpeg -v error on the killed recording:\n${errors.slice(0, 20).join('\n')}`);
    if (!(frames.video > 30) || !(frames.audio > 200)) fail(`too few frames: ${JSON.stringify(frames)}`);

    // A restart keeps it: listed as crashed, served, its timeline too.
    const from = fs.existsSync(LOG) ? logSize(LOG) : 0;
    server = await startServer({ port: PORT, mediaPort: MEDIA_PORT, dataDir: DATA, logFile: LOG });
    await waitForLog(LOG, /1 recording\(s\) cut short by a crash/, 5000, from);
    const list = JSON.parse((await get(`${process.env.SABAQ_URL}/api/lessons/${id}/recordings?${q}`)).body);
    const row = list.recordings.find((r) => r.id === rid);
    if (!row || row.state !== 'crashed' || row.size !== fs.statSync(file).size)
      fail(`after the restart the list says ${JSON.stringify(row)}`);
    if (row.duration_ms < (elapsed - 3) * 1000) fail(`the crashed recording lists ${row.duration_ms} ms`);
    const part = await get(`${process.env.SABAQ_URL}${row.file}?${q}`, { range: 'bytes=0-99' });
    if (part.status !== 206 || !part.body.equals(fs.readFileSync(file).subarray(0, 100)))
      fail(`Range on the crashed recording: HTTP ${part.status}`);
    const tl = JSON.parse((await get(`${process.env.SABAQ_URL}${row.timeline}?${q}`)).body);
    if (!tl.some((e) => e.type === 'chat' && e.text === 'before the crash'))
      fail(`the crashed recording's timeline lacks the chat: ${JSON.stringify(tl)}`);
    log('the crashed recording is listed, served and has its timeline');

    // ---- 2. packet loss between the publishers and Sabaq ------------------
    ctx = await launchBrowser();
    ({ teacher, student } = await classroom(ctx, lesson));
    nft(['add', 'table', 'inet', 'recloss']);
    nft(['add', 'chain', 'inet', 'recloss', 'input', '{ type filter hook input priority 0 ; }']);
    nft(['add', 'rule', 'inet', 'recloss', 'input', 'udp', 'dport', String(MEDIA_PORT), 'numgen',
      'random', 'mod', '100', '<', '5', 'drop']);
    log('5% loss on udp port', MEDIA_PORT);
    const from2 = logSize(LOG);
    const again = await recording(teacher, 'recording_start');
    const t1 = Date.now();
    await sleep(10000);
    await recording(teacher, 'recording_stop');
    const lossy = (Date.now() - t1) / 1000;
    nft(['delete', 'table', 'inet', 'recloss']);
    await waitForLog(LOG, new RegExp(`recording ${again.recording} of lesson ${id} is complete`), 15000, from2);
    const file2 = tmpFile('lossy.webm');
    const whole = await get(`${process.env.SABAQ_URL}/recordings/${id}/${again.recording}/recording.webm?${q}`);
    fs.writeFileSync(file2, whole.body);
    const p2 = probe(file2);
    const errors2 = decodeErrors(file2);
    log(`with loss: ${p2.streams.map((s) => s.codec_name).sort().join(',')}, ${p2.duration.toFixed(2)} s`);
    if (errors2) fail(`ffmpeg -v error on the recording made under loss:\n${errors2.slice(0, 2000)}`);
    if (Math.abs(p2.duration - lossy) > 1.5) fail(`under loss the file lasts ${p2.duration} s for ${lossy} s recorded`);
  } finally {
    spawnSync('nft', ['delete', 'table', 'inet', 'recloss']);
    await closeBrowser(ctx);
    if (server && server.proc.exitCode === null) server.proc.kill('SIGTERM');
  }
});
