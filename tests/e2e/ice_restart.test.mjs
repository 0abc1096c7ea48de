// End-to-end: the page keeps its seat through a media outage by restarting
// ICE (docs/protocol.md, "Browser client: reconnecting"). A teacher (camera
// and mic) and a student (mic) join; once the student decodes the teacher's
// video, nftables drops every UDP datagram to and from Sabaq's media port
// (the WebSocket, on TCP, stays up) until every connection on both pages
// has left `connected` and both pages have begun an ICE restart on both
// connections; then the block goes. Both pages must be `connected` again on
// the same RTCPeerConnections, as the same participants, without a rejoin,
// with new ICE credentials on both sides of every connection (the server's
// and the browser's ice-ufrag changed), and the student's decoder must get
// new frames of the teacher's camera.
// With the argument `fallback` the block is held past the server's 30 s
// consent timeout instead: the restart cannot succeed, so the page must
// rejoin (state.reconnects grows) as the same participant and get media
// again once the block goes.
// Screenshots: tests/e2e/screenshots/ice-restart-*.png.

import { spawnSync } from 'node:child_process';
import {
  launchBrowserForContexts, closeBrowser, createLesson, joinPage, waitForState, pageState, inboundFrom,
  screenshot, runTest, fail, log, sleep,
} from './lib.mjs';

const MEDIA_PORT = process.env.SABAQ_MEDIA_PORT || '41000';
const TABLE = 'icerestart';
const FALLBACK = process.argv[2] === 'fallback';
const CONSENT_S = 30; // the server closes a transport silent this long

function nft(args, check = true) {
  const r = spawnSync('nft', args, { encoding: 'utf8' });
  if (check && r.status !== 0) fail(`nft ${args.join(' ')}: ${r.stderr}`);
}

function block() {
  nft(['add', 'table', 'inet', TABLE]);
  nft(['add', 'chain', 'inet', TABLE, 'in', '{ type filter hook input priority 0 ; policy accept ; }']);
  nft(['add', 'rule', 'inet', TABLE, 'in', 'udp', 'dport', MEDIA_PORT, 'drop']);
  nft(['add', 'rule', 'inet', TABLE, 'in', 'udp', 'sport', MEDIA_PORT, 'drop']);
}

function unblock() {
  nft(['delete', 'table', 'inet', TABLE], false);
}

// Each connection's identity (a tag set on the object), state and the
// ice-ufrag of both descriptions: the server's (remote) and the browser's.
async function connections(page) {
  return page.evaluate(() => {
    const ufrag = (d) => (d && /a=ice-ufrag:(\S+)/.exec(d.sdp) || [])[1] || null;
    const out = {};
    for (const label of ['publish', 'subscribe']) {
      const pc = window.sabaq[`${label}Pc`];
      if (!pc) {
        out[label] = null;
        continue;
      }
      if (!pc.icerTag) pc.icerTag = `${label}-${Math.random().toString(36).slice(2)}`;
      out[label] = { tag: pc.icerTag, state: pc.connectionState, server: ufrag(pc.remoteDescription),
        browser: ufrag(pc.localDescription) };
    }
    return out;
  });
}

async function framesOf(page, from) {
  return (await inboundFrom(page, from, 'video')).reduce((n, s) => n + s.framesDecoded, 0);
}

async function waitFrames(page, from, above, what, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < end) {
    n = await framesOf(page, from);
    if (n > above) return n;
    await sleep(300);
  }
  fail(`${page.sabaqName}: ${what}: ${n} frames of the teacher decoded, want more than ${above} within ${timeoutMs / 1000} s`);
}

const bothConnected = (s) => s.phase === 'joined' && s.publish === 'connected' && s.subscribe === 'connected';

function pageErrors(page, st) {
  const thrown = page.sabaqConsole.filter((l) => l.startsWith('pageerror'));
  if (thrown.length || st.errors.length) {
    fail(`${page.sabaqName}: errors on the page: ${JSON.stringify([...thrown, ...st.errors])}`);
  }
}

await runTest(FALLBACK ? 'ice_restart_fallback' : 'ice_restart', async () => {
  const lesson = await createLesson({ title: `ice restart ${process.pid}`, lobby: false, students_publish: true });
  const browser = await launchBrowserForContexts();
  const t0 = Date.now();
  const step = (what) => log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const shot = (page, name) => screenshot(page, `ice-restart-${FALLBACK ? 'fallback-' : ''}${name}.png`);
  try {
    const ctx = await browser.newContext({ viewport: { width: 900, height: 650 }, locale: 'kk-KZ' });
    const teacher = await joinPage(ctx, { lesson, name: 'Aigerim', role: 'teacher', video: true });
    const student = await joinPage(ctx, { lesson, name: 'Dana', role: 'student', video: false });
    const pages = [teacher, student];
    const before = {};
    for (const p of pages) before[p.sabaqName] = await waitForState(p, 'both connections up', bothConnected, 30000);
    const tid = before.Aigerim.participant;
    const f0 = await waitFrames(student, tid, 10, 'the teacher camera before the outage', 20000);
    const pcs = {};
    for (const p of pages) pcs[p.sabaqName] = await connections(p);
    step(`joined; the student decoded ${f0} frames; connections ${JSON.stringify(pcs)}`);
    for (const p of pages) {
      for (const label of ['publish', 'subscribe']) {
        const c = pcs[p.sabaqName][label];
        if (!c || !c.server || !c.browser) fail(`${p.sabaqName}: no ${label} ice-ufrag before the outage: ${JSON.stringify(c)}`);
      }
    }

    let blockedAt = 0;
    try {
      block();
      blockedAt = Date.now();
      step(`UDP to and from port ${MEDIA_PORT} dropped`);
      if (!FALLBACK) {
        // Every connection leaves `connected` and gets its restart: both
        // pages' banners then say "restoring".
        await teacher.waitForSelector('#conn-state.restoring', { timeout: 20000 })
          .then(() => shot(teacher, '1-restoring'))
          .catch(() => log('the restoring banner was not caught on the teacher page'));
        for (const p of pages) {
          const st = await waitForState(p, 'both connections down and restarting',
            (s) => s.publish !== 'connected' && s.subscribe !== 'connected' &&
              s.iceRestartsOf && s.iceRestartsOf.publish >= 1 && s.iceRestartsOf.subscribe >= 1, 25000);
          step(`${p.sabaqName}: ${st.publish}/${st.subscribe}, ${st.iceRestarts} restarts, banner ${st.connection}`);
          if (st.connection !== 'restoring') fail(`${p.sabaqName}: the banner is "${st.connection}" while restoring`);
          // A connection without a path measures nothing: its own badge says so.
          await waitForState(p, 'its own quality shown as poor while the path is lost',
            (s) => s.quality && s.quality[s.participant] === 'poor', 8000);
        }
        const label = await teacher.textContent('#conn-state');
        if (!/қалпына/.test(label)) fail(`the restoring banner says "${label}"`);
        if ((await teacher.getAttribute('#conn-state', 'role')) !== 'status') fail('the banner lost role=status');
      } else {
        // The restart cannot get through: the page gives up after its
        // window and rejoins; the block stays past the consent timeout.
        await waitForState(teacher, 'a restart begun', (s) => s.iceRestarts >= 1, 25000);
        await shot(teacher, '1-restoring');
        await waitForState(teacher, 'a rejoin after the restart', (s) => s.reconnects > (before.Aigerim.reconnects || 0), 30000);
        await shot(teacher, '2-reconnecting');
        const wait = blockedAt + (CONSENT_S + 2) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        step('held past the consent timeout');
      }
    } finally {
      unblock();
    }
    step('UDP let through again');

    const after = {};
    for (const p of pages) {
      after[p.sabaqName] = await waitForState(p, 'both connections back',
        (s) => bothConnected(s) && s.connection === 'ok', FALLBACK ? 35000 : 20000);
    }
    step(`back: ${pages.map((p) => `${p.sabaqName} log ${JSON.stringify(after[p.sabaqName].connectionLog)}, ` +
      `${after[p.sabaqName].iceRestarts} restarts, ${after[p.sabaqName].reconnects || 0} rejoins`).join('; ')}`);
    for (const p of pages) {
      const b = before[p.sabaqName];
      const a = after[p.sabaqName];
      if (a.participant !== b.participant) fail(`${p.sabaqName} came back as ${a.participant}, not ${b.participant}`);
      if (FALLBACK) continue;
      if ((a.reconnects || 0) !== (b.reconnects || 0)) fail(`${p.sabaqName} rejoined (${a.reconnects} rejoins) instead of restarting ICE`);
      if ((a.connectionLog || []).includes('reconnecting')) fail(`${p.sabaqName}: the banner said "reconnecting": ${JSON.stringify(a.connectionLog)}`);
      const was = pcs[p.sabaqName];
      const now = await connections(p);
      for (const label of ['publish', 'subscribe']) {
        const w = was[label];
        const n = now[label];
        if (!n || n.tag !== w.tag) fail(`${p.sabaqName}: the ${label} connection was replaced`);
        if (n.server === w.server) fail(`${p.sabaqName}: the server's ice-ufrag of ${label} is still ${w.server}`);
        if (n.browser === w.browser) fail(`${p.sabaqName}: the browser's ice-ufrag of ${label} is still ${w.browser}`);
      }
      log(`${p.sabaqName}: ice-ufrag ${JSON.stringify(was)} -> ${JSON.stringify(now)}`);
    }
    if (FALLBACK && !(after.Aigerim.reconnects > (before.Aigerim.reconnects || 0))) fail('the teacher page did not rejoin');

    // New frames of the teacher's camera after the outage.
    const f1 = await framesOf(student, tid);
    const f2 = await waitFrames(student, tid, f1 + 15, 'the teacher camera after the outage', 20000);
    step(`the student decodes the teacher again: ${f1} -> ${f2} frames`);
    await shot(student, `${FALLBACK ? '3' : '2'}-after`);
    for (const p of pages) pageErrors(p, await pageState(p));
  } finally {
    unblock();
    await closeBrowser(browser);
  }
});
