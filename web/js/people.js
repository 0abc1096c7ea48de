// The participant list: everyone in the lesson with their role and state
// (hand, floor, whether we hear their microphone, connection: here or
// reconnecting, and the quality this page measures: quality.js), and for
// staff the moderation buttons on each person: give/take the floor, mute,
// stop video, remove.

import { $, h } from './dom.js';
import { t } from './i18n.js';
import { state, can, send, onChange, isStaff } from './session.js';

const ORDER = { teacher: 0, assistant: 1, student: 2 };

function act(ctx, msg) {
  try {
    send(msg);
  } catch (e) {
    ctx.showError(e);
  }
}

function buttons(ctx, p) {
  if (p.id === state.participant) return [];
  const out = [];
  const name = p.name;
  if (p.role === 'student' && can('give_floor')) {
    const has = state.floor.includes(p.id);
    out.push(h('button', {
      type: 'button', class: has ? 'take-floor' : 'give-floor', dataset: { action: has ? 'floor_take' : 'floor_give' },
      i18n: has ? 'floor.take' : 'floor.give', aria: [has ? 'floor.take_aria' : 'floor.give_aria', { name }],
      onclick: () => act(ctx, { type: has ? 'floor_take' : 'floor_give', participant: p.id }),
    }));
  }
  if (can('mute_others')) {
    out.push(h('button', {
      type: 'button', dataset: { action: 'mute' }, i18n: 'mod.mute', aria: ['mod.mute_aria', { name }],
      onclick: () => act(ctx, { type: 'mute', participant: p.id, kind: 'audio' }),
    }));
    out.push(h('button', {
      type: 'button', dataset: { action: 'stop_video' }, i18n: 'mod.stop_video', aria: ['mod.stop_video_aria', { name }],
      onclick: () => act(ctx, { type: 'stop_video', participant: p.id }),
    }));
  }
  if (can('remove') && !(p.role === 'teacher' && state.role !== 'teacher')) {
    out.push(h('button', {
      type: 'button', class: 'danger', dataset: { action: 'remove' }, i18n: 'mod.remove', aria: ['mod.remove_aria', { name }],
      onclick: () => {
        if (window.confirm(t('mod.remove_confirm', { name }))) act(ctx, { type: 'participant_remove', participant: p.id });
      },
    }));
  }
  return out;
}

function badges(p) {
  const out = [];
  const hand = state.hands.indexOf(p.id);
  if (hand >= 0) out.push(h('span', { class: 'badge hand', i18n: ['hands.badge', { n: hand + 1 }] }));
  if (state.floor.includes(p.id)) out.push(h('span', { class: 'badge floor', i18n: 'floor.badge' }));
  if (p.away) out.push(h('span', { class: 'badge away', i18n: 'people.away' }));
  const q = (state.quality || {})[p.id];
  if (!p.away && q) out.push(h('span', { class: `badge q ${q}`, i18n: `quality.${q}`, title: 'quality.title' }));
  // Whose microphone reaches us now (an active audio track from them).
  const mic = p.id === state.participant ? state.publishing && state.mic && !state.mutedBy
    : (state.subscribeTracks || []).some((x) => x.participant === p.id && x.kind === 'audio' && x.active !== false);
  out.push(h('span', { class: `badge mic ${mic ? 'on' : 'off'}`, i18n: mic ? 'people.mic_on' : 'people.mic_off' }));
  return out;
}

function render(ctx) {
  const list = Object.values(state.participants)
    .sort((a, b) => (ORDER[a.role] ?? 3) - (ORDER[b.role] ?? 3) || String(a.name).localeCompare(String(b.name)));
  const ul = $('roster');
  // Re-rendered every few seconds (quality): keep the keyboard focus.
  const focused = ul.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused && focused.closest('li') ? [focused.closest('li').dataset.participant, focused.dataset.action] : null;
  ul.replaceChildren(...list.map((p) => h('li', { dataset: { participant: p.id }, class: 'person' },
    h('span', { class: 'who' },
      h('span', { class: 'name', text: p.name || p.id }),
      p.id === state.participant ? h('span', { class: 'you', i18n: 'people.you' }) : null,
      p.role && p.role !== 'student' ? h('span', { class: 'role', i18n: `role.${p.role}` }) : null,
      ...badges(p)),
    isStaff() ? h('span', { class: 'actions' }, ...buttons(ctx, p)) : null)));
  if (focusKey) {
    const again = ul.querySelector(`li[data-participant="${CSS.escape(focusKey[0] || '')}"] [data-action="${CSS.escape(focusKey[1] || '')}"]`);
    if (again) again.focus();
  }
  $('people-count').textContent = String(list.length);
}

export function init(ctx) {
  for (const topic of ['people', 'hands', 'floor', 'phase', 'quality', 'media', 'tracks']) onChange(topic, () => render(ctx));
}
