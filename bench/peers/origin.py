#!/usr/bin/env python3
"""origin.py - the Python "distributed process" pattern that dtask is compared against (bench/run).

A multiprocessing.managers.BaseManager serves a task queue and a result queue over TCP, guarded by an
authkey. The manager puts every task, then collects every result; worker processes connect to it,
get() a task, do it, put() a result. This is the textbook shape (manager.start(), register
'get_task_queue'/'get_result_queue', workers in a loop of get/put), kept as plain as it usually is:
one task per get, one result per put, single-threaded workers.

  origin.py manager --port-file FILE --urls FILE -w W [--timeout S]
  origin.py worker  --port P [--work noop|fetch]

The manager binds 127.0.0.1 on a free port and writes it to --port-file. It waits until W workers
have said hello on the result queue, starts the clock, puts the URLs of --urls (one task each), collects as many results,
stops the clock and prints `elapsed_ms=MS` (and `failed=K`, results that were not HTTP 200) on stdout.
Workers with --work noop answer at once; with --work fetch they GET the URL with urllib. Workers run
until they get None or the manager goes away; bench/run stops them by PID in any case.
"""

import argparse
import os
import queue
import signal
import sys
import time
import urllib.request
from multiprocessing.managers import BaseManager

AUTHKEY = b"dtask-bench"
HELLO = "hello"
CONNECT_TRIES = 100  # a worker started next to its manager retries this many times, 0.1 s apart
FETCH_TIMEOUT_S = 30

task_queue = queue.Queue()
result_queue = queue.Queue()


def _task_queue():
    return task_queue


def _result_queue():
    return result_queue


class QueueManager(BaseManager):
    pass


def run_manager(args):
    with open(args.urls) as f:
        urls = [line.strip() for line in f if line.strip()]
    QueueManager.register("get_task_queue", callable=_task_queue)
    QueueManager.register("get_result_queue", callable=_result_queue)
    manager = QueueManager(address=("127.0.0.1", 0), authkey=AUTHKEY)
    manager.start()
    # manager.start() forked the queue server: a TERM (bench/run's timeout) must still shut it down.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    try:
        port = manager.address[1]
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
        task = manager.get_task_queue()
        result = manager.get_result_queue()
        deadline = time.monotonic() + args.timeout
        for _ in range(args.w):
            r = result.get(timeout=max(0.1, deadline - time.monotonic()))
            if r != HELLO:
                raise SystemExit("origin: expected hello, got %r" % (r,))
        t0 = time.monotonic()
        for u in urls:
            task.put(u)
        failed = 0
        for _ in range(len(urls)):
            _url, status = result.get(timeout=max(0.1, deadline - time.monotonic()))
            if status != 200:
                failed += 1
        t1 = time.monotonic()
        for _ in range(args.w):
            task.put(None)
        print("elapsed_ms=%.3f" % ((t1 - t0) * 1e3))
        print("failed=%d" % failed)
        sys.stdout.flush()
    except queue.Empty:
        raise SystemExit("origin: timed out after %d s" % args.timeout)
    finally:
        manager.shutdown()


def do_fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as r:
            r.read()
            return r.status
    except Exception:  # a failed fetch is a result, as in any crawler
        return 0


def run_worker(args):
    QueueManager.register("get_task_queue")
    QueueManager.register("get_result_queue")
    manager = QueueManager(address=("127.0.0.1", args.port), authkey=AUTHKEY)
    for i in range(CONNECT_TRIES):
        try:
            manager.connect()
            break
        except ConnectionRefusedError:
            if i == CONNECT_TRIES - 1:
                raise
            time.sleep(0.1)
    task = manager.get_task_queue()
    result = manager.get_result_queue()
    result.put(HELLO)
    fetch = args.work == "fetch"
    while True:
        try:
            url = task.get()
        except (EOFError, ConnectionError):
            return  # the manager is gone
        if url is None:
            return
        result.put((url, do_fetch(url) if fetch else 200))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("manager")
    m.add_argument("--port-file", required=True)
    m.add_argument("--urls", required=True)
    m.add_argument("-w", type=int, required=True)
    m.add_argument("--timeout", type=int, default=300)
    w = sub.add_parser("worker")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--work", choices=("noop", "fetch"), default="noop")
    args = ap.parse_args()
    if args.mode == "manager":
        run_manager(args)
    else:
        run_worker(args)


if __name__ == "__main__":
    main()
