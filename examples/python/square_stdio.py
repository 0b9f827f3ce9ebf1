#!/usr/bin/env python3
"""square_stdio.py - a dtask --stdio child: one JSON task per line in, one JSON result per line out."""
import json, sys

for line in sys.stdin:
    task = json.loads(line)
    try:
        n = int(task["payload"].rsplit("/", 1)[-1])
        reply = {"id": task["id"], "state": "done", "output": str(n * n)}
    except (KeyError, ValueError) as e:
        reply = {"id": task["id"], "state": "failed", "error": f"not a number: {e}"}
    print(json.dumps(reply), flush=True)
