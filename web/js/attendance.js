// The staff's live attendance panel (docs/protocol.md, "Attendance"): one
// row per person (here now or not, minutes present, speaking time, chat
// messages, hands, poll answers; roster entries who never came), kept up to
// date by `attendance_update`, and links to the lesson's CSV reports.

import { $, h } from './dom.js';
import { t, locale } from './i18n.js';
import { state, isStaff, handle, onChange, changed } from './session.js';
import { attendanceCsvUrl, pollsCsvUrl } from './api.js';
import { selected } from './tabs.js';

let receivedAt = 0; // when the rows' seconds_present were counted

// Minutes present now: a present row keeps counting since the message.
function minutes(r) {
  const s = (r.seconds_present || 0) + (r.present ? (Date.now() - (r.receivedAt || receivedAt)) / 1000 : 0);
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(s / 60);
}

function render() {
  if (!isStaff() || state.phase !== 'joined') return;
  const q = state.token ? `?t=${encodeURIComponent(state.token)}` : '';
  $('attendance-links').replaceChildren(
    h('a', { href: attendanceCsvUrl(state.lesson) + q, download: '', i18n: 'att.csv' }), ' ',
    h('a', { href: pollsCsvUrl(state.lesson) + q, download: '', i18n: 'att.polls_csv' }));
  $('attendance-body').replaceChildren(...state.attendance.map((r) => h('tr', { dataset: { key: r.key, participant: r.participant || '' } },
    h('td', { text: r.name || '' }),
    h('td', { i18n: r.present ? 'att.yes' : (r.never ? 'att.never' : 'att.no') }),
    h('td', { text: minutes(r) }),
    h('td', { text: t('att.seconds', { n: Math.round(r.speaking_s || 0) }) }),
    h('td', { text: String(r.chat_messages || 0) }),
    h('td', { text: String(r.hands_raised || 0) }),
    h('td', { text: String(r.poll_answers || 0) }))));
}

export function init() {
  handle('attendance', (m) => {
    receivedAt = Date.now();
    state.attendance = (m.rows || []).map((r) => ({ ...r, receivedAt }));
    changed('attendance');
  });
  handle('attendance_update', (m) => {
    if (!m.row) return;
    const row = { ...m.row, receivedAt: Date.now() };
    const i = state.attendance.findIndex((r) => r.key === row.key);
    if (i >= 0) state.attendance[i] = row;
    else state.attendance.push(row);
    changed('attendance');
  });
  onChange('attendance', render);
  onChange('phase', render);
  onChange('tab-attendance', render);
  // Minutes present keep counting for who is here.
  setInterval(() => { if (selected() === 'attendance') render(); }, 30000);
}
