// End-to-end, the pre-join screen and the languages on a phone (360x740): a
// student opens the shared student link and gets the pre-join screen with a
// live camera preview, camera and microphone lists and a moving level meter;
// switches the page to Kazakh, then Russian (remembered across a reload),
// with no message key shown raw and no English left where the language has
// its own words, and nothing wider than the screen. The home page in
// Russian: a bad code is refused, a pasted code leads to the pre-join
// screen. Fresh browsers preferring kk-KZ, ru-RU and de-DE start in
// Kazakh, Russian and Kazakh. The lesson itself on a phone:
// client_phone.test.mjs. Screenshots: tests/e2e/screenshots/client-ui-*.png.

import {
  BASE_URL, launchBrowserForContexts, closeBrowser, newPage, createLesson, screenshot, runTest, fail, log,
} from './lib.mjs';
import { PHONE, tables, waitFor, checkLanguage, checkFits } from './client_lib.mjs';

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
    // 5. The home page on the phone, in Russian.
    const home = await newPage(ctx, 'Home');
    await home.goto(`${BASE_URL}/`);
    await waitFor(home, 'the home page', () => !document.getElementById('screen-home').hidden);
    await checkLanguage(home, 'ru', 'home');
    await checkFits(home, 'home');
    await screenshot(home, 'client-ui-4-home-ru.png');
    // Joining by a pasted link (or code) leads to the pre-join screen.
    await home.fill('#join-code', 'not a link');
    await home.click('#join-go');
    await waitFor(home, 'the refusal of a bad code', () => !document.getElementById('error').hidden);
    await home.fill('#join-code', lesson.tokens.student);
    await home.click('#join-go');
    await waitFor(home, 'the pre-join screen from a code', () => !document.getElementById('screen-join').hidden);
    step('home checked');

    // 6. A browser that prefers Kazakh (or Russian) and has no choice
    // stored starts in it; one that prefers neither starts in Kazakh.
    // (navigator.languages is set before the page's scripts run.)
    await home.addInitScript(() => {
      const l = localStorage.getItem('test.languages');
      if (l) Object.defineProperty(navigator, 'languages', { get: () => JSON.parse(l) });
    });
    for (const [prefs, want] of [[['kk-KZ', 'ru'], 'kk'], [['ru-RU', 'en'], 'ru'], [['de-DE', 'fr'], 'kk']]) {
      await home.evaluate((l) => {
        localStorage.removeItem('sabaq.lang');
        localStorage.setItem('test.languages', JSON.stringify(l));
      }, prefs);
      await home.goto(`${BASE_URL}/`);
      await waitFor(home, `the home page for ${prefs}`, () => !document.getElementById('screen-home').hidden);
      await checkLanguage(home, want, `home for a browser preferring ${prefs.join(', ')}`);
    }
    step('preferred languages checked');
  } finally {
    await closeBrowser(browser);
  }
});
