// Deleting recordings, on a server of the test's own (it restarts it): a
// teacher page records four short recordings A-D. A: a student link and a
// teacher link get 403 on DELETE, nobody 401, GET 405 with Allow, a DELETE
// from a page of another origin (with the teacher's cookie in the browser)
// never gets through; the teacher's DELETE gets 204, A leaves the list and
// its folder is gone. B: the teacher's recordings page deletes it with the
// Delete button and its confirm step, driven by the keyboard; a student's
// page shows no Delete button. C and D: the server restarts with
// --recordings-keep-days 7 after C was made 10 days old in the store and an
// interrupted deletion (<id>.deleting) was left behind: C and the leftover
// go at start-up, D and a look-alike folder stay.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';

const PORT = 18093;
const MEDIA_PORT = 41093;
const DATA = fs.mkdtempSync(path.join(process.env.E2E_TMP || os.tmpdir(), 'rec-delete-'));
const LOG = path.join(DATA, 'server.log');
const URL_BASE = `http://127.0.0.1:${PORT}`;
// lib.mjs reads these when first imported: point it at our server.
process.env.SABAQ_URL = URL_BASE;
process.env.SABAQ_DATA = DATA;
process.env.SABAQ_LOG = LOG;

const { log, fail, createLesson, launchBrowser, closeBrowser, joinPage, waitForState, runTest } =
  await import('./lib.mjs');
const { waitForLog, logSize, recording, tail, sleep } = await import('./recording_lib.mjs');

let server = null;

// The server with extra flags; resolves once HTTP answers.
async function startServer(extra = []) {
  const bin = process.env.SABAQ_BIN_PATH || './build/sabaq';
  const out = fs.openSync(LOG, 'a');
  const proc = spawn(bin, ['--bind', '127.0.0.1', '--port', String(PORT), '--media-port',
    String(MEDIA_PORT), '--data-dir', DATA, ...extra], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) fail(`the server exited (${proc.exitCode}): ${tail(LOG)}`);
    try {
      if ((await fetch(`${URL_BASE}/`)).status) return proc;
    } catch (e) { /* not up yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  fail(`the server did not come up: ${tail(LOG)}`);
}

async function stopServer() {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await Promise.race([exited, sleep(10000)]);
  if (server.exitCode === null) fail('the server did not stop on SIGTERM within 10 s');
}

// One short recording through the teacher's page: its id, once the file is complete.
async function record(teacher, lessonId) {
  const from = logSize(LOG);
  const started = await recording(teacher, 'recording_start');
  if (!started.active || !started.recording) fail(`recording_start replied ${JSON.stringify(started)}`);
  await sleep(1500);
  await recording(teacher, 'recording_stop');
  await waitForLog(LOG, new RegExp(`recording ${started.recording} of lesson ${lessonId} is complete`),
    15000, from);
  return started.recording;
}

async function call(method, urlPath, headers = {}) {
  const res = await fetch(`${URL_BASE}${urlPath}`, { method, headers });
  return { status: res.status, allow: res.headers.get('allow'), body: await res.text() };
}

// Requests on one kept-alive connection: a reply without a body (204) must
// not leave the connection's next request unanswered.
const oneSocket = new http.Agent({ keepAlive: true, maxSockets: 1 });
function onSocket(method, urlPath, headers = {}) {
  return new Promise((resolve) => {
    const req = http.request(`${URL_BASE}${urlPath}`, { method, headers, agent: oneSocket }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, reused: req.reusedSocket }));
    });
    req.setTimeout(5000, () => { req.destroy(); resolve({ status: 0, body: 'no answer within 5 s' }); });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

const listIds = async (lessonId, cookie) => {
  const r = await call('GET', `/api/lessons/${lessonId}/recordings`, { cookie });
  if (r.status !== 200) fail(`the list: HTTP ${r.status} ${r.body}`);
  return JSON.parse(r.body).recordings.map((x) => x.id);
};
const folder = (lessonId, id) => path.join(DATA, 'recordings', lessonId, String(id));

runTest('recording_delete', async () => {
  server = await startServer();
  const lesson = await createLesson({ title: 'Deletions' });
  const L = lesson.lesson.id;
  const cookie = lesson.cookie;
  let ctx = await launchBrowser();
  try {
    const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher' });
    await waitForState(teacher, 'publishing', (s) => s.phase === 'joined' && s.publish === 'connected', 30000);
    const [A, B, C, D] = [await record(teacher, L), await record(teacher, L), await record(teacher, L),
      await record(teacher, L)];
    await teacher.close();
    log(`recordings ${A} ${B} ${C} ${D} made`);
    for (const id of [A, B, C, D]) if (!fs.existsSync(folder(L, id))) fail(`no folder for ${id}`);

    // ---- A over HTTP --------------------------------------------------------
    const one = `/api/lessons/${L}/recordings/${A}`;
    const student = await call('DELETE', `${one}?t=${lesson.tokens.student}`);
    if (student.status !== 403) fail(`a student link's DELETE: HTTP ${student.status} ${student.body}`);
    const teacherLink = await call('DELETE', one, { authorization: `Bearer ${lesson.tokens.teacher}` });
    if (teacherLink.status !== 403) fail(`a teacher link's DELETE: HTTP ${teacherLink.status}`);
    const nobody = await call('DELETE', one);
    if (nobody.status !== 401) fail(`a DELETE without credentials: HTTP ${nobody.status}`);
    const get = await call('GET', one, { cookie });
    if (get.status !== 405 || get.allow !== 'DELETE') fail(`GET ${one}: HTTP ${get.status}, Allow ${get.allow}`);
    const preflight = await call('OPTIONS', one, { origin: 'http://localhost:1', 'access-control-request-method': 'DELETE' });
    if (preflight.status !== 405) fail(`OPTIONS (a CORS preflight): HTTP ${preflight.status}`);

    // A student's page (this browser is nobody yet) has no Delete button.
    const pupil = await ctx.newPage();
    await pupil.goto(`${URL_BASE}/recordings/${L}?t=${lesson.tokens.student}`);
    await pupil.waitForSelector(`#rec-rows tr[data-id="${B}"]`, { timeout: 15000 });
    if (await pupil.locator('#rec-rows button.danger').count()) fail('a student sees Delete buttons');
    await pupil.close();

    // Another origin's page, with the teacher signed in in this browser.
    const [name, value] = cookie.split(/=(.*)/s);
    await ctx.addCookies([{ name, value, url: URL_BASE, httpOnly: true, sameSite: 'Lax' }]);
    const evil = await ctx.newPage();
    await evil.goto(`http://localhost:${PORT}/api/stats`);
    const cross = await evil.evaluate(async (u) => {
      try {
        const r = await fetch(u, { method: 'DELETE', credentials: 'include' });
        return `HTTP ${r.status}`;
      } catch (e) {
        return 'blocked';
      }
    }, `${URL_BASE}${one}`);
    await evil.close();
    if (!(await listIds(L, cookie)).includes(A) || !fs.existsSync(folder(L, A)))
      fail(`a cross-origin DELETE (${cross}) deleted recording ${A}`);
    log(`a cross-origin DELETE from http://localhost:${PORT}: ${cross}; recording ${A} is still there`);

    const ok = await onSocket('DELETE', one, { cookie });
    if (ok.status !== 204 || ok.body !== '') fail(`the teacher's DELETE: HTTP ${ok.status} ${ok.body}`);
    const after = await onSocket('GET', `/api/lessons/${L}/recordings`, { cookie });
    if (after.status !== 200 || !after.reused) fail(`the list on the DELETE's connection: HTTP ${after.status} ${after.body}`);
    if (JSON.parse(after.body).recordings.some((r) => r.id === A)) fail(`recording ${A} is still listed after its DELETE`);
    oneSocket.destroy();
    if (fs.existsSync(folder(L, A)) || fs.existsSync(`${folder(L, A)}.deleting`))
      fail(`the folder of recording ${A} is still there`);
    if ((await call('DELETE', one, { cookie })).status !== 404) fail('a second DELETE was not 404');
    await waitForLog(LOG, new RegExp(`staff \\d+ \\(E2E Teacher\\) deleted recording ${A} of lesson ${L}`), 3000);
    log(`recording ${A}: 403, 403, 401, 405, then 204 and gone`);

    // ---- B with the page's Delete button, by keyboard ---------------------------
    const page = await ctx.newPage();
    const consoleLines = [];
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${URL_BASE}/recordings/${L}`);   // no link: the session cookie
    const rowB = `#rec-rows tr[data-id="${B}"]`;
    await page.waitForSelector(`${rowB} button.danger`, { timeout: 15000 });
    const label = await page.getAttribute(`${rowB} button.danger`, 'aria-label');
    if (!label) fail('the Delete button has no aria-label');
    await page.focus(`${rowB} button.danger`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${rowB} .rec-confirm[role="group"]`, { timeout: 5000 });
    // The focus is on Cancel; Escape puts the Delete button back.
    await page.keyboard.press('Escape');
    await page.waitForSelector(`${rowB} button.danger`, { timeout: 5000 });
    if (!(await listIds(L, cookie)).includes(B)) fail('Escape on the confirm step deleted the recording');
    await page.keyboard.press('Enter');   // the Delete button has the focus again
    await page.waitForSelector(`${rowB} .rec-confirm`, { timeout: 5000 });
    await page.keyboard.press('Shift+Tab');   // from Cancel to "Yes, delete"
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.className);
    if (focused !== 'danger') fail(`Shift+Tab from Cancel reached "${focused}", not the confirm button`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(rowB, { state: 'detached', timeout: 15000 }).catch(async () =>
      fail(`the row of ${B} stays on the page; it says "${await page.textContent('#rec-status')}", ` +
        `console: ${consoleLines.join(' | ')}`));
    const status = await page.textContent('#rec-status');
    if (!status.trim()) fail('the page said nothing after deleting');
    await page.close();
    if ((await listIds(L, cookie)).includes(B)) fail(`recording ${B} is still listed after the page deleted it`);
    if (fs.existsSync(folder(L, B))) fail(`the folder of recording ${B} is still there`);
    log(`recording ${B}: deleted with the page's button (keyboard), the page says "${status.trim()}"`);
    await closeBrowser(ctx);
    ctx = null;

    // ---- C by retention, after a restart; an interrupted deletion is swept ------
    await stopServer();
    const old = 10 * 86400000;
    const sql = spawnSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE recordings SET started_ms = started_ms - ?, stopped_ms = stopped_ms - ? WHERE id = ?",
           (int(sys.argv[2]), int(sys.argv[2]), int(sys.argv[3])))
db.commit()
`, path.join(DATA, 'sabaq.db'), String(old), String(C)], { encoding: 'utf8' });
    if (sql.status !== 0) fail(`cannot age recording ${C}: ${sql.stderr}`);
    const left = path.join(DATA, 'recordings', L, '99999.deleting');
    const alike = path.join(DATA, 'recordings', L, 'notes.deleting');
    for (const dir of [left, alike]) {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'recording.webm'), 'x');
    }
    const from = logSize(LOG);
    server = await startServer(['--recordings-keep-days', '7']);
    await waitForLog(LOG, /finished deleting recording 99999 of lesson/, 5000, from);
    await waitForLog(LOG, new RegExp(`retention \\(7 days\\) deleted recording ${C} of lesson ${L}`), 10000, from);
    const ids = await listIds(L, cookie);
    if (ids.includes(C) || fs.existsSync(folder(L, C))) fail(`recording ${C} (10 days old) was kept: ${ids}`);
    if (!ids.includes(D) || !fs.existsSync(folder(L, D))) fail(`recording ${D} (new) was deleted: ${ids}`);
    if (fs.existsSync(left)) fail('the interrupted deletion was not swept');
    if (!fs.existsSync(alike)) fail('the sweep removed a folder that only looks like a deletion');
    log(`retention deleted ${C}, kept ${D}; the sweep removed 99999.deleting and left notes.deleting`);
  } finally {
    await closeBrowser(ctx);
    if (server && server.exitCode === null) server.kill('SIGTERM');
  }
});
