// A Chromium teacher for tests driven from elsewhere (aiortc_viewer.py):
// joins with the teacher link's TOKEN as "Teacher", publishes mic and camera, prints
// "teacher ready <participant id>" once the publish connection is up, and
// stays for STAY_SECONDS (default 60) or until SIGTERM/SIGINT.
// Usage: node tests/e2e/teacher.mjs TOKEN

import { launchBrowser, closeBrowser, joinPage, waitForState, transportInfo, screenshot, log, sleep } from './lib.mjs';

const token = process.argv[2];
if (!token) {
  console.error('usage: node tests/e2e/teacher.mjs TOKEN');
  process.exit(2);
}
const stayMs = Number(process.env.STAY_SECONDS || 60) * 1000;

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

try {
  ctx = await launchBrowser();
  const page = await joinPage(ctx, { token, name: 'Teacher', role: 'teacher' });
  const st = await waitForState(page, 'publish connection connected', (s) => s.publish === 'connected', 20000);
  log(`teacher ready ${st.participant}`);
  log(`teacher transport ${JSON.stringify(await transportInfo(page))}`);
  const end = Date.now() + stayMs;
  let shot = false;
  while (!stopping && Date.now() < end) {
    await sleep(1000);
    if (!shot && Date.now() > end - stayMs + 10000) {
      shot = true;
      await screenshot(page, 'teacher.png');
    }
  }
  await stop(0);
} catch (e) {
  log(`teacher failed: ${e.message}`);
  await stop(1);
}
