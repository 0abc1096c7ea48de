// Connection quality, as this page sees it, from getStats() every 2 s:
// - its own: round-trip time (the ICE candidate pair, and the server's
//   receiver reports of what we send) and the loss of what we receive;
// - each other participant's: the loss and jitter of the media we receive
//   from them (their uplink plus our downlink: what "I can see and hear
//   them" means). People who send nothing have no measure (null).
// Levels: good (loss < 2 %, RTT < 300 ms), fair (loss < 8 %, RTT < 800 ms),
// else poor. state.quality = {participant id: level}; changed('quality').
// No server message: every page measures for itself (see README, "Browser
// client").

import { state, changed } from './session.js';

const EVERY_MS = 2000;

let timer = 0;
let source = null; // {publishPc(), subscribePc(), participantOfMid(mid)}
let last = new Map(); // stats id -> {received, lost}

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
  const changedNow = JSON.stringify(out) !== JSON.stringify(state.quality || {});
  state.quality = out;
  state.qualityDetail = { rtt_ms: rtt === null ? null : Math.round(rtt), loss_pct: lossNow === null ? null : Math.round(lossNow * 10) / 10 };
  if (changedNow) changed('quality');
  changed('quality-detail');
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
  state.quality = {};
  changed('quality');
}
