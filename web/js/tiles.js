// The video grid: one tile per participant who sends media, holding a muted
// <video> (the picture) and an <audio> (the sound), plus a name label.
// Tiles are keyed by participant id and carry data-participant for tests.
// Each tile reports the device-pixel size its video is shown at (0x0 when
// hidden) through onVideoSize(track, width, height), debounced and only on
// change, so the server can forward the simulcast layer that fits.

const SIZE_DEBOUNCE_MS = 300;
const SIZE_MAX = 7680; // the protocol's limit

export class Tiles {
  constructor(grid, onPlayBlocked, onVideoSize = () => {}) {
    this.grid = grid;
    this.onPlayBlocked = onPlayBlocked;
    this.onVideoSize = onVideoSize;
    // participant id -> {el, video, audio, label, videoTrack, audioIds, sent, timer}
    this.tiles = new Map();
    this.observer = typeof ResizeObserver === 'function'
      ? new ResizeObserver((entries) => {
        for (const e of entries) {
          const tile = e.target.sabaqTile;
          if (tile) this.sizeChanged(tile);
        }
      })
      : null;
  }

  // sources: Map participant id -> {audio: [tracks], video: [tracks]};
  // names: participant id -> display name.
  update(sources, names) {
    for (const [id, tile] of this.tiles) {
      if (!sources.has(id)) this.remove(id);
      else tile.label.textContent = names(id);
    }
    for (const [id, src] of sources) {
      const tile = this.tiles.get(id) || this.create(id, names(id));
      this.setVideo(tile, src.video[0] || null);
      this.setAudio(tile, src.audio);
    }
  }

  create(id, name) {
    const el = document.createElement('figure');
    el.className = 'tile no-video'; // until a video track comes
    el.dataset.participant = id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const label = document.createElement('figcaption');
    label.textContent = name;
    el.append(video, audio, label);
    this.grid.append(el);
    const tile = { el, video, audio, label, videoTrack: null, audioIds: '', sent: '', timer: 0 };
    video.sabaqTile = tile;
    if (this.observer) this.observer.observe(video);
    this.tiles.set(id, tile);
    return tile;
  }

  sizeChanged(tile) {
    clearTimeout(tile.timer);
    tile.timer = setTimeout(() => this.reportSize(tile), SIZE_DEBOUNCE_MS);
  }

  reportSize(tile) {
    tile.timer = 0;
    const track = tile.videoTrack;
    if (!track || !this.tiles.has(tile.el.dataset.participant)) return;
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
    const ids = tracks.map((t) => t.id).join(',');
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
    for (const t of this.tiles.values()) {
      if (t.video.srcObject) this.play(t.video);
      if (t.audio.srcObject) this.play(t.audio);
    }
  }

  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    clearTimeout(tile.timer);
    if (this.observer) this.observer.unobserve(tile.video);
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.el.remove();
    this.tiles.delete(id);
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }
}
