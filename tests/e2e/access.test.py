#!/usr/bin/python3
"""Lessons and access over a real WebSocket against ./build/sabaq: the staff
flow (first teacher's sign-in link from the log, session cookie, POST
/api/lessons, a roster), every row of the rights table allowed and refused
with the right `right`, forged / edited / expired / other-lesson tokens, the
lobby, lesson_full, removal that outlives the connection, and a kill -9 and
restart after which the lesson, its links, the session and the removal all
still hold.

Runs its own server on 127.0.0.1:18090 (media 41010) with its own data
directory, inside run.sh's network namespace. Exit status 0 when every check
passes. Uses Debian's python3-websockets (asyncio)."""

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

from e2e_common import Checks, Server, token_of

PORT = 18090
MEDIA_PORT = 41010
BASE = f"http://127.0.0.1:{PORT}"
WS_URL = f"ws://127.0.0.1:{PORT}/ws"
BIN = os.environ.get("SABAQ_BIN_PATH", os.environ.get("SABAQ_BIN", "./build/sabaq"))

# Messages the server pushes on its own; replies are matched by `req`.
PUSHED = {"participant_joined", "participant_left", "participant_away", "subscribe_offer",
          "chat_state", "chat_history", "chat", "chat_deleted", "poll", "poll_tally",
          "poll_results", "attendance", "attendance_update", "hands", "hand", "lobby",
          "floor", "rights", "muted", "lesson_state", "transport_closed", "slots", "layers"}


check = Checks()


def http(method, path, body=None, cookie=None, raw=None):
    """(status, headers, parsed JSON or bytes), redirects not followed."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if cookie:
        req.add_header("Cookie", cookie)
    if data is not None:
        req.add_header("Content-Type", "text/csv" if raw is not None else "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as r:
            status, headers, text = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read()
    try:
        return status, headers, json.loads(text)
    except ValueError:
        return status, headers, text


# ---- a WebSocket participant ---------------------------------------------------

class Client:
    def __init__(self, name):
        self.name = name
        self.ws = None
        self.inbox = []      # pushed messages, in order
        self.req = 0
        self.id = None
        self.resume = None

    async def connect(self):
        self.ws = await websockets.connect(WS_URL, max_size=1 << 22)
        return self

    async def request(self, msg, timeout=5):
        """Sends msg with a fresh req; the reply with that req (pushed messages kept)."""
        self.req += 1
        msg = dict(msg, req=self.req)
        await self.ws.send(json.dumps(msg))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            raw = await asyncio.wait_for(self.ws.recv(), end - time.monotonic())
            m = json.loads(raw)
            if m.get("req") == self.req:
                return m
            self.inbox.append(m)
        raise TimeoutError(f"{self.name}: no reply to {msg['type']}")

    async def wait_for(self, mtype, timeout=5, pred=lambda m: True):
        """The first pushed message of this type (already received or coming)."""
        for i, m in enumerate(self.inbox):
            if m.get("type") == mtype and pred(m):
                return self.inbox.pop(i)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), end - time.monotonic())
            except asyncio.TimeoutError:
                break
            m = json.loads(raw)
            if m.get("type") == mtype and pred(m):
                return m
            self.inbox.append(m)
        return None

    async def join(self, token, name=None, **extra):
        msg = {"type": "join", "token": token}
        if name:
            msg["name"] = name
        msg.update(extra)
        reply = await self.request(msg)
        if reply.get("type") in ("joined", "lobby_wait"):
            self.id = reply.get("participant")
            self.resume = reply.get("resume")
        return reply

    async def close(self):
        if self.ws:
            await self.ws.close()


async def joined(token, name, label=None):
    c = await Client(label or name).connect()
    r = await c.join(token, name)
    check(r.get("type") == "joined", f"{name} joins with the {label or 'lesson'} link "
          f"({r.get('type')} {r.get('code', '')})")
    return c


def code_of(reply):
    return reply.get("code") if reply.get("type") == "error" else reply.get("type")


async def expect(client, msg, want, right=None, what=""):
    """Sends msg; checks the reply type (or error code) and the named right."""
    r = await client.request(msg)
    got = code_of(r)
    label = f"{client.name}: {msg['type']} -> {want or 'forbidden'}{' (' + right + ')' if right else ''}"
    if right:
        check(got == "forbidden" and r.get("right") == right, f"{label}; got {json.dumps(r)[:160]}")
    else:
        check(got == want, f"{label}{what}; got {json.dumps(r)[:160]}")
    return r


# ---- the parts of the test -------------------------------------------------------

def sign_in(server):
    m = re.search(r"First teacher created: sign in at (\S+)", server.log_text())
    check(m is not None, "the first start prints the first teacher's sign-in link")
    status, headers, _ = http("GET", "/signin?t=" + token_of(m.group(1)))
    cookie = headers.get("Set-Cookie", "")
    check(status == 302 and "HttpOnly" in cookie and "SameSite=Lax" in cookie,
          f"/signin sets an HttpOnly SameSite cookie and redirects ({status})")
    cookie = cookie.split(";")[0]
    status, _, _ = http("POST", "/api/lessons", {"title": "anonymous"})
    check(status == 401, f"an anonymous visitor cannot create a lesson ({status})")
    return cookie


def create_lesson(cookie, **fields):
    status, _, body = http("POST", "/api/lessons", dict({"title": "Алгебра 7Б"}, **fields),
                           cookie)
    check(status == 201, f"POST /api/lessons {json.dumps(fields)} -> 201 ({status})")
    return {"id": body["lesson"]["id"],
            **{role: token_of(link) for role, link in body["links"].items()}}


async def rights_rows(a):
    """Every row of the rights table, allowed and refused."""
    t = await joined(a["teacher"], "Aigerim", "teacher")
    asst = await joined(a["assistant"], "Asel", "assistant")
    s1 = await joined(a["student"], "Dana", "student")
    s2 = await joined(a["student"], "Erlan", "student")
    bad_sdp = {"type": "publish", "sdp": "v=0\r\n"}
    # publish: staff yes; a student only with the floor.
    await expect(t, bad_sdp, "bad_sdp")
    await expect(asst, bad_sdp, "bad_sdp")
    await expect(s1, bad_sdp, None, right="publish")
    # give/take the floor
    await expect(s2, {"type": "floor_give", "participant": s1.id}, None, right="give_floor")
    await expect(asst, {"type": "floor_give", "participant": s1.id}, "ok")
    check(await s1.wait_for("rights", pred=lambda m: "publish" in m["rights"]) is not None,
          "the student with the floor gets the publish right")
    await expect(s1, bad_sdp, "bad_sdp", what=" (allowed with the floor)")
    await expect(t, {"type": "floor_take", "participant": s1.id}, "ok")
    await expect(s1, bad_sdp, None, right="publish")
    # raise/lower own hand: students only
    await expect(t, {"type": "hand_raise"}, None, right="raise_hand")
    await expect(asst, {"type": "hand_raise"}, None, right="raise_hand")
    await expect(s2, {"type": "hand_raise"}, "ok")
    hands = await t.wait_for("hands", pred=lambda m: m["queue"])
    check(hands and hands["queue"][0]["participant"] == s2.id, "staff see the hand queue")
    await expect(s2, {"type": "hand_lower"}, "ok")
    # mute one / mute all / stop video
    for msg in ({"type": "mute", "participant": s2.id, "kind": "audio"},
                {"type": "stop_video", "participant": s2.id}, {"type": "mute_all"}):
        await expect(s1, msg, None, right="mute_others")
        await expect(asst, msg, "ok")
        await expect(t, msg, "ok")
    check(await s2.wait_for("muted") is not None, "the muted student is told")
    # admit / remove: teacher and assistant
    await expect(s1, {"type": "lobby_admit_all"}, None, right="admit")
    await expect(asst, {"type": "lobby_admit_all"}, "ok")
    await expect(t, {"type": "lobby_admit_all"}, "ok")
    await expect(s1, {"type": "participant_remove", "participant": s2.id}, None, right="remove")
    # lock and end: the teacher only
    for c in (asst, s1):
        await expect(c, {"type": "lesson_lock", "locked": True}, None, right="lock")
        await expect(c, {"type": "lesson_end"}, None, right="end_lesson")
    await expect(t, {"type": "lesson_lock", "locked": True}, "ok")
    late = await Client("late student").connect()
    r = await late.join(a["student"], "Late")
    check(code_of(r) == "lesson_locked", f"a student cannot join a locked lesson ({code_of(r)})")
    await expect(t, {"type": "lesson_lock", "locked": False}, "ok")
    await late.close()
    # polls
    poll = {"type": "poll_create", "question": "2+2?", "kind": "single", "options": ["3", "4"]}
    await expect(s1, poll, None, right="manage_polls")
    await expect(asst, poll, "poll")
    await expect(t, poll, "poll")
    # chat, and its moderation
    chat = {"type": "chat_send", "text": "сәлем"}
    first = await expect(s1, chat, "chat_ack")
    await expect(asst, chat, "chat_ack")
    delete = {"type": "chat_delete", "id": first.get("id")}
    await expect(s2, delete, None, right="moderate_chat")
    await expect(t, delete, "chat_deleted")
    await expect(s1, {"type": "chat_set_enabled", "enabled": False}, None, right="moderate_chat")
    await expect(asst, {"type": "chat_set_enabled", "enabled": False}, "chat_state")
    await expect(s1, chat, None, right="chat")
    await expect(t, chat, "chat_ack", what=" (staff chat while it is off)")
    await expect(t, {"type": "chat_set_enabled", "enabled": True}, "chat_state")
    # remove, last: the assistant removes a student
    await expect(asst, {"type": "participant_remove", "participant": s2.id}, "ok")
    gone = await s2.wait_for("error", pred=lambda m: m.get("code") == "removed")
    check(gone is not None, "the removed student is told `removed`")
    for c in (t, asst, s1, s2):
        await c.close()


async def bad_tokens(a, b, expired):
    c = await Client("mallory").connect()
    forged = a["student"].split(".")[0] + "." + "A" * 43
    body, sig = a["student"].split(".")
    claims = json.loads(__import__("base64").urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["r"] = "teacher"
    edited = __import__("base64").urlsafe_b64encode(
        json.dumps(claims).encode()).decode().rstrip("=") + "." + sig
    cases = [("a forged signature", forged, {}, "bad_token"),
             ("a student link edited into a teacher's", edited, {}, "bad_token"),
             ("garbage", "garbage", {}, "bad_token"),
             ("an expired link", expired["student"], {}, "token_expired"),
             ("another lesson's link", b["student"], {"lesson": a["id"]}, "wrong_lesson")]
    for what, token, extra, want in cases:
        r = await c.join(token, "Mallory", **extra)
        check(code_of(r) == want, f"join with {what} -> {want} ({json.dumps(r)[:140]})")
    r = await c.request({"type": "ping"})
    check(r.get("type") == "pong", "the socket stays open after refused joins")
    await c.close()


async def lobby_and_capacity(cookie):
    lob = create_lesson(cookie, title="lobby", lobby=True, max_participants=3)
    t = await joined(lob["teacher"], "Teacher", "teacher")
    waiting = []
    for name in ("S1", "S2", "S3"):
        c = await Client(name).connect()
        r = await c.join(lob["student"], name)
        check(r.get("type") == "lobby_wait", f"{name} waits in the lobby")
        waiting.append(c)
    q = await t.wait_for("lobby", pred=lambda m: len(m["queue"]) == 3)
    check(q is not None, "the teacher sees three waiting")
    await expect(waiting[0], {"type": "lobby_admit", "participant": waiting[1].id}, "not_joined")
    await expect(t, {"type": "lobby_admit", "participant": waiting[0].id}, "ok")
    j = await waiting[0].wait_for("joined")
    check(j is not None and j["participant"] == waiting[0].id, "the admitted student joins")
    r = await t.request({"type": "lobby_admit_all"})
    check(code_of(r) == "lesson_full", f"admit all stops at max_participants ({code_of(r)})")
    check(await waiting[1].wait_for("joined") is not None, "S2 admitted")
    check(await waiting[2].wait_for("joined", timeout=0.5) is None, "S3 still waits")
    for c in [t] + waiting:
        await c.close()
    full = create_lesson(cookie, title="small", max_participants=2)
    one = await joined(full["student"], "One", "student")
    two = await joined(full["student"], "Two", "student")
    three = await Client("three").connect()
    r = await three.join(full["student"], "Three")
    check(code_of(r) == "lesson_full", f"a third student in a 2-person lesson: {code_of(r)}")
    staff = await joined(full["teacher"], "Teacher", "teacher")
    for c in (one, two, three, staff):
        await c.close()


async def roster_and_removal(cookie, a):
    status, _, body = http("POST", f"/api/lessons/{a['id']}/roster", cookie=cookie,
                           raw="name,class\nАйгерім,7Б\nБолат,7Б\n\"Bad\n".encode())
    check(status == 400 and body.get("error") == "bad_csv", f"a broken CSV is refused ({status})")
    status, _, body = http("POST", f"/api/lessons/{a['id']}/roster", cookie=cookie,
                           raw="name,class\nАйгерім,7Б\nБолат,7Б\n".encode())
    check(status == 200 and len(body["roster"]) == 2, "the roster gives two personal links")
    links = [token_of(e["link"]) for e in body["roster"]]
    t = await joined(a["teacher"], "Teacher", "teacher")
    s = await Client("Айгерім").connect()
    r = await s.join(links[0])
    check(r.get("type") == "joined" and r.get("name") == "Айгерім",
          "a roster link joins with the roster's name")
    second = await Client("Айгерім again").connect()
    r = await second.join(links[0])
    check(r.get("type") == "joined" and r["participant"] == s.id,
          "the same personal link in a second window takes over the same id")
    rep = await s.wait_for("error", pred=lambda m: m.get("code") == "replaced")
    check(rep is not None, "the first window gets `replaced`")
    await expect(t, {"type": "participant_remove", "participant": second.id}, "ok")
    again = await Client("Айгерім returns").connect()
    r = await again.join(links[0])
    check(code_of(r) == "removed", f"a removed student cannot rejoin with her link ({code_of(r)})")
    for c in (t, s, second, again):
        await c.close()
    return links


async def after_restart(cookie, a, links):
    status, _, body = http("GET", "/api/lessons", cookie=cookie)
    check(status == 200 and any(l["id"] == a["id"] for l in body["lessons"]),
          "after kill -9: the session cookie and the lesson are still there")
    t = await joined(a["teacher"], "Teacher", "teacher")
    ok = await Client("Болат").connect()
    r = await ok.join(links[1])
    check(r.get("type") == "joined" and r.get("name") == "Болат",
          "after kill -9: a roster link still works")
    gone = await Client("Айгерім").connect()
    r = await gone.join(links[0])
    check(code_of(r) == "removed", f"after kill -9: the removal still holds ({code_of(r)})")
    s = await joined(a["student"], "Dana", "student")
    r = await t.request({"type": "lesson_end"})
    check(r.get("type") == "lesson_ended", "the teacher ends the lesson")
    check(await s.wait_for("lesson_ended") is not None, "students are told the lesson ended")
    late = await Client("late").connect()
    r = await late.join(a["student"], "Late")
    check(code_of(r) == "lesson_ended", f"joining an ended lesson: {code_of(r)}")
    for c in (t, ok, gone, s, late):
        await c.close()


async def main():
    data = tempfile.mkdtemp(prefix="sabaq-access-")
    server = Server(BIN, PORT, MEDIA_PORT, data)
    try:
        server.start()
        cookie = sign_in(server)
        a = create_lesson(cookie, title="Алгебра 7Б", language="kk")
        b = create_lesson(cookie, title="Other")
        expired = create_lesson(cookie, title="Yesterday",
                                start_ms=int(time.time() * 1000) - 2 * 86400 * 1000)
        print("rights table:", flush=True)
        await rights_rows(a)
        print("tokens:", flush=True)
        await bad_tokens(a, b, expired)
        print("lobby and capacity:", flush=True)
        await lobby_and_capacity(cookie)
        print("roster and removal:", flush=True)
        links = await roster_and_removal(cookie, a)
        print("kill -9 and restart:", flush=True)
        server.kill9()
        server.start()
        await after_restart(cookie, a, links)
        print(f"access: PASS ({check.count} checks)", flush=True)
        return 0
    except Exception as e:  # report, with the server's words
        print(f"access: FAIL: {e!r}", flush=True)
        print("--- server log (tail) ---\n" + "\n".join(server.log_text().splitlines()[-40:]))
        return 1
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
