// End-to-end: simulcast layers nobody watches are paused at the source. A
// teacher sends her 640x480 camera as simulcast (?simulcast=1: rids q/h/f);
// one student shows it at 100x75, so only q is wanted: within ~5 s the
// server's `layers` message makes the teacher's page turn h and f off
// (encodings[i].active = false, h's bytesSent stops). When the student's
// video grows to 640x480, h is wanted again and resumes.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BASE_URL, launchBrowser, closeBrowser, createLesson, waitForState, runTest, fail, log, sleep,
} from './lib.mjs';

async function open(ctx, lesson, role, name, extra) {
  const page = await ctx.newPage();
  page.sabaqName = name;
  page.sabaqConsole = [];
  page.on('pageerror', (e) => page.sabaqConsole.push(`pageerror: ${e.message}`));
  await page.goto(`${BASE_URL}/?${new URLSearchParams({ t: lesson.tokens[role], name, ...extra })}`);
  return page;
}

// rid -> {active (the sender's parameters), bytesSent}.
async function encodings(page) {
  return page.evaluate(async () => {
    const pc = window.sabaq && window.sabaq.publishPc;
    const out = {};
    if (!pc) return out;
    const tr = pc.getTransceivers().find((t) => t.sender.track && t.sender.track.kind === 'video');
    for (const e of tr ? tr.sender.getParameters().encodings : []) out[e.rid] = { active: e.active, bytesSent: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video' && out[s.rid]) out[s.rid].bytesSent = s.bytesSent || 0;
    });
    return out;
  });
}

async function waitEncodings(page, what, pred, ms) {
  const end = Date.now() + ms;
  let e = {};
  while (Date.now() < end) {
    e = await encodings(page);
    if (pred(e)) return e;
    await sleep(500);
  }
  fail(`${what} not reached in ${ms / 1000} s: ${JSON.stringify(e)}`);
}

function showAt(page, w, h) {
  return page.addStyleTag({ content: `#grid .tile video { width: ${w}px !important; height: ${h}px !important; }` });
}

await runTest('layers', async () => {
  const dir = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'layers-'));
  const cam = path.join(dir, 'cam640.y4m');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15', '-t', '10',
    '-pix_fmt', 'yuv420p', cam]);
  process.env.FAKE_VIDEO = cam; // read by launchBrowser's Chromium arguments
  const lesson = await createLesson({ title: `layers ${process.pid}` });
  const ctx = await launchBrowser();
  try {
    const teacher = await open(ctx, lesson, 'teacher', 'Teacher', { simulcast: '1' });
    await waitForState(teacher, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
    const student = await open(ctx, lesson, 'student', 'Student', { video: '0' });
    await showAt(student, 100, 75);
    await waitForState(student, 'receiving', (s) => s.phase === 'joined' && s.subscribe === 'connected', 30000);
    let e = await waitEncodings(teacher, 'h and f paused, q on',
      (x) => x.q && x.q.active && x.h && !x.h.active && (!x.f || !x.f.active), 30000);
    log(`small viewer only: ${JSON.stringify(e)}`);
    const hBytes = e.h.bytesSent;
    await sleep(3000);
    e = await encodings(teacher);
    if (e.h.bytesSent > hBytes + 2000) fail(`h is paused but still sends: ${hBytes} -> ${e.h.bytesSent}`);
    if (!(e.q.bytesSent > 0)) fail(`q does not send: ${JSON.stringify(e)}`);
    await showAt(student, 640, 480);
    e = await waitEncodings(teacher, 'h resumed for the large viewer',
      (x) => x.h && x.h.active && x.h.bytesSent > hBytes + 2000, 30000);
    log(`large viewer: ${JSON.stringify(e)}`);
  } finally {
    await closeBrowser(ctx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
