// Recording a real lesson: a teacher with fake camera and mic, two students
// speaking (fake mic, a 440 Hz tone), a screen share that starts midway and
// ends before the stop (the stage: camera, screen, camera), chat messages;
// 20 s recorded. Then the file: ffprobe sees VP8 and Opus and 20 s +- 1 s,
// `ffmpeg -v error` decodes it without a word, the audio is not silent while
// people speak, the timeline lists the chat; while it is written the bytes so
// far already play; over HTTP a Range request gets
// 206 with the right bytes and another lesson's student link gets 403; the
// recordings page lists it and its chat replay follows the playhead.
// Needs the recording engine (rec-core's sfu_recording_*) in the server.

import fs from 'node:fs';
import {
  BASE_URL, log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState,
  runTest, screenshot,
} from './lib.mjs';
import {
  recording, chat, screenSharer, waitForLog, logSize, probe, decodeErrors, countFrames,
  audioLevels, get, tmpFile, keep, sleep,
} from './recording_lib.mjs';

const RECORD_MS = 20000;
const LOG = process.env.SABAQ_LOG;

runTest('recording_lesson', async () => {
  const lesson = await createLesson({ title: 'Recorded lesson', students_publish: true });
  const other = await createLesson({ title: 'Another lesson' }, lesson.cookie);
  const id = lesson.lesson.id;
  const ctx = await launchBrowser();
  try {
    const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher' });
    const dana = await joinPage(ctx, { lesson, name: 'Dana', role: 'student', video: false });
    const erlan = await joinPage(ctx, { lesson, name: 'Erlan', role: 'student', video: false });
    for (const p of [teacher, dana, erlan])
      await waitForState(p, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
    const rights = (await waitForState(teacher, 'rights', (s) => Array.isArray(s.rights))).rights;
    if (!rights.includes('record')) fail(`the teacher's rights lack "record": ${rights}`);
    log('three people publishing');
    const share = await screenSharer(ctx, BASE_URL, lesson.tokens.teacher, 'Aigerim (screen)');

    // A student may not record.
    const refused = await dana.evaluate(() => window.sabaq.signaling.request({ type: 'recording_start' })
      .then(() => null, (e) => ({ code: e.code, right: e.right })));
    if (!refused || refused.code !== 'forbidden' || refused.right !== 'record')
      fail(`a student's recording_start was not refused with right "record": ${JSON.stringify(refused)}`);

    await dana.evaluate(() => {
      window.recSeen = [];
      window.sabaq.signaling.on('recording', (m) => window.recSeen.push(m));
    });
    const from = logSize(LOG);
    const started = await recording(teacher, 'recording_start');
    const t0 = Date.now();
    if (!started.active || !started.recording) fail(`recording_start replied ${JSON.stringify(started)}`);
    const rid = started.recording;
    log(`recording ${rid} started`);
    // Everyone sees it: the students get the broadcast.
    await dana.waitForFunction((r) => window.recSeen.some((m) => m.active && m.recording === r), rid,
      { timeout: 5000 }).catch(() => fail('the student did not get the `recording` broadcast'));
    await sleep(2000);
    await chat(dana, 'Hello from Dana');
    await sleep(2000);
    await chat(erlan, 'Erlan is here');
    // Midway: a screen share by the teacher takes the stage.
    await waitUntil(t0 + 7000);
    await share.evaluate(() => window.startShare());
    log(`screen share on at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await chat(teacher, 'Look at the slide');
    // Playable while it is being written: the bytes so far decode.
    const liveList = JSON.parse((await get(`${BASE_URL}/api/lessons/${id}/recordings?t=${lesson.tokens.student}`)).body);
    const live = liveList.recordings.find((r) => r.id === rid);
    if (!live || live.state !== 'recording') fail(`while recording the list says ${JSON.stringify(live)}`);
    const partial = await get(`${BASE_URL}${live.file}?t=${lesson.tokens.student}`);
    const partialFile = tmpFile('partial.webm');
    fs.writeFileSync(partialFile, partial.body);
    const pp = await probe(partialFile);
    log(`while recording (${((Date.now() - t0) / 1000).toFixed(1)} s): ${partial.body.length} bytes, ` +
      `${pp.streams.map((x) => x.codec_name).sort().join(',')}, ${pp.duration.toFixed(2)} s`);
    if (partial.status !== 200 || pp.streams.length !== 2 || !(pp.duration > 4))
      fail(`the recording being written is not playable: HTTP ${partial.status}, ${JSON.stringify(pp)}`);
    await waitUntil(t0 + 14000);
    await share.evaluate(() => window.stopShare());
    log(`screen share off at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await chat(dana, 'Thank you');
    await waitUntil(t0 + RECORD_MS);
    const stopped = await recording(teacher, 'recording_stop');
    const span = (Date.now() - t0) / 1000;
    log(`recording stopped after ${span.toFixed(1)} s`);
    if (Math.abs(span - RECORD_MS / 1000) > 0.5) fail(`the test could not stop on time (${span} s): too slow a machine?`);
    if (stopped.active !== false || stopped.reason !== 'stopped') fail(`recording_stop replied ${JSON.stringify(stopped)}`);
    await waitForLog(LOG, new RegExp(`recording ${rid} of lesson ${id} is complete`), 15000, from);

    // The list, with this lesson's student link.
    const q = `t=${lesson.tokens.student}`;
    const listRes = await get(`${BASE_URL}/api/lessons/${id}/recordings?${q}`);
    if (listRes.status !== 200) fail(`list: HTTP ${listRes.status}`);
    const list = JSON.parse(listRes.body.toString());
    const row = list.recordings.find((r) => r.id === rid);
    if (!row || row.state !== 'finished') fail(`the list has no finished recording ${rid}: ${JSON.stringify(list)}`);
    log(`listed: ${JSON.stringify(row)}`);

    // The whole file over HTTP, then what ffprobe and ffmpeg say of it.
    const whole = await get(`${BASE_URL}${row.file}?${q}`);
    if (whole.status !== 200 || whole.headers.get('accept-ranges') !== 'bytes')
      fail(`GET the file: HTTP ${whole.status}, accept-ranges ${whole.headers.get('accept-ranges')}`);
    if (whole.body.length !== row.size) fail(`the file has ${whole.body.length} bytes, the list says ${row.size}`);
    const file = tmpFile('recording.webm');
    fs.writeFileSync(file, whole.body);
    log(`a copy for a look: ${keep(file, 'recording_lesson.webm')}`);
    const p = await probe(file);
    const codecs = p.streams.map((s) => s.codec_name).sort().join(',');
    log(`ffprobe: ${codecs}, ${p.duration.toFixed(2)} s, ${whole.body.length} bytes`);
    if (codecs !== 'opus,vp8') fail(`ffprobe found ${codecs}, not one Opus and one VP8 stream`);
    if (Math.abs(p.duration - RECORD_MS / 1000) > 1) fail(`the recording lasts ${p.duration} s, not 20 s +- 1 s`);
    const errors = await decodeErrors(file);
    if (errors) fail(`ffmpeg -v error printed (see the copy):\n${errors.slice(0, 2000)}`);
    const frames = await countFrames(file);
    log(`frames decoded: ${JSON.stringify(frames)}`);
    if (!(frames.video > 100) || !(frames.audio > 500)) fail(`too few frames: ${JSON.stringify(frames)}`);
    const audio = await audioLevels(file, 2, 18);
    log(`audio 2-18 s: mean ${audio.mean} dB, max ${audio.max} dB, silences ${JSON.stringify(audio.silences)}`);
    if (!(audio.mean > -45) || !(audio.max > -30)) fail(`the audio is too quiet where people spoke: ${JSON.stringify(audio)}`);
    if (audio.silences.length) fail(`silence while people spoke: ${JSON.stringify(audio.silences)}`);

    // Range: 206 with exactly those bytes; past the end 416.
    const part = await get(`${BASE_URL}${row.file}?${q}`, { range: 'bytes=1000-4999' });
    if (part.status !== 206) fail(`Range bytes=1000-4999: HTTP ${part.status}`);
    if (part.headers.get('content-range') !== `bytes 1000-4999/${row.size}`)
      fail(`Content-Range: ${part.headers.get('content-range')}`);
    if (!part.body.equals(whole.body.subarray(1000, 5000))) fail('the 206 body is not bytes 1000-4999 of the file');
    const tailPart = await get(`${BASE_URL}${row.file}?${q}`, { range: 'bytes=-100' });
    if (tailPart.status !== 206 || !tailPart.body.equals(whole.body.subarray(row.size - 100)))
      fail(`Range bytes=-100: HTTP ${tailPart.status}, ${tailPart.body.length} bytes`);
    const past = await get(`${BASE_URL}${row.file}?${q}`, { range: `bytes=${row.size}-` });
    if (past.status !== 416 || past.headers.get('content-range') !== `bytes */${row.size}`)
      fail(`Range past the end: HTTP ${past.status}, ${past.headers.get('content-range')}`);

    // Another lesson's student link: 403 for the list, the file and the timeline.
    const oq = `t=${other.tokens.student}`;
    for (const u of [`/api/lessons/${id}/recordings`, row.file, row.timeline]) {
      const r = await get(`${BASE_URL}${u}?${oq}`);
      if (r.status !== 403) fail(`${u} with another lesson's student link: HTTP ${r.status}`);
    }
    const none = await get(`${BASE_URL}${row.file}`);
    if (none.status !== 401) fail(`the file without a link: HTTP ${none.status}`);

    // The timeline lists the chat messages sent, in recording time.
    const tl = JSON.parse((await get(`${BASE_URL}${row.timeline}?${q}`)).body.toString());
    const texts = tl.filter((e) => e.type === 'chat').map((e) => e.text);
    for (const want of ['Hello from Dana', 'Erlan is here', 'Look at the slide', 'Thank you'])
      if (!texts.includes(want)) fail(`the timeline lacks "${want}": ${JSON.stringify(texts)}`);
    const bad = tl.filter((e) => typeof e.t !== 'number' || e.t < 0 || e.t > RECORD_MS + 2000);
    if (bad.length) fail(`timeline times out of range: ${JSON.stringify(bad)}`);
    const stages = tl.filter((e) => e.type === 'stage').map((e) => e.source);
    log(`timeline: ${tl.length} events, stage ${stages.join(' -> ')}`);
    if (stages.join(',') !== 'camera,screen,camera') fail(`the stage went ${stages.join(' -> ')}, not camera -> screen -> camera`);

    // The page: listed, and the replay shows what was said by the playhead.
    const viewer = await ctx.newPage();
    // The lesson link with "recordings" before its ?t= leads to this lesson's page.
    await viewer.goto(`${BASE_URL}/recordings?${q}`);
    if (new URL(viewer.url()).pathname !== `/recordings/${id}`) fail(`/recordings?t= went to ${viewer.url()}`);
    await viewer.waitForFunction(() => document.querySelectorAll('#rec-rows tr').length > 0, null, { timeout: 15000 });
    await viewer.waitForFunction(() => document.getElementById('rec-video').readyState >= 1, null, { timeout: 15000 });
    // A playhead between two chat messages: the first shown, the second not yet.
    const chats = tl.filter((e) => e.type === 'chat').sort((x, y) => x.t - y.t);
    const i = chats.findIndex((e) => e.text === 'Erlan is here');
    const [said, next] = [chats[i], chats[i + 1]];
    const at = (said.t + next.t) / 2000;
    await viewer.evaluate((s) => { document.getElementById('rec-video').currentTime = s; }, at);
    await viewer.waitForFunction(([a, b]) => {
      const shown = [...document.querySelectorAll('#rec-events li:not(.future) .text')].map((x) => x.textContent);
      return shown.includes(a) && !shown.includes(b);
    }, [said.text, next.text], { timeout: 10000 }).catch(async () => {
      const shown = await viewer.evaluate(() => [...document.querySelectorAll('#rec-events li')].map((li) => `${li.className}: ${li.textContent}`));
      fail(`the replay at ${at} s should show "${said.text}" but not yet "${next.text}": ${JSON.stringify(shown)}`);
    });
    await screenshot(viewer, 'recording-page.png');
    log('the recordings page replays the chat by the playhead');
  } finally {
    await closeBrowser(ctx);
  }
});

async function waitUntil(when) {
  const ms = when - Date.now();
  if (ms > 0) await sleep(ms);
}
