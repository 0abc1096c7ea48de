#!/usr/bin/python3
"""End-to-end H.264 pass-through, as OBS Studio publishes: an aiortc WHIP
client offers H.264 only (codec preferences: H.264 + its RTX, no VP8) with
the teacher link's token; Sabaq must answer H.264 in packetization-mode 1;
a Chromium student in the same lesson must decode that video (framesDecoded
grows) and its getStats codec must be video/H264, i.e. Sabaq forwarded the
publisher's H.264 unchanged under the subscribe offer's H.264 payload type.
Run with Debian's /usr/bin/python3; run.sh sets SABAQ_URL (Chromium is driven
by a short node script using tests/e2e/lib.mjs)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import aiortc_viewer  # noqa: E402,F401  (applies the two aiortc patches of TESTING.md)
from e2e_common import SABAQ_URL, Checks, make_lessons, run_main, sdp_request as http  # noqa: E402

import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack  # noqa: E402

BASE = SABAQ_URL
STUDENT_TIMEOUT_S = 60

# The Chromium student: joins with the student link, waits for decoded
# video, measures framesDecoded twice 3 s apart, reads the codec's mimeType.
# Prints one JSON line. Every wait is bounded.
STUDENT_JS = r"""
import { launchBrowser, closeBrowser, joinPage, inboundStats, sleep } from '%(lib)s';
const token = process.argv[1];
const out = { ok: false, first: 0, later: 0, mimeTypes: [], payloadTypes: [], note: '' };
let ctx = null;
try {
  ctx = await launchBrowser();
  const page = await joinPage(ctx, { token, name: 'h264-student', video: false });
  const decoded = async () => (await inboundStats(page))
    .filter((s) => s.kind === 'video').reduce((a, s) => a + s.framesDecoded, 0);
  const end = Date.now() + 40000;
  while (Date.now() < end && (out.first = await decoded()) === 0) await sleep(500);
  await sleep(3000);
  out.later = await decoded();
  const codecs = await page.evaluate(async () => {
    const pc = window.sabaq && window.sabaq.subscribePc;
    if (!pc) return [];
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach((s) => byId.set(s.id, s));
    const found = [];
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded || 0) > 0) {
        const c = byId.get(s.codecId);
        found.push({ mimeType: c ? c.mimeType : '', payloadType: c ? c.payloadType : -1 });
      }
    });
    return found;
  });
  out.mimeTypes = codecs.map((c) => c.mimeType);
  out.payloadTypes = codecs.map((c) => c.payloadType);
  out.note = page.sabaqConsole.slice(-5).join(' | ');
  out.ok = true;
} catch (e) {
  out.note = String(e && e.stack || e);
} finally {
  await closeBrowser(ctx);
}
console.log(JSON.stringify(out));
"""


check = Checks("whip_h264")
log = check.log


def video_section(sdp):
    i = sdp.find("m=video")
    if i < 0:
        return ""
    j = sdp.find("\nm=", i + 1)
    return sdp[i:] if j < 0 else sdp[i:j]


async def publish_h264(lesson, token):
    pc = RTCPeerConnection()
    video = pc.addTransceiver(aiortc_viewer.Pattern(green_moves=True), direction="sendonly")
    caps = RTCRtpSender.getCapabilities("video").codecs
    video.setCodecPreferences([c for c in caps if c.mimeType in ("video/H264", "video/rtx")])
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    offered = video_section(offer)
    check("H264/90000" in offered and "VP8" not in offered,
          "the WHIP offer's video has H.264 and no VP8 (as OBS's)")
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(
        None, lambda: http("POST", f"/whip/{lesson}?name=OBS-H264", offer.encode(), token))
    check(status == 201, f"POST /whip/{lesson}: 201 ({status} {body[:200]})")
    answered = video_section(body)
    m = re.match(r"m=video (\d+) \S+ (\d+)", answered)
    check(m and m.group(1) != "0", f"the video m-line is accepted ({answered[:60]!r})")
    pt = m.group(2)
    check(re.search(rf"a=rtpmap:{pt} H264/90000", answered) is not None,
          f"the answer's video codec is H.264 (pt {pt})")
    fmtp = re.search(rf"a=fmtp:{pt} (.*)", answered)
    check(fmtp and "packetization-mode=1" in fmtp.group(1),
          f"packetization-mode=1 in the answer ({fmtp.group(1).strip() if fmtp else None})")
    check(fmtp.group(1).strip() in offered,
          "the answer keeps the publisher's own H.264 fmtp")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return pc, headers.get("Location", "")


async def main():
    tokens = make_lessons({"title": "whip h264"})[0]
    lesson, teacher, student = tokens["id"], tokens["teacher"], tokens["student"]
    log(f"lesson {lesson}")

    lib = "file://" + os.path.join(HERE, "lib.mjs")
    node = await asyncio.create_subprocess_exec(
        "node", "--input-type=module", "-e", STUDENT_JS % {"lib": lib}, student,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    pc, loc = await publish_h264(lesson, teacher)
    try:
        stdout, stderr = await asyncio.wait_for(node.communicate(), STUDENT_TIMEOUT_S)
    except asyncio.TimeoutError:
        node.kill()
        await node.wait()
        raise AssertionError(f"the Chromium student did not finish within {STUDENT_TIMEOUT_S} s")
    lines = [ln for ln in stdout.decode(errors="replace").splitlines() if ln.startswith("{")]
    check(lines, f"the Chromium student reports ({stderr.decode(errors='replace')[-400:]})")
    res = json.loads(lines[-1])
    log(f"student: {res}")
    check(res["ok"], f"the Chromium student ran ({res['note']})")
    check(res["first"] > 0, f"the student decodes the H.264 video ({res['first']} frames)")
    check(res["later"] > res["first"] + 10,
          f"framesDecoded grows ({res['first']} -> {res['later']} in 3 s)")
    check(res["mimeTypes"] and all(m == "video/H264" for m in res["mimeTypes"]),
          f"the decoded codec is video/H264 ({res['mimeTypes']})")
    check(all(pt == 102 for pt in res["payloadTypes"]),
          f"under Sabaq's subscribe H.264 payload type 102 ({res['payloadTypes']})")

    if loc:
        s, _, _ = await asyncio.get_running_loop().run_in_executor(None, http, "DELETE", loc)
        check(s == 200, f"DELETE {loc}: 200 ({s})")
    await pc.close()
    return True


if __name__ == "__main__":
    ok = run_main(main, check, timeout_s=85)
    sys.exit(0 if ok else 1)
