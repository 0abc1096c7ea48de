// The page's shared state and its link to the server: one object every module
// reads (also window.sabaq.state, for tests), a registry of handlers for
// server messages (attached to each new Signaling), and change notifications
// so each panel re-renders only when its part changed.

export const state = {
  phase: 'idle', // idle | joining | lobby | joined | left | ended | removed | error
  ws: 'new',
  publish: 'new',
  subscribe: 'new',
  participant: null, // own id
  lesson: null, // lesson id
  token: null, // the link's token (also for the CSV links)
  lessonInfo: null, // {title, language, ...} when the server tells
  role: null, // teacher | assistant | student
  name: null,
  rights: null, // array of right names when the server lists them
  participants: {}, // id -> {id, name, role, ...}
  tiles: [], // participant ids with a tile
  publishedTracks: [],
  publishing: false, // sending mic (and camera) now
  mic: true, // the user's own mic switch
  cam: true, // the user's own camera switch
  mutedBy: null, // who muted our mic at the server (`muted`), until we unmute
  videoStoppedBy: null, // ... our camera
  subscribeVersion: 0,
  subscribeTracks: [],
  lobby: [], // staff: [{id, name}] waiting
  removed: [], // staff: [{id, name}] removed, who may be re-admitted
  hands: [], // ordered participant ids with a raised hand
  floor: [], // participant ids holding the floor
  locked: false,
  studentsPublish: false, // lesson option
  studentsVideo: true, // camera allowed with the floor
  chat: [], // [{id, from, name, role, text, to, ts, deleted}]
  chatEnabled: true,
  chatUnread: 0,
  polls: [], // [{id, question, kind, options, anonymous, status, tally, results, answer}]
  attendance: [], // rows for staff
  errors: [],
};

export const STAFF = ['teacher', 'assistant'];
export const isStaff = (role = state.role) => STAFF.includes(role);
export const isTeacher = () => state.role === 'teacher';

// The rights table of the issue, used to hide buttons only: the server decides.
const RIGHTS = {
  publish: ['teacher', 'assistant'],
  mute_others: ['teacher', 'assistant'],
  admit: ['teacher', 'assistant'],
  remove: ['teacher', 'assistant'],
  lock: ['teacher'],
  end_lesson: ['teacher'],
  raise_hand: ['student'],
  give_floor: ['teacher', 'assistant'],
  manage_polls: ['teacher', 'assistant'],
  chat: ['teacher', 'assistant', 'student'],
  moderate_chat: ['teacher', 'assistant'],
};

export function can(right) {
  if (Array.isArray(state.rights)) return state.rights.includes(right);
  return (RIGHTS[right] || []).includes(state.role);
}

// ---- server messages -----------------------------------------------------

const handlers = new Map(); // type -> [fn]
let sig = null;

export function handle(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

export function attach(s) {
  sig = s;
  for (const [type, fns] of handlers) for (const fn of fns) s.on(type, (m) => { if (sig === s) fn(m); });
}

export function detach() {
  sig = null;
}

export function connected() {
  return sig !== null && sig.state === 'open';
}

export function send(msg) {
  if (!sig) throw new Error('not connected');
  sig.send(msg);
}

export function request(msg, timeoutMs) {
  if (!sig) return Promise.reject(new Error('not connected'));
  return sig.request(msg, timeoutMs);
}

// `joined` (the join's reply, or sent again after the lobby) carries the
// lesson's state so far: modules take their part from it.
const joinedFns = [];

export function onJoined(fn) {
  joinedFns.push(fn);
}

export function joined(m) {
  for (const fn of joinedFns) {
    try {
      fn(m);
    } catch (e) {
      console.error('joined handler failed', e);
    }
  }
}

// ---- change notifications ------------------------------------------------

const listeners = new Map(); // topic -> [fn]

export function onChange(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, []);
  listeners.get(topic).push(fn);
}

export function changed(...topics) {
  for (const topic of topics) {
    for (const fn of listeners.get(topic) || []) {
      try {
        fn();
      } catch (e) {
        console.error(`render ${topic} failed`, e);
      }
    }
  }
}

export function nameOf(id) {
  const p = state.participants[id];
  if (!p) return id;
  return p.name;
}
