// Sabaq's page: join a lesson, publish mic and camera, show everyone else.
// URL parameters (for links and tests):
//   ?lesson=ID&name=NAME&role=teacher|assistant|student&autojoin=1&video=0|1
// window.sabaq = {publishPc, subscribePc, state} lets tests read getStats().

import { Signaling } from './signaling.js';
import { publish, Subscriber } from './peer.js';
import { Tiles } from './tiles.js';

const $ = (id) => document.getElementById(id);

const MEDIA = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  video: { width: 320, height: 240, frameRate: 15 },
};

const state = {
  phase: 'idle', // idle | joining | joined | left | error
  ws: 'new',
  publish: 'new',
  subscribe: 'new',
  participant: null,
  lesson: null,
  participants: {}, // id -> {id, name, role}
  tiles: [], // participant ids with a tile
  publishedTracks: [],
  subscribeVersion: 0,
  subscribeTracks: [], // the `tracks` of the last subscribe offer answered
  errors: [],
};
const sabaq = { publishPc: null, subscribePc: null, state };
window.sabaq = sabaq;

let sig = null;
let subscriber = null;
let localStream = null;
const tiles = new Tiles($('grid'), () => { $('unblock').hidden = false; });

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

function setStatus(id, text) {
  const el = $(id);
  el.textContent = text;
  el.className = text.split(' ')[0];
}

function onPcState(label, s) {
  state[label] = s.connection;
  setStatus(`st-${label}`, s.connection === s.ice ? s.connection : `${s.connection} (ice ${s.ice})`);
  if (s.connection === 'failed') showError(`The ${label} connection failed (ICE ${s.ice}).`);
}

function nameOf(id) {
  const p = state.participants[id];
  return p ? `${p.name}${p.role && p.role !== 'student' ? ` (${p.role})` : ''}` : id;
}

function renderRoster() {
  const ul = $('roster');
  ul.replaceChildren();
  for (const p of Object.values(state.participants)) {
    const li = document.createElement('li');
    li.textContent = nameOf(p.id) + (p.id === state.participant ? ' - you' : '');
    ul.append(li);
  }
}

function onSources(sources) {
  if (subscriber) {
    state.subscribeVersion = subscriber.version;
    state.subscribeTracks = [...subscriber.trackInfo.values()];
  }
  sources.delete(state.participant);
  tiles.update(sources, nameOf);
  state.tiles = [...tiles.tiles.keys()];
}

function readForm() {
  return {
    lesson: $('lesson').value.trim(),
    name: $('name').value.trim(),
    role: $('role').value,
    video: $('video').checked,
  };
}

async function getMedia(wantVideo) {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: MEDIA.audio, video: wantVideo ? MEDIA.video : false });
  } catch (e) {
    if (!wantVideo) throw e;
    // No camera (or refused): still let people hear this participant.
    showError(`Camera unavailable (${e.name}); joining with the microphone only.`);
    return navigator.mediaDevices.getUserMedia({ audio: MEDIA.audio, video: false });
  }
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
    if (state.phase === 'joined' || state.phase === 'joining') {
      showError('The connection to the server closed.');
      state.phase = 'error';
      leave();
    }
  });
  s.on('participant_joined', (m) => {
    if (m.participant && m.participant.id) {
      state.participants[m.participant.id] = m.participant;
      renderRoster();
      if (subscriber) subscriber.report();
    }
  });
  s.on('participant_left', (m) => {
    delete state.participants[m.id];
    tiles.remove(m.id);
    state.tiles = [...tiles.tiles.keys()];
    renderRoster();
  });
  s.on('subscribe_offer', (m) => subscriber && subscriber.handleOffer(m));
  s.on('error', (m) => showError(`Server: ${m.message || m.code} [${m.code}${m.ref ? `, ${m.ref}` : ''}]`));
}

async function join() {
  const f = readForm();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(f.lesson)) return showError('The lesson id must be 1-64 letters, digits, _ or -.');
  if (f.name.length < 1 || f.name.length > 64) return showError('Please enter a name (1-64 characters).');
  clearError();
  state.phase = 'joining';
  $('join').hidden = true;
  $('leave').hidden = false;
  try {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    sig = new Signaling(`${proto}://${location.host}/ws`);
    wireSignaling(sig);
    await sig.connect();
    subscriber = new Subscriber(sig, { onState: onPcState, onChange: onSources, onError: showError });
    sabaq.subscribePc = subscriber.pc;
    const joined = await sig.request({ type: 'join', lesson: f.lesson, name: f.name, role: f.role });
    state.participant = joined.participant;
    state.lesson = joined.lesson;
    state.participants[joined.participant] = { id: joined.participant, name: f.name, role: f.role };
    for (const p of joined.participants || []) state.participants[p.id] = p;
    state.phase = 'joined';
    setStatus('st-me', `${joined.participant} in ${joined.lesson}`);
    renderRoster();
    subscriber.report();
    await startPublishing(f.video);
  } catch (e) {
    showError(e);
    if (state.phase === 'joining') {
      state.phase = 'error';
      leave();
    }
  }
}

async function startPublishing(wantVideo) {
  try {
    localStream = await getMedia(wantVideo);
  } catch (e) {
    showError(`No microphone or camera (${e.name}: ${e.message}); you can still watch and listen.`);
    return;
  }
  if (state.phase !== 'joined') return;
  $('self-video').srcObject = localStream;
  $('self-tile').hidden = localStream.getVideoTracks().length === 0;
  const pub = await publish(sig, localStream, onPcState);
  sabaq.publishPc = pub.pc;
  state.publishedTracks = pub.tracks;
}

function resetControls() {
  $('join').hidden = false;
  $('leave').hidden = true;
}

function leave() {
  if (sig && sig.state === 'open') {
    try { sig.send({ type: 'leave' }); } catch (e) { /* closing anyway */ }
  }
  if (state.phase !== 'error') state.phase = 'left';
  if (sig) sig.close();
  if (sabaq.publishPc) sabaq.publishPc.close();
  if (subscriber) subscriber.close();
  if (localStream) for (const t of localStream.getTracks()) t.stop();
  sig = null;
  subscriber = null;
  localStream = null;
  sabaq.publishPc = null;
  sabaq.subscribePc = null;
  state.ws = 'closed';
  state.publish = 'closed';
  state.subscribe = 'closed';
  setStatus('st-ws', 'closed');
  state.participant = null;
  state.subscribeTracks = [];
  state.publishedTracks = [];
  $('self-video').srcObject = null;
  $('self-tile').hidden = true;
  tiles.clear();
  state.tiles = [];
  state.participants = {};
  renderRoster();
  resetControls();
  setStatus('st-publish', 'closed');
  setStatus('st-subscribe', 'closed');
}

function init() {
  const q = new URLSearchParams(location.search);
  if (q.has('lesson')) $('lesson').value = q.get('lesson');
  if (q.has('name')) $('name').value = q.get('name');
  const role = q.get('role');
  if (role && [...$('role').options].some((o) => o.value === role)) $('role').value = role;
  if (q.get('video') === '0') $('video').checked = false;
  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    join();
  });
  $('leave').addEventListener('click', () => {
    leave();
    state.phase = 'left';
  });
  $('unblock').addEventListener('click', () => {
    $('unblock').hidden = true;
    tiles.resume();
  });
  window.addEventListener('pagehide', () => { if (sig) leave(); });
  if (q.get('autojoin') === '1') join();
}

init();
