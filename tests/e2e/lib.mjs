// Helpers shared by Sabaq's browser tests: Chromium launch (the flags of
// /work/shared/TESTING.md), joining a lesson through web/index.html, reading
// getStats() from a page, and failing with the server log's tail.
// Environment (set by run.sh): SABAQ_URL, SABAQ_LOG, FAKE_VIDEO, FAKE_AUDIO.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

// One browser for the whole test; every participant is a page of the same
// persistent context (each page has its own WebSocket and connections).
export async function launchBrowser() {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection'];
  if (process.env.FAKE_VIDEO) args.push(`--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`);
  if (process.env.FAKE_AUDIO) args.push(`--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}`);
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

// Opens the page as `name` and joins `lesson`. The page's console errors are
// kept on page.sabaqConsole for failure messages.
export async function joinPage(ctx, { lesson, name, role = 'student', video = true }) {
  const page = await ctx.newPage();
  page.sabaqName = name;
  page.sabaqConsole = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.sabaqConsole.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.sabaqConsole.push(`pageerror: ${e.message}`));
  const q = new URLSearchParams({ lesson, name, role, autojoin: '1', video: video ? '1' : '0' });
  await page.goto(`${BASE_URL}/?${q}`);
  return page;
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
