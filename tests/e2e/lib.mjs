// Helpers shared by Sabaq's browser tests: Chromium launch (the flags of
// /work/shared/TESTING.md), making a lesson through the real flow (staff
// sign-in, POST /api/lessons) and joining it with its links, reading
// getStats() from a page, and failing with the server log's tail.
// Environment (set by run.sh): SABAQ_URL, SABAQ_LOG, FAKE_VIDEO, FAKE_AUDIO.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BASE_URL = process.env.SABAQ_URL || 'http://127.0.0.1:18080';
export const SCREENSHOTS = path.join(HERE, 'screenshots');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export function serverLogTail(lines = 40) {
  const file = process.env.SABAQ_LOG;
  if (!file) return '(no SABAQ_LOG)';
  try {
    const all = fs.readFileSync(file, 'utf8').split('\n');
    return all.slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

export class TestFailure extends Error {}

export function fail(msg) {
  throw new TestFailure(msg);
}

function chromiumArgs() {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection'];
  if (process.env.FAKE_VIDEO) args.push(`--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`);
  if (process.env.FAKE_AUDIO) args.push(`--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}`);
  return args;
}

// One browser whose contexts are separate people (cookies are per context:
// a signed-in teacher's session must not reach the others). Close it with
// closeBrowser(); make people with browser.newContext({viewport}).
export async function launchBrowserForContexts() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs(),
  });
}

// One browser for the whole test; every participant is a page of the same
// persistent context (each page has its own WebSocket and connections).
export async function launchBrowser() {
  const args = chromiumArgs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabaq-chr-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 800, height: 600 },
  });
  ctx.sabaqDir = dir;
  return ctx;
}

export async function closeBrowser(ctx) {
  if (!ctx) return;
  await Promise.race([ctx.close().catch(() => {}), sleep(5000)]);
  if (ctx.sabaqDir) fs.rmSync(ctx.sabaqDir, { recursive: true, force: true });
}

// ---- lessons through the real flow ---------------------------------------
// A teacher is added with `sabaq staff add` on the test's data directory
// (run.sh exports SABAQ_DATA and SABAQ_BIN_PATH), or else the first teacher's
// link in the server log is used; the sign-in link gives a session cookie,
// and POST /api/lessons gives the lesson and its three links.

// A new teacher's sign-in link (absolute on BASE_URL).
export function teacherSigninLink(name = 'E2E Teacher') {
  const data = process.env.SABAQ_DATA;
  if (data) {
    const bin = process.env.SABAQ_BIN_PATH || process.env.SABAQ_BIN || './build/sabaq';
    const out = execFileSync(bin, ['staff', 'add', '--name', name, '--role', 'teacher', '--data-dir', data],
      { encoding: 'utf8' });
    const m = /https?:\/\/[^\s]*?(\/signin\?t=[^\s]+)/.exec(out);
    if (!m) fail(`sabaq staff add printed no sign-in link:\n${out}`);
    return `${BASE_URL}${m[1]}`;
  }
  const link = signinLinkFromLog();
  if (!link) fail('no sign-in link: set SABAQ_DATA or start the server on an empty data directory');
  return link;
}

// Signs in with a sign-in link: the session cookie ("sabaq_session=...").
export async function signIn(link = teacherSigninLink()) {
  const res = await fetch(link, { redirect: 'manual' });
  const set = res.headers.get('set-cookie') || '';
  const m = /sabaq_session=[^;]+/.exec(set);
  if (res.status !== 302 || !m) fail(`GET ${link}: HTTP ${res.status}, set-cookie ${JSON.stringify(set)}`);
  return m[0];
}

// POST /api/lessons as a signed-in teacher: {lesson, links: {teacher,
// assistant, student}, tokens: {...}, cookie}. opts are the API's fields.
export async function createLesson(opts = {}, cookie = null) {
  cookie = cookie || await signIn();
  const res = await fetch(`${BASE_URL}/api/lessons`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `e2e ${process.pid}`, ...opts }),
  });
  const body = await res.json().catch(() => null);
  if (res.status !== 201 || !body || !body.links) fail(`POST /api/lessons: HTTP ${res.status} ${JSON.stringify(body)}`);
  const tokens = {};
  for (const [role, link] of Object.entries(body.links)) tokens[role] = new URL(link).searchParams.get('t');
  return { ...body, tokens, cookie };
}

// Opens the page as `name` with the lesson's `role` link (`lesson` from
// createLesson), or with `token`. The page's console errors are kept on
// page.sabaqConsole for failure messages.
export async function joinPage(ctx, { lesson, token, name, role = 'student', video = true }) {
  const page = await ctx.newPage();
  page.sabaqName = name;
  page.sabaqConsole = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.sabaqConsole.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.sabaqConsole.push(`pageerror: ${e.message}`));
  const t = token || (lesson && lesson.tokens && lesson.tokens[role]);
  if (!t) fail(`joinPage ${name}: no ${role} link`);
  const q = new URLSearchParams({ t, name, video: video ? '1' : '0' });
  await page.goto(`${BASE_URL}/?${q}`);
  return page;
}

// A new page that records its console errors (page.sabaqConsole) but goes
// nowhere yet: for tests that drive the page's own screens.
export async function newPage(ctx, name) {
  const page = await ctx.newPage();
  page.sabaqName = name;
  page.sabaqConsole = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.sabaqConsole.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.sabaqConsole.push(`pageerror: ${e.message}`));
  return page;
}

// The first teacher's sign-in link the server printed on its first start
// (the path and query, made absolute on BASE_URL), or null.
export function signinLinkFromLog() {
  let text = '';
  try {
    text = fs.readFileSync(process.env.SABAQ_LOG || '', 'utf8');
  } catch (e) {
    return null;
  }
  const m = /https?:\/\/[^\s"']*?(\/signin\?[^\s"']+)/.exec(text);
  return m ? `${BASE_URL}${m[1]}` : null;
}

export async function pageState(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.sabaq ? window.sabaq.state : null)));
}

// Waits until `pred(state)` holds; fails with the page's state and errors.
export async function waitForState(page, what, pred, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let st = null;
  while (Date.now() < end) {
    st = await pageState(page);
    if (st && pred(st)) return st;
    await sleep(250);
  }
  fail(`${page.sabaqName}: ${what} not reached within ${timeoutMs / 1000} s; state=${JSON.stringify(st)}\n` +
    `console: ${page.sabaqConsole.slice(-10).join('\n  ')}`);
}

// The page's inbound-rtp stats on the subscribe connection, one per track.
export async function inboundStats(page) {
  return page.evaluate(async () => {
    const pc = window.sabaq && window.sabaq.subscribePc;
    if (!pc) return [];
    const stats = await pc.getStats();
    const out = [];
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.push({
        kind: s.kind,
        mid: s.mid,
        ssrc: s.ssrc,
        trackIdentifier: s.trackIdentifier,
        packetsReceived: s.packetsReceived || 0,
        packetsLost: s.packetsLost || 0,
        framesDecoded: s.framesDecoded || 0,
        frameWidth: s.frameWidth || 0,
        frameHeight: s.frameHeight || 0,
        totalSamplesReceived: s.totalSamplesReceived || 0,
        codecId: s.codecId,
      });
    });
    return out;
  });
}

// Inbound stats of the tracks that come from participant `from`, found by
// the `tracks` list of the last subscribe offer the page answered.
export async function inboundFrom(page, from, kind) {
  const st = await pageState(page);
  const mids = new Set((st.subscribeTracks || [])
    .filter((t) => t.participant === from && t.active !== false && (!kind || t.kind === kind))
    .map((t) => String(t.mid)));
  return (await inboundStats(page)).filter((s) => mids.has(String(s.mid)) && (!kind || s.kind === kind));
}

// Transport-level facts for the log: DTLS/SRTP profile of each connection.
export async function transportInfo(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const label of ['publishPc', 'subscribePc']) {
      const pc = window.sabaq && window.sabaq[label];
      if (!pc) continue;
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === 'transport') {
          out[label] = {
            dtlsState: s.dtlsState,
            tlsVersion: s.tlsVersion,
            dtlsCipher: s.dtlsCipher,
            srtpCipher: s.srtpCipher,
            dtlsRole: s.dtlsRole,
          };
        }
      });
    }
    return out;
  });
}

export async function screenshot(page, file) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  try {
    await page.screenshot({ path: path.join(SCREENSHOTS, file), timeout: 5000 });
  } catch (e) {
    log(`screenshot ${file} failed: ${e.message}`);
  }
}

export async function getJson(urlPath) {
  const res = await fetch(`${BASE_URL}${urlPath}`);
  if (!res.ok) fail(`GET ${urlPath}: HTTP ${res.status}`);
  return res.json();
}

// Runs `body` and turns the outcome into the exit status run.sh counts.
export async function runTest(name, body) {
  const started = Date.now();
  try {
    await body();
    log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    process.exit(0);
  } catch (e) {
    log(`FAIL ${name}: ${e instanceof TestFailure ? e.message : e.stack || e}`);
    console.log(`--- server log (tail) ---\n${serverLogTail()}\n---`);
    process.exit(1);
  }
}
