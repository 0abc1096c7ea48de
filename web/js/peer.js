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
  }

  // Sends `audio` and `video` (MediaStreamTracks or null for nothing).
  set(audio, video, stream) {
    const run = this.chain.then(() => this.apply(audio, video, stream));
    this.chain = run.catch(() => {});
    return run;
  }

  // Sends `track` (a getDisplayMedia video track) as the screen share, or
  // stops sharing (null). Unlike the camera, both directions re-offer: the
  // server must know the share ended (its producer closes and the stage goes
  // back to the teacher's camera).
  setScreen(track) {
    const run = this.chain.then(() => this.applyScreen(track));
    this.chain = run.catch(() => {});
    return run;
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

  async negotiate() {
    const offer = await this.pc.createOffer();
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
  }
}

// The receiving side. Offers are applied one at a time, in order; an offer
// that a newer one has already superseded is skipped (each offer describes
// every m-line, so the newest is enough). After each answer, onChange gets
// the current sources: Map participant id -> {audio: [tracks], video: [tracks]}.
export class Subscriber {
  constructor(sig, { onState, onChange, onError }) {
    this.sig = sig;
    this.onChange = onChange;
    this.onError = onError;
    this.pc = new RTCPeerConnection(PC_CONFIG);
    this.version = 0; // of the last offer answered
    this.newest = 0; // of the last offer received
    this.trackInfo = new Map(); // mid -> {kind, participant, active}
    this.streamOfMid = new Map(); // mid -> msid stream id, a fallback for trackInfo
    this.midOfTrack = new Map(); // receiving MediaStreamTrack -> its mid (for video_size)
    this.chain = Promise.resolve();
    watchStates(this.pc, 'subscribe', onState);
    this.pc.addEventListener('track', (ev) => {
      const mid = ev.transceiver && ev.transceiver.mid;
      if (mid !== null && mid !== undefined && ev.streams.length > 0) {
        this.streamOfMid.set(String(mid), ev.streams[0].id);
      }
      ev.track.addEventListener('ended', () => this.report());
      ev.track.addEventListener('mute', () => this.report());
      ev.track.addEventListener('unmute', () => this.report());
      this.report();
    });
  }

  handleOffer(msg) {
    if (typeof msg.version === 'number' && msg.version > this.newest) this.newest = msg.version;
    this.chain = this.chain
      .then(() => this.apply(msg))
      .catch((e) => this.onError(new Error(`subscribe offer ${msg.version}: ${e.message}`)));
  }

  async apply(msg) {
    if (typeof msg.version === 'number' && msg.version < this.newest) return;
    await this.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.sig.send({ type: 'subscribe_answer', sdp: this.pc.localDescription.sdp, version: msg.version });
    this.version = msg.version;
    this.trackInfo = new Map();
    for (const t of msg.tracks || []) this.trackInfo.set(String(t.mid), t);
    this.report();
  }

  // Which participant each receiving transceiver carries now. The `tracks`
  // list of the offer is authoritative (m-lines are reused); the msid stream
  // id covers an offer without it.
  sources() {
    const out = new Map();
    this.midOfTrack = new Map();
    if (this.pc.signalingState === 'closed') return out;
    for (const tr of this.pc.getTransceivers()) {
      if (tr.mid === null || tr.stopped || tr.currentDirection === 'inactive') continue;
      const mid = String(tr.mid);
      const info = this.trackInfo.get(mid);
      if (info && info.active === false) continue;
      const participant = (info && info.participant) || this.streamOfMid.get(mid);
      const track = tr.receiver.track;
      if (!participant || !track || track.readyState === 'ended') continue;
      this.midOfTrack.set(track, mid);
      if (!out.has(participant)) out.set(participant, { audio: [], video: [] });
      (track.kind === 'audio' ? out.get(participant).audio : out.get(participant).video).push(track);
    }
    return out;
  }

  report() {
    this.onChange(this.sources());
  }

  // The mid of a track that sources() returned, or undefined.
  midOf(track) {
    return this.midOfTrack.get(track);
  }

  close() {
    this.pc.close();
  }
}
