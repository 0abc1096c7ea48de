// Hands and floor: the ordered queue of raised hands (shown to staff, with
// "give the floor" on each), and who holds the floor. When the floor reaches
// or leaves this participant, media.sync() starts or stops its mic/camera.

import { $, h } from './dom.js';
import { state, can, handle, onJoined, onChange, changed, nameOf } from './session.js';
import * as media from './media.js';

function ids(list) {
  return (list || []).map((x) => (typeof x === 'string' ? x : x.participant || x.id)).filter(Boolean);
}

function setHands(list) {
  const before = state.hands.includes(state.participant);
  state.hands = ids(list);
  for (const x of list || []) {
    if (typeof x === 'object' && x && (x.participant || x.id) && x.name) {
      const id = x.participant || x.id;
      if (state.participants[id] && !state.participants[id].name) state.participants[id].name = x.name;
    }
  }
  changed('hands');
  return before;
}

let hooks = {};

function setFloor(list) {
  const had = state.floor.includes(state.participant);
  state.floor = ids(list);
  const has = state.floor.includes(state.participant);
  changed('floor');
  if (had !== has) {
    // Given the floor, the server clears our mutes.
    if (has) {
      state.mutedBy = null;
      state.videoStoppedBy = null;
      changed('toolbar');
    }
    media.sync();
    if (state.role === 'student' && hooks.notice) hooks.notice(has ? 'floor.given_notice' : 'floor.taken_notice');
  }
}

function render(ctx) {
  const staff = can('give_floor');
  $('hands-box').hidden = !staff;
  if (!staff) return;
  $('hands-empty').hidden = state.hands.length > 0;
  $('hands-list').replaceChildren(...state.hands.map((id) => {
    const name = nameOf(id);
    const has = state.floor.includes(id);
    return h('li', { dataset: { participant: id } },
      h('span', { class: 'name', text: name }), ' ',
      h('button', {
        type: 'button', class: has ? 'take-floor' : 'give-floor', i18n: has ? 'floor.take' : 'floor.give',
        aria: [has ? 'floor.take_aria' : 'floor.give_aria', { name }],
        onclick: () => ctx.send({ type: has ? 'floor_take' : 'floor_give', participant: id }),
      }), ' ',
      h('button', {
        type: 'button', class: 'lower-hand', i18n: 'hands.lower_other', aria: ['hands.lower_other_aria', { name }],
        onclick: () => ctx.send({ type: 'hand_lower', participant: id }),
      }));
  }));
}

export function init(ctx) {
  hooks = ctx;
  // `hands` {queue:[{participant, name, since}]}: the whole queue, to staff.
  handle('hands', (m) => setHands(m.queue || []));
  // `hand` {participant, raised, by?}: to everyone (students learn their own).
  handle('hand', (m) => {
    const list = state.hands.filter((id) => id !== m.participant);
    if (m.raised) list.push(m.participant);
    setHands(list);
  });
  // `floor` {participant, floor: bool, by}: to everyone.
  handle('floor', (m) => {
    const set = new Set(state.floor);
    if (m.floor) set.add(m.participant);
    else set.delete(m.participant);
    setFloor([...set]);
  });
  // Everyone's hand and floor come with the participant list (`joined`,
  // `participant_joined`); `joined.hand` / `joined.floor` are one's own.
  onJoined((m) => {
    const people = [...(m.participants || []), { id: m.participant, hand: m.hand, floor: m.floor }];
    setFloor(people.filter((p) => p.floor).map((p) => p.id));
    if (!state.hands.length) setHands(people.filter((p) => p.hand).map((p) => p.id));
  });
  handle('participant_joined', (m) => {
    const p = m.participant || {};
    if (p.floor && !state.floor.includes(p.id)) setFloor([...state.floor, p.id]);
  });
  for (const topic of ['hands', 'floor', 'people', 'phase']) onChange(topic, () => render(ctx));
}
