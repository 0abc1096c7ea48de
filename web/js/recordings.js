// The recordings page (/recordings/<lesson>?t=<link token>): the lesson's
// recordings (GET /api/lessons/<lesson>/recordings), and a player whose chat
// replay follows the playhead: events up to the current time are shown and
// the newest is scrolled into view; poll results appear at their moment.
// The link's token goes with every request (the server checks it); a
// signed-in staff member needs none (the session cookie). The lesson's
// teacher, signed in, also gets a Delete button per finished recording (the
// list says so: can_delete), with a confirm step before the DELETE.

import { t, initI18n, applyI18n, formatDateTime, locale } from './i18n.js';
import { $, h, show } from './dom.js';

const lessonId = decodeURIComponent(location.pathname.split('/')[2] || '');
const params = new URLSearchParams(location.search);
const token = params.get('t') || '';
const withToken = (url, extra = '') => {
  const q = [token ? `t=${encodeURIComponent(token)}` : '', extra].filter(Boolean).join('&');
  return q ? `${url}?${q}` : url;
};

// "1:02:03" or "2:03" for ms.
export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

// "12,3 МБ" / "12.3 MB": the unit and the number in the viewer's locale.
function size(bytes) {
  const mb = bytes >= 1e6;
  return new Intl.NumberFormat(locale(), {
    style: 'unit', unit: mb ? 'megabyte' : 'kilobyte', maximumFractionDigits: mb ? 1 : 0,
  }).format(mb ? bytes / 1e6 : Math.max(1, Math.round(bytes / 1e3)));
}

function stateText(r) {
  if (r.state === 'failed') {
    const reason = r.reason === 'disk_full' || r.reason === 'write_error'
      ? t(`rec.reason_${r.reason}`) : r.reason || '';
    return t('rec.state_failed', { reason });
  }
  return t(`rec.state_${r.state}`);
}

function fail(key) {
  const el = $('error');
  el.textContent = t(key);
  show(el);
}

function say(key) {
  $('rec-status').textContent = key ? t(key) : '';
}

// ---- the list -------------------------------------------------------------

let current = null;   // the recording in the player
let canDelete = false; // the list says whether this viewer may delete

// DELETE /api/lessons/<lesson>/recordings/<id> (the session cookie goes with
// it); then the list again.
async function remove(r) {
  say(null);
  let res = null;
  try {
    res = await fetch(`/api/lessons/${encodeURIComponent(lessonId)}/recordings/${r.id}`,
      { method: 'DELETE', credentials: 'same-origin' });
  } catch (e) { /* the network: said below */ }
  if (res && (res.status === 204 || res.status === 404)) {   // 404: someone was quicker
    if (current && current.id === r.id) closePlayer();
    say('rec.deleted');
  } else {
    say(!res ? 'rec.delete_failed' : res.status === 409 ? 'rec.delete_busy'
      : res.status === 401 || res.status === 403 ? 'rec.delete_forbidden' : 'rec.delete_failed');
  }
  await loadList();
  $('rec-list-h').focus();   // the row and its buttons are gone: keep the focus on the page
}

// The actions cell asks first: "Delete for everyone?" [Yes, delete] [Cancel].
// Escape or Cancel puts the Delete button back, with the focus on it.
function confirmDelete(cell, r, date, actions) {
  const back = () => {
    cell.replaceChildren(...actions());
    cell.querySelector('button.danger').focus();
  };
  const yes = h('button', { type: 'button', class: 'danger', i18n: 'rec.delete_yes',
    aria: ['rec.delete_yes_aria', { date }], onclick: () => {
      yes.disabled = true;
      remove(r);
    } });
  const no = h('button', { type: 'button', class: 'secondary', i18n: 'rec.delete_cancel',
    aria: ['rec.delete_cancel_aria', { date }], onclick: back });
  const ask = h('span', { id: `rec-confirm-${r.id}`, i18n: 'rec.delete_confirm' });
  const group = h('div', { class: 'rec-confirm', role: 'group', 'aria-labelledby': ask.id,
    onkeydown: (e) => { if (e.key === 'Escape') back(); } }, ask, yes, no);
  cell.replaceChildren(group);
  no.focus();   // the safe choice first: Enter on a held key never deletes
}

function row(r) {
  const date = formatDateTime(r.started_ms);   // the viewer's locale
  const play = h('button', { type: 'button', i18n: 'rec.play', aria: ['rec.play_aria', { date }],
    onclick: () => open(r, true) });
  const dl = h('a', { href: withToken(r.file, 'download=1'), download: '', i18n: 'rec.download',
    aria: ['rec.download_aria', { date }] });
  const cell = h('td', { class: 'actions' });
  // A recording still being written cannot go (the server says 409): no button.
  const deletable = canDelete && r.state !== 'recording';
  const actions = () => [play, dl, deletable && h('button', { type: 'button', class: 'danger',
    i18n: 'rec.delete', aria: ['rec.delete_aria', { date }],
    onclick: () => confirmDelete(cell, r, date, actions) })].filter(Boolean);
  cell.replaceChildren(...actions());
  return h('tr', { dataset: { id: r.id } },
    h('td', {}, h('time', { datetime: new Date(r.started_ms).toISOString(), text: date })),
    h('td', { text: clock(r.duration_ms) }),
    h('td', { text: size(r.size) }),
    h('td', { text: stateText(r) }),
    cell);
}

async function loadList() {
  const res = await fetch(withToken(`/api/lessons/${encodeURIComponent(lessonId)}/recordings`),
    { credentials: 'same-origin' });
  if (res.status === 401) return fail('rec.no_link');
  if (res.status === 403) return fail('rec.forbidden');
  if (res.status === 404) return fail('rec.not_found');
  if (!res.ok) return fail('rec.load_failed');
  const data = await res.json();
  if (data.lesson) {
    $('lesson-title').textContent = data.lesson.title;
    document.title = `${data.lesson.title} · ${t('rec.title')}`;
  }
  canDelete = data.can_delete === true;
  const list = data.recordings || [];
  $('rec-rows').replaceChildren(...list.map(row));
  show('rec-table', list.length > 0);
  show('rec-empty', list.length === 0);
  // After a deletion the list comes again: the one playing stays in the player.
  const playing = current && list.find((r) => r.id === current.id);
  const wanted = playing || list.find((r) => String(r.id) === params.get('r')) || list[0];
  if (playing) markPlaying(playing);
  else if (wanted) open(wanted, false);
  else closePlayer();
}

// ---- the player -----------------------------------------------------------

let events = [];      // {t, li} in time order
let polls = new Map(); // poll id -> {question, options}
let shown = -1;       // index of the newest event shown

function nameOf(names, id) {
  return names.get(id) || t('rec.someone');
}

// One replay line per event; null for events that only feed others (polls).
function describe(e, names) {
  switch (e.type) {
    case 'start':
      for (const p of e.participants || []) names.set(p.id, p.name);
      return { note: t('rec.started') };
    case 'stop': return { note: t('rec.stopped') };
    case 'chat': return { who: e.name, text: e.text };
    case 'chat_deleted': return null; // the server leaves the deleted message out
    case 'join': names.set(e.id, e.name); return { note: t('rec.joined', { name: e.name }) };
    case 'leave': return { note: t('rec.left', { name: nameOf(names, e.id) }) };
    case 'away': return { note: t('rec.away', { name: nameOf(names, e.id) }) };
    case 'hand':
      return { note: t(e.raised ? 'rec.hand_up' : 'rec.hand_down', { name: nameOf(names, e.participant) }) };
    case 'stage':
      return { note: e.participant ? t('rec.stage', { name: nameOf(names, e.participant) }) : t('rec.stage_none') };
    case 'poll':
      polls.set(e.id, { question: e.question, options: e.options || [] });
      return { note: t(e.state === 'closed' ? 'rec.poll_closed' : 'rec.poll', { q: e.question }) };
    case 'poll_results': {
      const p = polls.get(e.poll) || { question: '', options: [] };
      return { note: t('rec.poll_results', { q: p.question, n: e.total }), results: e };
    }
    default: return null;
  }
}

function seekTo(ms) {
  const v = $('rec-video');
  v.currentTime = ms / 1000;
}

function renderTimeline(list) {
  const names = new Map();
  polls = new Map();
  events = [];
  const sorted = [...list].sort((a, b) => a.t - b.t);
  for (const e of sorted) {
    const d = describe(e, names);
    if (!d) continue;
    const at = h('button', { type: 'button', class: 'link at', text: clock(e.t),
      aria: ['rec.seek_aria', { time: clock(e.t) }], onclick: () => seekTo(e.t) });
    const li = d.note
      ? h('li', { class: 'note future' }, at, h('span', { text: d.note }))
      : h('li', { class: 'future' }, at, h('span', { class: 'who', text: d.who }),
        h('span', { class: 'text', text: d.text }));
    events.push({ t: e.t, li, results: d.results });
  }
  $('rec-events').replaceChildren(...events.map((e) => e.li));
  shown = -2;
  follow();
}

function pollCard(r) {
  const p = polls.get(r.poll) || { question: '', options: [] };
  const total = r.total || 0;
  const rows = (r.counts || []).map((n, i) => h('li', {},
    h('span', { text: `${p.options[i] ?? i + 1}: ${n}` }),
    h('div', { class: 'bar', style: `width:${total ? Math.round((100 * n) / total) : 0}%` })));
  const texts = (r.texts || []).map((s) => h('li', { text: s }));
  return h('div', { class: 'rec-poll' }, h('h4', { text: p.question }),
    h('p', { i18n: ['polls.results_count', { n: total }] }), h('ul', {}, ...rows, ...texts));
}

// Shows the events up to the playhead and the poll results published by then.
function follow() {
  const ms = $('rec-video').currentTime * 1000;
  let last = -1;
  for (let i = 0; i < events.length && events[i].t <= ms; i++) last = i;
  if (last === shown) return;
  shown = last;
  const latest = new Map();
  events.forEach((e, i) => {
    const past = i <= last;
    e.li.classList.toggle('future', !past);
    e.li.classList.toggle('current', i === last);
    if (past && e.results) latest.set(e.results.poll, e.results);
  });
  show('rec-replay-empty', last < 0);
  if (last >= 0) events[last].li.scrollIntoView({ block: 'nearest' });
  $('rec-poll-cards').replaceChildren(...[...latest.values()].map(pollCard));
  show('rec-polls', latest.size > 0);
}

function markPlaying(r) {
  for (const tr of $('rec-rows').children) tr.classList.toggle('playing', tr.dataset.id === String(r.id));
}

// The recording in the player was deleted: stop it and hide the player.
function closePlayer() {
  current = null;
  const v = $('rec-video');
  v.pause();
  v.removeAttribute('src');
  v.load();
  show('rec-player', false);
}

async function open(r, play) {
  current = r;
  markPlaying(r);
  const v = $('rec-video');
  v.src = withToken(r.file);
  $('rec-download').href = withToken(r.file, 'download=1');
  show('rec-player');
  const res = await fetch(withToken(r.timeline), { credentials: 'same-origin' });
  if (current !== r) return;   // another one was chosen meanwhile
  renderTimeline(res.ok ? await res.json() : []);
  if (play) v.play().catch(() => {});
}

for (const ev of ['timeupdate', 'seeked', 'loadedmetadata']) $('rec-video').addEventListener(ev, follow);
// The viewer's own language (stored or preferred), as on the lesson page.
initI18n()
  .then(() => {
    applyI18n(document);
    return loadList();
  })
  .catch(() => fail('rec.load_failed'));
