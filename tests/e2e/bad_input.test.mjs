// End-to-end: hostile input while a lesson runs (a Chromium teacher and
// student). Garbage datagrams of every kind go to the media UDP port and
// malformed frames to /ws on a separate WebSocket; every frame must get the
// documented `error` code with the socket left open (a `ping` after each gets
// `pong`), the student must keep decoding the teacher's video, and
// GET /api/stats must show the media plane's drop counters risen.

import dgram from 'node:dgram';
import crypto from 'node:crypto';
import {
  launchBrowser, closeBrowser, joinPage, createLesson, waitForState, inboundFrom, getJson, screenshot,
  runTest, fail, log, sleep, BASE_URL,
} from './lib.mjs';

const MEDIA_PORT = Number(process.env.SABAQ_MEDIA_PORT || 41000);
const MEDIA_HOST = new URL(BASE_URL).hostname;
const PER_KIND = 300;
const MIN_FRAMES_AFTER = 30;

// ---- datagrams ----------------------------------------------------------

const rnd = (n) => crypto.randomBytes(n);
const randInt = (lo, hi) => lo + crypto.randomInt(hi - lo + 1);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function stunAttr(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const a = Buffer.alloc(4 + value.length + pad);
  a.writeUInt16BE(type, 0);
  a.writeUInt16BE(value.length, 2);
  value.copy(a, 4);
  return a;
}

// A binding request that looks right (USERNAME for a real session, PRIORITY,
// ICE-CONTROLLING, a valid FINGERPRINT) but whose MESSAGE-INTEGRITY is random.
function stunBadIntegrity(username) {
  const attrs = [
    stunAttr(0x0006, Buffer.from(username)),
    stunAttr(0x0024, rnd(4)),
    stunAttr(0x802a, rnd(8)),
    stunAttr(0x0008, rnd(20)),
  ];
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0001, 0);
  head.writeUInt16BE(body.length + 8, 2);
  head.writeUInt32BE(0x2112a442, 4);
  rnd(12).copy(head, 8);
  const msg = Buffer.concat([head, body]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(msg) ^ 0x5354554e) >>> 0, 0);
  return Buffer.concat([msg, stunAttr(0x8028, fp)]);
}

function truncatedStun() {
  const b = Buffer.alloc(randInt(4, 19));
  Buffer.from([0x00, 0x01, 0x00, randInt(0, 255), 0x21, 0x12, 0xa4, 0x42]).copy(b);
  return b;
}

function stunLengthLies() {
  // A whole header whose length field promises more than is there.
  const b = Buffer.concat([Buffer.from([0x00, 0x01, 0x01, 0x00, 0x21, 0x12, 0xa4, 0x42]), rnd(12), rnd(randInt(0, 40))]);
  return b;
}

function fakeDtls() {
  const len = randInt(1, 300);
  const b = Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), rnd(10), Buffer.alloc(2), rnd(len)]);
  // Half claim a length longer than the record, half a plausible one.
  b.writeUInt16BE(crypto.randomInt(2) ? 0xffff : len, 11);
  return b.subarray(0, randInt(1, b.length));
}

function rtpLike() {
  const b = Buffer.concat([Buffer.from([0x80, crypto.randomInt(2) ? 96 : 111]), rnd(randInt(0, 1200))]);
  return b;
}

function rtcpLike() {
  return Buffer.concat([Buffer.from([0x80, 0xc8]), rnd(randInt(0, 200))]);
}

async function sendDatagrams(sessions) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const kinds = {
    garbage: () => rnd(randInt(1, 1400)),
    truncated_stun: () => (crypto.randomInt(2) ? truncatedStun() : stunLengthLies()),
    stun_bad_integrity: (i) => stunBadIntegrity(sessions[i % sessions.length]),
    fake_dtls: fakeDtls,
    rtp_like: rtpLike,
    rtcp_like: rtcpLike,
    zero_length: () => Buffer.alloc(0),
    one_byte: () => rnd(1),
  };
  const sent = {};
  for (const [name, make] of Object.entries(kinds)) {
    sent[name] = 0;
    for (let i = 0; i < PER_KIND; i++) {
      await new Promise((resolve) => sock.send(make(i), MEDIA_PORT, MEDIA_HOST, () => resolve()));
      sent[name]++;
      // Pace a little so the server's socket buffer takes them in.
      if (i % 50 === 49) await sleep(5);
    }
  }
  sock.close();
  return sent;
}

// ---- WebSocket frames ----------------------------------------------------

const BIG = 300 * 1024;

// A token whose payload is a real one's with another signature: forged.
function forge(token) {
  const [body] = token.split('.');
  return `${body}.${'A'.repeat(43)}`;
}

// A token of this lesson with its payload edited (role "teacher"): the
// signature no longer matches.
function edited(token) {
  const [body, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  claims.r = 'teacher';
  return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
}

// [label, frame (string, or {binary: n}, or {big: n}), acceptable codes, ref]
function wsCases(lesson) {
  const student = lesson.tokens.student;
  const join = (fields) => JSON.stringify({ type: 'join', ...fields });
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  return [
    ['non-JSON text', 'this is not json', ['bad_json']],
    ['JSON array', '[1,2,3]', ['bad_json']],
    ['JSON string', '"hello"', ['bad_json']],
    ['JSON null', 'null', ['bad_json']],
    ['truncated JSON', '{"type":"join","token":', ['bad_json']],
    ['deeply nested JSON', deep, ['bad_json']],
    ['binary frame', { binary: 64 }, ['bad_json', 'bad_message']],
    ['frame over 256 KiB', { big: BIG }, ['too_large']],
    ['object without type', '{"lesson":"x"}', ['bad_message', 'unknown_type']],
    ['type not a string', '{"type":5}', ['bad_message', 'unknown_type']],
    ['publish before join', '{"type":"publish","sdp":"v=0\\r\\n","req":"p0"}', ['not_joined'], 'publish'],
    ['join without token', '{"type":"join","name":"Mallory","req":11}', ['bad_message'], 'join'],
    ['join, token a number', '{"type":"join","token":12,"name":"Mallory"}', ['bad_message'], 'join'],
    ['join, token garbage', join({ token: 'not a token', name: 'Mallory' }), ['bad_token'], 'join'],
    ['join, token too long', join({ token: `${'A'.repeat(5000)}.x`, name: 'Mallory' }), ['bad_token'], 'join'],
    ['join, forged signature', join({ token: forge(student), name: 'Mallory' }), ['bad_token'], 'join'],
    ['join, edited payload', join({ token: edited(student), name: 'Mallory' }), ['bad_token'], 'join'],
    ['join, other lesson id', join({ token: student, lesson: 'another-lesson', name: 'Mallory' }), ['wrong_lesson'], 'join'],
    ['join, empty name', join({ token: student, name: '' }), ['bad_message'], 'join'],
    ['join, name too long', join({ token: student, name: 'n'.repeat(65) }), ['bad_message'], 'join'],
    ['join, name an object', `{"type":"join","token":${JSON.stringify(student)},"name":{"a":1}}`, ['bad_message'], 'join'],
    ['join, no name', join({ token: student }), ['bad_message'], 'join'],
    ['join, resume a number', join({ token: student, name: 'Mallory', resume: 5 }), ['bad_message'], 'join'],
    ['JOIN', join({ token: student, name: 'Mallory', req: 'join-ok' }), ['joined']],
    ['second join', join({ token: student, name: 'Mallory', req: 12 }), ['already_joined'], 'join'],
    ['unknown type', '{"type":"frobnicate","req":13}', ['unknown_type'], 'frobnicate'],
    ['student mutes the teacher', '{"type":"mute_all"}', ['forbidden'], 'mute_all'],
    ['student ends the lesson', '{"type":"lesson_end"}', ['forbidden'], 'lesson_end'],
    ['floor_give without participant', '{"type":"floor_give","participant":7}', ['forbidden', 'bad_message'], 'floor_give'],
    ['publish without sdp', '{"type":"publish","req":14}', ['bad_message'], 'publish'],
    ['publish, sdp a number', '{"type":"publish","sdp":42}', ['bad_message'], 'publish'],
    ['publish, garbage sdp', '{"type":"publish","sdp":"not an sdp at all","req":15}', ['bad_sdp'], 'publish'],
    ['publish, sdp without ICE/DTLS', '{"type":"publish","sdp":"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\na=sendonly\\r\\na=rtpmap:96 VP8/90000\\r\\n"}', ['bad_sdp'], 'publish'],
    ['subscribe_answer without version', '{"type":"subscribe_answer","sdp":"v=0\\r\\n"}', ['bad_message'], 'subscribe_answer'],
    ['subscribe_answer, version a string', '{"type":"subscribe_answer","sdp":"v=0\\r\\n","version":"one"}', ['bad_message'], 'subscribe_answer'],
    ['subscribe_answer, sdp a list', '{"type":"subscribe_answer","sdp":[1],"version":1}', ['bad_message'], 'subscribe_answer'],
    ['req an object', '{"type":"ping","req":{"a":1}}', ['bad_message'], 'ping'],
  ];
}

// Runs in the page: a raw WebSocket, one frame at a time, each followed by
// a ping. Messages the lesson pushes (offers, joins) are skipped.
async function wsProbe([url, cases]) {
  // Messages the lesson pushes on its own (joins, offers, chat and polls state).
  const pushed = new Set(['subscribe_offer', 'participant_joined', 'participant_left',
    'participant_away', 'chat_state', 'chat_history', 'poll', 'poll_results', 'poll_tally',
    'attendance', 'attendance_update', 'hands', 'hand', 'lobby', 'floor', 'rights', 'muted',
    'lesson_state', 'chat', 'slots', 'layers']);
  const ws = new WebSocket(url);
  const inbox = [];
  let wake = null;
  let closed = null;
  ws.onmessage = (ev) => {
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch (e) {
      m = { type: '(non-JSON)', raw: String(ev.data).slice(0, 100) };
    }
    if (!pushed.has(m.type)) inbox.push(m);
    if (wake) wake();
  };
  ws.onclose = (ev) => {
    closed = `closed code ${ev.code} ${ev.reason}`;
    if (wake) wake();
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`cannot open ${url}`));
  });
  const next = async (ms) => {
    const end = Date.now() + ms;
    while (!inbox.length && !closed && Date.now() < end) {
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 100);
      });
      wake = null;
    }
    return inbox.shift() || null;
  };
  const results = [];
  let n = 0;
  for (const [label, frame] of cases) {
    if (closed) {
      results.push({ label, reply: null, pong: null, closed });
      continue;
    }
    if (typeof frame === 'string') ws.send(frame);
    else if (frame.binary) ws.send(new Uint8Array(frame.binary).map((_, i) => (i * 37) & 0xff));
    else if (frame.big) ws.send(`{"type":"ping","pad":"${'x'.repeat(frame.big)}"}`);
    const reply = await next(5000);
    const req = `after-${++n}`;
    let pong = null;
    if (!closed) {
      ws.send(JSON.stringify({ type: 'ping', req }));
      pong = await next(5000);
    }
    results.push({ label, reply, pong, req, closed });
  }
  ws.close();
  return results;
}

function checkWs(cases, results) {
  const problems = [];
  cases.forEach(([label, , codes, ref], i) => {
    const r = results[i];
    const got = r.reply ? (r.reply.type === 'error' ? r.reply.code : r.reply.type) : null;
    const okReply = r.reply && codes.includes(got) &&
      (codes[0] === 'joined' ? r.reply.type === 'joined' : r.reply.type === 'error') &&
      (!ref || r.reply.ref === ref);
    const okPong = r.pong && r.pong.type === 'pong' && r.pong.req === r.req;
    const line = `ws ${label}: got ${r.reply ? JSON.stringify(r.reply).slice(0, 160) : 'nothing'}; ` +
      `ping -> ${r.pong ? JSON.stringify(r.pong) : 'nothing'}${r.closed ? `; ${r.closed}` : ''}`;
    log(`${okReply && okPong ? 'ok  ' : 'BAD '} ${line}`);
    if (!okReply) problems.push(`${line} (expected ${codes.join(' or ')}${ref ? `, ref ${ref}` : ''})`);
    else if (!okPong) problems.push(`${line} (the socket must stay open and answer ping with pong)`);
  });
  // Echoing req on errors is part of the protocol.
  const unknown = results.find((r) => r.label === 'unknown type');
  if (unknown && unknown.reply && unknown.reply.req !== 13) problems.push(`ws unknown type: req not echoed: ${JSON.stringify(unknown.reply)}`);
  return problems;
}

// ---- stats ----------------------------------------------------------------

function flatten(obj, prefix = '', out = {}) {
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof obj === 'number') {
    out[prefix] = obj;
  }
  return out;
}

function dropTotal(flat) {
  return Object.entries(flat).filter(([k]) => /drop/i.test(k)).reduce((a, [, v]) => a + v, 0);
}

// Every datagram sent is garbage to the server, so most must show up as
// drops (loopback may lose a few in the socket buffer); bad integrity on a
// live session's USERNAME must count as an authentication drop when the
// server has such a counter.
function checkStats(stats0, stats1, datagrams, problems) {
  const changed = Object.keys(stats1).filter((k) => stats1[k] !== stats0[k]);
  log(`/api/stats changes: ${changed.map((k) => `${k} ${stats0[k] ?? '-'} -> ${stats1[k]}`).join(', ')}`);
  const d0 = dropTotal(stats0);
  const d1 = dropTotal(stats1);
  log(`drop counters: ${d0} -> ${d1} (+${d1 - d0} for ${datagrams} datagrams sent)`);
  if (!Object.keys(stats1).some((k) => /drop/i.test(k))) {
    problems.push(`/api/stats has no drop counters: ${JSON.stringify(stats1)}`);
    return;
  }
  if (d1 - d0 < datagrams / 2) problems.push(`/api/stats drop counters rose by ${d1 - d0}, less than half of the ${datagrams} garbage datagrams`);
  for (const k of Object.keys(stats1).filter((x) => /drop_stun_auth$/.test(x))) {
    if (!(stats1[k] > (stats0[k] || 0))) problems.push(`/api/stats ${k} did not rise (${stats0[k]} -> ${stats1[k]}) after STUN with bad MESSAGE-INTEGRITY`);
  }
}

async function framesFromTeacher(student, teacherId) {
  const s = await inboundFrom(student, teacherId, 'video');
  return s.reduce((a, x) => a + x.framesDecoded, 0);
}

await runTest('bad_input', async () => {
  // Students publish (the student page sends mic and camera) without the floor.
  const lesson = await createLesson({ title: `bad input ${process.pid}`, students_publish: true });
  const ctx = await launchBrowser();
  try {
    const teacher = await joinPage(ctx, { lesson, name: 'Teacher', role: 'teacher' });
    const student = await joinPage(ctx, { lesson, name: 'Student' });
    const tst = await waitForState(teacher, 'publish connected', (s) => s.publish === 'connected', 20000);
    await waitForState(student, 'publish connected', (s) => s.publish === 'connected', 20000);
    const teacherId = tst.participant;
    const end = Date.now() + 20000;
    let frames0 = 0;
    while (Date.now() < end && (frames0 = await framesFromTeacher(student, teacherId)) === 0) await sleep(500);
    if (!frames0) fail(`the student decodes no video from the teacher before the test starts; state ${JSON.stringify(await student.evaluate(() => window.sabaq.state))}`);
    log(`lesson running: student decoded ${frames0} frames from the teacher`);

    const problems = [];
    // A missing /api/stats is reported at the end, after the other checks.
    const readStats = () => getJson('/api/stats').then(flatten, (e) => {
      if (!problems.some((p) => p.startsWith('/api/stats'))) problems.push(`/api/stats: ${e.message}`);
      return null;
    });
    const stats0 = await readStats();

    // ICE usernames of the real sessions, so bad-integrity STUN hits them.
    const sessions = [];
    for (const p of [teacher, student]) {
      sessions.push(...await p.evaluate(() => {
        const out = [];
        for (const pc of [window.sabaq.publishPc, window.sabaq.subscribePc]) {
          if (!pc || !pc.remoteDescription || !pc.localDescription) continue;
          const ufrag = (sdp) => (/a=ice-ufrag:(\S+)/.exec(sdp) || [])[1];
          out.push(`${ufrag(pc.remoteDescription.sdp)}:${ufrag(pc.localDescription.sdp)}`);
        }
        return out;
      }));
    }
    sessions.push('nosuchufrag:nobody');
    log(`STUN usernames used: ${sessions.join(' ')}`);

    const sent = await sendDatagrams(sessions);
    log(`sent to udp ${MEDIA_PORT}: ${JSON.stringify(sent)}`);

    const wsUrl = `${BASE_URL.replace(/^http/, 'ws')}/ws`;
    const cases = wsCases(lesson);
    const results = await student.evaluate(wsProbe, [wsUrl, cases.map(([label, frame]) => [label, frame])]);
    problems.push(...checkWs(cases, results));

    // Garbage once more, then the lesson must still be fine.
    const sent2 = await sendDatagrams(sessions);
    log(`sent again: ${JSON.stringify(sent2)}`);
    const f1 = await framesFromTeacher(student, teacherId);
    await sleep(5000);
    const f2 = await framesFromTeacher(student, teacherId);
    const line = `student <- teacher video: framesDecoded ${f1} -> ${f2} (+${f2 - f1} in 5 s after the garbage, need >= ${MIN_FRAMES_AFTER})`;
    log(line);
    if (f2 - f1 < MIN_FRAMES_AFTER) problems.push(line);
    const pub = await student.evaluate(() => window.sabaq.state);
    if (pub.publish !== 'connected' || pub.subscribe !== 'connected') {
      problems.push(`student connections after the garbage: publish ${pub.publish}, subscribe ${pub.subscribe}`);
    }

    const stats1 = await readStats();
    const datagrams = [sent, sent2].reduce((a, o) => a + Object.values(o).reduce((x, y) => x + y, 0), 0);
    if (stats0 && stats1) checkStats(stats0, stats1, datagrams, problems);

    await screenshot(student, 'bad_input-student.png');
    if (problems.length) fail(`${problems.length} problem(s):\n${problems.join('\n')}`);
  } finally {
    await closeBrowser(ctx);
  }
});
