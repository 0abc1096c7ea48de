"""HTTP keep-alive: replies without a body (204 to a CORS preflight, 204 of
a DELETE) must end their request at once. When the next request on the same
connection came before the empty body was "written", the server took it for
the old one and answered it 204 too: a WHEP player's POST after its OPTIONS
got 204 instead of 201 now and then. Here the requests are pipelined, which
made it happen every time. Raw sockets: urllib would open a new connection
per request."""

import socket
import sys
import urllib.parse

from e2e_common import SABAQ_URL, Checks, run_main

check = Checks("http_keepalive")
ROUNDS = 30


def read_response(sock, buf):
    """(status, rest of buf) for one response read from sock."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise AssertionError("the server closed the connection")
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise AssertionError("the server closed the connection mid-body")
        rest += data
    return status, rest[length:]


def pipelined(first, second):
    """Sends both requests at once on one connection, ROUNDS times: the
    statuses of every pair."""
    url = urllib.parse.urlparse(SABAQ_URL)
    pairs = []
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        buf = b""
        for _ in range(ROUNDS):
            sock.sendall(first + second)
            a, buf = read_response(sock, buf)
            b, buf = read_response(sock, buf)
            pairs.append((a, b))
    return pairs


async def main():
    preflight = (b"OPTIONS /whep/abcdefghijkl HTTP/1.1\r\nHost: t\r\nOrigin: http://player\r\n"
                 b"Access-Control-Request-Method: POST\r\n\r\n")
    stats = b"GET /api/stats HTTP/1.1\r\nHost: t\r\n\r\n"
    pairs = pipelined(preflight, stats)
    check(all(p == (204, 200) for p in pairs),
          f"{ROUNDS} x OPTIONS (204) then GET on one connection: {sorted(set(pairs))}")
    whip_preflight = preflight.replace(b"/whep/", b"/whip/")
    pairs = pipelined(whip_preflight, stats)
    check(all(p == (204, 200) for p in pairs),
          f"{ROUNDS} x WHIP OPTIONS then GET on one connection: {sorted(set(pairs))}")
    return True


if __name__ == "__main__":
    sys.exit(0 if run_main(main, check, timeout_s=60) else 1)
