#!/usr/bin/env bash
# e2e_kinds_kill.sh - kill -9 of a command worker mid-job, for both command handlers: an exec worker (a
# process per task) and a --stdio worker (long-lived children). The tasks it held are leased again when
# its heartbeats stop, a fresh worker finishes them, and every payload ends with exactly one recorded
# result, with the right output. Also the README's delayed-kind example, exactly as written.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_kinds_kill

dt_master_start --data "$DT_TMP/data" --heartbeat 200 --liveness 3
N=300
# A task takes ~50 ms, so a worker of 8 is mid-job for a few seconds: long enough to be killed in it.
EXEC=(sh -c 'read n; sleep 0.05; echo $((n * n))')
# The same as a --stdio child (the line protocol of examples/python/square_stdio.py), as slow.
cat >"$DT_TMP/slow_stdio.py" <<'PY'
import json, sys, time
for line in sys.stdin:
    task = json.loads(line)
    time.sleep(0.05)
    print(json.dumps({"id": task["id"], "state": "done", "output": str(int(task["payload"]) ** 2)}), flush=True)
PY

check() { # check FILE KIND: every payload 1..N once, done, its square as output
  "$DT_PYTHON" - "$1" "$N" "$2" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
n, kind = int(sys.argv[2]), sys.argv[3]
ids = [r["id"] for r in rs]
bad = [r for r in rs if r["kind"] != kind or r["state"] != "done" or int(r["output"]) != int(r["payload"]) ** 2]
got = sorted(int(r["payload"]) for r in rs)
if bad or got != list(range(1, n + 1)) or len(set(ids)) != len(ids):
    print("%s: %d results, %d wrong (first %r), %d distinct ids" % (kind, len(rs), len(bad), bad[:1], len(set(ids))))
    sys.exit(1)
print("%s: %d payloads, each once, right output" % (kind, n))
PY
}

# run KIND WORKER_ARGS...: submits 1..N of KIND, kills the first worker once 40 are done, starts a second.
run() {
  local kind=$1
  shift
  dt_worker_start "$kind-1" --kind "$kind" --concurrency 8 --heartbeat 200 "$@"
  seq 1 "$N" | timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job "job-$kind" \
    --kind "$kind" -f - --wait >"$DT_TMP/$kind.jsonl" 2>"$DT_TMP/$kind.submit.log" &
  local submit=$!
  dt_wait_for 120 "40 $kind results" eval '[ "$(dt_count_results "$DT_TMP/$kind.jsonl")" -ge 40 ]'
  local done_before
  done_before=$(dt_count_results "$DT_TMP/$kind.jsonl")
  [ "$done_before" -lt "$N" ] || fail "$kind: the job ended before the kill"
  dt_say "$kind: kill -9 of its worker after $done_before results, then a fresh worker"
  kill -9 "$(dt_pid_of "$kind-1")"
  dt_worker_start "$kind-2" --kind "$kind" --concurrency 8 --heartbeat 200 "$@"
  local rc=0
  wait "$submit" || rc=$?
  [ "$rc" -eq 0 ] || fail "$kind: dtask submit --wait exited $rc: $(tail -n 5 "$DT_TMP/$kind.submit.log")"
  check "$DT_TMP/$kind.jsonl" "$kind" || fail "$kind: results are wrong after the kill"
  grep -q "\"worker\":\"$kind-2\"" "$DT_TMP/$kind.jsonl" || fail "$kind: the fresh worker finished nothing"
}

run slowsq -- "${EXEC[@]}"
run stdsq --stdio -- "$DT_PYTHON" "$DT_TMP/slow_stdio.py"

dt_say "the README's example: dtask submit --kind resize --priority 5 --delay 60 photo1.jpg photo2.jpg"
rc=0
(cd "$DT_TMP" && dt_cli submit --kind resize --priority 5 --delay 60 photo1.jpg photo2.jpg) \
  >"$DT_TMP/resize.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "the README's resize submit exited $rc: $(cat "$DT_TMP/resize.out")"
dt_status_json >"$DT_TMP/status.json"
[ "$(dt_json '[k["delayed"] for k in d["kinds"] if k["kind"] == "resize"]' <"$DT_TMP/status.json")" = "[2]" ] ||
  fail "status: resize should show 2 delayed: $(cat "$DT_TMP/status.json")"
dt_cli status >"$DT_TMP/status.txt" 2>&1 || fail "dtask status failed"
grep -E '^resize .*no worker serves this kind' "$DT_TMP/status.txt" >/dev/null ||
  fail "status: $(cat "$DT_TMP/status.txt")"
dt_say "ok"
