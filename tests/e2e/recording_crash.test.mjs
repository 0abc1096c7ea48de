// kill -9 of the server mid-recording, on a server of the test's own: the
// file reads up to the kill; after a restart the recording is listed as
// "crashed", still served with Range, and its timeline kept.
// Needs the recording engine (rec-core's sfu_recording_*) in the server.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PORT = 18091;
const MEDIA_PORT = 41091;
const DATA = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'rec-crash-'));
const LOG = path.join(DATA, 'server.log');
// lib.mjs reads these when first imported: point it at our server.
process.env.SABAQ_URL = `http://127.0.0.1:${PORT}`;
process.env.SABAQ_DATA = DATA;
process.env.SABAQ_LOG = LOG;

const { log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState, runTest } =
  await import('./lib.mjs');
const {
  startServer, waitForLog, logSize, recording, chat, probe, decodeErrors, countFrames, get, keep, sleep,
} = await import('./recording_lib.mjs');

let server = null;

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

runTest('recording_crash', async () => {
  server = await startServer({ port: PORT, mediaPort: MEDIA_PORT, dataDir: DATA, logFile: LOG });
  const lesson = await createLesson({ title: 'Faults', students_publish: true });
  const id = lesson.lesson.id;
  const q = `t=${lesson.tokens.student}`;
  let ctx = await launchBrowser();
  try {
    const { teacher, student } = await classroom(ctx, lesson);
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
    const p = await probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort().join(',');
    const errors = unexpectedErrors(await decodeErrors(file));
    const frames = await countFrames(file);
    log(`after the kill: ${codecs}, ${p.duration.toFixed(2)} s, frames ${JSON.stringify(frames)}`);
    if (codecs !== 'opus,vp8') fail(`ffprobe found ${codecs} in the killed recording`);
    if (p.duration < elapsed - 3) fail(`the file reads to ${p.duration} s, the kill came at ${elapsed} s`);
    if (errors.length) fail(`ffmpeg -v error on the killed recording (kept as ${keep(file, 'recording_killed.webm')}):\n${errors.slice(0, 20).join('\n')}`);
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

  } finally {
    await closeBrowser(ctx);
    if (server && server.proc.exitCode === null) server.proc.kill('SIGTERM');
  }
});
