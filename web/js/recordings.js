// The recordings page (/recordings/<lesson>?t=<link token>): the lesson's
// recordings (GET /api/lessons/<lesson>/recordings), and a player whose chat
// replay follows the playhead: events up to the current time are shown and
// the newest is scrolled into view; poll results appear at their moment.
// The link's token goes with every request (the server checks it); a
// signed-in staff member needs none (the session cookie).

// A namespace import: the page works with the i18n module as it is on main
// (synchronous English table, setLanguage(lang)) and as it becomes with the
// message files (initI18n() loads them and picks the person's language).
import * as i18n from './i18n.js';
import { $, h, show } from './dom.js';

const { t, applyI18n } = i18n;

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

function size(bytes) {
  if (bytes >= 1e6) return t('rec.size_mb', { n: (bytes / 1e6).toFixed(1) });
  return t('rec.size_kb', { n: Math.max(1, Math.round(bytes / 1e3)) });
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

// ---- the list -------------------------------------------------------------

let current = null;   // the recording in the player

function row(r) {
  const date = new Date(r.started_ms).toLocaleString();
  const play = h('button', { type: 'button', i18n: 'rec.play', aria: ['rec.play_aria', { date }],
    onclick: () => open(r, true) });
  const dl = h('a', { href: withToken(r.file, 'download=1'), download: '', i18n: 'rec.download',
    aria: ['rec.download_aria', { date }] });
  return h('tr', { dataset: { id: r.id } },
    h('td', {}, h('time', { datetime: new Date(r.started_ms).toISOString(), text: date })),
    h('td', { text: clock(r.duration_ms) }),
    h('td', { text: size(r.size) }),
    h('td', { text: stateText(r) }),
    h('td', { class: 'actions' }, play, dl));
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
    // Without message files (main today): the lesson's language, as the lesson page.
    if (!i18n.initI18n && i18n.setLanguage) i18n.setLanguage(data.lesson.language);
    applyI18n(document);
    $('lesson-title').textContent = data.lesson.title;
    document.title = `${data.lesson.title} · ${t('rec.title')}`;
  }
  const list = data.recordings || [];
  $('rec-rows').replaceChildren(...list.map(row));
  show('rec-table', list.length > 0);
  show('rec-empty', list.length === 0);
  const wanted = list.find((r) => String(r.id) === params.get('r')) || list[0];
  if (wanted) open(wanted, false);
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

async function open(r, play) {
  current = r;
  for (const tr of $('rec-rows').children) tr.classList.toggle('playing', tr.dataset.id === String(r.id));
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
(async () => {
  if (i18n.initI18n) await i18n.initI18n();
  applyI18n(document);
  await loadList();
})().catch(() => fail('rec.load_failed'));
