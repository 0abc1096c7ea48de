// Sabaq's page: picks the screen (home, pre-join, lobby, lesson), joins
// with a link's token, keeps the lesson going through dropped connections,
// and wires the lesson's modules together.
// URL parameters:
//   ?t=TOKEN[&video=0|1]                     a lesson link: the pre-join screen first
//   ?t=TOKEN&name=NAME[&video=0|1]           joins at once as NAME (scripts, kiosks, tests)
//   ?lesson=ID&name=NAME&role=R&autojoin=1  the development join (no token)
//   &simulcast=1                             send the camera as 3 simulcast layers
// window.sabaq = {publishPc, subscribePc, state} lets tests read getStats()
// and the lesson's state (hands, chat, polls, ...).
//
// Reconnecting: a publish or subscribe connection that stays `disconnected`
// for 2 s, or goes `failed`, first restarts ICE on its own (icerestart.js:
// new credentials on both sides, same transport, same participant, nothing
// renegotiated but the ICE lines); the header says "restoring". If it is not
// `connected` again within 12 s, or the server refuses the restart or closes
// the transport, the page rejoins: so does a dropped WebSocket, with the
// `resume` secret of `joined` (same participant, hand and floor) for up to
// 55 s, on fresh publish and subscribe connections. The header shows the
// state (#conn-state); state.iceRestarts and state.reconnects count both.

import { Signaling } from './signaling.js';
import { Subscriber } from './peer.js';
import { IceRestarts } from './icerestart.js';
import { Tiles } from './tiles.js';
import { t, has, describeError, initI18n, setLanguage, language, onLanguageChange, setText } from './i18n.js';
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
import * as prejoin from './prejoin.js';
import * as stage from './stage.js';
import * as quality from './quality.js';
import * as recording from './recording.js';
import * as bandwidth from './bandwidth.js';
import { me as apiMe } from './api.js';

const { state } = session;
// signaling: the current Signaling (tests close its socket to drop it).
const sabaq = { publishPc: null, subscribePc: null, signaling: null, state, session, media, prejoin: prejoin.preview };
window.sabaq = sabaq;

let sig = null;
let subscriber = null;
let joinParams = null; // what join() was last called with, for a reconnect
let resume = null; // the server's resume secret from `joined`
let reconnectUntil = 0; // while coming back after a dropped socket
const tiles = new Tiles({ stage: $('stage'), strip: $('filmstrip') }, () => { $('unblock').hidden = false; }, sendVideoSize);
const RECONNECT_MS = 55000; // the server keeps an away seat for 60 s
let reconnecting = false; // between a drop and the next `joined`

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
  setText(box, key, params);
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

// ---- connection states ---------------------------------------------------

const PC_STATES = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed', 'open', 'checking', 'completed'];
const word = (x) => (PC_STATES.includes(x) ? t(`pc.${x}`) : String(x || '-'));
state.ice = { publish: null, subscribe: null };

// The details line under the toolbar, in the page's language.
function renderStatus() {
  const one = (id, value, ice) => {
    const el = $(id);
    el.textContent = ice && ice !== value ? `${word(value)} (ICE: ${word(ice)})` : word(value);
    el.className = String(value || '');
  };
  one('st-ws', state.ws);
  one('st-publish', state.publish, state.ice.publish);
  one('st-subscribe', state.subscribe, state.ice.subscribe);
  const bad = ['failed', 'disconnected', 'closed'];
  const worst = [state.ws === 'open' ? 'connected' : state.ws, state.publish, state.subscribe]
    .find((x) => bad.includes(x)) || (state.ws === 'open' ? 'connected' : state.ws);
  const sum = $('st-summary');
  sum.textContent = word(worst);
  sum.className = String(worst || '');
  const d = state.qualityDetail || {};
  const q = state.quality && state.participant ? state.quality[state.participant] : null;
  $('st-quality').textContent = q ? `${t(`quality.${q}`)}${d.rtt_ms !== null && d.rtt_ms !== undefined ? ` (RTT ${d.rtt_ms} ms, ${d.loss_pct ?? 0} %)` : ''}` : '-';
  if (state.participant) {
    $('st-me').textContent = `${state.name || ''} (${t(`role.${state.role}`)}), ${state.participant}`;
  }
}

// The header's banner: shown while restoring the media connections,
// reconnecting, or when the link is lost.
const CONN_TEXT = { restoring: 'conn.restoring', reconnecting: 'conn.reconnecting', lost: 'conn.lost' };
function setConnection(c) {
  if (state.connection !== c) (state.connectionLog = state.connectionLog || []).push(c);
  state.connection = c;
  const el = $('conn-state');
  el.hidden = c === 'ok';
  el.className = c;
  if (c !== 'ok') setText(el, CONN_TEXT[c] || 'conn.lost');
}

// ICE restarts of the current join's connections (icerestart.js).
const iceRestarts = new IceRestarts({
  restart: (label) => {
    state.iceRestarts = (state.iceRestarts || 0) + 1;
    state.iceRestartsOf = { ...(state.iceRestartsOf || {}), [label]: ((state.iceRestartsOf || {})[label] || 0) + 1 };
    console.warn(`sabaq: the ${label} connection is ${state[label]} (ICE ${state.ice[label]}): restarting ICE`);
    if (label === 'publish') return media.restartIce();
    return subscriber ? subscriber.restartIce() : Promise.resolve();
  },
  giveUp: (label, why) => {
    console.warn(`sabaq: ${label} connection: ${why}: rejoining`);
    if (state.phase === 'joined' && !reconnecting) startReconnect();
    else if (state.connection === 'restoring') setConnection('ok');
  },
  onRestoring: (on) => {
    if (on && state.connection === 'ok') setConnection('restoring');
    else if (!on && state.connection === 'restoring') setConnection('ok');
  },
});

function onPcState(label, s) {
  state[label] = s.connection;
  state.ice[label] = s.ice;
  renderStatus();
  if (state.phase === 'joined' && !reconnecting) iceRestarts.update(label, s.connection);
}

function tileName(id) {
  const p = state.participants[id];
  if (!p) return id;
  return p.role && p.role !== 'student' ? `${p.name} (${t(`role.${p.role}`)})` : p.name;
}

// A tile's shown size, for the server's choice of simulcast layer. In the
// low-bandwidth mode no video is asked for larger than 320x180 (the server
// also caps it when it knows receive_mode; this holds for one that does not).
const LOW_MAX = { width: 320, height: 180 };
function sendVideoSize(track, width, height) {
  const mid = subscriber && subscriber.midOf(track);
  if (mid === undefined || !sig) return;
  if (state.receiveMode === 'low' && width > 0 && height > 0) {
    const k = Math.min(1, LOW_MAX.width / width, LOW_MAX.height / height);
    width = Math.round(width * k);
    height = Math.round(height * k);
  }
  try {
    sig.send({ type: 'video_size', mid, width, height });
  } catch (e) { /* the socket is gone: the next connection reports again */ }
}

// Which source a received video track is: the offer's `source` for its
// mid when the server says, else whether a `stage` message named it a
// screen (stage.js), else a camera.
function videoSource(id, track) {
  const mid = subscriber && subscriber.midOf(track);
  const info = mid !== undefined && subscriber ? subscriber.trackInfo.get(String(mid)) : null;
  if (info && info.source) return info.source;
  return stage.isScreenTrack(id, track) ? 'screen' : 'camera';
}

// sources (peer.js): Map participant -> {audio: [tracks], video: [tracks]}
// (and screen: [tracks] if peer.js knows them). The tiles get the video
// split into camera and screen.
function onSources(sources) {
  if (subscriber) {
    state.subscribeVersion = subscriber.version;
    state.subscribeTracks = [...subscriber.trackInfo.values()];
  }
  sources.delete(state.participant);
  const split = new Map();
  for (const [id, src] of sources) {
    const video = [];
    const screen = [...(src.screen || [])]; // when peer.js sorts them itself
    for (const track of src.video || []) (videoSource(id, track) === 'screen' ? screen : video).push(track);
    split.set(id, { audio: src.audio || [], video, screen });
  }
  tiles.update(split, tileName);
  state.tiles = tiles.participants();
  stage.sourcesChanged(split);
  session.changed('tracks');
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
    renderStatus();
  });
  s.on('close', () => {
    // A socket left behind by leave() may close after the next join began.
    if (s !== sig) return;
    // While joining, join() sees the failure itself and decides (retry or give up).
    if (state.phase === 'joining') return;
    if ((state.phase === 'joined' || state.phase === 'lobby') && resume) {
      startReconnect();
      return;
    }
    if (['joined', 'lobby'].includes(state.phase)) {
      showError(t('err.closed'));
      state.phase = 'error';
      teardown();
      setConnection('lost');
      screen('ended');
      setText($('ended-text'), 'ended.closed');
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
    state.tiles = tiles.participants();
    session.changed('people', 'hands');
  });
  s.on('participant_away', (m) => {
    if (state.participants[m.id]) state.participants[m.id].away = true;
    tiles.remove(m.id);
    state.tiles = tiles.participants();
    session.changed('people');
  });
  s.on('subscribe_offer', (m) => subscriber && subscriber.handleOffer(m));
  s.on('transport_closed', (m) => {
    // The server gave up on one of our connections (docs/protocol.md,
    // "Transport closed"): while restoring, too late for an ICE restart
    // (the rejoin takes over); otherwise a new one of the same kind.
    if (iceRestarts.transportClosed(m.transport)) return;
    if (m.transport === 'subscribe') startSubscriber();
    else {
      notice('err.transport', { reason: m.reason || '' });
      media.restart();
    }
  });
  wireLessonControl(s);
  session.attach(s);
}

// What staff do to this participant and to the lesson.
function wireLessonControl(s) {
  s.on('error', (m) => {
    // Removed by staff: the server says so, then closes the socket.
    if (m.ref === 'quality') quality.refusedByServer(); // an older server: not worth a banner
    else if (typeof m.ref === 'string' && m.ref.startsWith('recording_')) {
      recording.refused();
      serverError(m);
    } else if (m.code === 'removed') ended('ended.removed');
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

// Come back within 60 s with the `resume` secret: same identity, hand and
// floor (docs/protocol.md); media is negotiated afresh.
function startReconnect() {
  if (!reconnecting) {
    reconnecting = true;
    reconnectUntil = Date.now() + RECONNECT_MS;
  }
  state.reconnects = (state.reconnects || 0) + 1;
  setConnection('reconnecting');
  teardown(true);
  state.phase = 'joining';
  setTimeout(() => join(joinParams), 1000);
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
    reconnecting = false;
    setConnection(state.phase === 'joining' && resume ? 'lost' : 'ok');
    resume = null;
    saveResume(null);
    showError(describeError(e));
    if (state.phase === 'joining') {
      state.phase = 'error';
      teardown();
      screen('ended');
      setText($('ended-text'), 'ended.refused');
      show('rejoin', true);
    }
  }
}

function enterLobby(reply) {
  reconnectUntil = 0;
  reconnecting = false;
  setConnection('ok');
  applyLesson(reply);
  state.phase = 'lobby';
  screen('lobby');
  session.changed('phase');
}

function enterLesson(m) {
  if (state.phase === 'joined' && state.participant === m.participant) return;
  reconnectUntil = 0;
  reconnecting = false;
  setConnection('ok');
  applyLesson(m);
  state.participant = m.participant;
  state.lesson = typeof m.lesson === 'string' ? m.lesson : (m.lesson && m.lesson.id) || state.lesson;
  const mine = (m.participants || []).find((p) => p.id === m.participant);
  if (mine) {
    if (mine.role) state.role = mine.role;
    if (mine.name) state.name = mine.name;
  }
  state.participants = {}; // `joined` lists everyone present now
  addParticipant({ id: m.participant, name: state.name, role: state.role });
  for (const p of m.participants || []) addParticipant(p);
  state.phase = 'joined';
  session.joined(m);
  screen('lesson');
  renderWhoami();
  renderStatus();
  session.changed('phase', 'people', 'hands', 'toolbar', 'chat', 'polls', 'lobby', 'attendance');
  if (subscriber) subscriber.report();
  media.start(sig, {
    video: joinParams ? joinParams.video : true,
    camId: joinParams && joinParams.camId,
    micId: joinParams && joinParams.micId,
    onState: onPcState,
    onError: showError,
    onPublished: (pc, stream) => {
      sabaq.publishPc = pc;
      $('self-video').srcObject = stream;
      $('self-tile').hidden = !stream;
      stage.setSelf(stream);
    },
  });
  quality.start({
    publishPc: () => sabaq.publishPc,
    subscribePc: () => sabaq.subscribePc,
    participantOfMid: (mid) => {
      const info = subscriber && subscriber.trackInfo.get(String(mid));
      return info && info.active !== false ? info.participant : null;
    },
  });
}

function renderWhoami() {
  const who = state.phase === 'joined' ? state : state.staff;
  $('whoami').textContent = who && who.name ? `${who.name} - ${t(`role.${who.role}`)}` : '';
}

function ended(key) {
  state.phase = key === 'ended.removed' ? 'removed' : 'ended';
  resume = null;
  saveResume(null);
  teardown();
  setConnection('ok');
  screen('ended');
  setText($('ended-text'), key);
  show('rejoin', false);
}

// keepPeople: while reconnecting, the participant list stays on screen
// (marked as reconnecting in the header) until the new `joined` replaces it.
function teardown(keepPeople = false) {
  iceRestarts.reset();
  quality.stop();
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
  state.ice = { publish: null, subscribe: null };
  renderStatus();
  state.subscribeTracks = [];
  $('self-video').srcObject = null;
  $('self-tile').hidden = true;
  stage.setSelf(null);
  tiles.clear();
  state.tiles = [];
  if (!keepPeople) state.participants = {};
  state.hands = []; // hands, floor and lobby come again after `joined`
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
  reconnecting = false;
  teardown();
  setConnection('ok');
  state.phase = 'left';
  screen('ended');
  setText($('ended-text'), 'ended.left');
  show('rejoin', true);
}

// The pre-join screen: devices (and the name when the link has none), then join.
// knownName: the name the server knows (signed-in staff), or true for a
// roster link (the class list names the person).
function askName(params, knownName = null) {
  state.phase = 'idle';
  screen('join');
  prejoin.show({
    askName: !knownName,
    name: params.name || '',
    knownName,
    video: params.video,
    onError: showError,
    onJoin: (chosen) => {
      clearError();
      join({ ...params, name: knownName ? params.name : chosen.name, video: chosen.video,
        camId: chosen.camId, micId: chosen.micId });
    },
  });
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
    if (name) {
      join({ token, name, role, video });
      return;
    }
    if (claims.e !== undefined) {
      askName({ token, role, video }, true);
      return;
    }
    // Staff signed in on this browser: the server uses their own name.
    const who = role && role !== 'student' ? await apiMe().catch(() => null) : null;
    if (who) askName({ token, role, video }, who.name);
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
  state.staff = who;
  renderWhoami();
  screen('home');
  home.start(who, { onError: showError, notice });
}

// Everything drawn from a key re-translates itself (i18n.js); what is
// composed in code is drawn again.
function languageChanged() {
  $('lang-switch').value = language();
  renderStatus();
  renderWhoami();
  session.changed('phase', 'people', 'hands', 'toolbar', 'chat', 'polls', 'lobby', 'attendance', 'recording', 'stage', 'media',
    'chat-unread', 'receive-mode');
}

async function init() {
  await initI18n();
  $('lang-switch').value = language();
  $('lang-switch').addEventListener('change', () => setLanguage($('lang-switch').value));
  onLanguageChange(languageChanged);
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
  for (const m of [tabs, toolbar, people, hands, lobby, chat, polls, attendance, stage, recording, bandwidth, quality]) m.init(ctx);
  session.onChange('stage', () => { if (subscriber) subscriber.report(); });
  session.onChange('quality-detail', renderStatus);
  session.onChange('receive-mode', () => tiles.reportAll());
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
