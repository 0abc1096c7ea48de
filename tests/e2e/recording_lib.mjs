// Helpers for the recording tests: a server of the test's own (for kill -9),
// a screen-sharing participant (a canvas track sent with the page's
// Publisher.setScreen), recording control through a page's signaling,
// waiting for the server's log, and ffprobe/ffmpeg checks of the WebM.
// Import after setting SABAQ_URL & co. when the test runs its own server:
// lib.mjs reads them when it is first imported.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class RecFailure extends Error {}
const fail = (msg) => { throw new RecFailure(msg); };

// ---- a server of our own ---------------------------------------------------

// Starts ./build/sabaq (SABAQ_BIN_PATH) on port/mediaPort with dataDir;
// resolves once HTTP answers. {proc, url, log (file), output()}.
export async function startServer({ port, mediaPort, dataDir, logFile }) {
  const bin = process.env.SABAQ_BIN_PATH || './build/sabaq';
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(bin, ['--bind', '127.0.0.1', '--port', String(port), '--media-port',
    String(mediaPort), '--data-dir', dataDir], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) fail(`the server exited (${proc.exitCode}): ${tail(logFile)}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.status) return { proc, url, logFile };
    } catch (e) { /* not up yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  fail(`the server did not come up on ${url}: ${tail(logFile)}`);
}

export function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `(no ${file})`;
  }
}

// Waits until the log file has a line matching re (after `from` bytes): the match.
export async function waitForLog(file, re, timeoutMs, from = 0) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const text = fs.readFileSync(file, 'utf8').slice(from);
    const m = re.exec(text);
    if (m) return m;
    await sleep(200);
  }
  fail(`no log line ${re} within ${timeoutMs / 1000} s:\n${tail(file)}`);
}

export const logSize = (file) => fs.statSync(file).size;

// ---- a publisher on a bad network -----------------------------------------------

// What Sabaq's receiver reports say about a page's published streams
// (remote-inbound-rtp): [{kind, packetsLost, jitter}].
export async function publishReports(page) {
  return page.evaluate(async () => {
    const pc = window.sabaq && window.sabaq.publishPc;
    if (!pc) return [];
    const out = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'remote-inbound-rtp') out.push({ kind: r.kind, packetsLost: r.packetsLost, jitter: r.jitter });
    });
    return out;
  });
}

// ---- in the pages ------------------------------------------------------------

// recording_start / recording_stop through the page's signaling: the reply.
export async function recording(page, type) {
  return page.evaluate(async (t) => window.sabaq.signaling.request({ type: t }), type);
}

export async function chat(page, text) {
  return page.evaluate(async (t) => window.sabaq.signaling.request({ type: 'chat_send', text: t }), text);
}

// A participant that only shares a screen: a page on the server's origin
// that joins with `token` through the page's own Signaling class and gets a
// moving canvas (15 fps) ready. window.startShare() sends it with
// Publisher.setScreen, window.stopShare() ends the share. Made before it is
// needed, so the share starts on time on a loaded machine.
export async function screenSharer(ctx, baseUrl, token, name = 'Screen') {
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/api/stats`);
  await page.evaluate(async ({ token, name }) => {
    const { Signaling } = await import('/js/signaling.js');
    const { Publisher } = await import('/js/peer.js');
    const sig = new Signaling(`ws://${location.host}/ws`);
    await sig.connect();
    await sig.request({ type: 'join', token, name });
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext('2d');
    let n = 0;
    window.shareTimer = setInterval(() => {
      g.fillStyle = '#1f4e79';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#f0b429';
      g.fillRect((n * 8) % 600, 150, 40, 40);
      g.font = '40px sans-serif';
      g.fillText(`slide ${Math.floor(n / 30)}`, 40, 80);
      n++;
    }, 66);
    const track = canvas.captureStream(15).getVideoTracks()[0];
    const pub = new Publisher(sig, () => {});
    window.startShare = () => pub.setScreen(track);
    window.stopShare = () => pub.setScreen(null);
    window.shareSig = sig;
  }, { token, name });
  return page;
}

// ---- the file ----------------------------------------------------------------

// Runs a tool without blocking the event loop (a blocked loop cannot see the
// server close idle keep-alive sockets, and fetch would then reuse a dead one).
function run(cmd, args, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ status: -1, stdout, stderr: `${stderr}${e.message}` }); });
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

// {streams: [{codec_type, codec_name, width, height}], duration (s)}.
export async function probe(file) {
  const r = await run('ffprobe', ['-v', 'error', '-show_entries',
    'format=duration:stream=codec_type,codec_name,width,height', '-of', 'json', file]);
  if (r.status !== 0) fail(`ffprobe ${file}: exit ${r.status}: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  let duration = parseFloat(j.format && j.format.duration);
  if (!Number.isFinite(duration)) duration = await lastPacketTime(file);
  return { streams: j.streams || [], duration };
}

// The end of the last packet (s), for a file whose header has no duration.
export async function lastPacketTime(file) {
  const r = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time',
    '-of', 'csv=p=0', file]);
  let last = 0;
  for (const line of r.stdout.split('\n')) {
    const [pts, dur] = line.split(',').map(parseFloat);
    if (Number.isFinite(pts)) last = Math.max(last, pts + (Number.isFinite(dur) ? dur : 0));
  }
  return last;
}

// Decodes every stream: ffmpeg's stderr at -v error (TESTING.md: its exit
// status is 0 even when it finds errors).
export async function decodeErrors(file) {
  const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
  return r.stderr.trim();
}

// Frames decoded per stream type: {video, audio}.
export async function countFrames(file) {
  const r = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries',
    'stream=codec_type,nb_read_frames', '-of', 'json', file]);
  const out = {};
  for (const s of JSON.parse(r.stdout).streams || []) out[s.codec_type] = parseInt(s.nb_read_frames, 10) || 0;
  return out;
}

// The audio between from and to (s): {mean, max} in dB and the silent
// stretches (silencedetect at -50 dB for >= 1.5 s) as [start, end] pairs.
export async function audioLevels(file, from, to) {
  const r = await run('ffmpeg', ['-nostdin', '-v', 'info', '-ss', String(from), '-t', String(to - from),
    '-i', file, '-map', '0:a', '-af', 'volumedetect,silencedetect=n=-50dB:d=1.5', '-f', 'null', '-']);
  const num = (re) => { const m = re.exec(r.stderr); return m ? parseFloat(m[1]) : -Infinity; };
  const starts = [...r.stderr.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => parseFloat(m[1]));
  const ends = [...r.stderr.matchAll(/silence_end: (-?[\d.]+)/g)].map((m) => parseFloat(m[1]));
  return {
    mean: num(/mean_volume: (-?[\d.]+) dB/),
    max: num(/max_volume: (-?[\d.]+) dB/),
    silences: starts.map((s, i) => [s, ends[i] ?? to - from]),
  };
}

// GET url with headers: {status, headers, body (Buffer)}.
export async function get(url, headers = {}) {
  let res;
  try {
    res = await fetch(url, { headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  } catch (e) {
    fail(`GET ${url} ${JSON.stringify(headers)}: ${e.message} (${e.cause && (e.cause.code || e.cause.message)})` +
      `${res ? ` after HTTP ${res.status} ${JSON.stringify([...res.headers])}` : ''}`);
  }
}

// Copies a file that failed a check to tests/e2e/out/ (kept after the run).
export function keep(file, name) {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'out');
  fs.mkdirSync(dir, { recursive: true });
  const dest = path.join(dir, name);
  fs.copyFileSync(file, dest);
  return dest;
}

export function tmpFile(name) {
  const dir = process.env.E2E_TMP || os.tmpdir();
  return path.join(dir, `${process.pid}-${name}`);
}
