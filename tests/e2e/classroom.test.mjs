// End-to-end: a whole lesson through the page, in one Chromium with five
// pages. The teacher signs in (`sabaq staff add`, or the first-start link
// from the server log), creates a lesson with the home screen's form and reads
// its three links; the assistant and three students join by those links
// through the pre-join screen (students without camera; Timur by the
// personal link of a class list the teacher uploads, without a name to
// type), the students through the lobby, admitted by the
// teacher. Student1 raises a hand, the teacher sees it in
// the queue and gives the floor, and the teacher then receives Student1's
// audio. The teacher runs a poll that the students answer and sees the live
// tally in the page; chat goes student -> everyone and teacher -> everyone;
// the attendance panel shows everyone; taking the floor back silences Student1.
// Screenshots of each step: tests/e2e/screenshots/classroom-*.png.

import {
  launchBrowserForContexts, closeBrowser, newPage, pageState, waitForState, inboundFrom, screenshot,
  teacherSigninLink, runTest, fail, log, sleep, BASE_URL,
} from './lib.mjs';

const STUDENTS = ['Aigerim', 'Dana', 'Timur'];
const MIN_AUDIO_PACKETS = 50; // about 1 s of Opus at 20 ms
const MIN_AUDIO_SAMPLES = 48000; // 1 s at 48 kHz

// Waits for `pred` in the page's own context (a DOM check), with a message.
async function waitForDom(page, what, pred, arg, timeoutMs = 15000) {
  try {
    await page.waitForFunction(pred, arg, { timeout: timeoutMs, polling: 200 });
  } catch (e) {
    const st = await pageState(page).catch(() => null);
    fail(`${page.sabaqName}: ${what} not seen within ${timeoutMs / 1000} s; errors=${JSON.stringify(st && st.errors)}\n` +
      `console: ${page.sabaqConsole.slice(-8).join('\n  ')}`);
  }
}

// Joins by a lesson link through the pre-join screen (the shared links carry
// no name): the name, then "Join" or "Join without camera".
async function joinByLink(ctx, url, name, { camera }) {
  const page = await newPage(ctx, name);
  await page.goto(url);
  await page.waitForSelector('#j-name', { state: 'visible', timeout: 10000 });
  await page.fill('#j-name', name);
  await page.click(camera ? '#j-submit' : '#j-nocam');
  return page;
}

async function audioFrom(page, from) {
  const stats = await inboundFrom(page, from, 'audio');
  return {
    streams: stats.length,
    packetsReceived: stats.reduce((a, s) => a + s.packetsReceived, 0),
    totalSamplesReceived: stats.reduce((a, s) => a + s.totalSamplesReceived, 0),
  };
}

async function selectTab(page, name) {
  await page.click(`#tab-${name}`);
}

await runTest('classroom', async () => {
  // One browser; the teacher in a context of their own (the session cookie),
  // the assistant and the students in another (no cookie).
  const browser = await launchBrowserForContexts();
  try {
    const viewport = { width: 900, height: 650 };
    const teacherCtx = await browser.newContext({ viewport });
    const ctx = await browser.newContext({ viewport });
    const t0 = Date.now();
    const step = (what) => log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

    // 1. The teacher signs in and creates the lesson on the home screen.
    const teacher = await newPage(teacherCtx, 'Teacher');
    const signin = teacherSigninLink('Teacher');
    step(`signing in with ${signin.replace(/([?&][a-z]+=)[^&]{12}[^&]*/g, '$1...')}`);
    await teacher.goto(signin);
    await teacher.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 10000 }).catch(() => {});
    if (!teacher.url().startsWith(`${BASE_URL}/`) || new URL(teacher.url()).pathname !== '/') await teacher.goto(`${BASE_URL}/`);
    await waitForDom(teacher, 'the staff home', () => !document.getElementById('screen-home').hidden);
    await teacher.fill('#c-title', 'Algebra 7B');
    await teacher.selectOption('#c-language', 'kk');
    await teacher.fill('#c-duration', '45');
    await teacher.fill('#c-max', '30');
    await teacher.setChecked('#c-lobby', true);
    await teacher.setChecked('#c-publish', false);
    await screenshot(teacher, 'classroom-1-create.png');
    await teacher.click('#c-submit');
    await waitForDom(teacher, 'the three links', () => document.querySelectorAll('#created-links input.link').length >= 3);
    const links = await teacher.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('#created-links input.link')].map((i) => [i.dataset.role, i.value])));
    for (const role of ['teacher', 'assistant', 'student']) {
      if (!links[role] || !/[?&]t=/.test(links[role])) fail(`no ${role} link with a token: ${JSON.stringify(links)}`);
    }
    await waitForDom(teacher, 'the lesson in "my lessons"', () =>
      [...document.querySelectorAll('#lesson-list h4')].some((x) => x.textContent === 'Algebra 7B'));
    await screenshot(teacher, 'classroom-2-links.png');
    step('lesson created, links read');

    // A class list with Timur gives him a personal link (no name asked).
    const item = teacher.locator('#lesson-list li.lesson').first();
    await item.locator('input[type=file]').setInputFiles({
      name: 'class.csv', mimeType: 'text/csv', buffer: Buffer.from('name,class,school\nTimur,7B,School 12\n') });
    await item.locator('button.upload').click();
    await waitForDom(teacher, 'the roster link', () => document.querySelectorAll('.roster-links tbody tr input.link').length === 1);
    const timurLink = await item.locator('.roster-links tbody tr input.link').inputValue();
    if (!/[?&]t=/.test(timurLink)) fail(`Timur's personal link has no token: ${timurLink}`);
    await screenshot(teacher, 'classroom-2-roster.png');
    step('roster uploaded, personal link read');

    // 2. Everyone joins by the links: the teacher with a 320x240 camera,
    // the others with the microphone only (saves CPU).
    // Signed in, the teacher joins under the staff name without a prompt.
    await teacher.goto(links.teacher);
    await waitForDom(teacher, 'the pre-join screen', () => !document.getElementById('screen-join').hidden);
    if (await teacher.isVisible('#j-name')) fail('the teacher link asked the signed-in teacher for a name');
    await waitForDom(teacher, 'the camera preview', () => document.getElementById('j-preview').videoWidth > 0);
    await screenshot(teacher, 'classroom-2-prejoin-teacher.png');
    await teacher.click('#j-submit');
    const assistant = await joinByLink(ctx, links.assistant, 'Assistant', { camera: false });
    const students = [];
    for (const name of STUDENTS.slice(0, 2)) students.push(await joinByLink(ctx, links.student, name, { camera: false }));
    // Timur's personal link: the class list names him, so no name field.
    const timur = await newPage(ctx, 'Timur');
    await timur.goto(timurLink);
    await timur.waitForSelector('#j-nocam', { state: 'visible', timeout: 10000 });
    if (await timur.isVisible('#j-name')) fail('the personal link asked Timur for a name');
    await timur.click('#j-nocam');
    students.push(timur);
    // The lobby is on: the students wait until the teacher admits them all.
    for (const s of students) await waitForState(s, 'waiting in the lobby', (st) => st.phase === 'lobby', 15000);
    await screenshot(students[0], 'classroom-3-lobby-student.png');
    await waitForState(teacher, 'three students in the lobby', (st) => st.lobby.length === 3, 15000);
    await waitForDom(teacher, 'the lobby list', () => document.querySelectorAll('#lobby-list li').length === 3);
    await screenshot(teacher, 'classroom-3-lobby-teacher.png');
    await teacher.click('#admit-all');
    const all = [teacher, assistant, ...students];
    const ids = new Map();
    for (const p of all) {
      const st = await waitForState(p, 'joined', (s) => s.phase === 'joined' && s.participant, 15000);
      ids.set(p, st.participant);
    }
    const who = await Promise.all(all.map(async (p) => { const st = await pageState(p); return `${st.name}/${st.role}`; }));
    if (who.join(',') !== 'Teacher/teacher,Assistant/assistant,Aigerim/student,Dana/student,Timur/student') {
      fail(`names and roles from the links: ${who}`);
    }
    await waitForState(teacher, 'publishing (teacher)', (s) => s.publish === 'connected', 15000);
    await waitForState(teacher, 'all five in the participant list',
      (s) => Object.keys(s.participants).length === 5, 15000);
    for (const s of students) {
      const st = await pageState(s);
      if (st.publishing) fail(`${s.sabaqName} publishes before being given the floor`);
    }
    await screenshot(teacher, 'classroom-3-joined-teacher.png');
    await screenshot(students[0], 'classroom-3-joined-student.png');
    step('teacher, assistant and three students joined');

    // 3. Student1 raises a hand; the teacher sees the queue and gives the floor.
    const s1 = students[0];
    const s1id = ids.get(s1);
    await s1.click('#btn-hand');
    await waitForState(s1, 'own hand in the queue', (s) => s.hands.includes(s1id), 10000);
    await waitForDom(teacher, `${s1.sabaqName}'s hand in the queue`,
      (id) => Boolean(document.querySelector(`#hands-list li[data-participant="${id}"]`)), s1id);
    await screenshot(teacher, 'classroom-4-hand.png');
    await teacher.click(`#hands-list li[data-participant="${s1id}"] button.give-floor`);
    await waitForState(s1, 'the floor', (s) => s.floor.includes(s1id), 10000);
    await waitForState(s1, 'publishing with the floor', (s) => s.publishing && s.publish === 'connected', 15000);
    step(`${s1.sabaqName} has the floor and publishes`);

    // 4. The teacher hears Student1: inbound audio from it grows.
    let a0 = null;
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      a0 = await audioFrom(teacher, s1id);
      if (a0.totalSamplesReceived > 0) break;
      await sleep(500);
    }
    if (!a0 || a0.totalSamplesReceived === 0) {
      fail(`the teacher receives no audio from ${s1.sabaqName}: ${JSON.stringify(a0)}; ` +
        `teacher tracks ${JSON.stringify((await pageState(teacher)).subscribeTracks)}`);
    }
    await sleep(2000);
    const a1 = await audioFrom(teacher, s1id);
    const dp = a1.packetsReceived - a0.packetsReceived;
    const ds = a1.totalSamplesReceived - a0.totalSamplesReceived;
    log(`teacher <- ${s1.sabaqName} audio in 2 s: +${dp} packets, +${ds} samples (total ${JSON.stringify(a1)})`);
    if (dp < MIN_AUDIO_PACKETS || ds < MIN_AUDIO_SAMPLES) {
      fail(`the teacher does not hear ${s1.sabaqName}: +${dp} packets (need ${MIN_AUDIO_PACKETS}), +${ds} samples (need ${MIN_AUDIO_SAMPLES})`);
    }
    const others = await audioFrom(teacher, ids.get(students[1]));
    if (others.streams) fail(`${students[1].sabaqName} (no floor) is heard: ${JSON.stringify(others)}`);
    await screenshot(teacher, 'classroom-5-floor.png');
    step(`teacher hears ${s1.sabaqName}`);

    // 5. A poll: the teacher creates it, the students answer, the teacher's
    // page shows the live tally.
    await selectTab(teacher, 'polls');
    await teacher.fill('#poll-question', 'Is 7 a prime number?');
    await teacher.selectOption('#poll-kind', 'single');
    await teacher.fill('#poll-options', 'Yes\nNo\nNot sure');
    await teacher.click('#poll-create');
    const choices = [0, 0, 2]; // Aigerim: Yes, Dana: Yes, Timur: Not sure
    for (const [i, s] of students.entries()) {
      await selectTab(s, 'polls');
      await s.waitForSelector('#poll-list form.answer input[type=radio]', { timeout: 10000 });
      await s.check(`#poll-list form.answer input[value="${choices[i]}"]`);
      await s.click('#poll-list form.answer button.answer-submit');
      await waitForState(s, 'poll answered', (st) => st.polls.some((p) => p.answer), 10000);
    }
    await screenshot(students[2], 'classroom-6-poll-student.png');
    await waitForDom(teacher, 'the live tally 2 / 0 / 1', () => {
      const counts = [...document.querySelectorAll('#poll-list .tally li .count')].map((x) => x.textContent);
      return counts.join(',') === '2,0,1';
    });
    await screenshot(teacher, 'classroom-7-poll-tally.png');
    step('poll answered, tally 2/0/1 on the teacher\'s page');

    // 6. Chat both ways.
    const s2 = students[1];
    await selectTab(s2, 'chat');
    await s2.fill('#chat-text', 'Hello from Dana');
    await s2.click('#chat-send');
    await waitForDom(teacher, 'the student\'s message', () =>
      [...document.querySelectorAll('#chat-log .msg .text')].some((x) => x.textContent === 'Hello from Dana'));
    const unread = await teacher.evaluate(() => window.sabaq.state.chatUnread);
    if (unread < 1) fail(`the teacher's unread count is ${unread} with the chat panel closed`);
    await selectTab(teacher, 'chat');
    await teacher.fill('#chat-text', 'Well done, class');
    await teacher.press('#chat-text', 'Enter');
    for (const s of students) {
      await waitForDom(s, 'the teacher\'s message', () =>
        [...document.querySelectorAll('#chat-log .msg .text')].some((x) => x.textContent === 'Well done, class'));
    }
    await screenshot(teacher, 'classroom-8-chat-teacher.png');
    await selectTab(students[0], 'chat');
    await screenshot(students[0], 'classroom-8-chat-student.png');
    step('chat seen both ways');

    // 7. The live attendance panel: all five present, the chat and the poll
    // answers counted.
    await selectTab(teacher, 'attendance');
    await waitForDom(teacher, 'five people present in the attendance panel', () =>
      document.querySelectorAll('#attendance-body tr').length >= 5 &&
      [...document.querySelectorAll('#attendance-body tr')].filter((r) => r.children[1].textContent === 'yes').length === 5);
    const att = await teacher.evaluate(() => window.sabaq.state.attendance.map((r) => ({
      name: r.name, present: r.present, chat: r.chat_messages, polls: r.poll_answers, hands: r.hands_raised })));
    log(`attendance: ${JSON.stringify(att)}`);
    const dana = att.find((r) => r.name === 'Dana');
    if (!dana || dana.chat < 1 || dana.polls < 1) fail(`Dana's attendance row misses her chat message or poll answer: ${JSON.stringify(dana)}`);
    await screenshot(teacher, 'classroom-9-attendance.png');
    step('attendance panel live');

    // 8. The teacher takes the floor back: Student1 stops publishing.
    await selectTab(teacher, 'people');
    await teacher.click(`#roster li[data-participant="${s1id}"] button.take-floor`);
    await waitForState(s1, 'floor taken, not publishing', (s) => !s.floor.includes(s1id) && !s.publishing, 10000);
    await sleep(500);
    const b0 = await audioFrom(teacher, s1id);
    await sleep(2000);
    const b1 = await audioFrom(teacher, s1id);
    log(`teacher <- ${s1.sabaqName} audio in 2 s after the floor was taken: +${b1.packetsReceived - b0.packetsReceived} packets`);
    if (b1.packetsReceived - b0.packetsReceived > 10) fail(`${s1.sabaqName} is still heard after the floor was taken`);
    await screenshot(s1, 'classroom-10-floor-taken.png');
    step('floor taken back: no more audio from the student');
  } finally {
    await closeBrowser(browser);
  }
});
