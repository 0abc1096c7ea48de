// Helpers of the client_* browser tests: the phone viewport, the message
// files, waiting for a DOM condition, and the checks that no message key is
// shown raw (nor English where a language has its own text) and that a
// screen fits a phone with every control named.

import fs from 'node:fs';
import path from 'node:path';
import { HERE, fail } from './lib.mjs';

export const PHONE = { width: 360, height: 740 };
export const tables = {};
for (const l of ['kk', 'ru', 'en']) {
  tables[l] = JSON.parse(fs.readFileSync(path.join(HERE, '..', '..', 'web', 'i18n', `${l}.json`), 'utf8'));
}

export async function waitFor(page, what, fn, arg, timeoutMs = 15000) {
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

export async function checkLanguage(page, lang, where) {
  const got = await page.evaluate(() => document.documentElement.lang);
  if (got !== lang) fail(`${page.sabaqName} ${where}: <html lang> is ${got}, want ${lang}`);
  const r = await page.evaluate(untranslated, [tables.en, tables[lang]]);
  if (r.raw.length || r.english.length) {
    fail(`${page.sabaqName} ${where} in ${lang}: raw keys [${r.raw.join('; ')}], English left [${r.english.join('; ')}]`);
  }
}

// No horizontal scroll; every visible control inside the screen's width and
// with an accessible name.
export async function checkFits(page, where) {
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
