#!/usr/bin/python3
"""End-to-end: aiortc, a WebRTC stack independent of Chromium, joins a lesson
as a student over Sabaq's WebSocket (docs/protocol.md), answers Sabaq's
subscribe offers and must decode the Chromium teacher's VP8 video:
at least MIN_FRAMES frames with width > 0 within TIMEOUT seconds of joining.
Run with Debian's /usr/bin/python3 (python3-aiortc, python3-websockets).
Usage: aiortc_viewer.py --url ws://127.0.0.1:18080/ws --token STUDENT_TOKEN
"""

# Patches from /work/shared/TESTING.md, before any connection exists:
# aioice skips 127.0.0.1, the only address in the test's network namespace;
# aiortc 1.4 gives two header extensions id 2 when audio and video share a
# connection, which stops all media.
import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]
from aiortc.codecs import HEADER_EXTENSIONS  # noqa: E402

HEADER_EXTENSIONS["audio"][1].id = 3

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402
import websockets.client  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError, VideoStreamTrack  # noqa: E402
from av import VideoFrame  # noqa: E402

MIN_FRAMES = 20
TIMEOUT = 30.0


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}] aiortc:", *args, flush=True)


class Pattern(VideoStreamTrack):
    """A moving test picture, 320x240, for the tests that publish: a blue
    gradient sliding sideways over a flat green, or over a green gradient
    sliding down too when green_moves (more detail for H.264)."""

    def __init__(self, green_moves=False):
        super().__init__()
        self.n = 0
        self.green_moves = green_moves

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        self.n += 1
        img = numpy.zeros((240, 320, 3), numpy.uint8)
        img[:, :, 0] = (numpy.arange(320) + self.n * 4) % 256
        img[:, :, 1] = (numpy.arange(240)[:, None] + self.n * 2) % 256 if self.green_moves else 128
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Viewer:
    def __init__(self, ws):
        self.ws = ws
        self.pc = RTCPeerConnection()
        self.participants = {}  # id -> {id, name, role}
        self.tracks = {}  # mid -> {kind, participant, active} of the last offer
        self.video_frames = 0
        self.video_size = (0, 0)
        self.video_from = set()
        self.audio_frames = 0
        self.errors = []
        self.done = asyncio.Event()
        self.readers = []

        @self.pc.on("track")
        def on_track(track):
            log(f"track {track.kind} {track.id}")
            reader = self.read_video(track) if track.kind == "video" else self.read_audio(track)
            self.readers.append(asyncio.ensure_future(reader))

        @self.pc.on("connectionstatechange")
        def on_state():
            log(f"connection {self.pc.connectionState}")

    def source_of(self, track):
        for t in self.pc.getTransceivers():
            if t.receiver.track is track:
                info = self.tracks.get(str(t.mid))
                return info.get("participant") if info else None
        return None

    async def read_video(self, track):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if frame.width > 0:
                self.video_frames += 1
                self.video_size = (frame.width, frame.height)
                src = self.source_of(track)
                if src:
                    self.video_from.add(src)
            if self.video_frames >= MIN_FRAMES:
                self.done.set()

    async def read_audio(self, track):
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.audio_frames += 1

    async def send(self, msg):
        await self.ws.send(json.dumps(msg))

    async def on_offer(self, msg):
        version = msg.get("version")
        self.tracks = {str(t.get("mid")): t for t in msg.get("tracks", [])}
        log(f"subscribe_offer version {version}: {json.dumps(msg.get('tracks'))}")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        await self.send({"type": "subscribe_answer", "sdp": self.pc.localDescription.sdp,
                         "version": version})

    async def handle(self, msg):
        kind = msg.get("type")
        if kind == "subscribe_offer":
            await self.on_offer(msg)
        elif kind == "participant_joined":
            p = msg.get("participant") or {}
            self.participants[p.get("id")] = p
            log(f"participant_joined {json.dumps(p)}")
        elif kind == "participant_left":
            self.participants.pop(msg.get("id"), None)
            log(f"participant_left {msg.get('id')}")
        elif kind == "error":
            self.errors.append(msg)
            log(f"server error {json.dumps(msg)}")
        elif kind != "pong":
            log(f"unexpected message {json.dumps(msg)[:200]}")

    async def receive_loop(self):
        async for raw in self.ws:
            try:
                msg = json.loads(raw)
            except ValueError:
                log(f"non-JSON from server: {raw[:100]!r}")
                continue
            try:
                await self.handle(msg)
            except Exception as e:  # a failed offer is a test failure, not a crash
                self.errors.append({"type": "exception", "message": repr(e)})
                log(f"handling {msg.get('type')} failed: {e!r}")

    async def close(self):
        for r in self.readers:
            r.cancel()
        await self.pc.close()


async def run(url, token):
    async with websockets.client.connect(url, max_size=1 << 20) as ws:
        await ws.send(json.dumps({"type": "join", "token": token, "name": "aiortc", "req": 1}))
        joined = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if joined.get("type") != "joined":
            log(f"join failed: {json.dumps(joined)}")
            return False
        log(f"joined as {joined.get('participant')}; present: {json.dumps(joined.get('participants'))}")
        viewer = Viewer(ws)
        for p in joined.get("participants", []):
            viewer.participants[p.get("id")] = p
        teachers = {p.get("id") for p in joined.get("participants", []) if p.get("role") == "teacher"}
        loop = asyncio.ensure_future(viewer.receive_loop())
        started = time.monotonic()
        try:
            await asyncio.wait_for(viewer.done.wait(), TIMEOUT)
        except asyncio.TimeoutError:
            pass
        elapsed = time.monotonic() - started
        w, h = viewer.video_size
        log(f"decoded {viewer.video_frames} frames {w}x{h}")
        log(f"(in {elapsed:.1f} s; {viewer.audio_frames} audio frames; video from {sorted(viewer.video_from)}; "
            f"teacher {sorted(teachers)}; connection {viewer.pc.connectionState})")
        ok = viewer.video_frames >= MIN_FRAMES and w > 0
        if ok and teachers and not (viewer.video_from & teachers):
            log("the decoded video is not the teacher's")
            ok = False
        if not ok:
            log(f"FAIL: need >= {MIN_FRAMES} frames with width > 0 within {TIMEOUT:.0f} s; "
                f"server errors: {json.dumps(viewer.errors)}")
        try:
            await viewer.send({"type": "leave"})
        except Exception:
            pass
        loop.cancel()
        await viewer.close()
        return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="ws://127.0.0.1:18080/ws")
    ap.add_argument("--token", required=True, help="the t= of the lesson's student link")
    args = ap.parse_args()
    ok = asyncio.run(run(args.url, args.token))
    print(f"aiortc_viewer: {'PASS' if ok else 'FAIL'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
