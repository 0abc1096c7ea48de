#!/usr/bin/python3
"""End-to-end WHEP (draft-ietf-wish-whep) against run.sh's server.

A Chromium teacher (whep_page.mjs) publishes its 320x240 camera; an aiortc
WHEP client POSTs a recvonly audio + video offer with the student link's
token and must decode the camera's frames and receive the teacher's audio.
A Chromium page on the server's other name (cross-origin: CORS) plays the
lesson as a second WHEP player with Chromium's own offer. Then the teacher
shares a 640x360 screen: both players' frames must switch to it without a new
offer. Also: the documented statuses (401, 403, 404,
400, 413, 415, 405, OPTIONS + CORS), a full lesson (503), the viewer being no
participant, and DELETE.
Run with Debian's /usr/bin/python3; run.sh sets SABAQ_URL."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aiortc_viewer  # noqa: E402,F401  (applies the two aiortc patches of TESTING.md)
from e2e_common import (SABAQ_URL, Checks, check_sdp_statuses, make_lessons,  # noqa: E402
                        run_main, sdp_request as http)

import asyncio  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import websockets.client  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402

BASE = SABAQ_URL
WS_URL = BASE.replace("http", "ws", 1) + "/ws"
CAMERA = (320, 240)
SCREEN = (640, 360)


check = Checks("whep")
log = check.log


class WhepViewer:
    """An aiortc WHEP player: recvonly audio + video, frame sizes counted."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.sizes = {}  # (w, h) -> frames decoded
        self.audio_frames = 0
        self.readers = []

        @self.pc.on("track")
        def on_track(track):
            self.readers.append(asyncio.ensure_future(self.read(track)))

    async def read(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    size = (frame.width, frame.height)
                    self.sizes[size] = self.sizes.get(size, 0) + 1
                else:
                    self.audio_frames += 1
        except MediaStreamError:
            pass

    async def offer(self):
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp.encode()

    async def wait_for(self, size, frames, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.sizes.get(size, 0) < frames:
            await asyncio.sleep(0.2)
        return self.sizes.get(size, 0) >= frames

    async def close(self):
        await self.pc.close()
        for r in self.readers:
            r.cancel()


async def run(cmd):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, cmd)


def statuses(lesson, student, offer):
    check_sdp_statuses(check, "whep", lesson, student, offer)
    sendonly = offer.replace(b"a=recvonly", b"a=sendonly")
    s, _, b = http("POST", f"/whep/{lesson}", sendonly, student)
    check(s == 400 and "nothing to send" in b, f"an offer receiving nothing: 400 ({s} {b.strip()})")


def full_lesson(t, offer):
    """max_participants 2: two players take both seats, a third gets 503."""
    locs = []
    for i in range(2):
        s, h, b = http("POST", f"/whep/{t['id']}", offer, t["student"])
        check(s == 201, f"player {i + 1} of 2 seats: 201 ({s} {b.strip()[:100]})")
        locs.append(h.get("Location"))
    s, _, b = http("POST", f"/whep/{t['id']}", offer, t["student"])
    check(s == 503, f"a third player in a 2-seat lesson: 503 ({s} {b.strip()})")
    for loc in locs:
        s, _, _ = http("DELETE", loc)
        check(s == 200, f"DELETE {loc}: 200 ({s})")
    s, h, _ = http("POST", f"/whep/{t['id']}", offer, t["student"])
    check(s == 201, f"a seat freed by DELETE is taken again: 201 ({s})")
    http("DELETE", h.get("Location"))


async def start_teacher(token):
    proc = await asyncio.create_subprocess_exec(
        "node", "tests/e2e/whep_page.mjs", "teacher", token,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    return proc


async def wait_line(proc, needle, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), max(0.1, end - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if not line:
            break
        text = line.decode(errors="replace").rstrip()
        print(f"  teacher: {text}", flush=True)
        if needle in text:
            return text
    return None


async def wait_player(proc, pred, seconds):
    """Reads the teacher's output until a "player decoded N WxH" line for
    which pred(n, w, h) holds; that (n, w, h), or None."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        line = await wait_line(proc, "player decoded", end - time.monotonic())
        if not line:
            return None
        parts = line.split("player decoded", 1)[1].split()
        n, (w, h) = int(parts[0]), map(int, parts[1].split("x"))
        if pred(n, w, h):
            return n, w, h
    return None


async def main():
    t, small = make_lessons({"title": "whep"}, {"title": "whep full", "max_participants": 2})
    lesson, teacher, student = t["id"], t["teacher"], t["student"]
    log(f"lesson {lesson}")

    viewer = WhepViewer()
    offer = await viewer.offer()
    # Chromium takes longest to come up on a loaded machine: the HTTP-only
    # checks run meanwhile.
    proc = await start_teacher(teacher)
    try:
        await run(lambda: statuses(lesson, student, offer))
        await run(lambda: full_lesson(small, offer))
        check(await wait_line(proc, "ready", 60), "the Chromium teacher publishes its camera")
        async with websockets.client.connect(WS_URL, max_size=1 << 22) as ws:
            await ws.send(json.dumps({"type": "join", "token": teacher, "name": "Assistant",
                                      "req": 1}))
            joined = json.loads(await asyncio.wait_for(ws.recv(), 10))
            check(joined.get("type") == "joined", "a staff observer joins over the WebSocket")

            s, h, body = await run(lambda: http("POST", f"/whep/{lesson}", offer, student))
            check(s == 201, f"POST /whep/{lesson} with the student token: 201 ({s} {body[:200]})")
            check(h.get("Content-Type", "").startswith("application/sdp"), "answer is application/sdp")
            loc = h.get("Location", "")
            check(loc.startswith(f"/whep/{lesson}/"), f"Location {loc}")
            check(h.get("Access-Control-Allow-Origin") == "*", "CORS origin on the POST reply")
            await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))

            check(await viewer.wait_for(CAMERA, 20, 40),
                  f"the viewer decodes the teacher's {CAMERA[0]}x{CAMERA[1]} camera "
                  f"(frames by size: {viewer.sizes})")
            for _ in range(50):
                if viewer.audio_frames > 0:
                    break
                await asyncio.sleep(0.1)
            check(viewer.audio_frames > 0, f"the viewer hears the teacher's mic "
                                           f"({viewer.audio_frames} audio frames)")

            # The observer sees the viewer count, never a participant.
            seen, count = [], None
            end = time.monotonic() + 5
            while time.monotonic() < end and count is None:
                try:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except asyncio.TimeoutError:
                    continue
                seen.append(m.get("type"))
                if m.get("type") == "whep_viewers":
                    count = m.get("count")
            check(count == 1, f"staff are told whep_viewers count 1 ({count}, saw {seen})")
            check("participant_joined" not in seen, "the viewer is not a participant")

            # Chromium as a WHEP player too (its own numbering, a cross-origin POST).
            proc.stdin.write(f"player {lesson} {student}\n".encode())
            await proc.stdin.drain()
            check(await wait_line(proc, "player 201", 30), "a Chromium WHEP player gets 201")
            got = await wait_player(proc, lambda n, w, h: n >= 20 and w == CAMERA[0], 40)
            check(got, f"the Chromium player decodes the camera ({got})")

            remote = viewer.pc.remoteDescription.sdp
            proc.stdin.write(b"screen\n")
            await proc.stdin.drain()
            check(await wait_line(proc, "screen shared", 30), "the teacher shares a screen")
            check(await viewer.wait_for(SCREEN, 10, 40),
                  f"the viewer's frames switch to the {SCREEN[0]}x{SCREEN[1]} screen "
                  f"(frames by size: {viewer.sizes})")
            got = await wait_player(proc, lambda n, w, h: w > CAMERA[0], 40)
            check(got, f"the Chromium player's frames switch to the screen too ({got})")
            check(viewer.pc.remoteDescription.sdp == remote and
                  viewer.pc.signalingState == "stable", "... without a new offer or answer")

            s, h, _ = await run(lambda: http("DELETE", loc))
            check(s == 200 and h.get("Access-Control-Allow-Origin") == "*", f"DELETE {loc}: 200")
            s, _, _ = await run(lambda: http("DELETE", loc))
            check(s == 404, f"DELETE again: 404 ({s})")
    finally:
        if proc.returncode is None:
            try:
                proc.stdin.write(b"stop\n")
                await proc.stdin.drain()
                await asyncio.wait_for(proc.wait(), 15)
            except (asyncio.TimeoutError, ConnectionError):
                proc.kill()
        await viewer.close()
    return True


if __name__ == "__main__":
    ok = run_main(main, check)
    if not ok and os.environ.get("SABAQ_LOG"):
        with open(os.environ["SABAQ_LOG"], errors="replace") as f:
            print("--- server log (tail) ---\n" + "".join(f.readlines()[-40:]) + "---")
    sys.exit(0 if ok else 1)
