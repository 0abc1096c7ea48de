// Small DOM helpers shared by the page's modules: an element builder that
// takes i18n keys (never literal text), and show/hide by id.

import { t, setText, setAria, formatTime } from './i18n.js';

export const $ = (id) => document.getElementById(id);

// h('button', {type: 'button', i18n: 'chat.send', aria: 'chat.send_aria', onclick}, ...children)
//   i18n: key for textContent; aria: key for aria-label; title: key for title;
//   text: literal text that came from people (names, messages), never from code.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    // Through setText/setAria: the element re-translates on a language switch.
    if (k === 'i18n') setText(el, ...(Array.isArray(v) ? v : [v]));
    else if (k === 'aria') setAria(el, ...(Array.isArray(v) ? v : [v]));
    else if (k === 'title') el.title = Array.isArray(v) ? t(v[0], v[1]) : t(v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function show(id, on = true) {
  const el = typeof id === 'string' ? $(id) : id;
  if (el) el.hidden = !on;
}

// A time of day in the viewer's locale (Intl).
export const fmtTime = formatTime;
