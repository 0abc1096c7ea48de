// Every string the page shows comes from one message file per language,
// web/i18n/{kk,ru,en}.json, with the same keys (tests/e2e/client_i18n.test.mjs
// proves it). The language is the one the person picked on this browser
// (localStorage), else the first of the browser's preferred languages that
// Sabaq speaks, else Kazakh. t(key, {name: ...}) fills {name}-style holes; a
// key missing from the chosen file falls back to English, and a key missing
// everywhere comes back as itself, so it is visible.
//
// Elements remember the key they show (data-i18n, data-i18n-aria,
// data-i18n-placeholder, data-i18n-title, and data-i18n-args for the holes),
// so switching the language re-translates the whole page in place:
// applyI18n(root) fills them all.

export const LANGUAGES = ['kk', 'ru', 'en'];
const STORAGE_KEY = 'sabaq.lang';

const tables = {}; // lang -> {key: text}
let lang = 'en';
let table = {};
const listeners = [];

async function load(code) {
  if (tables[code]) return tables[code];
  const res = await fetch(new URL(`../i18n/${code}.json`, import.meta.url));
  if (!res.ok) throw new Error(`i18n/${code}.json: HTTP ${res.status}`);
  tables[code] = await res.json();
  return tables[code];
}

function stored() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(v) ? v : null;
  } catch (e) {
    return null; // storage disabled
  }
}

// The first of the browser's preferred languages that Sabaq speaks
// ("kk-KZ" -> kk, "ru-RU" -> ru), else Kazakh: Sabaq's schools speak it.
export function preferredLanguage(prefs = navigator.languages || [navigator.language]) {
  for (const p of prefs || []) {
    const base = String(p || '').toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'kk';
}

export function language() {
  return lang;
}

// The locale for Intl dates and numbers: the browser's own tag when it is of
// the page's language (so "ru-KZ" keeps its region), else the language.
export function locale() {
  for (const p of navigator.languages || []) {
    if (String(p).toLowerCase().split('-')[0] === lang) return p;
  }
  return lang;
}

// Loads the stored or preferred language (and English, the fallback).
export async function initI18n() {
  const want = stored() || preferredLanguage();
  tables.en = await load('en');
  await setLanguage(want, false);
}

// Switches the page's language; remember = keep it for the next visit.
export async function setLanguage(code, remember = true) {
  if (!LANGUAGES.includes(code)) code = 'en';
  try {
    table = await load(code);
    lang = code;
  } catch (e) {
    console.error('sabaq: cannot load language', code, e);
    table = tables.en || {};
    lang = 'en';
  }
  document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch (e) { /* storage disabled: the choice lasts this visit */ }
  }
  applyI18n(document);
  for (const fn of listeners) {
    try {
      fn(lang);
    } catch (e) {
      console.error('language listener failed', e);
    }
  }
}

export function onLanguageChange(fn) {
  listeners.push(fn);
}

export function t(key, params) {
  let s = table[key] ?? (tables.en && tables.en[key]);
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

export function has(key) {
  return table[key] !== undefined || Boolean(tables.en && tables.en[key] !== undefined);
}

// Shows key (with params) as el's text and remembers it for a language switch.
export function setText(el, key, params) {
  el.dataset.i18n = key;
  if (params) el.dataset.i18nArgs = JSON.stringify(params);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, params);
}

// The same for aria-label.
export function setAria(el, key, params) {
  el.dataset.i18nAria = key;
  if (params) el.dataset.i18nAriaArgs = JSON.stringify(params);
  else delete el.dataset.i18nAriaArgs;
  el.setAttribute('aria-label', t(key, params));
}

// A sentence for an error: a server `error` (or the SignalingError made from
// one) by its code when the table has it, else its own message.
export function describeError(e) {
  const code = e && e.code;
  if (code && has(`err.${code}`)) {
    const right = e.right ? (has(`right.${e.right}`) ? t(`right.${e.right}`) : e.right) : '';
    return t(`err.${code}`, { right });
  }
  if (e instanceof Error) return e.message;
  return e && e.message ? `${e.message} [${code}]` : String(e);
}

function args(json) {
  if (!json) return undefined;
  try {
    return JSON.parse(json);
  } catch (e) {
    return undefined;
  }
}

export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, args(el.dataset.i18nArgs));
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria, args(el.dataset.i18nAriaArgs)));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

// Dates and times in the viewer's locale.
export function formatTime(ms) {
  if (!ms) return '';
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

export function formatDateTime(ms) {
  if (!ms) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}
