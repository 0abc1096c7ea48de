// End-to-end, the lesson on a phone (360x740): a student joins through the
// pre-join screen without camera (the page in Russian); the lesson view fits
// the screen (no horizontal scroll, every control inside it and labelled)
// with no message key shown raw, in Russian and Kazakh; the hand goes up
// with the keyboard (Tab, Enter) and the focus ring shows. A teacher joins
// with a camera: the student's phone shows it on the stage; the teacher's
// page (Kazakh remembered, then Russian) is checked the same way, staff
// controls and attendance tab included.
// Screenshots: tests/e2e/screenshots/client-phone-*.png.

import {
  BASE_URL, launchBrowserForContexts, closeBrowser, newPage, createLesson, waitForState, screenshot,
  runTest, fail, log,
} from './lib.mjs';
import { PHONE, tables, waitFor, checkLanguage, checkFits } from './client_lib.mjs';

await runTest('client_phone', async () => {
  const lesson = await createLesson({ title: `client phone ${process.pid}`, lobby: false });
  const browser = await launchBrowserForContexts();
  try {
    const ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US' });
    const t0 = Date.now();
    const step = (what) => log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const student = await newPage(ctx, 'Student');
    await student.goto(lesson.links.student);
    await waitFor(student, 'the pre-join screen', () => !document.getElementById('screen-join').hidden);
    await student.selectOption('#lang-switch', 'ru');
    await waitFor(student, 'Russian', () => document.documentElement.lang === 'ru');

    // 1. Join without camera: the lesson view on the phone, in ru and kk.
    await student.fill('#j-name', 'Aru');
    await student.click('#j-nocam');
    const st = await waitForState(student, 'joined', (s) => s.phase === 'joined' && s.participant, 15000);
    if (st.publishing) fail('the student publishes right after joining without camera or floor');
    await waitFor(student, 'the participant list', () => document.querySelectorAll('#roster li').length >= 1);
    await checkLanguage(student, 'ru', 'lesson');
    await checkFits(student, 'lesson ru');
    await screenshot(student, 'client-phone-1-lesson-ru.png');
    // Keyboard: the hand button is reachable with Tab and works with Enter.
    let reached = false;
    for (let i = 0; i < 25 && !reached; i++) {
      await student.keyboard.press('Tab');
      reached = await student.evaluate(() => document.activeElement && document.activeElement.id === 'btn-hand');
    }
    if (!reached) fail('the raise-hand button is not reachable with Tab');
    // Arrow keys along the toolbar: left from the hand wraps to "leave"
    // (the disabled mic and camera are skipped), right comes back.
    const focused = () => student.evaluate(() => document.activeElement && document.activeElement.id);
    await student.keyboard.press('ArrowLeft');
    if ((await focused()) !== 'leave') fail(`ArrowLeft from the hand button went to #${await focused()}`);
    await student.keyboard.press('ArrowRight');
    if ((await focused()) !== 'btn-hand') fail(`ArrowRight from "leave" went to #${await focused()}`);
    await student.keyboard.press('Enter');
    await waitForState(student, 'hand raised with the keyboard', (s) => s.hands.includes(st.participant), 10000);
    const ring = await student.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    if (ring === 'none') fail('the focused button shows no focus ring');
    await student.selectOption('#lang-switch', 'kk');
    await waitFor(student, 'Kazakh in the lesson', () => document.documentElement.lang === 'kk');
    await checkLanguage(student, 'kk', 'lesson');
    for (const tab of ['chat', 'polls']) {
      await student.click(`#tab-${tab}`);
      await checkLanguage(student, 'kk', `${tab} tab`);
      await checkFits(student, `${tab} tab kk`);
    }
    await screenshot(student, 'client-phone-2-lesson-kk.png');

    step('student lesson view checked');
    // 2. A teacher (same browser profile: Kazakh remembered), then Russian:
    // the staff controls and panels.
    const teacher = await newPage(ctx, 'Teacher');
    const q = new URLSearchParams({ t: lesson.tokens.teacher, name: 'Teacher', video: '1' });
    await teacher.goto(`${BASE_URL}/?${q}`);
    await waitForState(teacher, 'teacher joined', (s) => s.phase === 'joined', 15000);
    await waitFor(teacher, 'the student in the list', () => document.querySelectorAll('#roster li').length >= 2);
    await checkLanguage(teacher, 'kk', 'teacher lesson');
    // The student's phone with the teacher's camera on the stage.
    step('teacher joined');
    await waitFor(student, 'the teacher on the stage', () => {
      const v = document.querySelector('#stage .tile.on-stage video');
      return Boolean(v && v.videoWidth > 0);
    }, undefined, 25000);
    await student.click('#tab-people');
    await checkFits(student, 'lesson with a stage');
    await screenshot(student, 'client-phone-3-stage-kk.png');
    await teacher.selectOption('#lang-switch', 'ru');
    await waitFor(teacher, 'Russian', () => document.documentElement.lang === 'ru');
    for (const tab of ['people', 'chat', 'polls', 'attendance']) {
      await teacher.click(`#tab-${tab}`);
      await checkLanguage(teacher, 'ru', `teacher ${tab} tab`);
      await checkFits(teacher, `teacher ${tab} tab`);
    }
    await teacher.click('#tab-people');
    await screenshot(teacher, 'client-phone-4-teacher-ru.png');

    step('teacher view checked');
  } finally {
    await closeBrowser(browser);
  }
});
