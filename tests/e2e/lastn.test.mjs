// End-to-end: last-N with N = 1 in a real browser. Two students (A, B) send
// a mic (the suite's 440 Hz sine, raw audio) and a 320x240 camera; a third
// (Viewer, no camera) has a single speaker slot. The students take turns
// speaking (the other's mic track disabled, so it sends silence) and the
// Viewer's one speaker slot must follow each turn: its `slots` say A, then B,
// then A again, its video keeps decoding on the same m-line, and no new
// subscribe offer comes (no renegotiation). Then receive_mode audio_only
// empties the Viewer's video slots and auto fills them again.

import {
  launchBrowser, closeBrowser, createLesson, joinPage, waitForState, pageState, inboundStats,
  runTest, fail, log, sleep,
} from './lib.mjs';

// Enables or silences the page's published mic (the track keeps flowing:
// disabled audio is sent as silence, level 127).
async function setMic(page, on) {
  await page.evaluate((enabled) => {
    const pc = window.sabaq && window.sabaq.publishPc;
    for (const s of pc ? pc.getSenders() : []) {
      if (s.track && s.track.kind === 'audio') s.track.enabled = enabled;
    }
  }, on);
}

function speakerSlot(st) {
  return (st.subscribeTracks || []).find((t) => t.role === 'speaker') || null;
}

async function framesOn(page, mid) {
  const s = (await inboundStats(page)).find((x) => String(x.mid) === String(mid) && x.kind === 'video');
  return s ? s.framesDecoded : 0;
}

await runTest('lastn', async () => {
  const lesson = await createLesson({ title: `lastn ${process.pid}`, last_n: 1, students_publish: true });
  if (lesson.lesson.last_n !== 1) fail(`the lesson says last_n ${lesson.lesson.last_n}, want 1`);
  const ctx = await launchBrowser();
  try {
    const a = await joinPage(ctx, { lesson, name: 'Alice' });
    const b = await joinPage(ctx, { lesson, name: 'Bolat' });
    const ids = {};
    for (const p of [a, b]) {
      const st = await waitForState(p, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
      ids[p.sabaqName] = st.participant;
    }
    await setMic(a, false);
    await setMic(b, false);
    const viewer = await joinPage(ctx, { lesson, name: 'Viewer', video: false });
    let st = await waitForState(viewer, 'one speaker slot with video',
      (s) => s.phase === 'joined' && s.subscribe === 'connected' && speakerSlot(s) &&
        (s.subscribeTracks || []).filter((t) => t.role === 'speaker').length === 1, 30000);
    const version = st.subscribeVersion;
    const mid = speakerSlot(st).mid;
    log(`viewer: subscribe offer ${version}, speaker slot mid ${mid} shows ${speakerSlot(st).participant}`);
    await sleep(1500); // the silenced mics stop "speaking" (1 s of silence)

    // Each turn goes to the one the slot does not show yet: three switches.
    const [first, second] = speakerSlot(await pageState(viewer)).participant === ids.Alice ? [b, a] : [a, b];
    let frames = await framesOn(viewer, mid);
    for (const [turn, speaker, quiet] of [[1, first, second], [2, second, first], [3, first, second]]) {
      await setMic(quiet, false);
      await setMic(speaker, true);
      const want = ids[speaker.sabaqName];
      st = await waitForState(viewer, `turn ${turn}: the speaker slot shows ${speaker.sabaqName} (${want})`,
        (s) => speakerSlot(s) && speakerSlot(s).participant === want, 15000);
      log(`turn ${turn}: ${speaker.sabaqName} speaks, viewer's slot ${mid} shows ${speakerSlot(st).participant}`);
      // The slot's video goes on decoding (the new source's keyframe came).
      const end = Date.now() + 10000;
      let now = await framesOn(viewer, mid);
      while (now < frames + 10 && Date.now() < end) {
        await sleep(250);
        now = await framesOn(viewer, mid);
      }
      if (now < frames + 10) fail(`turn ${turn}: video on mid ${mid} stalled at ${now} frames (was ${frames})`);
      frames = now;
      await setMic(speaker, false);
      await sleep(1500); // stops speaking before the next turn
    }
    // receive_mode audio_only empties the video slots, auto gives them back.
    const ask = (mode) => viewer.evaluate((m) => window.sabaq.signaling.request({ type: 'receive_mode', mode: m }), mode);
    const ok = await ask('audio_only');
    if (!ok || ok.type !== 'receive_mode_ok' || ok.mode !== 'audio_only') fail(`receive_mode: ${JSON.stringify(ok)}`);
    await waitForState(viewer, 'audio only: no video slot in use, audio still',
      (s) => (s.subscribeTracks || []).every((t) => t.kind === 'audio' || !t.participant) &&
        (s.subscribeTracks || []).some((t) => t.kind === 'audio' && t.participant), 10000);
    await ask('auto');
    st = await waitForState(viewer, 'auto: the speaker slot back',
      (s) => speakerSlot(s) && speakerSlot(s).participant, 10000);
    log(`receive_mode audio_only then auto: the speaker slot shows ${speakerSlot(st).participant} again`);
    st = await pageState(viewer);
    if (st.subscribeVersion !== version) {
      fail(`the viewer was sent a new subscribe offer (version ${version} -> ${st.subscribeVersion})`);
    }
    const slots = (st.subscribeTracks || []).map((t) => `${t.mid}:${t.role}:${t.participant}`).join(' ');
    log(`viewer slots at the end: ${slots}; ${frames} frames decoded on mid ${mid}; offer ${version}`);
  } finally {
    await closeBrowser(ctx);
  }
});
