#!/usr/bin/env bash
# e2e_py_worker.sh - examples/python/dtask_worker.py, a worker written against the wire protocol alone, serves a kind
# on the real master; kill -9 of it mid-task loses nothing: every task still gets exactly one recorded result.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_py_worker

py=$DT_PYTHON
"$py" -c 'import zmq, msgpack' 2>/dev/null || py=/usr/bin/python3
"$py" -c 'import zmq, msgpack' || fail "python3-zmq and python3-msgpack are needed (scripts/install-deps)"
worker="$DTASK_TESTS/../examples/python/dtask_worker.py"
dt_master_start --data "$DT_TMP/data" --heartbeat 200

dt_say "the built-in square, 100 payloads"
dt_spawn pyw1 "$py" "$worker" --master "$DT_MASTER" --kind square --name pyw1
rc=0
seq 1 100 | timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind square -f - --wait \
  >"$DT_TMP/sq.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "submit --wait exited $rc"
"$py" - "$DT_TMP/sq.jsonl" 100 <<'PY' || fail "square results are wrong"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
ok = sorted(int(r["payload"]) for r in rs if r["state"] == "done" and int(r["output"]) == int(r["payload"]) ** 2)
if ok != list(range(1, n + 1)):
    print("%d results, %d right" % (len(rs), len(ok))); sys.exit(1)
PY
dt_stop_pid "$(dt_pid_of pyw1)"

dt_say "a command per task; the worker is killed -9 mid-job and another takes over"
cmd=(sh -c 'read n; sleep 0.05; echo $((n * n))')
dt_spawn pyw2 "$py" "$worker" --master "$DT_MASTER" --kind slowsq --name pyw2 --capacity 3 -- "${cmd[@]}"
dt_spawn_to submit2 "$DT_TMP/slow.jsonl" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" \
  submit --kind slowsq --wait 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
has_some() { [ "$(dt_count_results "$DT_TMP/slow.jsonl")" -ge 5 ]; }
dt_wait_for 60 "five results" has_some
kill -9 "$(dt_pid_of pyw2)"
dt_spawn pyw3 "$py" "$worker" --master "$DT_MASTER" --kind slowsq --name pyw3 -- "${cmd[@]}"
dt_wait_exit submit2 120
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait exited $DT_EXIT"
"$py" - "$DT_TMP/slow.jsonl" 30 <<'PY' || fail "results after the kill are wrong"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
n = int(sys.argv[2])
ids = [r["id"] for r in rs]
ok = sorted(int(r["payload"]) for r in rs if r["state"] == "done" and r["exit_code"] == 0
            and int(r["output"]) == int(r["payload"]) ** 2)
if len(ids) != len(set(ids)) or ok != list(range(1, n + 1)):
    print("%d results (%d distinct ids), %d right" % (len(rs), len(set(ids)), len(ok))); sys.exit(1)
print("30 results, each once, after the kill")
PY
dt_say "ok"
