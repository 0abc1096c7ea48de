"""What the Python end-to-end tests share: checks that count and log, the
WHIP/WHEP HTTP request, lesson links' tokens, and a server of a test's own
(for the tests that kill and restart it). Imports nothing of aiortc, so the
aiortc patches (aiortc_viewer.py) still come before any peer connection."""

import asyncio
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

# run.sh's server, for the tests that share it.
SABAQ_URL = os.environ.get("SABAQ_URL", "http://127.0.0.1:18080")


class Checks:
    """check(cond, what) raises AssertionError when cond is false, else
    counts the check and prints it (with a time and the test's name when
    named)."""

    def __init__(self, name=None):
        self.name = name
        self.count = 0

    def log(self, *args):
        print(f"[{time.strftime('%H:%M:%S')}] {self.name}:", *args, flush=True)

    def __call__(self, cond, what):
        if not cond:
            raise AssertionError(what)
        self.count += 1
        if self.name:
            self.log(f"ok  {what}")
        else:
            print(f"  ok  {what}", flush=True)


def sdp_request(method, path, body=None, token=None, ctype="application/sdp"):
    """A WHIP/WHEP request to run.sh's server: (status, headers, body text)."""
    req = urllib.request.Request(SABAQ_URL + path, data=body, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None and ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")


def make_lessons(*options):
    """Lessons made through the real flow by make_lesson.mjs, one per options
    dict, all at once (node is slow to start on a loaded machine): a list of
    {"id", "teacher", "assistant", "student"}."""
    procs = [subprocess.Popen(["node", "tests/e2e/make_lesson.mjs", json.dumps(o)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for o in options]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"cannot make a lesson: {stderr}")
        out.append(json.loads(stdout))
    return out


def run_main(main, check, timeout_s=None):
    """Runs the test's async main() (within timeout_s when given) and logs
    the count of checks; True when main returned true and no check failed."""
    try:
        ok = asyncio.run(main() if timeout_s is None else asyncio.wait_for(main(), timeout_s))
    except (AssertionError, asyncio.TimeoutError) as e:
        check.log(f"FAIL: {e!r}")
        ok = False
    check.log(f"{check.count} checks; {'PASS' if ok else 'FAIL'}")
    return ok


def check_sdp_statuses(check, prefix, lesson, token, offer):
    """The statuses WHIP and WHEP answer alike at /<prefix>/<lesson>, with a
    token that may POST there and a good offer: 401, 403, 404, 400, 413,
    415, 405 with Allow, OPTIONS with CORS, and 404 for an unknown session."""
    url = f"/{prefix}/{lesson}"
    s, _, b = sdp_request("POST", url, offer, None)
    check(s == 401, f"no token: 401 ({s} {b.strip()})")
    s, _, b = sdp_request("POST", url, offer, token[:-4] + "AAAA")
    check(s == 403, f"forged token: 403 ({s} {b.strip()})")
    s, _, b = sdp_request("POST", url, offer, "nonsense")
    check(s == 403, f"wrong token: 403 ({s} {b.strip()})")
    s, _, b = sdp_request("POST", f"/{prefix}/nosuchlesson123", offer, token)
    check(s == 404, f"unknown lesson: 404 ({s} {b.strip()})")
    s, h, b = sdp_request("POST", url, b"v=0\r\nthis is not sdp\r\n", token)
    check(s == 400 and b.strip() and h.get("Content-Type", "").startswith("text/plain"),
          f"malformed SDP: 400 with a reason ({s} {b.strip()})")
    s, _, b = sdp_request("POST", url, b"v=0\r\n" + b"a=x\r\n" * 60000, token)
    check(s == 413, f"oversized body: 413 ({s} {b.strip()})")
    s, _, b = sdp_request("POST", url, offer, token, ctype="application/json")
    check(s == 415, f"wrong content type: 415 ({s} {b.strip()})")
    s, h, b = sdp_request("PATCH", f"{url}/abc", b"a=end-of-candidates\r\n", token,
                          ctype="application/trickle-ice-sdpfrag")
    check(s == 405 and "DELETE" in h.get("Allow", ""),
          f"PATCH: 405 with Allow ({s} {h.get('Allow')})")
    s, h, _ = sdp_request("OPTIONS", url)
    check(s in (200, 204) and h.get("Access-Control-Allow-Origin") == "*" and
          "Authorization" in h.get("Access-Control-Allow-Headers", "") and
          "POST" in h.get("Access-Control-Allow-Methods", ""), f"OPTIONS with CORS ({s})")
    s, _, _ = sdp_request("DELETE", f"{url}/00000000000000000000000000000000")
    check(s == 404, f"DELETE of an unknown session: 404 ({s})")


def token_of(link):
    """The t= token of a lesson or sign-in link."""
    m = re.search(r"[?&]t=([A-Za-z0-9_\-.]+)", link)
    if not m:
        raise RuntimeError(f"no token in {link!r}")
    return m.group(1)


class Server:
    """./build/sabaq (or `binary`) on 127.0.0.1:port with its own data
    directory, logging to <data>/server.log."""

    def __init__(self, binary, port, media_port, data):
        self.binary, self.port, self.media_port, self.data = binary, port, media_port, data
        self.log_path = os.path.join(data, "server.log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
             "--media-port", str(self.media_port), "--data-dir", self.data],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited at start-up")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/stats",
                                       timeout=1).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError("the server did not come up")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=60):
        return "".join(self.log_text().splitlines(keepends=True)[-n:])
