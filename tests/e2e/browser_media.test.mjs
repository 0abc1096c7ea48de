// End-to-end: a teacher signs in, creates a lesson that lets students publish
// (POST /api/lessons), and she and two students join it in Chromium with its
// links, all publishing mic and camera through Sabaq. Each student must decode the
// teacher's video (>= 50 frames in 5 s) and receive the teacher's audio; the
// teacher must decode each student's video. Logs the DTLS/SRTP each got.

import {
  launchBrowser, closeBrowser, joinPage, createLesson, waitForState, inboundFrom, transportInfo,
  screenshot, runTest, fail, log, sleep,
} from './lib.mjs';

const MEASURE_MS = 5000;
const MIN_TEACHER_FRAMES = 50;
const MIN_STUDENT_FRAMES = 20;
const MIN_AUDIO_SAMPLES = 48000; // 1 s at 48 kHz out of about 5 s sent

const sum = (list, key) => list.reduce((a, s) => a + (s[key] || 0), 0);

// One measurement: what `page` receives of `kind` from participant `from`.
async function probe(page, from, kind) {
  const stats = await inboundFrom(page, from, kind);
  return {
    streams: stats.length,
    framesDecoded: sum(stats, 'framesDecoded'),
    packetsReceived: sum(stats, 'packetsReceived'),
    totalSamplesReceived: sum(stats, 'totalSamplesReceived'),
    frameWidth: stats.length ? stats[0].frameWidth : 0,
    frameHeight: stats.length ? stats[0].frameHeight : 0,
  };
}

// Waits until every check sees media flowing (first frame / first samples).
async function waitForMedia(checks, deadline) {
  let last = [];
  while (Date.now() < deadline) {
    last = await Promise.all(checks.map((c) => probe(c.page, c.from, c.kind)));
    const ready = checks.every((c, i) => (c.kind === 'video'
      ? last[i].framesDecoded > 0 : last[i].totalSamplesReceived > 0));
    if (ready) return;
    await sleep(500);
  }
  const lines = checks.map((c, i) => `  ${c.page.sabaqName} <- ${c.fromName} ${c.kind}: ${JSON.stringify(last[i])}`);
  fail(`media did not start within 20 s of joining:\n${lines.join('\n')}\n${await describe(checks)}`);
}

async function describe(checks) {
  const pages = [...new Set(checks.map((c) => c.page))];
  const parts = [];
  for (const p of pages) {
    const st = await p.evaluate(() => window.sabaq.state).catch(() => null);
    parts.push(`  ${p.sabaqName}: ws=${st && st.ws} publish=${st && st.publish} subscribe=${st && st.subscribe} ` +
      `tiles=${JSON.stringify(st && st.tiles)} tracks=${JSON.stringify(st && st.subscribeTracks)} ` +
      `errors=${JSON.stringify(st && st.errors)} console=${JSON.stringify(p.sabaqConsole.slice(-5))}`);
  }
  return `pages:\n${parts.join('\n')}`;
}

await runTest('browser_media', async () => {
  const lesson = await createLesson({ title: `media ${process.pid}`, students_publish: true });
  log(`lesson ${lesson.lesson.id} created; links for teacher, assistant, student`);
  const ctx = await launchBrowser();
  try {
    const started = Date.now();
    const teacher = await joinPage(ctx, { lesson, name: 'Teacher', role: 'teacher' });
    const students = [];
    for (const name of ['Student1', 'Student2']) students.push(await joinPage(ctx, { lesson, name }));
    const all = [teacher, ...students];
    const ids = new Map();
    for (const p of all) {
      const st = await waitForState(p, 'joined', (s) => s.phase === 'joined' && s.participant, 10000);
      ids.set(p, st.participant);
    }
    for (const p of all) {
      await waitForState(p, 'publish connection connected', (s) => s.publish === 'connected',
        Math.max(1000, 20000 - (Date.now() - started)));
    }
    const teacherId = ids.get(teacher);
    const checks = [];
    for (const s of students) {
      checks.push({ page: s, from: teacherId, fromName: 'Teacher', kind: 'video', min: MIN_TEACHER_FRAMES });
      checks.push({ page: s, from: teacherId, fromName: 'Teacher', kind: 'audio', min: MIN_AUDIO_SAMPLES });
    }
    for (const s of students) {
      checks.push({ page: teacher, from: ids.get(s), fromName: s.sabaqName, kind: 'video', min: MIN_STUDENT_FRAMES });
    }
    await waitForMedia(checks, started + 20000);
    log(`media flowing ${((Date.now() - started) / 1000).toFixed(1)} s after the first join`);

    const before = await Promise.all(checks.map((c) => probe(c.page, c.from, c.kind)));
    await sleep(MEASURE_MS);
    const after = await Promise.all(checks.map((c) => probe(c.page, c.from, c.kind)));

    const problems = [];
    checks.forEach((c, i) => {
      const key = c.kind === 'video' ? 'framesDecoded' : 'totalSamplesReceived';
      const delta = after[i][key] - before[i][key];
      const size = c.kind === 'video' ? ` ${after[i].frameWidth}x${after[i].frameHeight}` : '';
      const line = `${c.page.sabaqName} <- ${c.fromName} ${c.kind}: ${key} ${before[i][key]} -> ${after[i][key]} ` +
        `(+${delta} in ${MEASURE_MS / 1000} s, need >= ${c.min}), packetsReceived ${after[i].packetsReceived}${size}`;
      log(line);
      if (delta < c.min) problems.push(line);
    });

    for (const p of all) {
      const st = await p.evaluate(() => window.sabaq.state);
      const others = [...ids.values()].filter((id) => id !== st.participant);
      const missing = others.filter((id) => !st.tiles.includes(id));
      log(`${p.sabaqName}: tiles ${JSON.stringify(st.tiles)}; transport ${JSON.stringify(await transportInfo(p))}`);
      if (missing.length) problems.push(`${p.sabaqName} has no tile for ${missing.join(', ')}`);
    }
    for (const p of all) await screenshot(p, `browser_media-${p.sabaqName}.png`);
    if (problems.length) fail(`${problems.join('\n')}\n${await describe(checks)}`);

    // Student2 leaves: the others must drop its tile and its tracks.
    const goneId = ids.get(students[1]);
    await students[1].close({ runBeforeUnload: true });
    for (const p of [teacher, students[0]]) {
      // participant_left removes the tile and the roster entry; a new
      // subscribe offer marks its m-lines active: false.
      const st = await waitForState(p, `Student2 (${goneId}) gone (tile, roster, active tracks)`,
        (s) => !s.tiles.includes(goneId) && !s.participants[goneId] &&
          !s.subscribeTracks.some((t) => t.participant === goneId && t.active !== false), 10000);
      const still = st.subscribeTracks.filter((t) => t.participant === goneId && t.active !== false);
      log(`${p.sabaqName}: after Student2 left, tiles ${JSON.stringify(st.tiles)}, ` +
        `subscribe offer ${st.subscribeVersion}, Student2 tracks still active: ${still.length}`);
    }
  } finally {
    await closeBrowser(ctx);
  }
});
