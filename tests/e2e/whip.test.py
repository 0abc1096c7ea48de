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
from e2e_common import (SABAQ_URL, Checks, check_sdp_statuses, make_lessons,  # noqa: E402
                        run_main, sdp_request as http)

import asyncio  # noqa: E402
import json  # noqa: E402

import websockets.client  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack  # noqa: E402

BASE = SABAQ_URL
WS_URL = BASE.replace("http", "ws", 1) + "/ws"


check = Checks("whip")
log = check.log


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
    pc.addTransceiver(aiortc_viewer.Pattern(), direction="sendonly")
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
    check_sdp_statuses(check, "whip", lesson, teacher, offer)
    s, _, b = http("POST", f"/whip/{lesson}", offer, student)
    check(s == 403, f"student token (students may not publish): 403 ({s} {b.strip()})")


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
    tokens = make_lessons({"title": "whip"})[0]
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
    ok = run_main(main, check)
    sys.exit(0 if ok else 1)
