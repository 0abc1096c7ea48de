// The lobby as staff see it: who waits to be let in, with "admit" on each and
// "admit all". (The waiting screen of a student is app.js's.)

import { $, h } from './dom.js';
import { state, can, handle, onChange, changed } from './session.js';

function setLobby(list) {
  state.lobby = (list || []).map((x) => ({ ...x, id: x.participant || x.id }));
  changed('lobby');
}

function render(ctx) {
  const box = $('lobby-box');
  const removed = state.removed || [];
  box.hidden = !can('admit') || (state.lobby.length === 0 && removed.length === 0);
  if (box.hidden) return;
  $('admit-all').hidden = state.lobby.length < 2;
  $('lobby-list').replaceChildren(...state.lobby.map((p) => h('li', { dataset: { participant: p.id } },
    h('span', { class: 'name', text: p.name }), ' ',
    h('button', {
      type: 'button', class: 'admit', i18n: 'lobby.admit', aria: ['lobby.admit_aria', { name: p.name }],
      onclick: () => ctx.send({ type: 'lobby_admit', participant: p.id }),
    }))),
  // Removed people cannot come back with their link unless re-admitted.
  ...removed.map((p) => h('li', { class: 'removed', dataset: { participant: p.id } },
    h('span', { class: 'name', text: p.name }), ' ', h('span', { class: 'badge', i18n: 'lobby.removed' }), ' ',
    h('button', {
      type: 'button', class: 'readmit', i18n: 'lobby.readmit', aria: ['lobby.readmit_aria', { name: p.name }],
      onclick: () => ctx.send({ type: 'participant_readmit', participant: p.id }),
    }))));
}

export function init(ctx) {
  // `lobby` {queue:[{participant, name, since}], removed:[{participant, name}]}:
  // the whole lists, to staff.
  handle('lobby', (m) => {
    state.removed = (m.removed || []).map((x) => ({ id: x.participant, name: x.name }));
    setLobby(m.queue || []);
  });
  $('admit-all').addEventListener('click', () => ctx.send({ type: 'lobby_admit_all' }));
  for (const topic of ['lobby', 'phase']) onChange(topic, () => render(ctx));
}
