#!/usr/bin/python3
"""Chat, polls and attendance over a real WebSocket against ./build/sabaq,
with real tokens (staff sign-in, POST /api/lessons, a roster upload), and
their durability: the server is killed with SIGKILL and restarted, and the
chat history, poll votes and attendance (the CSV exports) are still there.

Runs its own server on 127.0.0.1:18100 (media 41020) with its own data
directory, inside run.sh's network namespace. Exit status 0 when every check
passes. Uses Debian's python3-websockets (asyncio)."""

import asyncio
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

from e2e_common import Checks, Server, token_of

PORT = 18100
MEDIA_PORT = 41020
BASE = f"http://127.0.0.1:{PORT}"
WS_URL = f"ws://127.0.0.1:{PORT}/ws"
BIN = os.environ.get("SABAQ_BIN_PATH", "./build/sabaq")


check = Checks()


def http(method, path, body=None, headers=None, content_type="application/json"):
    """(status, headers, body bytes) without following redirects."""
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("Content-Type", content_type)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def staff_add(data):
    """`sabaq staff add`: the teacher's personal sign-in link."""
    out = subprocess.run([BIN, "staff", "add", "--name", "Aigerim Bekova", "--role", "teacher",
                          "--data-dir", data], capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, f"sabaq staff add works ({out.stderr.strip()[:200]})")
    return next(w for w in out.stdout.split() if "t=" in w)


def staff_signin(link):
    """The sign-in link traded for a session cookie."""
    status, headers, _ = http("GET", "/signin?t=" + token_of(link))
    cookie = headers.get("Set-Cookie", "")
    check(status in (200, 302) and "sabaq_session=" in cookie, "sign-in gives a session cookie")
    return cookie.split(";")[0]


def make_lesson(cookie):
    status, _, body = http("POST", "/api/lessons",
                           {"title": "Алгебра 7B", "language": "kk", "duration_min": 45},
                           {"Cookie": cookie})
    check(status in (200, 201), f"POST /api/lessons creates a lesson ({status})")
    j = json.loads(body)
    lesson = j["lesson"]["id"]
    links = {k: token_of(v) for k, v in j["links"].items()}
    roster = ("name,class,school\r\n"
              "\"Ахметов, Ерлан\",7B,\"NIS \"\"Astana\"\"\"\r\n"
              "Сейтова Дана,7B,NIS\r\n"
              "=cmd|' /C calc'!A0,7B,NIS\r\n").encode()
    status, _, body = http("POST", f"/api/lessons/{lesson}/roster", roster, {"Cookie": cookie},
                           "text/csv")
    check(status in (200, 201), f"the roster upload is accepted ({status})")
    entries = json.loads(body)
    entries = entries.get("entries", entries.get("roster", entries)) if isinstance(entries, dict) \
        else entries
    personal = {e["name"]: token_of(e.get("link") or e.get("url")) for e in entries}
    return lesson, links, personal


# ---- a WebSocket client -------------------------------------------------

class Client:
    def __init__(self, label, cookie=None):
        self.label = label
        self.cookie = cookie   # a signed-in teacher's session: joins as that staff member
        self.ws = None
        self.inbox = []
        self.cond = asyncio.Condition()
        self.reader = None
        self.req = 0
        self.joined = None
        self.token = None

    async def open(self):
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await websockets.connect(WS_URL, max_size=2 ** 22, extra_headers=headers)
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for frame in self.ws:
                msg = json.loads(frame)
                async with self.cond:
                    self.inbox.append(msg)
                    self.cond.notify_all()
        except websockets.ConnectionClosed:
            pass

    async def send(self, msg):
        await self.ws.send(json.dumps(msg, ensure_ascii=False))

    async def expect(self, pred, what, timeout=5.0):
        """The first message (consumed) matching pred: a type name or a function."""
        test = (lambda m: m.get("type") == pred) if isinstance(pred, str) else pred
        deadline = time.monotonic() + timeout
        async with self.cond:
            while True:
                for i, m in enumerate(self.inbox):
                    if test(m):
                        return self.inbox.pop(i)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: no {what} within {timeout} s; "
                                         f"got {[m.get('type') for m in self.inbox]}")
                try:
                    await asyncio.wait_for(self.cond.wait(), left)
                except asyncio.TimeoutError:
                    pass

    async def request(self, msg, timeout=5.0):
        """Sends msg with a fresh req; the reply (answer or error) with that req."""
        self.req += 1
        req = f"{self.label}-{self.req}"
        await self.send(dict(msg, req=req))
        return await self.expect(lambda m: m.get("req") == req, f"reply to {msg['type']}", timeout)

    def seen(self, type_):
        return [m for m in self.inbox if m.get("type") == type_]

    async def join(self, token, name=None):
        self.token = token
        await self.open()
        msg = {"type": "join", "token": token}
        if name:
            msg["name"] = name
        self.joined = await self.request(msg)
        if self.joined.get("type") != "joined":
            raise AssertionError(f"{self.label} could not join: {self.joined}")
        return self.joined

    async def close(self):
        if self.ws:
            await self.ws.close()
        if self.reader:
            await asyncio.wait([self.reader], timeout=2)


async def settle():
    await asyncio.sleep(0.3)


# ---- the checks -----------------------------------------------------------

async def chat_checks(t, a, s1, s2):
    print("chat both ways, private to staff", flush=True)
    ack = await s1.request({"type": "chat_send", "text": "Сәлеметсіз бе, мұғалім!"})
    check(ack["type"] == "chat_ack" and ack["id"] > 0, "a student's message is acknowledged with an id")
    m = await t.expect(lambda m: m.get("type") == "chat" and m.get("id") == ack["id"], "chat")
    check(m["text"] == "Сәлеметсіз бе, мұғалім!" and m["to"] == "all" and m["role"] == "student",
          "the teacher receives it with text, to and role")
    ack2 = await t.request({"type": "chat_send", "text": "Hello class, open page 42"})
    m = await s2.expect(lambda m: m.get("type") == "chat" and m.get("id") == ack2["id"], "chat")
    check(m["name"] == "Aigerim Bekova", "a student receives the teacher's message")
    ack3 = await s2.request({"type": "chat_send", "text": "I cannot hear", "to": "staff"})
    await a.expect(lambda m: m.get("type") == "chat" and m.get("id") == ack3["id"], "private chat")
    await settle()
    check(not [m for m in s1.seen("chat") if m["id"] == ack3["id"]],
          "a private message to staff does not reach the other student")
    return [ack["id"], ack2["id"], ack3["id"]]


async def bad_input_checks(s1, s2):
    print("invalid UTF-8, oversized and mistyped fields: errors, nothing stored", flush=True)
    await s1.ws.send(b'{"type":"chat_send","text":"bad \xff\xfe bytes"}')
    e = await s1.expect("error", "error for invalid UTF-8")
    check(e["code"] in ("bad_json", "bad_message"), f"invalid UTF-8 is refused ({e['code']})")
    await s1.ws.send(b'{"type":"chat_send","text":"overlong \xc0\xaf"}')
    e = await s1.expect("error", "error for an overlong encoding")
    check(e["code"] in ("bad_json", "bad_message"), "an overlong encoding is refused")
    e = await s1.request({"type": "chat_send", "text": "ә" * 2001})
    check(e.get("code") == "too_long", "2001 characters (4002 bytes) get too_long")
    ok = await s1.request({"type": "chat_send", "text": "ә" * 2000})
    check(ok["type"] == "chat_ack", "2000 two-byte characters are accepted")
    for bad in ({"text": 5}, {"text": ["x"]}, {"text": "hi", "to": "teacher"}, {},
                {"text": "\u0007bell"}):
        e = await s1.request(dict({"type": "chat_send"}, **bad))
        check(e.get("code") == "bad_message", f"chat_send {json.dumps(bad)} gets bad_message")
    e = await s1.request({"type": "poll_answer", "poll": "1", "choices": [0]})
    check(e.get("code") == "bad_message", "a poll id as a string gets bad_message")
    e = await s1.request({"type": "chat_delete", "id": ok["id"]})
    check(e.get("code") == "forbidden" and e.get("right") == "moderate_chat",
          "a student cannot delete messages (forbidden, moderate_chat)")
    pong = await s1.request({"type": "ping"})
    check(pong["type"] == "pong", "the connection goes on after the errors")
    print("rate limit", flush=True)
    s4 = Client("bolat")
    await s4.join(s2.token, "Bolat")
    replies = []
    for i in range(6):
        replies.append(await s4.request({"type": "chat_send", "text": f"spam {i}"}))
    check(all(r["type"] == "chat_ack" for r in replies[:5]), "5 messages in 5 s are accepted")
    check(replies[5].get("code") == "rate_limited" and replies[5].get("retry_after_ms", 0) > 0,
          f"the 6th gets rate_limited with retry_after_ms ({replies[5].get('retry_after_ms')})")
    check("too fast" in replies[5].get("message", ""), "with a clear sentence")
    await s4.close()
    return ok["id"], [r["id"] for r in replies[:5]]


async def poll_checks(t, a, s1, s2):
    print("polls answered and tallied", flush=True)
    p = await t.request({"type": "poll_create", "question": "2 + 2 = ?", "kind": "single",
                         "options": ["3", "4", "5"]})
    check(p["type"] == "poll" and p["state"] == "open", "the teacher creates a poll")
    pid = p["id"]
    await s1.expect(lambda m: m.get("type") == "poll" and m.get("id") == pid, "poll")
    e = await s1.request({"type": "poll_create", "question": "mine", "kind": "yesno"})
    check(e.get("code") == "forbidden" and e.get("right") == "manage_polls",
          "a student cannot create a poll")
    r = await s1.request({"type": "poll_answer", "poll": pid, "choices": [0]})
    check(r["type"] == "poll_answer_ack", "a student answers")
    r = await s1.request({"type": "poll_answer", "poll": pid, "choices": [1]})
    check(r["type"] == "poll_answer_ack", "and changes the answer")
    r = await s2.request({"type": "poll_answer", "poll": pid, "choices": [1]})
    e = await s2.request({"type": "poll_answer", "poll": pid, "choices": [7]})
    check(e.get("code") == "bad_message", "an index out of range gets bad_message")

    def full_tally(m):
        return m.get("type") == "poll_tally" and m.get("poll") == pid and m.get("answers") == 2

    tally = await a.expect(full_tally, "tally with 2 answers")
    check(tally["counts"] == [0, 2, 0], f"the assistant sees the live tally {tally['counts']}")
    check(sorted(tally["voters"][1]) == sorted([s1.joined["name"], s2.joined["name"]]),
          "named tally lists who chose what")
    await settle()
    check(not s1.seen("poll_tally"), "students get no tally")
    o = await t.request({"type": "poll_create", "question": "Why?", "kind": "open",
                         "anonymous": True})
    r = await s2.request({"type": "poll_answer", "poll": o["id"], "text": "because, \"x\""})
    check(r["type"] == "poll_answer_ack", "an open anonymous answer is accepted")
    tl = await t.expect(lambda m: m.get("type") == "poll_tally" and m.get("poll") == o["id"],
                        "open tally")
    check(tl["texts"] == [{"text": "because, \"x\""}], "an anonymous tally carries no names")
    res = await t.request({"type": "poll_publish", "poll": pid})
    check(res["type"] == "poll_results" and res["counts"] == [0, 2, 0] and res["total"] == 2,
          "publishing gives the results")
    await s1.expect(lambda m: m.get("type") == "poll_results" and m.get("poll") == pid,
                    "results for students")
    e = await s1.request({"type": "poll_answer", "poll": pid, "choices": [2]})
    check(e.get("code") == "poll_closed", "a published (closed) poll refuses answers")
    return pid, o["id"]


def read_csv(text):
    check(text.startswith("\ufeff"), "the CSV starts with a UTF-8 byte order mark")
    return list(csv.reader(io.StringIO(text[1:])))


def get_csv(lesson, name, headers):
    status, h, body = http("GET", f"/api/lessons/{lesson}/{name}", headers=headers)
    return status, h, body.decode("utf-8")


async def main():
    data = tempfile.mkdtemp(prefix="sabaq-q-e2e-")
    server = Server(BIN, PORT, MEDIA_PORT, data)
    ok = False
    try:
        link = staff_add(data)
        server.start()
        cookie = staff_signin(link)
        lesson, links, personal = make_lesson(cookie)
        dana_token = personal["Сейтова Дана"]
        erlan_token = personal["Ахметов, Ерлан"]

        t, a, s1, s2 = Client("teacher", cookie), Client("assistant"), Client("dana"), Client("gulnar")
        await t.join(links["teacher"])
        await a.join(links["assistant"], "Marat Assistant")
        await s1.join(dana_token)
        await s2.join(links["student"], "Gulnar")
        check(s1.joined["name"] == "Сейтова Дана", "a roster link joins under the roster's name")
        await s1.expect("chat_history", "chat_history after joined")
        panel = await t.expect("attendance", "the attendance panel for the teacher")
        check(any(r["name"] == "Ахметов, Ерлан" and r["never"] for r in panel["rows"]),
              "the panel lists a roster student who has not come")

        sent = await chat_checks(t, a, s1, s2)
        long_id, spam_ids = await bad_input_checks(s1, s2)
        pid, open_id = await poll_checks(t, a, s1, s2)
        hand = await s1.request({"type": "hand_raise"})
        att = await t.request({"type": "attendance_get"})
        dana = next(r for r in att["rows"] if r["name"] == "Сейтова Дана")
        check(dana["present"] and dana["chat_messages"] == 2 and dana["poll_answers"] == 1,
              f"the live panel counts Dana's chat and answers ({dana['chat_messages']}, "
              f"{dana['poll_answers']})")
        check(hand.get("type") != "error" and dana["hands_raised"] == 1,
              f"a raised hand is counted ({hand.get('type')}, {dana['hands_raised']})")

        # The server stores "the lesson was alive at" every 15 s; an interval cut
        # by a crash is closed there. Let one such moment pass.
        print("waiting 16 s, then kill -9 and restart", flush=True)
        await asyncio.sleep(16)
        server.kill9()
        killed_at = time.time() * 1000
        for c in (t, a, s1, s2):
            await c.close()
        server.start()

        t2 = Client("teacher2", cookie)
        await t2.join(links["teacher"])
        hist = await t2.expect("chat_history", "chat_history after the restart")
        ids = [m["id"] for m in hist["messages"]]
        for i in sent + [long_id] + spam_ids:
            check(i in ids, f"acknowledged message {i} survived kill -9")
        check(len(ids) == len(sent) + 1 + len(spam_ids),
              f"nothing refused was stored ({len(ids)} messages)")
        check(any(m["text"] == "I cannot hear" and m["to"] == "staff" for m in hist["messages"]),
              "the private message is replayed to staff")
        polls = {}
        while True:
            try:
                m = await t2.expect(lambda m: m.get("type") in ("poll", "poll_tally"), "poll", 1.0)
            except AssertionError:
                break
            polls.setdefault(m.get("id") or m.get("poll"), []).append(m)
        tallies = [m for m in polls.get(pid, []) if m["type"] == "poll_tally"]
        check(tallies and tallies[0]["counts"] == [0, 2, 0] and tallies[0]["answers"] == 2,
              "the votes survived kill -9")
        check(any(m["type"] == "poll" and m["published"] for m in polls.get(pid, [])),
              "the poll is still published")

        s3 = Client("dana2")
        await s3.join(dana_token)
        h3 = await s3.expect("chat_history", "Dana's history")
        check(not any(m["text"] == "I cannot hear" for m in h3["messages"]),
              "another student's private message is not replayed to Dana")
        check(any(m.get("mine") for m in h3["messages"]), "Dana's own messages are marked mine")
        await s3.expect(lambda m: m.get("type") == "poll_results" and m.get("poll") == pid,
                        "published results for a late joiner")

        att = await t2.request({"type": "attendance_get"})
        dana = next(r for r in att["rows"] if r["name"] == "Сейтова Дана")
        first = dana["intervals"][0]
        check(first[1] is not None and 10000 <= first[1] - first[0] and first[1] <= killed_at,
              f"the interval cut by kill -9 was closed at the last known time "
              f"({(first[1] - first[0]) / 1000:.1f} s)")
        check(len(dana["intervals"]) == 2 and dana["intervals"][1][1] is None and dana["present"],
              "coming back after the restart opened a second interval")
        check(dana["chat_messages"] == 2 and dana["poll_answers"] == 1 and dana["hands_raised"] == 1,
              "Dana's counts survived kill -9")

        print("CSV exports", flush=True)
        status, _, _ = get_csv(lesson, "attendance.csv", {})
        check(status == 401, f"the attendance CSV needs credentials ({status})")
        status, _, _ = get_csv(lesson, "attendance.csv", {"Authorization": "Bearer " + links["student"]})
        check(status == 403, f"a student token is refused ({status})")
        status, h, text = get_csv(lesson, "attendance.csv", {"Authorization": "Bearer " + links["teacher"]})
        check(status == 200 and h.get("Content-Type", "").startswith("text/csv"),
              "a teacher token gets the attendance CSV")
        rows = read_csv(text)
        check(rows[0][:3] == ["name", "role", "class"], f"header {rows[0]}")
        by_name = {r[0]: r for r in rows[1:]}
        check(by_name["Ахметов, Ерлан"][6] == "0.0" and by_name["Ахметов, Ерлан"][4] == "",
              "a roster student who never came is listed with 0 minutes")
        check("'=cmd|' /C calc'!A0" in by_name, "a formula-like name is defused with a quote")
        dana_row = by_name["Сейтова Дана"]
        check(dana_row[2] == "7B" and dana_row[3] == "NIS" and float(dana_row[6]) >= 0.1,
              f"Dana's row has class, school and minutes present ({dana_row[6]})")
        check(re.fullmatch(r"\d\d:\d\d-\d\d:\d\d; \d\d:\d\d-", dana_row[7]) is not None,
              f"Dana has both intervals, the first closed ({dana_row[7]})")
        check(dana_row[9] == "2" and dana_row[10] == "1",
              f"Dana's chat messages and poll answers survived ({dana_row[9]}, {dana_row[10]})")
        status, _, text = get_csv(lesson, "polls.csv?t=" + links["teacher"] + "&tz=%2B05:00", {})
        check(status == 200, f"the polls CSV with ?t= works ({status})")
        prow = read_csv(text)
        check(prow[0] == ["poll id", "question", "kind", "participant", "answer", "time"],
              "the polls CSV header")
        check(any(r[0] == str(pid) and r[3] == "Сейтова Дана" and r[4] == "4" for r in prow[1:]),
              "Dana's changed answer is in the polls CSV")
        check(any(r[0] == str(open_id) and r[3] == "anonymous" and r[4] == "because, \"x\""
                  for r in prow[1:]), "the anonymous answer is anonymous")
        check(all(r[5].endswith("+05:00") for r in prow[1:]), "times use the tz asked for")
        status, _, _ = get_csv(lesson, "polls.csv", {"Cookie": cookie})
        check(status == 200, "the owner's session cookie gets the polls CSV")
        for c in (t2, s3):
            await c.close()
        ok = True
    except Exception as e:   # noqa: BLE001: print whatever failed, then the log
        print(f"FAIL: {e!r}", flush=True)
        print("--- server log ---\n" + server.log_tail() + "---", flush=True)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    print(f"classroom_data: {check.count} checks passed{'' if ok else ', then a failure'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
