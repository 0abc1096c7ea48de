// The home screen. Everyone: join by a lesson link or its code (the token
// after `t=`). Signed-in staff: create a lesson (title, language, start,
// duration, size, lobby, whether students may publish, recording), show its
// three links with copy buttons, list the teacher's own lessons (with their
// recordings and reports), and turn a roster CSV into one personal link per
// student.

import { $, h, show } from './dom.js';
import { t, formatDateTime, language } from './i18n.js';
import * as api from './api.js';

let hooks = { onError: () => {}, notice: () => {} };

// Values for <input type=datetime-local>: local time, minutes.
function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

async function copy(text, btn) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // No clipboard permission (plain http elsewhere than localhost): select it.
    const input = btn.previousElementSibling;
    if (input && input.select) input.select();
    document.execCommand && document.execCommand('copy');
  }
  hooks.notice('links.copied');
}

function linkRow(role, url) {
  const id = `link-${role}-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { id, type: 'text', readonly: true, value: url, class: 'link', dataset: { role } });
  const btn = h('button', { type: 'button', class: 'copy', i18n: 'links.copy', aria: ['links.copy_aria', { role: t(`role.${role}`) }] });
  btn.addEventListener('click', () => copy(url, btn));
  return h('div', { class: 'link-row' },
    h('label', { for: id, i18n: `links.${role}` }), input, btn,
    h('a', { href: url, target: '_blank', rel: 'noopener', i18n: 'links.open', aria: ['links.open_aria', { role: t(`role.${role}`) }] }));
}

// {links: {teacher, assistant, student}} of POST /api/lessons and .../links.
function linksOf(res) {
  const out = {};
  for (const role of ['teacher', 'assistant', 'student']) {
    if (res.links && res.links[role]) out[role] = new URL(res.links[role], location.origin).href;
  }
  return out;
}

function showLinks(lesson, links) {
  const box = $('created-links');
  box.replaceChildren(
    h('p', { class: 'lesson-name', text: lesson.title || lesson.id }),
    ...['teacher', 'assistant', 'student'].filter((r) => links[r]).map((r) => linkRow(r, links[r])));
  show('created', true);
}

// The roster's personal links: {roster: [{entry, link_id, name, class,
// school, link, revoked, used, removed}]}, each with copy and revoke.
function rosterTable(lessonId, roster) {
  return h('table', { class: 'roster-links' },
    h('thead', {}, h('tr', {}, h('th', { i18n: 'roster.name' }), h('th', { i18n: 'roster.class' }),
      h('th', { i18n: 'roster.school' }), h('th', { i18n: 'roster.link' }), h('th', { i18n: 'roster.state' }))),
    h('tbody', {}, ...roster.map((s) => {
      const url = new URL(s.link, location.origin).href;
      const copyBtn = h('button', { type: 'button', class: 'copy', i18n: 'links.copy', aria: ['roster.copy_aria', { name: s.name }] });
      copyBtn.addEventListener('click', () => copy(url, copyBtn));
      const stateCell = h('td', { i18n: s.revoked ? 'roster.revoked' : s.removed ? 'roster.removed' : s.used ? 'roster.used' : 'roster.unused' });
      const revokeBtn = s.revoked ? null : h('button', {
        type: 'button', class: 'danger revoke', i18n: 'roster.revoke', aria: ['roster.revoke_aria', { name: s.name }],
        onclick: async () => {
          if (!window.confirm(t('roster.revoke_confirm', { name: s.name }))) return;
          try {
            await api.revokeLink(lessonId, s.link_id);
            s.revoked = true;
            stateCell.textContent = t('roster.revoked');
            revokeBtn.remove();
          } catch (e) {
            hooks.onError(e);
          }
        },
      });
      return h('tr', { dataset: { entry: s.entry } }, h('td', { text: s.name }), h('td', { text: s.class || '' }),
        h('td', { text: s.school || '' }),
        h('td', {}, h('input', { type: 'text', readonly: true, value: url, class: 'link', 'aria-label': t('roster.link_aria', { name: s.name }) }),
          copyBtn, revokeBtn),
        stateCell);
    })));
}

function showRoster(li, lessonId, roster) {
  const table = rosterTable(lessonId, roster || []);
  const old = li.querySelector('.roster-links');
  if (old) old.replaceWith(table);
  else li.append(table);
}

function lessonItem(l) {
  const fileId = `roster-${l.id}`;
  const file = h('input', { id: fileId, type: 'file', accept: '.csv,text/csv' });
  const upload = h('button', { type: 'button', class: 'upload', i18n: 'roster.upload', aria: ['roster.upload_aria', { title: l.title }] });
  const li = h('li', { class: 'card lesson', dataset: { lesson: l.id } },
    h('h4', { text: l.title }),
    h('p', { class: 'meta' },
      l.start_ms ? h('time', { datetime: new Date(l.start_ms).toISOString(), text: formatDateTime(l.start_ms) }) : null,
      l.duration_min ? h('span', { i18n: ['lessons.minutes', { n: l.duration_min }] }) : null,
      l.language ? h('span', { i18n: `lang.${l.language}` }) : null,
      l.ended ? h('span', { i18n: 'lessons.ended' }) : null));
  const linksBtn = h('button', { type: 'button', i18n: 'lessons.links', aria: ['lessons.links_aria', { title: l.title }] });
  linksBtn.addEventListener('click', async () => {
    try {
      const res = await api.lessonLinks(l.id);
      showLinks(l, linksOf(res));
      if (res.roster && res.roster.length) showRoster(li, l.id, res.roster);
      $('created').scrollIntoView();
    } catch (e) {
      hooks.onError(e);
    }
  });
  upload.addEventListener('click', async () => {
    if (!file.files.length) {
      hooks.onError(t('roster.choose'));
      return;
    }
    try {
      const text = await file.files[0].text();
      showRoster(li, l.id, (await api.uploadRoster(l.id, text)).roster);
    } catch (e) {
      hooks.onError(e);
    }
  });
  li.append(h('div', { class: 'actions' }, linksBtn,
    h('a', { href: api.attendanceCsvUrl(l.id), download: '', i18n: 'att.csv' }),
    h('a', { href: api.pollsCsvUrl(l.id), download: '', i18n: 'att.polls_csv' }),
    h('a', { href: `/recordings/${encodeURIComponent(l.id)}`, i18n: 'rec.link' })),
  h('div', { class: 'roster-upload' }, h('label', { for: fileId, i18n: 'roster.file' }), file, upload));
  return li;
}

async function refresh() {
  try {
    const lessons = (await api.listLessons()).lessons || [];
    $('lesson-list').replaceChildren(...lessons.map(lessonItem));
    show('lessons-empty', lessons.length === 0);
  } catch (e) {
    hooks.onError(e);
  }
}

async function create(ev) {
  ev.preventDefault();
  const start = new Date($('c-start').value).getTime();
  const body = {
    title: $('c-title').value.trim(),
    language: $('c-language').value,
    start_ms: Number.isFinite(start) ? start : Date.now(),
    duration_min: Number($('c-duration').value),
    max_participants: Number($('c-max').value),
    lobby: $('c-lobby').checked,
    students_publish: $('c-publish').checked,
    students_video: $('c-video').checked,
  };
  // Only when asked: a server without recording refuses unknown fields.
  if ($('c-record').checked) body.auto_record = true;
  $('c-submit').disabled = true;
  try {
    const res = await api.createLesson(body); // {lesson, links}
    showLinks(res.lesson, linksOf(res));
    hooks.notice('create.done');
    refresh();
  } catch (e) {
    hooks.onError(e);
  } finally {
    $('c-submit').disabled = false;
  }
}

// A lesson link or its bare code (the token) -> the page's join URL, or null.
export function joinUrl(text) {
  const s = String(text || '').trim();
  if (!s) return null;
  try {
    const u = new URL(s, location.href);
    const tok = u.searchParams.get('t');
    if (tok) return `${location.origin}/?t=${encodeURIComponent(tok)}`;
  } catch (e) { /* not a URL: perhaps a code */ }
  // Tokens are base64url with one dot (docs/protocol.md, "Tokens and links").
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s)) return `${location.origin}/?t=${encodeURIComponent(s)}`;
  return null;
}

// who: the signed-in staff member, or null (then only "join").
export function start(who, options) {
  hooks = options;
  $('join-form').onsubmit = (ev) => {
    ev.preventDefault();
    const url = joinUrl($('join-code').value);
    if (!url) {
      hooks.onError(t('home.join_bad'));
      $('join-code').focus();
      return;
    }
    location.assign(url);
  };
  show('staff-home', Boolean(who));
  show('signin-help', !who);
  if (!who) return;
  $('c-start').value = localInput(Date.now() + 5 * 60000);
  $('c-language').value = language(); // the lesson's language: the teacher's, to start with
  $('create-form').addEventListener('submit', create);
  refresh();
}
