// The lesson's videos: one large stage and a filmstrip of the others.
// A participant who sends media has a camera tile (a muted <video> for the
// picture, an <audio> for the sound, a name label); one who shares a screen
// also has a screen tile. The stage (the server's `stage` message: whose
// screen or camera everyone should watch) moves that tile into the stage box;
// the rest stay in the filmstrip. Tiles carry data-participant (and
// data-source: camera | screen) for tests.
//
// Input from the page (app.js), built from the subscribe connection (peer.js):
//   update(sources, names): sources = Map participant id ->
//     {audio: [MediaStreamTrack], video: [camera tracks], screen: [screen tracks]}
//   setStage({participant, source} | null)
// Each tile reports the device-pixel size its video is shown at (0x0 when
// hidden) through onVideoSize(track, width, height), debounced and only on
// change, so the server can forward the simulcast layer that fits: the stage
// asks for a large picture, the filmstrip for small ones.

import { setText } from './i18n.js';

const SIZE_DEBOUNCE_MS = 300;
const SIZE_MAX = 7680; // the protocol's limit

export class Tiles {
  // boxes: {stage, strip} elements; onPlayBlocked(): autoplay was refused.
  constructor(boxes, onPlayBlocked, onVideoSize = () => {}) {
    this.stageBox = boxes.stage;
    this.strip = boxes.strip;
    this.onPlayBlocked = onPlayBlocked;
    this.onVideoSize = onVideoSize;
    // key (id, or id + ':screen') -> {el, video, audio, label, videoTrack, audioIds, sent, timer, id, source}
    this.tiles = new Map();
    this.stage = null; // {participant, source}
    this.observer = typeof ResizeObserver === 'function'
      ? new ResizeObserver((entries) => {
        for (const e of entries) {
          const tile = e.target.sabaqTile;
          if (tile) this.sizeChanged(tile);
        }
      })
      : null;
  }

  // The participant ids that have a tile.
  participants() {
    return [...new Set([...this.tiles.values()].map((x) => x.id))];
  }

  update(sources, names) {
    const want = new Map(); // key -> {id, source, video, audio}
    for (const [id, src] of sources) {
      const screen = (src.screen || [])[0] || null;
      if ((src.video || []).length || (src.audio || []).length) {
        want.set(id, { id, source: 'camera', video: src.video[0] || null, audio: src.audio || [] });
      }
      if (screen) want.set(`${id}:screen`, { id, source: 'screen', video: screen, audio: [] });
    }
    for (const key of [...this.tiles.keys()]) if (!want.has(key)) this.removeKey(key);
    for (const [key, w] of want) {
      const tile = this.tiles.get(key) || this.create(key, w.id, w.source);
      this.setLabel(tile, names(w.id));
      this.setVideo(tile, w.video);
      this.setAudio(tile, w.audio);
    }
    this.place();
  }

  setLabel(tile, name) {
    if (tile.name === name) return;
    tile.name = name;
    if (tile.source === 'screen') setText(tile.label, 'tiles.screen_of', { name });
    else {
      delete tile.label.dataset.i18n;
      tile.label.textContent = name;
    }
  }

  create(key, id, source) {
    const el = document.createElement('figure');
    el.className = `tile no-video ${source}`; // no-video until a video track comes
    el.dataset.participant = id;
    el.dataset.source = source;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const label = document.createElement('figcaption');
    const quality = document.createElement('span');
    quality.className = 'q';
    quality.hidden = true;
    el.append(video, audio, label, quality);
    this.strip.append(el);
    const tile = { el, video, audio, label, quality, videoTrack: null, audioIds: '', sent: '', timer: 0, id, source, name: null };
    video.sabaqTile = tile;
    if (this.observer) this.observer.observe(video);
    this.tiles.set(key, tile);
    return tile;
  }

  // stage: {participant, source} or null (nobody: the filmstrip fills the area).
  setStage(stage) {
    this.stage = stage && stage.participant ? { participant: stage.participant, source: stage.source || 'camera' } : null;
    this.place();
  }

  stageKey() {
    if (!this.stage) return null;
    return this.stage.source === 'screen' ? `${this.stage.participant}:screen` : this.stage.participant;
  }

  // The stage tile in the stage box, every other tile in the filmstrip.
  place() {
    const key = this.stageKey();
    for (const [k, tile] of this.tiles) {
      const on = k === key;
      const box = on ? this.stageBox : this.strip;
      if (tile.el.parentNode !== box) box.append(tile.el);
      tile.el.classList.toggle('on-stage', on);
    }
  }

  // Whether the stage shows a received tile now.
  stageShown() {
    const key = this.stageKey();
    return Boolean(key && this.tiles.has(key));
  }

  // level: good | fair | poor | null, for every tile of participant id.
  setQuality(id, level) {
    for (const tile of this.tiles.values()) {
      if (tile.id !== id) continue;
      tile.quality.hidden = !level;
      if (!level) continue;
      tile.quality.className = `q ${level}`;
      setText(tile.quality, `quality.${level}`);
    }
  }

  // Reports every tile's size again (what is asked for changed, e.g. the
  // low-bandwidth mode).
  reportAll() {
    for (const tile of this.tiles.values()) {
      tile.sent = '';
      this.sizeChanged(tile);
    }
  }

  sizeChanged(tile) {
    clearTimeout(tile.timer);
    tile.timer = setTimeout(() => this.reportSize(tile), SIZE_DEBOUNCE_MS);
  }

  reportSize(tile) {
    tile.timer = 0;
    const track = tile.videoTrack;
    if (!track || ![...this.tiles.values()].includes(tile)) return;
    const dpr = window.devicePixelRatio || 1;
    const px = (css) => Math.min(SIZE_MAX, Math.max(0, Math.round(css * dpr)));
    const width = px(tile.video.clientWidth);
    const height = px(tile.video.clientHeight);
    const key = `${track.id} ${width}x${height}`;
    if (key === tile.sent) return;
    tile.sent = key;
    this.onVideoSize(track, width, height);
  }

  setVideo(tile, track) {
    if (tile.videoTrack === track) return;
    tile.videoTrack = track;
    tile.el.classList.toggle('no-video', !track);
    tile.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) {
      this.play(tile.video);
      this.sizeChanged(tile); // a new track: its consumer learns the size too
    }
  }

  setAudio(tile, tracks) {
    const ids = tracks.map((x) => x.id).join(',');
    if (tile.audioIds === ids) return;
    tile.audioIds = ids;
    tile.audio.srcObject = tracks.length ? new MediaStream(tracks) : null;
    if (tracks.length) this.play(tile.audio);
  }

  play(media) {
    const p = media.play();
    if (p && p.catch) {
      p.catch((e) => {
        if (e.name === 'NotAllowedError') this.onPlayBlocked();
      });
    }
  }

  // After a click, retry whatever autoplay refused.
  resume() {
    for (const x of this.tiles.values()) {
      if (x.video.srcObject) this.play(x.video);
      if (x.audio.srcObject) this.play(x.audio);
    }
  }

  removeKey(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    clearTimeout(tile.timer);
    if (this.observer) this.observer.unobserve(tile.video);
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.el.remove();
    this.tiles.delete(key);
  }

  // Every tile of participant id.
  remove(id) {
    for (const [key, tile] of [...this.tiles]) if (tile.id === id) this.removeKey(key);
  }

  clear() {
    for (const key of [...this.tiles.keys()]) this.removeKey(key);
  }
}
