// End-to-end: simulcast and video_size. A teacher opens her link with
// ?simulcast=1 and a 640x480 fake camera, so Chromium sends the camera as
// rids q/h/f (checked with outbound-rtp); two students (no camera) join, one
// shows the teacher's video at 160x120 CSS pixels, the other at 640x480. Their
// tiles report those sizes (video_size) and the server must forward each the
// layer that fits: the small one gets at most 320 pixels wide, the big one a
// wider picture (>= 480, or at least wider than the small one's when Chromium
// sends only 2 layers at 640x480).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BASE_URL, launchBrowser, closeBrowser, createLesson, waitForState, inboundFrom, screenshot,
  runTest, fail, log, sleep,
} from './lib.mjs';

const SETTLE_MS = 10000;

// A fake camera of its own: the suite's FAKE_VIDEO is only 320x240.
function makeCamera() {
  const dir = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'simulcast-'));
  const file = path.join(dir, 'cam640.y4m');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15', '-t', '10',
    '-pix_fmt', 'yuv420p', file]);
  return { dir, file };
}

// lib.mjs joinPage with extra URL parameters (simulcast=1).
async function open(ctx, lesson, role, name, extra = {}) {
  const page = await ctx.newPage();
  page.sabaqName = name;
  page.sabaqConsole = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.sabaqConsole.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.sabaqConsole.push(`pageerror: ${e.message}`));
  const q = new URLSearchParams({ t: lesson.tokens[role], name, video: role === 'teacher' ? '1' : '0', ...extra });
  await page.goto(`${BASE_URL}/?${q}`);
  return page;
}

// The video rids the publish connection sends, with what each carries.
async function outboundRids(page) {
  return page.evaluate(async () => {
    const pc = window.sabaq && window.sabaq.publishPc;
    if (!pc) return [];
    const out = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.push({ rid: s.rid, bytesSent: s.bytesSent || 0, frameWidth: s.frameWidth || 0,
          frameHeight: s.frameHeight || 0, active: s.active });
      }
    });
    return out;
  });
}

async function videoFrom(page, from) {
  const s = (await inboundFrom(page, from, 'video'))[0];
  return s || { framesDecoded: 0, frameWidth: 0, frameHeight: 0 };
}

// Sets the size the page shows remote videos at (the tile follows).
async function showVideoAt(page, width, height) {
  await page.addStyleTag({ content: `#grid .tile video { width: ${width}px !important; ` +
    `height: ${height}px !important; }` });
}

await runTest('simulcast', async () => {
  const cam = makeCamera();
  process.env.FAKE_VIDEO = cam.file; // read by launchBrowser's Chromium arguments
  const lesson = await createLesson({ title: `simulcast ${process.pid}` });
  const ctx = await launchBrowser();
  try {
    const teacher = await open(ctx, lesson, 'teacher', 'Teacher', { simulcast: '1' });
    const st = await waitForState(teacher, 'teacher publishing',
      (s) => s.phase === 'joined' && s.publish === 'connected', 20000);
    const teacherId = st.participant;

    let rids = [];
    const ridsBy = Date.now() + 10000;
    while (Date.now() < ridsBy) {
      rids = await outboundRids(teacher);
      if (rids.filter((r) => r.rid && r.bytesSent > 0).length >= 2) break;
      await sleep(500);
    }
    log(`teacher outbound video: ${JSON.stringify(rids)}`);
    const sending = rids.filter((r) => r.rid && r.bytesSent > 0);
    if (sending.length < 2) fail(`teacher sends ${sending.length} simulcast rids, want >= 2: ${JSON.stringify(rids)}`);

    const small = await open(ctx, lesson, 'student', 'Small');
    const big = await open(ctx, lesson, 'student', 'Big');
    await showVideoAt(small, 160, 120);
    await showVideoAt(big, 640, 480);
    for (const p of [small, big]) {
      await waitForState(p, 'teacher tile', (s) => s.phase === 'joined' && s.tiles.includes(teacherId), 20000);
    }
    await sleep(SETTLE_MS);

    const seen = {};
    for (const p of [small, big]) {
      const v = await videoFrom(p, teacherId);
      const shown = await p.evaluate((id) => {
        const el = document.querySelector(`#grid .tile[data-participant="${id}"] video`);
        return el ? `${el.clientWidth}x${el.clientHeight}` : 'none';
      }, teacherId);
      seen[p.sabaqName] = v;
      log(`${p.sabaqName} (video element ${shown}) receives ${v.frameWidth}x${v.frameHeight}, ` +
        `framesDecoded ${v.framesDecoded}`);
      await screenshot(p, `simulcast-${p.sabaqName}.png`);
    }
    log(`teacher outbound video after: ${JSON.stringify(await outboundRids(teacher))}`);
    const s = seen.Small, b = seen.Big;
    if (!s.framesDecoded || !b.framesDecoded) fail(`no video decoded: small ${JSON.stringify(s)}, big ${JSON.stringify(b)}`);
    if (s.frameWidth > 320) fail(`the 160x120 student gets ${s.frameWidth}x${s.frameHeight}, want width <= 320`);
    if (b.frameWidth < 480 && !(b.frameWidth > s.frameWidth)) {
      fail(`the 640x480 student gets ${b.frameWidth}x${b.frameHeight}: want width >= 480, or wider than ` +
        `the small student's ${s.frameWidth}`);
    }
    if (b.frameWidth < 480) log(`note: the big student gets ${b.frameWidth} wide (< 480) but more than the small one`);
  } finally {
    await closeBrowser(ctx);
    fs.rmSync(cam.dir, { recursive: true, force: true });
  }
});
