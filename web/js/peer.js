// Sabaq's two peer connections (docs/protocol.md): "publish", on which the
// browser offers its mic and camera as sendonly transceivers, and "subscribe",
// on which only Sabaq offers (so there is never glare) and the browser answers.
// Sabaq is ICE-lite and puts its candidates in its SDP, so nothing trickles.

const PC_CONFIG = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

// The camera as three simulcast layers (RFC 8853 rids): the server forwards to
// each subscriber the one that fits the size it shows the video at (video_size).
export const SIMULCAST_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: 'f', maxBitrate: 1200000 },
];

function watchStates(pc, label, onState) {
  const report = () => onState(label, {
    connection: pc.connectionState,
    ice: pc.iceConnectionState,
    signaling: pc.signalingState,
  });
  pc.addEventListener('connectionstatechange', report);
  pc.addEventListener('iceconnectionstatechange', report);
  pc.addEventListener('signalingstatechange', report);
  report();
}

// Offers every track of `stream` (audio first, then video) and applies
// Sabaq's answer. Returns the connection and the tracks Sabaq accepted.
export async function publish(sig, stream, onState) {
  const pub = new Publisher(sig, onState);
  await pub.set(stream.getAudioTracks()[0] || null, stream.getVideoTracks()[0] || null, stream);
  return { pc: pub.pc, tracks: pub.tracks };
}

// The publish connection, made at the first track to send and then kept.
// Stopping a track only detaches it from its sender (no renegotiation: the
// server has already paused the producer when the right went away, and a
// re-offer then would be refused); sending again attaches the new track to
// the same sender, so the server's producer (same SSRC) resumes. Only a kind
// never sent before needs a re-offer. Calls are queued: one at a time.
export class Publisher {
  // options.simulcast: send the camera as SIMULCAST_ENCODINGS.
  constructor(sig, onState, options = {}) {
    this.sig = sig;
    this.onState = onState;
    this.simulcast = Boolean(options.simulcast);
    this.pc = null;
    this.tracks = []; // Sabaq's `tracks` from the last publish_answer
    this.screenTr = null; // the screen share's own transceiver, once made
    this.chain = Promise.resolve();
    this.closed = false;
    // The server asks to pause the simulcast layers nobody watches.
    sig.on('layers', (m) => {
      if (this.closed) return;
      this.enqueue(() => this.applyLayers(m));
    });
  }

  // Runs fn after every call queued before it; its promise rejects with
  // fn's error, while the queue goes on.
  enqueue(fn) {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  // `layers` {mid, active: [rids]}: the encodings above the best one listed
  // are turned off (encodings[i].active), so the browser stops encoding and
  // sending what no subscriber receives. Every encoding up to the best one
  // listed stays on: the browser may not send the top one (a 640x480 camera
  // gets two layers, CPU or bandwidth limits drop more), and the server can
  // only fall back to a layer that is being sent. The lowest layer always
  // stays on: a new viewer then gets a picture at once, and it costs little.
  async applyLayers(msg) {
    if (!this.pc || !Array.isArray(msg.active)) return;
    const tr = this.pc.getTransceivers().find((t) => t.mid === String(msg.mid) && !t.stopped);
    if (!tr || !tr.sender) return;
    const params = tr.sender.getParameters();
    const encodings = params.encodings || [];
    if (encodings.length < 2) return;
    const want = new Set(msg.active.map(String));
    let best = 0;
    encodings.forEach((e, i) => {
      if (!e.rid || want.has(e.rid)) best = i;
    });
    let changed = false;
    encodings.forEach((e, i) => {
      const active = i <= best;
      if (e.active !== active) {
        e.active = active;
        changed = true;
      }
    });
    if (changed) await tr.sender.setParameters(params);
    this.activeLayers = encodings.filter((e) => e.active).map((e) => e.rid);
  }

  // Sends `audio` and `video` (MediaStreamTracks or null for nothing).
  set(audio, video, stream) {
    return this.enqueue(() => this.apply(audio, video, stream));
  }

  // Sends `track` (a getDisplayMedia video track) as the screen share, or
  // stops sharing (null). Unlike the camera, both directions re-offer: the
  // server must know the share ended (its producer closes and the stage goes
  // back to the teacher's camera).
  setScreen(track) {
    return this.enqueue(() => this.applyScreen(track));
  }

  async applyScreen(track) {
    if (!this.pc) {
      if (!track) return;
      this.pc = new RTCPeerConnection(PC_CONFIG);
      watchStates(this.pc, 'publish', this.onState);
    }
    const tr = this.screenTr;
    if (!tr) {
      if (!track) return;
      this.screenTr = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])] });
    } else {
      await tr.sender.replaceTrack(track);
      tr.direction = track ? 'sendonly' : 'inactive';
    }
    await this.negotiate();
  }

  init(track, stream) {
    const init = { direction: 'sendonly', streams: [stream] };
    if (this.simulcast && track.kind === 'video') init.sendEncodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
    return init;
  }

  transceiver(kind) {
    // A transceiver's receiver track exists (and has the m-line's kind) even
    // when it only sends.
    return this.pc.getTransceivers().find((tr) => !tr.stopped && tr !== this.screenTr && tr.receiver.track.kind === kind);
  }

  // What each m-line shows (docs/protocol.md, `publish`): mic, camera or screen.
  sources() {
    const out = {};
    for (const tr of this.pc.getTransceivers()) {
      if (tr.mid === null || tr.stopped) continue;
      if (tr === this.screenTr) out[tr.mid] = 'screen';
      else out[tr.mid] = tr.receiver.track.kind === 'audio' ? 'mic' : 'camera';
    }
    return out;
  }

  async apply(audio, video, stream) {
    if (!this.pc) {
      if (!audio && !video) return;
      this.pc = new RTCPeerConnection(PC_CONFIG);
      watchStates(this.pc, 'publish', this.onState);
      stream = stream || new MediaStream([audio, video].filter(Boolean));
      // Audio first, then video: both m-lines exist from the start so a
      // later camera needs no new m-line.
      for (const track of [audio, video]) {
        if (track) this.pc.addTransceiver(track, this.init(track, stream));
      }
      await this.negotiate();
      return;
    }
    let dirty = false;
    for (const [kind, track] of [['audio', audio], ['video', video]]) {
      const tr = this.transceiver(kind);
      if (!tr) {
        if (track) {
          this.pc.addTransceiver(track, this.init(track, stream || new MediaStream([track])));
          dirty = true;
        }
        continue;
      }
      if (tr.sender.track !== track) await tr.sender.replaceTrack(track);
      if (track && tr.direction !== 'sendonly') {
        tr.direction = 'sendonly';
        dirty = true;
      }
    }
    if (dirty) await this.negotiate();
  }

  // ICE restart (docs/protocol.md, "Browser client: reconnecting"): an
  // ordinary `publish` whose offer has new ICE credentials and the same
  // sources; the server answers with fresh credentials of its own on the
  // same transport (producers, SSRCs and DTLS stay). Queued like set().
  // Rejects when the server refuses: the caller then rejoins.
  restartIce() {
    return this.enqueue(() => this.applyRestart());
  }

  async applyRestart() {
    if (!this.pc || this.closed) return;
    try {
      await this.negotiate({ iceRestart: true });
    } catch (e) {
      // Back to the last agreed description, so a later set() can still offer.
      if (this.pc && this.pc.signalingState === 'have-local-offer') {
        await this.pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
      }
      throw e;
    }
  }

  async negotiate(offerOptions = {}) {
    const offer = await this.pc.createOffer(offerOptions);
    await this.pc.setLocalDescription(offer);
    const reply = await this.sig.request({ type: 'publish', sdp: this.pc.localDescription.sdp, sources: this.sources() });
    await this.pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    this.tracks = reply.tracks || [];
  }

  close() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.tracks = [];
    this.screenTr = null;
    this.closed = true;
  }
}

// The receiving side: a fixed set of slots (docs/protocol.md, "Subscribing"),
// m-line i = mid "i": three audio slots, the stage, then the speaker videos.
// Who is in each slot changes without renegotiation: the offer's `tracks` say
// it first, then `slots` messages. Offers and `slots` are applied one at a
// time, in order; an offer that a newer one has already superseded is
// skipped (each offer describes every m-line). After each change onChange
// gets the current sources: Map participant id -> {audio: [tracks],
// video: [tracks]} (a slot's track moves to the tile of whoever it shows
// now), and onSlots, if given, the slot list: [{mid, kind, role ("audio",
// "stage", "speaker"), participant (or null), source ("mic", "camera",
// "screen" or null), track}].
export class Subscriber {
  constructor(sig, { onState, onChange, onError, onSlots }) {
    this.sig = sig;
    this.onChange = onChange;
    this.onError = onError;
    this.onSlots = onSlots || null;
    this.pc = new RTCPeerConnection(PC_CONFIG);
    this.version = 0; // of the last offer answered
    this.newest = 0; // of the last offer received
    this.trackInfo = new Map(); // mid -> {mid, kind, role, participant, source, active}
    this.midOfTrack = new Map(); // receiving MediaStreamTrack -> its mid (for video_size)
    this.chain = Promise.resolve();
    this.closed = false;
    watchStates(this.pc, 'subscribe', onState);
    this.pc.addEventListener('track', (ev) => {
      ev.track.addEventListener('ended', () => this.report());
      ev.track.addEventListener('mute', () => this.report());
      ev.track.addEventListener('unmute', () => this.report());
      this.report();
    });
    sig.on('slots', (m) => this.handleSlots(m));
  }

  handleOffer(msg) {
    if (typeof msg.version === 'number' && msg.version > this.newest) this.newest = msg.version;
    this.chain = this.chain
      .then(() => this.apply(msg))
      .catch((e) => this.onError(new Error(`subscribe offer ${msg.version}: ${e.message}`)));
  }

  // `slots`: new assignments for m-lines already negotiated.
  handleSlots(msg) {
    if (this.closed || !Array.isArray(msg.slots)) return;
    this.chain = this.chain.then(() => {
      if (this.closed) return;
      this.setInfo(msg.slots);
      this.report();
    });
  }

  setInfo(list) {
    this.trackInfo = new Map();
    for (const t of list || []) this.trackInfo.set(String(t.mid), t);
  }

  async apply(msg) {
    if (typeof msg.version === 'number' && msg.version < this.newest) return;
    await this.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.sig.send({ type: 'subscribe_answer', sdp: this.pc.localDescription.sdp, version: msg.version });
    this.version = msg.version;
    this.setInfo(msg.tracks);
    this.report();
  }

  // Every negotiated slot with what it shows now.
  slots() {
    const out = [];
    if (this.pc.signalingState === 'closed') return out;
    for (const tr of this.pc.getTransceivers()) {
      if (tr.mid === null || tr.stopped) continue;
      const mid = String(tr.mid);
      const info = this.trackInfo.get(mid);
      if (!info) continue;
      const track = tr.receiver.track;
      const shows = info.active !== false && info.participant && tr.currentDirection !== 'inactive' &&
        track && track.readyState !== 'ended';
      out.push({
        mid,
        kind: info.kind,
        role: info.role,
        participant: shows ? info.participant : null,
        source: shows ? info.source || null : null,
        track: shows ? track : null,
      });
    }
    return out;
  }

  // Which participant each slot carries now, grouped for the tiles.
  sources() {
    const out = new Map();
    this.midOfTrack = new Map();
    for (const s of this.slots()) {
      if (!s.participant) continue;
      this.midOfTrack.set(s.track, s.mid);
      if (!out.has(s.participant)) out.set(s.participant, { audio: [], video: [] });
      (s.track.kind === 'audio' ? out.get(s.participant).audio : out.get(s.participant).video).push(s.track);
    }
    return out;
  }

  report() {
    if (this.onSlots) this.onSlots(this.slots());
    this.onChange(this.sources());
  }

  // The mid of a track that sources() returned, or undefined.
  midOf(track) {
    return this.midOfTrack.get(track);
  }

  // Asks for 'auto', 'low' (every video at most 320x180) or 'audio_only' (no
  // video at all): the server switches the slots, no renegotiation. Resolves
  // with `receive_mode_ok`.
  setReceiveMode(mode) {
    return this.sig.request({ type: 'receive_mode', mode });
  }

  // ICE restart: the server answers `subscribe_restart_ok` and then sends
  // a `subscribe_offer` of the next version with new ICE credentials, which
  // is answered like any other (the browser's answer then has new ones too).
  // Rejects with the server's error (`not_found`: no subscribe transport;
  // `unknown_type`: a server without ICE restart): the caller then rejoins.
  restartIce() {
    if (this.closed) return Promise.resolve();
    return this.sig.request({ type: 'subscribe_restart' });
  }

  close() {
    this.closed = true;
    this.pc.close();
  }
}
