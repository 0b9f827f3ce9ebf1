#!/usr/bin/env python3
"""dtask_worker.py - a dtask worker in plain Python, speaking the wire protocol (proto/PROTOCOL.md, version 4)
directly over ZeroMQ: the reference for writing a worker in any language.

    python3 dtask_worker.py --master tcp://MASTER:5555 --kind square            # built-in: prints n*n
    python3 dtask_worker.py --master tcp://MASTER:5555 --kind resize -- CMD ARGS  # CMD per task, payload on stdin

Needs python3-zmq and python3-msgpack (Debian). It runs one task at a time and holds a few more
(its credit), sends each result back with the task's output and exit code, answers heartbeats, says
HELLO again when the master forgets it (ERROR UNKNOWN_PEER, a restarted master), and BYE on Ctrl-C.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import msgpack
import zmq

VERSION = 4
HELLO, WELCOME, TASKS, RESULTS, HEARTBEAT, BYE, ERROR = 1, 2, 3, 4, 5, 6, 15
DONE, RETRY, FAIL = 0, 1, 2  # Rw.outcome
UNKNOWN_PEER = 4             # ERROR code
EXIT_NONE = 65535            # Rw.exit_code when none applies
OUTPUT_MAX = 1024 * 1024     # DT_LIMIT_OUTPUT_MAX
ERROR_MAX = 512              # DT_LIMIT_ERROR_MAX


def pack(mtype, *fields):
    # Strings go as str and bytes as bin (use_bin_type): the protocol tells them apart.
    return msgpack.packb([VERSION, mtype, 0] + list(fields), use_bin_type=True)


def run_builtin(payload):
    """The built-in task: the square of the number in the payload."""
    try:
        n = int(payload.decode().strip())
    except ValueError:
        return FAIL, b"", 1, "not a number: %r" % payload[:80]
    return DONE, b"%d\n" % (n * n), 0, ""


def run_command(argv, payload, timeout_s):
    """One process per task: payload on stdin, stdout is the output; exit 0 done, 75 retry, else failed."""
    try:
        p = subprocess.run(argv, input=payload, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return RETRY, b"", EXIT_NONE, "task time limit (%d ms)" % int(timeout_s * 1000)
    except OSError as e:
        return FAIL, b"", EXIT_NONE, "cannot run %s: %s" % (argv[0], e.strerror)
    code = p.returncode if p.returncode >= 0 else 256 - p.returncode  # killed by signal N: 256 + N
    err = p.stderr.decode(errors="replace").strip()[-200:]
    if len(p.stdout) > OUTPUT_MAX:
        return FAIL, b"", code, "output over %d bytes" % OUTPUT_MAX
    if p.returncode == 0:
        return DONE, p.stdout, code, ""
    outcome = RETRY if p.returncode == 75 else FAIL
    why = "exit status %d" % p.returncode if p.returncode > 0 else "killed by signal %d" % -p.returncode
    return outcome, p.stdout, code, (why + (": " + err if err else ""))[:ERROR_MAX]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--master", default="tcp://127.0.0.1:5555")
    ap.add_argument("--kind", required=True, help="the task kind served ([a-z0-9_-], 1..32)")
    ap.add_argument("--name", default="%s-py%d" % (socket.gethostname(), os.getpid()))
    ap.add_argument("--capacity", type=int, default=4, help="tasks held at once (credit)")
    ap.add_argument("--heartbeat-ms", type=int, default=1000)
    ap.add_argument("command", nargs="*", help="command run per task (after --); none: built-in square")
    args = ap.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.ROUTING_ID, os.urandom(16))  # kept across reconnects: one identity per process
    sock.setsockopt(zmq.LINGER, 1000)
    sock.setsockopt(zmq.MAXMSGSIZE, 4 * 1024 * 1024)
    sock.connect(args.master)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def hello():
        sock.send(pack(HELLO, args.name, args.capacity, 1, args.heartbeat_ms, [args.kind]))

    hello()
    heartbeat_s, liveness, task_ms = args.heartbeat_ms / 1000.0, 3, 0
    last_heard = last_sent = time.monotonic()
    queue = []  # (id, attempt, epoch, kind, payload, timeout_ms), in arrival order
    while not stop:
        if queue:
            tid, attempt, epoch, kind, payload, timeout_ms = queue.pop(0)
            limit_ms = timeout_ms or task_ms
            t0 = time.monotonic()
            if kind != args.kind:
                outcome, output, code, error = FAIL, b"", EXIT_NONE, "a kind this worker does not serve"
            elif args.command:
                outcome, output, code, error = run_command(args.command, payload, limit_ms / 1000.0 or None)
            else:
                outcome, output, code, error = run_builtin(payload)
            elapsed = int((time.monotonic() - t0) * 1000)
            sock.send(pack(RESULTS, args.name, [[tid, attempt, epoch, outcome, 0, len(output), elapsed,
                                                 "", "", error, output, code, b"", "", 0]]))
            last_sent = time.monotonic()
        timeout = 0 if queue else max(0, heartbeat_s - (time.monotonic() - last_sent))
        if sock.poll(int(timeout * 1000) or (0 if queue else 1)):
            while sock.poll(0):
                msg = msgpack.unpackb(sock.recv(), raw=False)
                last_heard = time.monotonic()
                if msg[1] == TASKS:
                    # [.., epoch, tasks, http]: T's flags and opts and the jobs' HTTP options (H) are
                    # for http fetches; this worker serves a kind of its own and ignores them.
                    epoch = msg[3]
                    queue.extend((t[0], t[1], epoch, t[2], t[3], t[4]) for t in msg[4])
                elif msg[1] == WELCOME:
                    heartbeat_s = (msg[3] or args.heartbeat_ms) / 1000.0
                    liveness = msg[4] or liveness
                    task_ms = msg[5]
                elif msg[1] == ERROR:
                    if msg[3] == UNKNOWN_PEER:
                        hello()  # the master forgot us (it restarted, or declared us dead)
                    else:
                        print("dtask_worker: master refused: %s" % msg[4], file=sys.stderr)
        now = time.monotonic()
        if now - last_sent >= heartbeat_s:
            sock.send(pack(HEARTBEAT))
            last_sent = now
        if now - last_heard > heartbeat_s * liveness:
            hello()  # the master has gone quiet: say HELLO again (it keeps our leases if it is the same run)
            last_heard = now
    sock.send(pack(BYE))
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
