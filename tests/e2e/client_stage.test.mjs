// End-to-end: the stage and the connection's life. A teacher (camera) and a
// student (no camera) join; the student's stage shows the teacher's camera.
// The teacher presses "Share screen" (getDisplayMedia: headless Chromium's
// fake screen, 1280x720): the student's stage switches to the screen, the
// camera moves to the filmstrip. The browser's own "stop sharing" (the
// track's `ended`) puts the camera back on the stage. Then the teacher's
// WebSocket drops: the page shows "reconnecting", rejoins with the resume
// secret as the same participant, and the student sees the camera again.
// Along the way: per-participant connection quality (the student's own
// report reaches the teacher through the server's participant_quality) and
// the low-bandwidth switch (receive_mode), and the recording indicator and
// control (driven by `recording` messages given to the page's parser, as
// the server will send them). Screenshots: tests/e2e/screenshots/client-stage-*.png.

import {
  BASE_URL, launchBrowserForContexts, closeBrowser, newPage, createLesson, waitForState, pageState, screenshot,
  runTest, fail, log,
} from './lib.mjs';

async function open(ctx, lesson, role, name, video) {
  const page = await newPage(ctx, name);
  const q = new URLSearchParams({ t: lesson.tokens[role], name, video: video ? '1' : '0' });
  await page.goto(`${BASE_URL}/?${q}`);
  return page;
}

// What the page's stage box shows: whose tile, which source, the picture size.
async function stageView(page) {
  return page.evaluate(() => {
    const tile = document.querySelector('#stage .tile.on-stage');
    const v = tile && tile.querySelector('video');
    return {
      hidden: document.getElementById('stage').hidden,
      participant: tile ? tile.dataset.participant : null,
      source: tile ? tile.dataset.source : null,
      width: v ? v.videoWidth : 0,
      height: v ? v.videoHeight : 0,
      frames: v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
      strip: [...document.querySelectorAll('#filmstrip .tile[data-participant]')].map((x) => `${x.dataset.participant}:${x.dataset.source}`),
    };
  });
}

async function waitStage(page, what, pred, timeoutMs = 25000) {
  const end = Date.now() + timeoutMs;
  let v = null;
  while (Date.now() < end) {
    v = await stageView(page);
    if (pred(v)) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  const st = await pageState(page);
  fail(`${page.sabaqName}: ${what} not seen within ${timeoutMs / 1000} s: stage ${JSON.stringify(v)}; ` +
    `state.stage ${JSON.stringify(st.stage)} tracks ${JSON.stringify(st.subscribeTracks)} errors ${JSON.stringify(st.errors)}\n` +
    `  console: ${page.sabaqConsole.slice(-8).join('\n  ')}`);
}

await runTest('client_stage', async () => {
  const lesson = await createLesson({ title: `client stage ${process.pid}`, lobby: false });
  const browser = await launchBrowserForContexts();
  try {
    const ctx = await browser.newContext({ viewport: { width: 900, height: 650 } });
    const teacher = await open(ctx, lesson, 'teacher', 'Teacher', true);
    const tst = await waitForState(teacher, 'teacher publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 20000);
    const tid = tst.participant;
    const student = await open(ctx, lesson, 'student', 'Dana', false);
    await waitForState(student, 'student joined', (s) => s.phase === 'joined', 15000);

    // 1. The teacher's camera on the student's stage (4:3, 320x240).
    let v = await waitStage(student, 'the teacher camera on the stage',
      (x) => !x.hidden && x.participant === tid && x.source === 'camera' && x.width > 0 && x.frames >= 10);
    log(`student stage: ${JSON.stringify(v)}`);
    await screenshot(student, 'client-stage-1-camera.png');

    // 2. Screen share with the button: the stage switches for the student.
    await teacher.click('#btn-screen');
    await waitForState(teacher, 'sharing', (s) => s.stage && s.stage.source === 'screen' && s.stage.participant === tid, 20000);
    v = await waitStage(student, 'the teacher screen on the stage',
      (x) => x.participant === tid && x.source === 'screen' && x.width > 0 && x.width / x.height > 1.5 && x.frames >= 10);
    if (!v.strip.includes(`${tid}:camera`)) fail(`the teacher camera is not in the filmstrip while sharing: ${JSON.stringify(v)}`);
    log(`student stage while sharing: ${JSON.stringify(v)}`);
    const pressed = await teacher.getAttribute('#btn-screen', 'aria-pressed');
    if (pressed !== 'true') fail(`the share button is not pressed while sharing (aria-pressed=${pressed})`);
    await screenshot(student, 'client-stage-2-screen-student.png');
    await screenshot(teacher, 'client-stage-2-screen-teacher.png');

    // 3. The browser's "stop sharing" ends the track: back to the camera.
    await teacher.evaluate(() => window.sabaq.media.sharing().dispatchEvent(new Event('ended')));
    v = await waitStage(student, 'the camera back on the stage',
      (x) => x.participant === tid && x.source === 'camera' && x.width > 0 && x.width / x.height < 1.5);
    await waitForState(teacher, 'not sharing', (s) => s.stage && s.stage.source === 'camera', 10000);
    log(`student stage after stop: ${JSON.stringify(v)}`);

    // 4. Quality: the student measures the teacher's media and shows it.
    await waitForState(student, 'a quality for the teacher', (s) => s.quality && s.quality[tid], 15000);
    const badge = await student.locator(`#roster li[data-participant="${tid}"] .badge.q`).count();
    if (!badge) fail('no connection quality badge on the teacher in the participant list');
    // The student sends no media: the teacher knows the student's quality
    // only from the student's own report, relayed by the server.
    const sid = (await pageState(student)).participant;
    const tq = await waitForState(teacher, 'the student quality relayed to the teacher', (s) => s.quality && s.quality[sid], 20000);
    log(`quality: teacher sees the student as ${tq.quality[sid]}, the student sees the teacher as ${(await pageState(student)).quality[tid]}`);
    if (!(await teacher.locator(`#roster li[data-participant="${sid}"] .badge.q`).count())) {
      fail('no quality badge on the student in the teacher list');
    }

    // 5. The low-bandwidth switch tells the server.
    await student.selectOption('#recv-mode', 'audio_only');
    const rm = await waitForState(student, 'receive_mode answered',
      (s) => s.receiveModeAcked === 'audio_only' || s.errors.length > 0, 10000);
    log(`receive_mode: acked ${rm.receiveModeAcked}, errors ${JSON.stringify(rm.errors)}`);
    if (rm.receiveModeAcked !== 'audio_only' && !/support|unknown/i.test(rm.errors.join(' '))) {
      fail(`receive_mode failed: ${JSON.stringify(rm.errors)}`);
    }
    await student.selectOption('#recv-mode', 'auto');

    // 6. The teacher's WebSocket drops: reconnecting, then the same seat.
    await teacher.evaluate(() => window.sabaq.signaling.ws.close());
    await teacher.waitForSelector('#conn-state.reconnecting', { timeout: 5000 }).catch(() => {});
    await screenshot(teacher, 'client-stage-3-reconnecting.png');
    const back = await waitForState(teacher, 'rejoined', (s) => s.phase === 'joined' && s.connection === 'ok' &&
      (s.connectionLog || []).includes('reconnecting') && s.publish === 'connected', 30000);
    if (back.participant !== tid) fail(`the teacher came back as ${back.participant}, not ${tid}`);
    if (!(await teacher.isHidden('#conn-state'))) fail('the reconnect banner stays after rejoining');
    v = await waitStage(student, 'the teacher camera on the stage after the reconnect',
      (x) => x.participant === tid && x.source === 'camera' && x.width > 0);
    log(`after reconnect: teacher ${back.participant}, connection log ${JSON.stringify(back.connectionLog)}`);
    await screenshot(student, 'client-stage-4-after-reconnect.png');

    // 7. Recording: a `recording` message (as the server sends it, fed to
    // the page's signaling parser) shows the indicator to everyone with
    // the start time; staff get the stop control and the recordings link.
    // The teacher's button asks the server (recording_start): with the
    // recorder on the server the lesson records, without it the page says so.
    const errorsBefore = (await pageState(teacher)).errors.length;
    await teacher.click('#btn-rec');
    const rec = await waitForState(teacher, 'recording_start answered',
      (s) => (s.recording && s.recording.active) || s.errors.length > errorsBefore, 10000);
    log(`recording_start: active ${rec.recording.active}, errors ${JSON.stringify(rec.errors.slice(errorsBefore))}`);
    if (!rec.recording.active && !/support|unknown/i.test(rec.errors.slice(errorsBefore).join(' '))) {
      fail(`recording_start failed: ${JSON.stringify(rec.errors.slice(errorsBefore))}`);
    }
    if (!rec.recording.active && await teacher.isDisabled('#btn-rec')) fail('the recording button stays disabled after the refusal');
    if (rec.recording.active) {
      await teacher.click('#btn-rec');
      await waitForState(teacher, 'recording stopped', (s) => !s.recording.active, 10000);
    }
    const since = Date.now() - 60000;
    for (const p of [teacher, student]) {
      await p.evaluate((ms) => window.sabaq.signaling.receive(JSON.stringify(
        { type: 'recording', active: true, recording: 7, since_ms: ms, reason: null })), since);
    }
    await student.waitForSelector('#rec-indicator:not([hidden])', { timeout: 5000 });
    const recText = await student.textContent('#rec-text');
    const want = await student.evaluate((ms) => new Intl.DateTimeFormat(navigator.language, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms)), since);
    if (!recText.includes(want)) fail(`the recording indicator says "${recText}", want the start time ${want}`);
    if (await student.isVisible('#btn-rec')) fail('a student sees the recording control');
    if ((await teacher.getAttribute('#btn-rec', 'aria-pressed')) !== 'true') fail('the teacher recording button is not pressed while recording');
    const href = await teacher.getAttribute('#rec-link', 'href');
    if (!href.startsWith(`/recordings/${lesson.lesson.id}`)) fail(`the recordings link is ${href}`);
    await screenshot(teacher, 'client-stage-5-recording.png');
    await teacher.evaluate(() => window.sabaq.signaling.receive(JSON.stringify(
      { type: 'recording', active: false, recording: 7, since_ms: null, reason: 'disk_full' })));
    await teacher.waitForSelector('#rec-indicator', { state: 'hidden', timeout: 5000 });
    const err = await teacher.textContent('#error');
    if (!/disk/i.test(err)) fail(`a recording stopped by a full disk says "${err}"`);
  } finally {
    await closeBrowser(browser);
  }
});
