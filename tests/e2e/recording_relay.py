#!/usr/bin/python3
"""A bad network between the publishers and Sabaq, for the recording tests.

This kernel has no netem (TESTING.md), so loss *and reordering* come from
this relay: an nftables DNAT rule (the test adds it) sends every datagram for
Sabaq's media port to --listen; the relay forwards each client's datagrams
to --target from a socket of its own (ports 42000-42999, which the rule
leaves alone) and Sabaq's answers back to the client (conntrack gives them
the media port as source, so ICE sees nothing odd). RTP only is impaired:
--loss of it dropped, --reorder of it held back 10-40 ms so later packets
overtake it. STUN, DTLS and RTCP pass untouched. On SIGTERM it prints one
JSON line of counters and exits.
"""
import argparse
import asyncio
import json
import random
import signal
import socket

stats = {"clients": 0, "rtp": 0, "dropped": 0, "reordered": 0, "other": 0, "back": 0}


def is_rtp(data):
    # RFC 7983: 128-191 is RTP or RTCP; RTCP packet types are 192-223 (RFC 5761).
    return len(data) >= 12 and 128 <= data[0] <= 191 and not 192 <= data[1] <= 223


class Upstream(asyncio.DatagramProtocol):
    """One client's socket towards Sabaq: answers go back to the client."""

    def __init__(self, relay, client):
        self.relay, self.client, self.transport = relay, client, None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        stats["back"] += 1
        self.relay.transport.sendto(data, self.client)


class Relay(asyncio.DatagramProtocol):
    def __init__(self, args):
        self.args, self.transport, self.upstreams, self.next_port = args, None, {}, 42000

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        up = self.upstreams.get(addr)
        if up is None:
            up = self.upstreams[addr] = asyncio.ensure_future(self.open_upstream(addr))
        asyncio.ensure_future(self.forward(up, data))

    async def open_upstream(self, addr):
        loop = asyncio.get_running_loop()
        port = self.next_port
        self.next_port += 1
        stats["clients"] += 1
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(self, addr), local_addr=("127.0.0.1", port),
            remote_addr=("127.0.0.1", self.args.target))
        return transport

    async def forward(self, up, data):
        transport = await up
        if not is_rtp(data):
            stats["other"] += 1
            transport.sendto(data)
            return
        stats["rtp"] += 1
        r = random.random()
        if r < self.args.loss:
            stats["dropped"] += 1
        elif r < self.args.loss + self.args.reorder:
            stats["reordered"] += 1
            await asyncio.sleep(random.uniform(0.010, 0.040))
            transport.sendto(data)
        else:
            transport.sendto(data)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--target", type=int, required=True)
    p.add_argument("--loss", type=float, default=0.05)
    p.add_argument("--reorder", type=float, default=0.10)
    args = p.parse_args()
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: done.done() or done.set_result(None))
    await loop.create_datagram_endpoint(lambda: Relay(args), local_addr=("127.0.0.1", args.listen),
                                        family=socket.AF_INET)
    print("relay ready", flush=True)
    await done
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
