// The lesson's stage: what everyone should watch, large. The server decides
// (docs/protocol.md, "Stage"): the newest screen share of someone allowed
// to share, else the teacher's camera (else an assistant's), else nothing,
// and says so with {type: "stage", participant, mid, source} (also in
// `joined` as `stage`). Without such a message (an older server) the page
// picks the same way from what it receives. When the stage is this person's
// own, the stage box shows the local camera or screen.

import { $ } from './dom.js';
import { setText } from './i18n.js';
import { state, handle, onJoined, onChange, changed } from './session.js';
import * as media from './media.js';

let tiles = null;
let selfStream = null; // {camera: MediaStream|null}

function fromServer(m) {
  if (!m || typeof m !== 'object') return null;
  return { participant: m.participant || null, mid: m.mid ?? null, source: m.source || null };
}

// The page's own choice, only while the server has said nothing.
function guess(sources) {
  const staff = (role) => Object.values(state.participants).filter((p) => p.role === role).map((p) => p.id);
  for (const [id, src] of sources) if ((src.screen || []).length) return { participant: id, mid: null, source: 'screen' };
  if (media.sharing()) return { participant: state.participant, mid: null, source: 'screen' };
  for (const role of ['teacher', 'assistant']) {
    for (const id of staff(role)) {
      if (id === state.participant && selfStream) return { participant: id, mid: null, source: 'camera' };
      const src = sources.get(id);
      if (src && src.video.length) return { participant: id, mid: null, source: 'camera' };
    }
  }
  return null;
}

let lastSources = new Map();

// The tracks the page receives changed (app.js): re-place the tiles.
export function sourcesChanged(sources) {
  lastSources = sources;
  if (!state.stageFromServer) state.stage = guess(sources);
  render();
}

// The local camera preview (null when not sending video).
export function setSelf(stream) {
  selfStream = stream;
  if (!state.stageFromServer) state.stage = guess(lastSources);
  render();
}

// Screens seen on the stage, as "<participant>-<publisher's mid>": the msid
// track id of that video at subscribers (docs/protocol.md, "Subscribing").
// A screen's transceiver keeps its mid, so the mark stays true after the
// stage moves on.
const screens = new Set();

export function isScreenTrack(participant, track) {
  return screens.has(track.id) && track.id.startsWith(`${participant}-`);
}

function remember(s) {
  if (!s || !s.participant || s.mid === null) return;
  const id = `${s.participant}-${s.mid}`;
  if (s.source === 'screen') screens.add(id);
  else screens.delete(id); // relabelled as a camera
}

function render() {
  if (!tiles) return;
  const s = state.stage;
  tiles.setStage(s);
  const mine = Boolean(s && s.participant && s.participant === state.participant);
  const selfBox = $('stage-self');
  let local = null;
  if (mine) local = s.source === 'screen' ? (media.sharing() ? new MediaStream([media.sharing()]) : null) : selfStream;
  const video = $('stage-self-video');
  if (mine && local) {
    const track = local.getVideoTracks()[0];
    const cur = video.srcObject && video.srcObject.getVideoTracks()[0];
    if (cur !== track) video.srcObject = new MediaStream([track]);
    setText($('stage-self-label'), s.source === 'screen' ? 'stage.you_share' : 'stage.you');
    selfBox.classList.toggle('screen', s.source === 'screen');
  } else video.srcObject = null;
  selfBox.hidden = !(mine && local);
  const shown = tiles.stageShown() || !selfBox.hidden;
  $('stage').hidden = !shown;
  $('grid').classList.toggle('has-stage', shown);
  state.stageShown = shown ? `${s.participant}:${s.source}` : null;
}

export function init(ctx) {
  tiles = ctx.tiles;
  state.stage = null;
  state.stageFromServer = false;
  handle('stage', (m) => {
    state.stage = fromServer(m);
    remember(state.stage);
    state.stageFromServer = true;
    changed('stage');
  });
  onJoined((m) => {
    state.stageFromServer = 'stage' in m;
    state.stage = state.stageFromServer ? fromServer(m.stage) : guess(lastSources);
    if (state.stageFromServer) remember(state.stage);
    changed('stage');
  });
  for (const topic of ['stage', 'media', 'people']) onChange(topic, render);
}
