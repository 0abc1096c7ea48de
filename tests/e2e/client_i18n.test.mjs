// The page's message files (web/i18n/{kk,ru,en}.json), checked without a
// browser: the three have exactly the same keys, no empty text, the same
// {holes} in each translation; Kazakh and Russian are written in Cyrillic
// (no English left in them); and every key the page's code and markup name
// (data-i18n* attributes, string literals in web/js, and the key families
// built at run time) exists. The browser half (no key shown raw in kk and
// ru) is client_ui.test.mjs.

import fs from 'node:fs';
import path from 'node:path';
import { HERE, runTest, fail, log } from './lib.mjs';

const WEB = path.join(HERE, '..', '..', 'web');
const LANGS = ['kk', 'ru', 'en'];
// Words that stay as they are in every language.
const LATIN_OK = new Set(['Sabaq', 'CSV', 'RTT', 'ICE', 'ms', 'https', 'localhost']);
// Keys made at run time from a value: every value must have its key.
const FAMILIES = {
  role: ['teacher', 'assistant', 'student'],
  lang: ['kk', 'ru', 'en'],
  links: ['teacher', 'assistant', 'student'],
  pc: ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed', 'open', 'checking', 'completed'],
  quality: ['good', 'fair', 'poor'],
  'polls.status': ['open', 'closed', 'published'],
  'rec.stopped': ['disk_full', 'write_error'],
  err: ['forbidden', 'bad_token', 'token_expired', 'wrong_lesson', 'revoked', 'link_used', 'removed', 'replaced',
    'lesson_full', 'lesson_locked', 'lesson_ended', 'not_found', 'too_long', 'rate_limited', 'poll_closed'],
  right: ['publish', 'mute_others', 'admit', 'remove', 'lock', 'end_lesson', 'raise_hand', 'give_floor',
    'manage_polls', 'chat', 'moderate_chat', 'record'],
};

const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

await runTest('client_i18n', async () => {
  const tables = {};
  for (const l of LANGS) tables[l] = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n', `${l}.json`), 'utf8'));
  const en = tables.en;
  const keys = Object.keys(en);
  const problems = [];
  for (const l of LANGS) {
    const tb = tables[l];
    for (const k of keys) {
      if (!(k in tb)) problems.push(`${l}: missing ${k}`);
      else if (typeof tb[k] !== 'string' || !tb[k].trim()) problems.push(`${l}: empty ${k}`);
      else if (holes(tb[k]) !== holes(en[k])) problems.push(`${l}: ${k} has holes {${holes(tb[k])}}, English {${holes(en[k])}}`);
    }
    for (const k of Object.keys(tb)) if (!(k in en)) problems.push(`${l}: ${k} is not in en.json`);
    if (l === 'en') continue;
    for (const [k, v] of Object.entries(tb)) {
      const words = v.replace(/\{\w+\}/g, '').match(/[A-Za-z]{2,}/g) || [];
      const latin = words.filter((w) => !LATIN_OK.has(w));
      if (latin.length) problems.push(`${l}: ${k} has Latin words ${latin.join(' ')}: "${v}"`);
      if (k !== 'app.name' && /[A-Za-z\u0400-\u04ff]/.test(v) && !/[\u0400-\u04ff]/.test(v.replace(/\{\w+\}/g, ''))) {
        problems.push(`${l}: ${k} is not in Cyrillic: "${v}"`);
      }
    }
  }
  // Kazakh, not Russian copied: its letters appear, and most texts differ.
  const kkLetters = Object.values(tables.kk).join('').match(/[әғқңөұүһі]/gi) || [];
  if (kkLetters.length < 100) problems.push(`kk: only ${kkLetters.length} Kazakh-specific letters (ә ғ қ ң ө ұ ү һ і)`);
  const same = keys.filter((k) => tables.kk[k] === tables.ru[k] && k !== 'app.name');
  if (same.length > 10) problems.push(`kk and ru are the same for ${same.length} keys: ${same.slice(0, 10).join(' ')}`);

  // Keys named in the markup and the code.
  const prefixes = new Set(keys.map((k) => k.split('.')[0]));
  const used = new Set();
  const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-aria|-placeholder|-title)?="([^"]+)"/g)) used.add(m[1]);
  const jsDir = path.join(WEB, 'js');
  for (const f of fs.readdirSync(jsDir).filter((x) => x.endsWith('.js'))) {
    const src = fs.readFileSync(path.join(jsDir, f), 'utf8');
    for (const m of src.matchAll(/'([a-z0-9]+\.[a-z0-9_]+)'/g)) if (prefixes.has(m[1].split('.')[0])) used.add(m[1]);
  }
  for (const [family, values] of Object.entries(FAMILIES)) {
    for (const v of values) used.add(family.includes('.') ? `${family}_${v}` : `${family}.${v}`);
  }
  for (const k of used) if (!(k in en)) problems.push(`the page uses ${k}, which en.json lacks`);
  log(`${keys.length} keys in each of ${LANGS.join(', ')}; ${used.size} named by the page`);
  if (problems.length) fail(`${problems.length} problems:\n  ${problems.join('\n  ')}`);
});
