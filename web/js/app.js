// Sabaq's page: picks the screen (staff home, name prompt, lobby, lesson),
// joins with a link's token, and wires the lesson's modules together.
// URL parameters:
//   ?t=TOKEN[&name=NAME][&video=0|1]        a lesson link (teacher, assistant, student)
//   ?lesson=ID&name=NAME&role=R&autojoin=1  the development join (no token)
//   &simulcast=1                             send the camera as 3 simulcast layers
// window.sabaq = {publishPc, subscribePc, state} lets tests read getStats()
// and the lesson's state (hands, chat, polls, ...).

import { Signaling } from './signaling.js';
import { Subscriber } from './peer.js';
import { Tiles } from './tiles.js';
import { t, has, applyI18n, describeError } from './i18n.js';
import { $, show } from './dom.js';
import * as session from './session.js';
import * as media from './media.js';
import * as home from './home.js';
import * as people from './people.js';
import * as hands from './hands.js';
import * as lobby from './lobby.js';
import * as chat from './chat.js';
import * as polls from './polls.js';
import * as attendance from './attendance.js';
import * as tabs from './tabs.js';
import * as toolbar from './toolbar.js';
import { me as apiMe } from './api.js';

const { state } = session;
// signaling: the current Signaling (tests close its socket to drop it).
const sabaq = { publishPc: null, subscribePc: null, signaling: null, state, session };
window.sabaq = sabaq;

let sig = null;
let subscriber = null;
let joinParams = null; // what join() was last called with, for a reconnect
let resume = null; // the server's resume secret from `joined`
let reconnectUntil = 0; // while coming back after a dropped socket
const tiles = new Tiles($('grid'), () => { $('unblock').hidden = false; }, sendVideoSize);

// ---- messages to people --------------------------------------------------

function showError(err) {
  const text = err instanceof Error ? err.message : String(err);
  console.error('sabaq:', err);
  state.errors.push(text);
  const box = $('error');
  box.textContent = text;
  box.hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

let noticeTimer = null;
function notice(key, params) {
  const box = $('notice');
  box.textContent = t(key, params);
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

// A server `error`: a sentence in the page's language when we know the code.
function serverError(m) {
  showError(has(`err.${m.code}`) ? describeError(m)
    : `${t('err.server')}: ${m.message || m.code} [${m.code}${m.ref ? `, ${m.ref}` : ''}]`);
}

function screen(name) {
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== `screen-${name}`;
}

function setStatus(id, text) {
  const el = $(id);
  el.textContent = text;
  el.className = text.split(' ')[0];
}

function onPcState(label, s) {
  state[label] = s.connection;
  setStatus(`st-${label}`, s.connection === s.ice ? s.connection : `${s.connection} (ice ${s.ice})`);
  if (s.connection === 'failed') showError(t('err.pc_failed', { label, ice: s.ice }));
}

function tileName(id) {
  const p = state.participants[id];
  if (!p) return id;
  return p.role && p.role !== 'student' ? `${p.name} (${t(`role.${p.role}`)})` : p.name;
}

// A tile's shown size, for the server's choice of simulcast layer.
function sendVideoSize(track, width, height) {
  const mid = subscriber && subscriber.midOf(track);
  if (mid === undefined || !sig) return;
  try {
    sig.send({ type: 'video_size', mid, width, height });
  } catch (e) { /* the socket is gone: the next connection reports again */ }
}

function onSources(sources) {
  if (subscriber) {
    state.subscribeVersion = subscriber.version;
    state.subscribeTracks = [...subscriber.trackInfo.values()];
  }
  sources.delete(state.participant);
  tiles.update(sources, tileName);
  state.tiles = [...tiles.tiles.keys()];
}

// ---- what the server says about the lesson -------------------------------

// Fields of `joined` (and of later updates) beyond the media core's: each
// optional, so the page works with whatever the server sends.
function applyLesson(m) {
  if (m.role) state.role = m.role;
  if (m.name) state.name = m.name;
  if (Array.isArray(m.rights)) state.rights = m.rights;
  // lesson_info {id, title, language, start_ms, duration_min,
  // max_participants, lobby, students_publish, students_video, locked}
  const info = m.lesson_info;
  if (info && typeof info === 'object') {
    state.lessonInfo = info;
    if (typeof info.students_publish === 'boolean') state.studentsPublish = info.students_publish;
    if (typeof info.students_video === 'boolean') state.studentsVideo = info.students_video;
    if (typeof info.locked === 'boolean') state.locked = info.locked;
    if (info.title) $('lesson-title').textContent = info.title;
  }
  if (typeof m.resume === 'string') {
    resume = m.resume;
    saveResume(resume);
  }
}

function addParticipant(p) {
  if (!p || !p.id) return;
  state.participants[p.id] = { ...(state.participants[p.id] || {}), ...p };
}

function wireSignaling(s) {
  s.on('state', (st) => {
    if (s !== sig) return;
    state.ws = st;
    setStatus('st-ws', st);
  });
  s.on('close', () => {
    // A socket left behind by leave() may close after the next join began.
    if (s !== sig) return;
    if (state.phase === 'joined' && resume) {
      // Come back within 60 s with the `resume` secret: same identity,
      // hand and floor (docs/protocol.md).
      reconnectUntil = Date.now() + 55000;
      teardown();
      notice('lesson.reconnecting');
      setTimeout(() => join(joinParams), 1000);
      return;
    }
    if (['joined', 'joining', 'lobby'].includes(state.phase)) {
      showError(t('err.closed'));
      state.phase = 'error';
      teardown();
      screen('ended');
      $('ended-text').textContent = t('ended.closed');
      show('rejoin', true);
    }
  });
  s.on('participant_joined', (m) => {
    // Also someone coming back: the new description replaces the old.
    if (m.participant && m.participant.id) delete state.participants[m.participant.id];
    addParticipant(m.participant);
    session.changed('people');
    if (subscriber) subscriber.report();
  });
  s.on('participant_left', (m) => {
    delete state.participants[m.id];
    state.hands = state.hands.filter((id) => id !== m.id);
    tiles.remove(m.id);
    state.tiles = [...tiles.tiles.keys()];
    session.changed('people', 'hands');
  });
  s.on('participant_away', (m) => {
    if (state.participants[m.id]) state.participants[m.id].away = true;
    tiles.remove(m.id);
    state.tiles = [...tiles.tiles.keys()];
    session.changed('people');
  });
  s.on('subscribe_offer', (m) => subscriber && subscriber.handleOffer(m));
  s.on('transport_closed', (m) => {
    if (m.transport === 'subscribe') startSubscriber();
    else showError(t('err.transport', { reason: m.reason || '' }));
  });
  wireLessonControl(s);
  session.attach(s);
}

// What staff do to this participant and to the lesson.
function wireLessonControl(s) {
  s.on('error', (m) => {
    // Removed by staff: the server says so, then closes the socket.
    if (m.code === 'removed') ended('ended.removed');
    else if (m.code === 'replaced') ended('ended.replaced');
    else serverError(m);
  });
  s.on('lesson_state', (m) => {
    applyLesson({ lesson_info: m.lesson });
    session.changed('people', 'toolbar');
    media.sync();
  });
  s.on('rights', (m) => {
    if (Array.isArray(m.rights)) state.rights = m.rights;
    session.changed('people', 'toolbar', 'hands', 'lobby', 'chat', 'polls');
    media.sync();
  });
  s.on('muted', (m) => {
    if (m.kind === 'video') {
      state.videoStoppedBy = m.by || true;
      notice('media.video_stopped');
      media.sync();
    } else {
      state.mutedBy = m.by || true;
      notice('media.muted_by_staff');
    }
    session.changed('toolbar');
  });
  s.on('lesson_ended', () => ended('ended.ended'));
  // After the lobby the server sends `joined` on its own.
  s.on('joined', (m) => enterLesson(m));
}

function startSubscriber() {
  if (subscriber) subscriber.close();
  subscriber = new Subscriber(sig, { onState: onPcState, onChange: onSources, onError: showError });
  sabaq.subscribePc = subscriber.pc;
}

// ---- joining -------------------------------------------------------------

// The `resume` secret survives a reload of the tab (sessionStorage), so the
// person comes back as themselves within 60 s (docs/protocol.md).
function resumeKey() {
  return joinParams && joinParams.token ? `sabaq.resume.${joinParams.token.slice(-24)}` : null;
}

function saveResume(value) {
  const key = resumeKey();
  try {
    if (key && value) sessionStorage.setItem(key, value);
    else if (key) sessionStorage.removeItem(key);
  } catch (e) { /* storage disabled: no resume after a reload */ }
}

function savedResume() {
  const key = resumeKey();
  try {
    return key ? sessionStorage.getItem(key) : null;
  } catch (e) {
    return null;
  }
}

async function join(params) {
  joinParams = params;
  clearError();
  state.phase = 'joining';
  state.token = params.token || null;
  // The development join (no token) predates rights: everyone publishes.
  state.studentsPublish = !params.token;
  state.chat = [];
  state.polls = [];
  state.attendance = [];
  screen('lesson');
  try {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    sig = new Signaling(`${proto}://${location.host}/ws`);
    sabaq.signaling = sig;
    wireSignaling(sig);
    await sig.connect();
    startSubscriber();
    const msg = params.token
      ? { type: 'join', token: params.token, ...(params.name ? { name: params.name } : {}) }
      : { type: 'join', lesson: params.lesson, name: params.name, role: params.role };
    const r = resume || savedResume();
    if (r) msg.resume = r;
    const reply = await sig.request(msg);
    state.name = params.name || null;
    state.role = params.role || 'student';
    if (reply.type === 'lobby_wait') {
      enterLobby(reply);
    } else {
      enterLesson(reply);
    }
  } catch (e) {
    if (e.code === 'bad_message' && /name/i.test(e.message) && !params.name) {
      teardown();
      askName(params);
      return;
    }
    if (!e.code && Date.now() < reconnectUntil) {
      // The server is not back yet: try again.
      teardown();
      setTimeout(() => join(params), 2000);
      return;
    }
    reconnectUntil = 0;
    resume = null;
    saveResume(null);
    showError(describeError(e));
    if (state.phase === 'joining') {
      state.phase = 'error';
      teardown();
      screen('ended');
      $('ended-text').textContent = t('ended.refused');
      show('rejoin', true);
    }
  }
}

function enterLobby(reply) {
  applyLesson(reply);
  state.phase = 'lobby';
  screen('lobby');
  session.changed('phase');
}

function enterLesson(m) {
  if (state.phase === 'joined' && state.participant === m.participant) return;
  reconnectUntil = 0;
  applyLesson(m);
  state.participant = m.participant;
  state.lesson = typeof m.lesson === 'string' ? m.lesson : (m.lesson && m.lesson.id) || state.lesson;
  const mine = (m.participants || []).find((p) => p.id === m.participant);
  if (mine) {
    if (mine.role) state.role = mine.role;
    if (mine.name) state.name = mine.name;
  }
  addParticipant({ id: m.participant, name: state.name, role: state.role });
  for (const p of m.participants || []) addParticipant(p);
  state.phase = 'joined';
  session.joined(m);
  screen('lesson');
  setStatus('st-me', `${state.name || ''} (${t(`role.${state.role}`)}), ${m.participant}`);
  $('whoami').textContent = `${state.name || ''} - ${t(`role.${state.role}`)}`;
  session.changed('phase', 'people', 'hands', 'toolbar', 'chat', 'polls', 'lobby', 'attendance');
  if (subscriber) subscriber.report();
  media.start(sig, {
    video: joinParams ? joinParams.video : true,
    onState: onPcState,
    onError: showError,
    onPublished: (pc, stream) => {
      sabaq.publishPc = pc;
      $('self-video').srcObject = stream;
      $('self-tile').hidden = !stream;
    },
  });
}

function ended(key) {
  state.phase = key === 'ended.removed' ? 'removed' : 'ended';
  resume = null;
  saveResume(null);
  teardown();
  screen('ended');
  $('ended-text').textContent = t(key);
  show('rejoin', false);
}

function teardown() {
  media.stop();
  if (sig) sig.close();
  if (subscriber) subscriber.close();
  session.detach();
  sig = null;
  subscriber = null;
  sabaq.signaling = null;
  sabaq.publishPc = null;
  sabaq.subscribePc = null;
  state.ws = 'closed';
  state.publish = 'closed';
  state.subscribe = 'closed';
  setStatus('st-ws', 'closed');
  setStatus('st-publish', 'closed');
  setStatus('st-subscribe', 'closed');
  state.subscribeTracks = [];
  $('self-video').srcObject = null;
  $('self-tile').hidden = true;
  tiles.clear();
  state.tiles = [];
  state.participants = {};
  state.hands = [];
  state.floor = [];
  state.lobby = [];
  session.changed('people', 'hands', 'lobby');
}

function leave() {
  if (sig && sig.state === 'open') {
    try { sig.send({ type: 'leave' }); } catch (e) { /* closing anyway */ }
  }
  resume = null;
  saveResume(null);
  teardown();
  state.phase = 'left';
  screen('ended');
  $('ended-text').textContent = t('ended.left');
  show('rejoin', true);
}

function askName(params) {
  state.phase = 'idle';
  screen('join');
  $('j-name').value = params.name || '';
  $('j-video').checked = params.video !== false;
  $('j-name').focus();
  $('name-form').onsubmit = (ev) => {
    ev.preventDefault();
    const name = $('j-name').value.trim();
    if (name.length < 1 || name.length > 64) {
      showError(t('err.name'));
      return;
    }
    join({ ...params, name, video: $('j-video').checked });
  };
}

// Reads the claims of a token shaped <base64url JSON>.<signature>, if it is;
// only to know whether to ask for a name (the server checks everything).
function tokenClaims(token) {
  try {
    const part = token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
    return json && typeof json === 'object' ? json : null;
  } catch (e) {
    return null;
  }
}

async function route() {
  const q = new URLSearchParams(location.search);
  const video = q.get('video') !== '0';
  if (q.has('t')) {
    // The token's claims (access.h): r = role, e = a roster entry (whose
    // name the server knows). Only to decide whether to ask for a name.
    const token = q.get('t');
    const claims = tokenClaims(token) || {};
    const role = claims.r || null;
    const name = q.get('name') || null;
    if (name || claims.e !== undefined) {
      join({ token, name, role, video });
      return;
    }
    // Staff signed in on this browser: the server uses their own name.
    const who = role && role !== 'student' ? await apiMe().catch(() => null) : null;
    if (who) join({ token, role, video });
    else askName({ token, role, video, name: '' });
    return;
  }
  if (q.has('lesson')) {
    const params = { lesson: q.get('lesson'), name: q.get('name') || '', role: q.get('role') || 'student', video };
    if (params.name && q.get('autojoin') === '1') join(params);
    else askName(params);
    return;
  }
  let who = null;
  try {
    who = await apiMe();
  } catch (e) {
    showError(e);
  }
  if (who) {
    $('whoami').textContent = `${who.name} - ${t(`role.${who.role}`)}`;
    screen('home');
    home.start(who, { onError: showError, notice });
  } else {
    screen('signin');
  }
}

function init() {
  applyI18n(document);
  const ctx = {
    showError, notice, tiles, media,
    // Fire and forget: the server's refusal comes back as an `error`.
    send: (msg) => {
      try {
        session.send(msg);
      } catch (e) {
        showError(e);
      }
    },
  };
  for (const m of [tabs, toolbar, people, hands, lobby, chat, polls, attendance]) m.init(ctx);
  $('leave').addEventListener('click', leave);
  $('lobby-leave').addEventListener('click', leave);
  $('rejoin').addEventListener('click', () => { if (joinParams) join(joinParams); });
  $('unblock').addEventListener('click', () => {
    $('unblock').hidden = true;
    tiles.resume();
  });
  window.addEventListener('pagehide', () => { if (sig) leave(); });
  route();
}

init();
