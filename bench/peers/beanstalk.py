#!/usr/bin/env python3
"""beanstalk.py - a beanstalkd job queue doing bench/run's workload (standard library only).

A minimal client of beanstalkd's text protocol over a plain socket, used the ordinary synchronous way
(one command, one reply; no pipelining), as a typical client library does.

  beanstalk.py driver --port P --urls FILE -w W [--timeout S]
  beanstalk.py worker --port P

The driver waits until W workers have put "hello" into the `results` tube, starts the clock, puts one
job per URL of --urls into the `tasks` tube, then reserves and deletes as many results, stops the
clock and prints `elapsed_ms=MS` on stdout. A worker reserves a task, deletes it and puts a result
job into `results`, until it reserves "stop" or the server goes away.
"""

import argparse
import socket
import sys
import time

HELLO = b"hello"
STOP = b"stop"
PRI, DELAY, TTR = 1024, 0, 60  # beanstalkd's usual defaults for a put
CONNECT_TRIES = 100  # 0.1 s apart: beanstalkd may still be starting
LINE_MAX = 256  # every reply line of the commands used here is far shorter


class ProtocolError(Exception):
    pass


class Conn:
    """One beanstalkd connection: send a command, read its reply line (and body when it has one)."""

    def __init__(self, port, timeout):
        for i in range(CONNECT_TRIES):
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except ConnectionRefusedError:
                if i == CONNECT_TRIES - 1:
                    raise
                time.sleep(0.1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def _line(self):
        line = self.rfile.readline(LINE_MAX)
        if not line.endswith(b"\r\n"):
            raise ProtocolError("connection closed or overlong reply: %r" % line[:64])
        return line[:-2].split(b" ")

    def cmd(self, text, body=None, expect=None):
        msg = text.encode() + b"\r\n"
        if body is not None:
            msg += body + b"\r\n"
        self.sock.sendall(msg)
        reply = self._line()
        if expect is not None and reply[0] != expect:
            raise ProtocolError("%s: %r" % (text, reply))
        return reply

    def put(self, body):
        self.cmd("put %d %d %d %d" % (PRI, DELAY, TTR, len(body)), body, b"INSERTED")

    def reserve(self):
        """Reserves the next job of the watched tubes: (id, body)."""
        reply = self.cmd("reserve", expect=b"RESERVED")
        job_id, size = int(reply[1]), int(reply[2])
        body = self.rfile.read(size + 2)
        if len(body) != size + 2:
            raise ProtocolError("short job body")
        return job_id, body[:-2]

    def delete(self, job_id):
        self.cmd("delete %d" % job_id, expect=b"DELETED")

    def only_watch(self, tube):
        self.cmd("watch " + tube, expect=b"WATCHING")
        self.cmd("ignore default", expect=b"WATCHING")


def run_driver(args):
    with open(args.urls, "rb") as f:
        urls = [line.strip() for line in f if line.strip()]
    c = Conn(args.port, args.timeout)
    c.cmd("use tasks", expect=b"USING")
    c.only_watch("results")
    for _ in range(args.w):
        job_id, body = c.reserve()
        c.delete(job_id)
        if body != HELLO:
            raise SystemExit("beanstalk: expected hello, got %r" % body[:64])
    t0 = time.monotonic()
    for u in urls:
        c.put(u)
    for _ in range(len(urls)):
        job_id, _body = c.reserve()
        c.delete(job_id)
    t1 = time.monotonic()
    for _ in range(args.w):
        c.put(STOP)
    print("elapsed_ms=%.3f" % ((t1 - t0) * 1e3))
    sys.stdout.flush()


def run_worker(args):
    c = Conn(args.port, None)
    c.only_watch("tasks")
    c.cmd("use results", expect=b"USING")
    c.put(HELLO)
    while True:
        try:
            job_id, body = c.reserve()
        except (ProtocolError, ConnectionError):
            return  # the server is gone
        c.delete(job_id)
        if body == STOP:
            return
        c.put(body + b" ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    d = sub.add_parser("driver")
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--urls", required=True)
    d.add_argument("-w", type=int, required=True)
    d.add_argument("--timeout", type=int, default=300)
    w = sub.add_parser("worker")
    w.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if args.mode == "driver":
        run_driver(args)
    else:
        run_worker(args)


if __name__ == "__main__":
    main()
