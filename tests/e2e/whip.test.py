#!/usr/bin/python3
"""End-to-end WHIP (RFC 9725) against run.sh's server: an aiortc WHIP client
publishes a VP8 + Opus test source with the teacher link's token, an aiortc
viewer joined over the WebSocket with the student link decodes >= 20 frames
of it, and so does a Chromium student (whep_page.mjs, framesDecoded grows);
then the documented statuses (401, 403, 404, 400, 413, 415, 405,
OPTIONS + CORS) and DELETE, after which the viewer sees participant_left.
Run with Debian's /usr/bin/python3 (python3-aiortc, python3-websockets);
run.sh sets SABAQ_URL."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aiortc_viewer  # noqa: E402  (applies the two aiortc patches of TESTING.md)

import asyncio  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

import numpy  # noqa: E402
import websockets.client  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # noqa: E402
from av import VideoFrame  # noqa: E402

BASE = os.environ.get("SABAQ_URL", "http://127.0.0.1:18080")
WS_URL = BASE.replace("http", "ws", 1) + "/ws"
CHECKS = 0


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}] whip:", *args, flush=True)


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1
    log(f"ok  {what}")


def http(method, path, body=None, token=None, ctype="application/sdp"):
    """(status, headers, body text)."""
    req = urllib.request.Request(BASE + path, data=body, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None and ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")


class Pattern(VideoStreamTrack):
    """A moving gradient, 320x240 (VP8-encoded by aiortc)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        self.n += 1
        img = numpy.zeros((240, 320, 3), numpy.uint8)
        img[:, :, 0] = (numpy.arange(320) + self.n * 4) % 256
        img[:, :, 1] = 128
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Watcher(aiortc_viewer.Viewer):
    def __init__(self, ws):
        super().__init__(ws)
        self.left = set()
        self.joined = {}

    async def handle(self, msg):
        if msg.get("type") == "participant_left":
            self.left.add(msg.get("id"))
        if msg.get("type") == "participant_joined":
            p = msg.get("participant") or {}
            self.joined[p.get("id")] = p
        await super().handle(msg)


async def publish(lesson, token):
    pc = RTCPeerConnection()
    pc.addTransceiver(Pattern(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(
        None, lambda: http("POST", f"/whip/{lesson}?name=OBS", pc.localDescription.sdp.encode(),
                           token))
    check(status == 201, f"POST /whip/{lesson} with the teacher token: 201 ({status} {body[:200]})")
    check(headers.get("Content-Type", "").startswith("application/sdp"), "answer is application/sdp")
    loc = headers.get("Location", "")
    check(loc.startswith(f"/whip/{lesson}/"), f"Location {loc}")
    check(headers.get("Access-Control-Allow-Origin") == "*", "CORS origin on the POST reply")
    check("Location" in headers.get("Access-Control-Expose-Headers", ""), "Location exposed")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return pc, loc


def error_statuses(lesson, teacher, student, offer):
    s, _, b = http("POST", f"/whip/{lesson}", offer, None)
    check(s == 401, f"no token: 401 ({s} {b.strip()})")
    s, _, b = http("POST", f"/whip/{lesson}", offer, teacher[:-4] + "AAAA")
    check(s == 403, f"forged token: 403 ({s} {b.strip()})")
    s, _, b = http("POST", f"/whip/{lesson}", offer, "nonsense")
    check(s == 403, f"wrong token: 403 ({s} {b.strip()})")
    s, _, b = http("POST", f"/whip/{lesson}", offer, student)
    check(s == 403, f"student token (students may not publish): 403 ({s} {b.strip()})")
    s, _, b = http("POST", "/whip/nosuchlesson123", offer, teacher)
    check(s == 404, f"unknown lesson: 404 ({s} {b.strip()})")
    s, h, b = http("POST", f"/whip/{lesson}", b"v=0\r\nthis is not sdp\r\n", teacher)
    check(s == 400 and b.strip() and h.get("Content-Type", "").startswith("text/plain"),
          f"malformed SDP: 400 with a reason ({s} {b.strip()})")
    s, _, b = http("POST", f"/whip/{lesson}", b"v=0\r\n" + b"a=x\r\n" * 60000, teacher)
    check(s == 413, f"oversized body: 413 ({s} {b.strip()})")
    s, _, b = http("POST", f"/whip/{lesson}", offer, teacher, ctype="application/json")
    check(s == 415, f"wrong content type: 415 ({s} {b.strip()})")
    s, h, b = http("PATCH", f"/whip/{lesson}/abc", b"a=end-of-candidates\r\n", teacher,
                   ctype="application/trickle-ice-sdpfrag")
    check(s == 405 and "DELETE" in h.get("Allow", ""), f"PATCH: 405 with Allow ({s} {h.get('Allow')})")
    s, h, _ = http("OPTIONS", f"/whip/{lesson}")
    check(s in (200, 204) and h.get("Access-Control-Allow-Origin") == "*" and
          "Authorization" in h.get("Access-Control-Allow-Headers", "") and
          "POST" in h.get("Access-Control-Allow-Methods", ""), f"OPTIONS with CORS ({s})")
    s, _, _ = http("DELETE", f"/whip/{lesson}/00000000000000000000000000000000")
    check(s == 404, f"DELETE of an unknown session: 404 ({s})")


async def start_chromium_student(token, name):
    """whep_page.mjs joins as a student and exits 0 once the video of the
    participant called `name` has decoded 20 frames and then more (it waits
    up to 60 s for that participant)."""
    return await asyncio.create_subprocess_exec(
        "node", "tests/e2e/whep_page.mjs", "student", token, name,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def chromium_student_decodes(proc):
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 80)
    except asyncio.TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
    for line in out.decode(errors="replace").splitlines()[-8:]:
        print(f"  student: {line}", flush=True)
    return proc.returncode == 0


async def main():
    out = subprocess.run(["node", "tests/e2e/make_lesson.mjs", '{"title":"whip"}'],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        log("cannot make a lesson:", out.stderr)
        return False
    tokens = json.loads(out.stdout)
    lesson, teacher, student = tokens["id"], tokens["teacher"], tokens["student"]
    log(f"lesson {lesson}")

    # Chromium is slow to start on a loaded machine: it comes up meanwhile.
    chromium = await start_chromium_student(student, "OBS")
    async with websockets.client.connect(WS_URL, max_size=1 << 22) as ws:
        await ws.send(json.dumps({"type": "join", "token": student, "name": "viewer", "req": 1}))
        j = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check(j.get("type") == "joined", f"viewer joins ({j.get('type')} {j.get('code', '')})")
        viewer = Watcher(ws)
        loop_task = asyncio.ensure_future(viewer.receive_loop())

        pc, loc = await publish(lesson, teacher)
        try:
            await asyncio.wait_for(viewer.done.wait(), 30)
        except asyncio.TimeoutError:
            pass
        whip_ids = {i for i, p in viewer.joined.items() if p.get("name") == "OBS"}
        check(whip_ids, f"the viewer sees the WHIP publisher join as 'OBS' ({viewer.joined})")
        log(f"decoded {viewer.video_frames} frames {viewer.video_size}, audio frames "
            f"{viewer.audio_frames}, from {viewer.video_from}")
        check(viewer.video_frames >= aiortc_viewer.MIN_FRAMES and viewer.video_size[0] > 0,
              f"the viewer decodes the WHIP video ({viewer.video_frames} frames)")
        check(viewer.video_from & whip_ids, "the decoded video is the WHIP publisher's")
        check(await chromium_student_decodes(chromium),
              "a Chromium student decodes the WHIP publisher's video (framesDecoded grows)")

        offer = pc.localDescription.sdp.encode()
        await asyncio.get_running_loop().run_in_executor(
            None, error_statuses, lesson, teacher, student, offer)

        s, h, _ = await asyncio.get_running_loop().run_in_executor(None, http, "DELETE", loc)
        check(s == 200 and h.get("Access-Control-Allow-Origin") == "*", f"DELETE {loc}: 200 ({s})")
        for _ in range(50):
            if viewer.left & whip_ids:
                break
            await asyncio.sleep(0.1)
        check(viewer.left & whip_ids, "the viewer sees participant_left for the WHIP publisher")
        s, _, _ = http("DELETE", loc)
        check(s == 404, f"DELETE again: 404 ({s})")
        await pc.close()
        loop_task.cancel()
        await viewer.close()
    return True


if __name__ == "__main__":
    try:
        ok = asyncio.run(main())
    except AssertionError as e:
        log(f"FAIL: {e}")
        ok = False
    log(f"{CHECKS} checks; {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)
