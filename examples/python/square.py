#!/usr/bin/env python3
"""square.py - a dtask exec command: reads a number (or a URL ending in one) on stdin, prints its square.

    dtask-worker --kind square -- python3 examples/python/square.py

One process per task. Exit 0 is done; a payload that is not a number exits 1 (failed) with the
reason on stderr, which becomes the task's error.
"""
import sys

text = sys.stdin.read().strip()
try:
    n = int(text.rsplit("/", 1)[-1])
except ValueError:
    sys.exit(f"not a number: {text[:80]!r}")  # prints to stderr, exit status 1
print(n * n)
