// Connection quality, from getStats() every 2 s:
// - this page's own: round-trip time (the ICE candidate pair, and the
//   server's receiver reports of what we send) and the loss of what we
//   receive. It is reported to the server with {type: "quality", level,
//   rtt_ms, loss_pct} when the level changes and every 10 s; the server
//   relays it to the teacher and assistants as `participant_quality`
//   (docs/protocol.md, "Connection quality"), so staff see each person's
//   own measure, students included;
// - each other participant's as this page receives them: the loss and
//   jitter of their media here (their uplink plus our downlink). Used where
//   no report came (students see it for the people they hear and see).
// Levels: good (loss < 2 %, RTT < 300 ms), fair (loss < 8 %, RTT < 800 ms),
// else poor; a connection that lost its path (disconnected, failed) is poor.
// state.quality = {participant id: level}; changed('quality').

import { state, changed, handle, send } from './session.js';

const EVERY_MS = 2000;
const REPORT_EVERY_MS = 10000;

let timer = 0;
let source = null; // {publishPc(), subscribePc(), participantOfMid(mid)}
let last = new Map(); // stats id -> {received, lost}
let reported = { level: null, at: 0 }; // the last `quality` sent
let refused = false; // the server does not know `quality`: stop sending
const relayed = new Map(); // participant -> {level, at} from participant_quality

export function level(lossPct, rttMs) {
  if (lossPct === null && rttMs === null) return null;
  const loss = lossPct || 0;
  const rtt = rttMs || 0;
  if (loss < 2 && rtt < 300) return 'good';
  if (loss < 8 && rtt < 800) return 'fair';
  return 'poor';
}

// The loss since the last sample of one inbound-rtp entry, in packets.
function delta(s) {
  const prev = last.get(s.id) || { received: 0, lost: 0 };
  const received = Math.max(0, (s.packetsReceived || 0) - prev.received);
  const lost = Math.max(0, (s.packetsLost || 0) - prev.lost);
  last.set(s.id, { received: s.packetsReceived || 0, lost: s.packetsLost || 0 });
  return { received, lost };
}

function pct(d) {
  const n = d.received + d.lost;
  return n > 0 ? (100 * d.lost) / n : null;
}

async function sample() {
  if (!source || state.phase !== 'joined') return;
  const out = {};
  let rtt = null;
  let ownLoss = { received: 0, lost: 0 };
  let sendLoss = null;
  const pub = source.publishPc();
  const sub = source.subscribePc();
  for (const pc of [pub, sub]) {
    if (!pc || pc.connectionState === 'closed') continue;
    const stats = await pc.getStats().catch(() => null);
    if (!stats) continue;
    const per = new Map(); // participant -> {received, lost}
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        rtt = Math.max(rtt || 0, s.currentRoundTripTime * 1000);
      } else if (s.type === 'remote-inbound-rtp') {
        if (s.roundTripTime !== undefined) rtt = Math.max(rtt || 0, s.roundTripTime * 1000);
        if (s.fractionLost !== undefined) sendLoss = Math.max(sendLoss || 0, s.fractionLost * 100);
      } else if (s.type === 'inbound-rtp' && pc === sub) {
        const d = delta(s);
        ownLoss = { received: ownLoss.received + d.received, lost: ownLoss.lost + d.lost };
        const who = source.participantOfMid(s.mid);
        if (!who) return;
        const p = per.get(who) || { received: 0, lost: 0, jitter: 0 };
        p.received += d.received;
        p.lost += d.lost;
        if (s.kind === 'audio' && s.jitter) p.jitter = Math.max(p.jitter, s.jitter * 1000);
        per.set(who, p);
      }
    });
    for (const [who, p] of per) {
      // Jitter of the audio counts like round-trip time: late sound is lost sound.
      out[who] = level(pct(p), p.jitter || null);
    }
  }
  const recvLoss = pct(ownLoss);
  const lossNow = recvLoss === null && sendLoss === null ? null : Math.max(recvLoss || 0, sendLoss || 0);
  if (state.participant) out[state.participant] = level(lossNow, rtt);
  // A connection that lost its path measures nothing (no packets, the last
  // round-trip time kept): that is the worst there is, not "good". What we
  // receive of others says nothing then either.
  const down = (pc) => pc && (pc.connectionState === 'disconnected' || pc.connectionState === 'failed');
  if (down(sub)) for (const id of Object.keys(out)) delete out[id];
  if (state.participant && (down(pub) || down(sub))) out[state.participant] = 'poor';
  const mine = state.participant ? out[state.participant] : null;
  if (mine) report(mine, rtt, lossNow);
  // Someone's own report (staff get them) wins over what we see of them.
  const now = Date.now();
  for (const [id, r] of relayed) {
    if (now - r.at < 3 * REPORT_EVERY_MS && state.participants[id]) out[id] = r.level;
    else relayed.delete(id);
  }
  const changedNow = JSON.stringify(out) !== JSON.stringify(state.quality || {});
  state.quality = out;
  state.qualityDetail = { rtt_ms: rtt === null ? null : Math.round(rtt), loss_pct: lossNow === null ? null : Math.round(lossNow * 10) / 10 };
  if (changedNow) changed('quality');
  changed('quality-detail');
}

function report(level, rtt, loss) {
  const now = Date.now();
  if (refused || (level === reported.level && now - reported.at < REPORT_EVERY_MS)) return;
  const msg = { type: 'quality', level };
  if (rtt !== null) msg.rtt_ms = Math.min(60000, Math.round(rtt));
  if (loss !== null) msg.loss_pct = Math.min(100, Math.round(loss * 10) / 10);
  try {
    send(msg);
    reported = { level, at: now };
  } catch (e) { /* not connected: the next sample tries again */ }
}

// An `error` about `quality` (a server without it): stop reporting.
export function refusedByServer() {
  refused = true;
}

export function init() {
  handle('participant_quality', (m) => {
    if (typeof m.participant !== 'string' || !['good', 'fair', 'poor'].includes(m.level)) return;
    relayed.set(m.participant, { level: m.level, at: Date.now() });
  });
}

export function start(src) {
  stop();
  source = src;
  timer = setInterval(() => { sample().catch((e) => console.warn('quality sample failed', e)); }, EVERY_MS);
}

export function stop() {
  clearInterval(timer);
  timer = 0;
  source = null;
  last = new Map();
  reported = { level: null, at: 0 };
  relayed.clear();
  state.quality = {};
  changed('quality');
}
