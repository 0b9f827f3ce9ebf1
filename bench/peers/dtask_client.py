#!/usr/bin/env python3
"""dtask_client.py - a minimal client of dtask's wire protocol (proto/PROTOCOL.md), for bench/run only.

Starting `dtask submit --wait` once per task would measure process start-up, not dtask, so the
latency benchmark speaks the protocol itself (python3-msgpack, python3-zmq): one DEALER to the
master, every frame one msgpack array [version, type, req, fields...].

  dtask_client.py latency --master EP -n N [--timeout S]
      N times, one task at a time: SUBMIT one URL (job J, chunk i) and, in the same breath, a
      long-poll FETCH of job J after the last cursor; the round trip ends when the PAGE holding the
      task's result arrives. Prints p50_us, p99_us, p999_us, elapsed_ms.
  dtask_client.py floor --bind EP -n N [--timeout S]
      the same client loop against bench/zmq_raw's worker (`worker --credit 1`) with no master: a
      ROUTER sends one message and waits for its echo, N times. Its percentiles are what this
      Python client adds to any round trip, printed the same way.
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

VERSION = 1
SUBMIT, SUBMIT_OK, FETCH, PAGE, STATUS, STATUS_OK, ERROR = 7, 8, 9, 10, 11, 12, 15
FETCH_WAIT_MS = 1000
URL = "http://127.0.0.1:1/bench/noop/latency/%024d"
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


def percentile(sorted_vals, p):
    return sorted_vals[(len(sorted_vals) - 1) * p // 1000]


def run_latency(args):
    c = Client(args.master, args.timeout)
    job = "lat-" + os.urandom(6).hex()
    cursor = 0
    us = []
    deadline = time.monotonic() + args.timeout
    t_start = time.monotonic()
    for i in range(args.n):
        t0 = time.perf_counter()
        c.send(SUBMIT, job, i, 0, [URL % i])
        c.send(FETCH, job, cursor, 16, FETCH_WAIT_MS, 0)
        submitted = got = False
        while not (submitted and got):
            if time.monotonic() > deadline:
                raise SystemExit("dtask_client: timed out after %d round trips" % i)
            msg = c.recv()
            if msg[1] == SUBMIT_OK:
                submitted = True
            elif msg[1] == PAGE:
                cursor = msg[3]
                if msg[5]:
                    got = True
                else:  # the long poll ended empty: ask again
                    c.send(FETCH, job, cursor, 16, FETCH_WAIT_MS, 0)
        us.append((time.perf_counter() - t0) * 1e6)
    report_us(us, time.monotonic() - t_start)
    c.close()


def report_us(us, elapsed):
    us.sort()
    print("elapsed_ms=%.3f" % (elapsed * 1e3))
    print("p50_us=%.1f\np99_us=%.1f\np999_us=%.1f" % (percentile(us, 500), percentile(us, 990), percentile(us, 999)))


def run_floor(args):
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(args.bind)
    timeout_ms = args.timeout * 1000
    if not sock.poll(timeout_ms):
        raise SystemExit("dtask_client: no worker said ready")
    peer, _ready = sock.recv_multipart()
    us = []
    t_start = time.monotonic()
    for i in range(args.n):
        t0 = time.perf_counter()
        sock.send_multipart([peer, (URL % i).encode()])
        if not sock.poll(timeout_ms):
            raise SystemExit("dtask_client: no echo within the timeout")
        sock.recv_multipart()
        us.append((time.perf_counter() - t0) * 1e6)
    report_us(us, time.monotonic() - t_start)
    sock.send_multipart([peer, b""])  # tells the worker to exit
    sock.close()
    ctx.term()


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
    lat = sub.add_parser("latency")
    lat.add_argument("--master", required=True)
    lat.add_argument("-n", type=int, required=True)
    lat.add_argument("--timeout", type=int, default=300)
    fl = sub.add_parser("floor")
    fl.add_argument("--bind", required=True)
    fl.add_argument("-n", type=int, required=True)
    fl.add_argument("--timeout", type=int, default=300)
    dr = sub.add_parser("drain")
    dr.add_argument("--master", required=True)
    dr.add_argument("--total", type=int, required=True)
    dr.add_argument("--ready-file")
    dr.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    if args.mode == "latency":
        run_latency(args)
    elif args.mode == "floor":
        run_floor(args)
    else:
        run_drain(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
