#!/usr/bin/env python3
"""dtask_client.py - a minimal client of dtask's wire protocol (proto/PROTOCOL.md), for bench/run only.

The queue benchmark watches the master drain while the workers run, so it speaks the protocol
itself (python3-msgpack, python3-zmq): one DEALER to the master, every frame one msgpack array
[version, type, req, fields...]. (The latency benchmark's client is bench/dtask_lat.c.)

  dtask_client.py drain --master EP --total N [--ready-file F] [--timeout S]
      polls STATUS every millisecond until done + failed reaches N. The clock starts at the first
      poll that sees a task done (so it measures the queue draining, not workers starting). It
      writes --ready-file after its first STATUS reply, so the workers can be started after it.
      Prints elapsed_ms and drained (tasks completed while the clock ran).
"""

import argparse
import os
import sys
import time

import msgpack
import zmq

VERSION = 4
STATUS, STATUS_OK, ERROR = 11, 12, 15
# Stats fields (PROTOCOL.md, `S`): submitted, pending, inflight, delayed, done, failed, ...
S_DONE, S_FAILED = 4, 5


class Client:
    def __init__(self, master, timeout):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(master)
        self.req = 0
        self.timeout_ms = int(timeout * 1000)

    def send(self, mtype, *fields):
        self.req += 1
        self.sock.send(msgpack.packb([VERSION, mtype, self.req] + list(fields), use_bin_type=False))
        return self.req

    def recv(self):
        if not self.sock.poll(self.timeout_ms):
            raise SystemExit("dtask_client: no reply from the master within the timeout")
        msg = msgpack.unpackb(self.sock.recv(), raw=True)
        if msg[1] == ERROR:
            raise SystemExit("dtask_client: master refused: %r" % (msg[3:],))
        return msg

    def close(self):
        self.sock.close()
        self.ctx.term()


def run_drain(args):
    c = Client(args.master, args.timeout)
    deadline = time.monotonic() + args.timeout
    t0 = None
    done0 = 0
    while True:
        if time.monotonic() > deadline:
            raise SystemExit("dtask_client: queue not drained within %d s" % args.timeout)
        c.send(STATUS, "")
        msg = c.recv()
        if msg[1] != STATUS_OK:
            continue
        stats = msg[3]
        if args.ready_file and not os.path.exists(args.ready_file):
            with open(args.ready_file, "w") as f:
                f.write("ready\n")
        final = stats[S_DONE] + stats[S_FAILED]
        now = time.perf_counter()
        if t0 is None and final > 0:
            t0, done0 = now, final
        if final >= args.total:
            break
        time.sleep(0.001)
    print("elapsed_ms=%.3f" % ((now - t0) * 1e3))
    print("drained=%d" % (final - done0))
    print("failed=%d" % stats[S_FAILED])
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    dr = sub.add_parser("drain")
    dr.add_argument("--master", required=True)
    dr.add_argument("--total", type=int, required=True)
    dr.add_argument("--ready-file")
    dr.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    run_drain(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
