#!/usr/bin/env bash
# e2e_stdio_inflight.sh - --stdio children holding several tasks at once (--stdio-inflight), through a
# real master: replies out of order, a hung child whose other tasks go back with no attempt spent, a
# child killed by a signal with tasks in flight (all retried), and the options' bounds.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_stdio_inflight

dt_say "bad usage is refused before anything starts"
rc=0
"$DTASK_BIN/dtask-worker" --kind sq --stdio-inflight 4 -- true 2>"$DT_TMP/usage1.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--stdio-inflight needs --stdio" "$DT_TMP/usage1.err" ||
  fail "--stdio-inflight without --stdio: exit $rc, $(cat "$DT_TMP/usage1.err")"
rc=0
"$DTASK_BIN/dtask-worker" --kind sq --stdio --concurrency 64 --stdio-inflight 64 -- true 2>"$DT_TMP/usage2.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "at most\|is over 2048" "$DT_TMP/usage2.err" ||
  fail "64 x 64 tasks in flight: exit $rc, $(cat "$DT_TMP/usage2.err")"

# The child: reads whatever its stdin holds and answers those tasks in reverse order, in one write.
# On a task's first attempt, "hang" sleeps and "die" kills its own process with SIGKILL; on a later one
# they are done.
cat >"$DT_TMP/child.py" <<'PY'
import json, os, signal, sys, time
buf = b""
while True:
    d = os.read(0, 65536)
    if not d:
        break
    *lines, buf = (buf + d).split(b"\n")
    out = []
    for line in lines[::-1]:
        t = json.loads(line)
        p = t["payload"]
        if p == "hang" and t["attempt"] == 1:
            time.sleep(60)
        if p == "die" and t["attempt"] == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        output = str(int(p) ** 2) if p.isdigit() else p
        out.append(json.dumps({"id": t["id"], "state": "done", "output": output}))
    if out:
        os.write(1, ("\n".join(out) + "\n").encode())
PY

# check FILE WANT...: each WANT is "PAYLOAD STATE ATTEMPTS ERROR-SUBSTRING" (ERROR-SUBSTRING "-" for
# none); also checks that every done task's output is its payload squared.
check() {
  "$DT_PYTHON" - "$@" <<'PY'
import json, sys
results = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = 0
for r in results:
    if r["state"] == "done" and r["payload"].isdigit() and r["output"] != str(int(r["payload"]) ** 2):
        print("%s: output %r" % (r["payload"], r["output"])); bad += 1
for want in sys.argv[2:]:
    payload, state, attempts, error = want.split(" ", 3)
    rs = [r for r in results if r["payload"] == payload]
    if len(rs) != 1:
        print("%s: %d results, expected 1" % (payload, len(rs))); bad += 1; continue
    r = rs[0]
    if (r["state"], r["attempts"]) != (state, int(attempts)):
        print("%s: %s after %s attempts, expected %s after %s" % (payload, r["state"], r["attempts"], state, attempts)); bad += 1
    if error != "-" and error not in (r["error"] or ""):
        print("%s: error %r does not contain %r" % (payload, r["error"], error)); bad += 1
print("%d results, %d problems" % (len(results), bad))
sys.exit(1 if bad else 0)
PY
}

# submit_then_serve NAME FILE WORKER-ARGS...: submits FILE's payloads and waits for them; the worker
# starts only once they are all queued, so its first batch of tasks holds them all.
submit_then_serve() {
  local name=$1 file=$2 n
  shift 2
  n=$(wc -l <"$file")
  dt_spawn_to "$name-submit" "$DT_TMP/$name.jsonl" "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind sq \
    --wait -f "$file"
  dt_wait_for 30 "$name: $n tasks queued" pending_at_least "$n"
  dt_worker_start "$name-w" --kind sq --stdio "$@" -- "$DT_PYTHON" "$DT_TMP/child.py"
  dt_wait_exit "$name-submit" 120
  [ "$DT_EXIT" -le 1 ] || fail "$name: dtask submit --wait exited $DT_EXIT"
  dt_stop_pid "$(dt_pid_of "$name-w")"
}
pending_at_least() { [ "$(dt_status_json | dt_json 'd["pending"]')" -ge "$1" ]; }

dt_master_start --memory --max-attempts 2 --retry-base 50

dt_say "500 tasks, 2 children x 16 in flight, answered out of order"
seq 1 500 >"$DT_TMP/many.txt"
submit_then_serve many "$DT_TMP/many.txt" --concurrency 2 --stdio-inflight 16
check "$DT_TMP/many.jsonl" "1 done 1 -" "500 done 1 -" || fail "out-of-order replies: wrong results"
[ "$(grep -c '"state":"done"' "$DT_TMP/many.jsonl")" -eq 500 ] || fail "not all 500 tasks are done"
[ "$(grep -c '"attempts":1,' "$DT_TMP/many.jsonl")" -eq 500 ] || fail "a task took a second attempt"

# The 3 tasks given back have the whole time limit again (5 s) to reach the restarted child.
dt_say "a hung child holding 4 tasks: the hung one retried, the 3 others go to the restarted child"
printf '%s\n' hang 2 3 4 >"$DT_TMP/hung.txt"
submit_then_serve hung "$DT_TMP/hung.txt" --concurrency 1 --stdio-inflight 4 --task-timeout 5
grep -q "STDIO-CHILD-HUNG.*(3 tasks held go back to the queue)" "$DT_TMP/hung-w.log" ||
  fail "the worker did not give back the 3 tasks the hung child held"
check "$DT_TMP/hung.jsonl" "hang done 2 -" "2 done 1 -" "3 done 1 -" "4 done 1 -" ||
  fail "hung child: wrong results (the tasks it held must be done on their first attempt)"

dt_say "a child killed by SIGKILL holding 3 tasks: all 3 retried"
printf '%s\n' 5 die 6 >"$DT_TMP/die.txt"
submit_then_serve die "$DT_TMP/die.txt" --concurrency 1 --stdio-inflight 4
check "$DT_TMP/die.jsonl" "die done 2 -" "5 done 2 -" "6 done 2 -" ||
  fail "killed child: every task it held must be retried"
grep -q "STDIO-CHILD-EXIT.*killed by signal 9" "$DT_TMP/die-w.log" || fail "the worker did not log the child's death"
dt_say "ok"
