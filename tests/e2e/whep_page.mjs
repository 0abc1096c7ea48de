// A Chromium page for the WHIP/WHEP tests, driven from Python:
//   node tests/e2e/whep_page.mjs teacher TOKEN
//     joins as "Teacher", publishes mic and camera (320x240), prints
//     "ready <participant id>"; on the stdin line "screen" shares a 640x360
//     canvas as its screen (the page's sendScreen when it has one, else the
//     page's own Publisher.setScreen) and prints "screen shared"; on
//     "player LESSON TOKEN" it opens a second page on the server's other
//     name (localhost for 127.0.0.1: the POST is cross-origin, so CORS is
//     exercised for real, both loopback), that plays /whep/LESSON with
//     Chromium's own RTCPeerConnection and prints "player <status>" then,
//     each second, "player decoded <n> <width>x<height>"; on "stop" or end of
//     stdin it leaves.
//   node tests/e2e/whep_page.mjs student TOKEN NAME
//     joins as "Student" and prints "decoded <n> <width>x<height>" while
//     the video of the participant called NAME decodes; exits 0 once
//     framesDecoded reached 20 and grew again, 1 after 60 s without.
// A getDisplayMedia track cannot be had headless: the server sees a screen
// share either way (the publish message's `sources` says "screen").

import readline from 'node:readline';
import { launchBrowser, closeBrowser, joinPage, waitForState, inboundFrom, log, sleep, BASE_URL } from './lib.mjs';

const [mode, token, watchName] = process.argv.slice(2);
if (!['teacher', 'student'].includes(mode) || !token || (mode === 'student' && !watchName)) {
  console.error('usage: whep_page.mjs teacher TOKEN | student TOKEN NAME');
  process.exit(2);
}

let ctx = null;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await closeBrowser(ctx);
  process.exit(code);
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

// A moving 640x360 picture, sent as the screen share.
async function shareCanvas(page) {
  return page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => {
      n++;
      g.fillStyle = '#204080';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#ffd000';
      g.fillRect((n * 8) % 640, 120, 80, 120);
    }, 66);
    const track = canvas.captureStream(15).getVideoTracks()[0];
    const media = await import('/js/media.js');
    if (typeof media.sendScreen === 'function') {
      await media.sendScreen(track);
      return 'media.sendScreen';
    }
    // The page keeps its Publisher to itself: catch it at its next set().
    const { Publisher } = await import('/js/peer.js');
    const set = Publisher.prototype.set;
    let pub = null;
    Publisher.prototype.set = function (...args) {
      pub = this;
      return set.apply(this, args);
    };
    await media.sync();
    Publisher.prototype.set = set;
    if (!pub) throw new Error('no Publisher found on the page');
    await pub.setScreen(track);
    return 'Publisher.setScreen';
  });
}

// A WHEP player in a page of its own: Chromium's offer, its numbering.
async function player(lesson, playToken) {
  const page = await ctx.newPage();
  const other = new URL(BASE_URL);
  other.hostname = other.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  await page.goto(`${other.origin}/css/style.css`);
  const r = await page.evaluate(async ({ base, lesson, playToken }) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(`${base}/whep/${lesson}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${playToken}` },
      body: pc.localDescription.sdp,
    });
    const text = await res.text();
    if (res.status !== 201) return `${res.status} ${text}`;
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    window.whepPc = pc;
    return `201 ${res.headers.get('Location')}`;
  }, { base: BASE_URL, lesson, playToken });
  log(`player ${r}`);
  while (!stopping && !page.isClosed()) {
    const st = await page.evaluate(async () => {
      let out = { frames: 0, w: 0, h: 0 };
      if (!window.whepPc) return out;
      (await window.whepPc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          out = { frames: s.framesDecoded || 0, w: s.frameWidth || 0, h: s.frameHeight || 0 };
        }
      });
      return out;
    }).catch(() => null);
    if (st) log(`player decoded ${st.frames} ${st.w}x${st.h}`);
    await sleep(1000);
  }
}

async function teacher() {
  const page = await joinPage(ctx, { token, name: 'Teacher', role: 'teacher' });
  const st = await waitForState(page, 'publish connection connected', (s) => s.publish === 'connected', 30000);
  log(`ready ${st.participant}`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === 'screen') {
      const how = await shareCanvas(page);
      log(`screen shared (${how})`);
    } else if (line.startsWith('player ')) {
      const [, lesson, playToken] = line.trim().split(/\s+/);
      player(lesson, playToken).catch((e) => log(`player failed: ${e.message}`));
    } else if (line.trim() === 'stop') {
      break;
    }
  }
  await stop(0);
}

async function student() {
  const page = await joinPage(ctx, { token, name: 'Student', role: 'student' });
  await waitForState(page, 'joined', (s) => s.phase === 'joined', 30000);
  const end = Date.now() + 60000;
  let first = 0;
  while (Date.now() < end) {
    const st = await page.evaluate(() => JSON.parse(JSON.stringify(window.sabaq.state)));
    const who = Object.values(st.participants || {}).find((p) => p.name === watchName);
    const stats = who ? await inboundFrom(page, who.id, 'video') : [];
    const best = stats.sort((a, b) => b.framesDecoded - a.framesDecoded)[0];
    if (best) {
      log(`decoded ${best.framesDecoded} ${best.frameWidth}x${best.frameHeight}`);
      if (!first && best.framesDecoded >= 20) first = best.framesDecoded;
      else if (first && best.framesDecoded > first) await stop(0);
    } else {
      log(`waiting for the video of ${watchName} (${who ? who.id : 'not in the lesson yet'})`);
    }
    await sleep(1000);
  }
  log(`the video of ${watchName} did not decode within 60 s`);
  await stop(1);
}

try {
  ctx = await launchBrowser();
  await (mode === 'teacher' ? teacher() : student());
} catch (e) {
  log(`${mode} failed: ${e.message}`);
  await stop(1);
}
