#!/usr/bin/env python3
"""celery_peer.py - the Celery peer of the stdio benchmark (bench/run): a Python function served as
tasks, Redis as the broker and the result backend.

  celery_peer.py worker --redis URL --name NAME [--concurrency C]
  celery_peer.py drive  --redis URL -n N -w W [--timeout S]

`worker` runs one Celery worker (the default prefork pool, C child processes, default 16) serving
square(n) = n * n. `drive` waits until W workers answer a ping, starts the clock, sends the N tasks
square(1) .. square(N) as one group (apply_async: one round of pipelined publishes) and waits for
every result (the group's get(), which the Redis backend serves by subscription), stops the clock,
checks that the results are the N squares and prints `elapsed_ms=MS` and `failed=K` (results that are
not the expected square; exit status 1 if any). It is Celery as documented, with its defaults
(prefetch multiplier 4, acks on receipt, JSON serialisation), not tuned for this benchmark.
"""

import argparse
import sys
import time

from celery import Celery, group

app = Celery("dtask_bench")


@app.task(name="square")
def square(n):
    return n * n


def configure(redis_url):
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        broker_connection_retry_on_startup=True,
    )


def worker(a):
    app.worker_main(["worker", "--pool", "prefork", "--concurrency", str(a.concurrency),
                     "--hostname", a.name + "@127.0.0.1", "--loglevel", "WARNING",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])


def drive(a):
    deadline = time.monotonic() + a.timeout
    while True:
        replies = app.control.ping(timeout=0.5) or []
        if len(replies) >= a.w:
            break
        if time.monotonic() > deadline:
            sys.exit("celery_peer.py: %d of %d workers answered the ping" % (len(replies), a.w))
    t0 = time.monotonic_ns()
    res = group(square.s(i) for i in range(1, a.n + 1)).apply_async()
    out = res.get(timeout=max(1.0, deadline - time.monotonic()))
    ms = (time.monotonic_ns() - t0) / 1e6
    failed = sum(1 for i, v in enumerate(out, 1) if v != i * i) + (a.n - len(out))
    print("elapsed_ms=%.3f" % ms)
    print("failed=%d" % failed, flush=True)
    res.forget()
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--redis", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--concurrency", type=int, default=16)
    d = sub.add_parser("drive")
    d.add_argument("--redis", required=True)
    d.add_argument("-n", type=int, required=True)
    d.add_argument("-w", type=int, required=True)
    d.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    configure(a.redis)
    if a.cmd == "worker":
        worker(a)
        return 0
    return drive(a)


if __name__ == "__main__":
    sys.exit(main())
