#!/usr/bin/env python3
"""clock_stdio.py - a dtask --stdio child whose output is the wall-clock ms at which it got the task
(bench/run's delay section compares it with the task's due time)."""
import json, sys, time

for line in sys.stdin:
    task = json.loads(line)
    print(json.dumps({"id": task["id"], "state": "done", "output": str(int(time.time() * 1000))}), flush=True)
