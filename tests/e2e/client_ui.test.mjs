// End-to-end, the page as a person on a phone sees it (360x740): a student
// opens the shared student link, gets the pre-join screen with a live camera
// preview, camera and microphone lists and a moving level meter; switches the
// page to Kazakh, then Russian (remembered across a reload), with no message
// key shown raw and no English left where the language has its own words;
// joins without camera; the lesson view fits the screen (no horizontal
// scroll, every control inside it and labelled), with the teacher's camera
// on the stage, in both languages; the hand goes up with the keyboard. A
// teacher page in Russian is checked the same way (the staff controls, the
// attendance tab), and the home page; fresh browsers preferring kk-KZ,
// ru-RU and de-DE start in Kazakh, Russian and Kazakh. Screenshots: tests/e2e/screenshots/client-ui-*.png.

import fs from 'node:fs';
import path from 'node:path';
import {
  HERE, BASE_URL, launchBrowserForContexts, closeBrowser, newPage, createLesson, waitForState, screenshot,
  runTest, fail, log,
} from './lib.mjs';

const PHONE = { width: 360, height: 740 };
const tables = {};
for (const l of ['kk', 'ru', 'en']) {
  tables[l] = JSON.parse(fs.readFileSync(path.join(HERE, '..', '..', 'web', 'i18n', `${l}.json`), 'utf8'));
}

async function waitFor(page, what, fn, arg, timeoutMs = 15000) {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 200 });
  } catch (e) {
    fail(`${page.sabaqName}: ${what} not seen within ${timeoutMs / 1000} s\n  console: ${page.sabaqConsole.slice(-8).join('\n  ')}`);
  }
}

// In the page: visible texts and labels that are message keys (shown raw),
// and elements whose key has its own text in `lang` but show the English.
function untranslated([en, table]) {
  const keys = new Set(Object.keys(en));
  const looksLikeKey = (s) => keys.has(s) || /^[a-z]+(\.[a-z0-9_]+)+$/.test(s);
  const visible = (el) => el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const raw = [];
  const english = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const s = n.textContent.trim();
    if (s && looksLikeKey(s) && visible(n.parentElement)) raw.push(`text "${s}"`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) && el.tagName !== 'OPTION') continue;
    for (const a of ['aria-label', 'placeholder', 'title']) {
      const v = (el.getAttribute(a) || '').trim();
      if (v && looksLikeKey(v)) raw.push(`${a} "${v}" on ${el.tagName.toLowerCase()}#${el.id}`);
    }
    const k = el.dataset.i18n;
    if (k && !el.dataset.i18nArgs && table[k] !== en[k] && el.textContent.trim() === en[k]) english.push(`${k}: "${en[k]}"`);
  }
  return { raw, english };
}

async function checkLanguage(page, lang, where) {
  const got = await page.evaluate(() => document.documentElement.lang);
  if (got !== lang) fail(`${page.sabaqName} ${where}: <html lang> is ${got}, want ${lang}`);
  const r = await page.evaluate(untranslated, [tables.en, tables[lang]]);
  if (r.raw.length || r.english.length) {
    fail(`${page.sabaqName} ${where} in ${lang}: raw keys [${r.raw.join('; ')}], English left [${r.english.join('; ')}]`);
  }
}

// No horizontal scroll; every visible control inside the screen's width and
// with an accessible name.
async function checkFits(page, where) {
  const r = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = { width, scrollWidth: document.documentElement.scrollWidth, outside: [], unnamed: [] };
    for (const el of document.querySelectorAll('button, select, input, textarea, a[href], [role=tab]')) {
      const box = el.getBoundingClientRect();
      if (!box.width || !box.height || el.closest('[hidden]')) continue;
      if (box.left < -1 || box.right > width + 1) out.outside.push(`${el.tagName.toLowerCase()}#${el.id || el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
      const label = el.getAttribute('aria-label') || el.textContent.trim() || (el.labels && el.labels[0] && el.labels[0].textContent.trim()) ||
        el.getAttribute('aria-labelledby') || el.getAttribute('placeholder') || (el.type === 'file' ? 'file' : '');
      if (!label) out.unnamed.push(`${el.tagName.toLowerCase()}#${el.id || el.className}`);
    }
    return out;
  });
  if (r.scrollWidth > r.width + 1) fail(`${page.sabaqName} ${where}: page is ${r.scrollWidth} px wide on a ${r.width} px screen`);
  if (r.outside.length) fail(`${page.sabaqName} ${where}: controls outside the screen: ${r.outside.join(', ')}`);
  if (r.unnamed.length) fail(`${page.sabaqName} ${where}: controls without a name: ${r.unnamed.join(', ')}`);
}

await runTest('client_ui', async () => {
  const lesson = await createLesson({ title: `client ui ${process.pid}`, lobby: false });
  const browser = await launchBrowserForContexts();
  try {
    const ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US' });
    const t0 = Date.now();
    const step = (what) => log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const student = await newPage(ctx, 'Student');

    // 1. Pre-join: live preview, device lists, the level meter moving.
    await student.goto(lesson.links.student);
    await waitFor(student, 'the pre-join screen', () => !document.getElementById('screen-join').hidden);
    await waitFor(student, 'the camera preview playing', () => {
      const v = document.getElementById('j-preview');
      return v.videoWidth > 0 && v.readyState >= 2 && !v.paused;
    });
    await waitFor(student, 'camera and microphone lists',
      () => document.querySelectorAll('#j-cam option[value]:not([value=""])').length >= 1 &&
        document.querySelectorAll('#j-mic option').length >= 1);
    await student.click('#j-name'); // a gesture: the page may start its AudioContext
    await student.fill('#j-name', 'Aru');
    await waitFor(student, 'the microphone level meter moving',
      () => Number(document.getElementById('j-level').getAttribute('aria-valuenow')) > 0);
    const pre = await student.evaluate(() => ({ ...window.sabaq.prejoin,
      cams: [...document.querySelectorAll('#j-cam option')].map((o) => o.textContent),
      mics: [...document.querySelectorAll('#j-mic option')].map((o) => o.textContent) }));
    log(`pre-join: ${JSON.stringify(pre)}`);
    await checkLanguage(student, 'en', 'pre-join');
    await checkFits(student, 'pre-join');
    await screenshot(student, 'client-ui-1-prejoin-en.png');

    step('pre-join checked');
    // 2. Kazakh, then Russian: every string of the screen changes.
    await student.selectOption('#lang-switch', 'kk');
    await waitFor(student, 'Kazakh', () => document.documentElement.lang === 'kk');
    await checkLanguage(student, 'kk', 'pre-join');
    const kkTitle = await student.textContent('#screen-join h2');
    if (kkTitle !== tables.kk['join.title']) fail(`the pre-join title in kk is "${kkTitle}"`);
    await checkFits(student, 'pre-join kk');
    await screenshot(student, 'client-ui-2-prejoin-kk.png');
    await student.selectOption('#lang-switch', 'ru');
    await waitFor(student, 'Russian', () => document.documentElement.lang === 'ru');
    await checkLanguage(student, 'ru', 'pre-join');
    await student.reload();
    await waitFor(student, 'the pre-join screen after a reload', () => !document.getElementById('screen-join').hidden);
    await checkLanguage(student, 'ru', 'pre-join after a reload (remembered)');
    await screenshot(student, 'client-ui-3-prejoin-ru.png');

    step('languages switched');
    // 3. Join without camera: the lesson view on the phone, in ru and kk.
    await student.fill('#j-name', 'Aru');
    await student.click('#j-nocam');
    const st = await waitForState(student, 'joined', (s) => s.phase === 'joined' && s.participant, 15000);
    if (st.publishing) fail('the student publishes right after joining without camera or floor');
    await waitFor(student, 'the participant list', () => document.querySelectorAll('#roster li').length >= 1);
    await checkLanguage(student, 'ru', 'lesson');
    await checkFits(student, 'lesson ru');
    await screenshot(student, 'client-ui-4-lesson-ru.png');
    // Keyboard: the hand button is reachable with Tab and works with Enter.
    let reached = false;
    for (let i = 0; i < 25 && !reached; i++) {
      await student.keyboard.press('Tab');
      reached = await student.evaluate(() => document.activeElement && document.activeElement.id === 'btn-hand');
    }
    if (!reached) fail('the raise-hand button is not reachable with Tab');
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
    await screenshot(student, 'client-ui-5-lesson-kk.png');

    step('student lesson view checked');
    // 4. A teacher (same browser profile: Kazakh remembered), then Russian:
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
    await screenshot(student, 'client-ui-6-phone-stage-kk.png');
    await teacher.selectOption('#lang-switch', 'ru');
    await waitFor(teacher, 'Russian', () => document.documentElement.lang === 'ru');
    for (const tab of ['people', 'chat', 'polls', 'attendance']) {
      await teacher.click(`#tab-${tab}`);
      await checkLanguage(teacher, 'ru', `teacher ${tab} tab`);
      await checkFits(teacher, `teacher ${tab} tab`);
    }
    await teacher.click('#tab-people');
    await screenshot(teacher, 'client-ui-7-teacher-ru.png');

    step('teacher view checked');
    // 5. The home page on the phone, in Russian.
    const home = await newPage(ctx, 'Home');
    await home.goto(`${BASE_URL}/`);
    await waitFor(home, 'the home page', () => !document.getElementById('screen-home').hidden);
    await checkLanguage(home, 'ru', 'home');
    await checkFits(home, 'home');
    await screenshot(home, 'client-ui-8-home-ru.png');
    // Joining by a pasted link (or code) leads to the pre-join screen.
    await home.fill('#join-code', 'not a link');
    await home.click('#join-go');
    await waitFor(home, 'the refusal of a bad code', () => !document.getElementById('error').hidden);
    await home.fill('#join-code', lesson.tokens.student);
    await home.click('#join-go');
    await waitFor(home, 'the pre-join screen from a code', () => !document.getElementById('screen-join').hidden);
    step('home checked');

    // 6. A fresh browser that prefers Kazakh (or Russian) starts in it;
    // one that prefers neither starts in Kazakh.
    for (const [loc, want] of [['kk-KZ', 'kk'], ['ru-RU', 'ru'], ['de-DE', 'kk']]) {
      const c = await browser.newContext({ viewport: PHONE, locale: loc });
      const p = await newPage(c, `Home ${loc}`);
      await p.goto(`${BASE_URL}/`);
      await waitFor(p, `the home page for ${loc}`, () => !document.getElementById('screen-home').hidden);
      await checkLanguage(p, want, `home for a browser preferring ${loc}`);
      await c.close();
    }
  } finally {
    await closeBrowser(browser);
  }
});
