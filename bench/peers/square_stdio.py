#!/usr/bin/env python3
"""square_stdio.py - a dtask --stdio child that works in batches: it reads whatever its stdin holds,
answers every whole task line in it, and writes all those replies at once. With --stdio-inflight K
the worker keeps up to K tasks in its pipe, so one read and one write serve many tasks (the same
squares as examples/python/square_stdio.py, which answers one line at a time)."""
import json, os, sys


def answer(line):
    task = json.loads(line)
    try:
        n = int(task["payload"].rsplit("/", 1)[-1])
        return json.dumps({"id": task["id"], "state": "done", "output": str(n * n)})
    except (KeyError, ValueError) as e:
        return json.dumps({"id": task["id"], "state": "failed", "error": f"not a number: {e}"})


def main():
    out = sys.stdout.buffer
    rest = b""
    while True:
        data = os.read(0, 1 << 16)
        if not data:
            return
        *lines, rest = (rest + data).split(b"\n")
        if lines:
            out.write(("\n".join(answer(l) for l in lines) + "\n").encode())
            out.flush()


main()
