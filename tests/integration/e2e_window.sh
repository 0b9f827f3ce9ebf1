#!/usr/bin/env bash
# e2e_window.sh - a durable master with a small memory window: the queue waits on disk, old results are read back from it, and a kill -9 loses nothing.
#
# The master keeps 256 queued tasks and about 8,500 results in memory (--window 256). 20,000 URLs
# (two jobs) are submitted to it with no worker connected, so nearly all of them wait in the store;
# noop workers then drain them while a client waits for every result. The master is killed with
# SIGKILL half-way and restarted on its data directory. Every URL must have exactly one result, in
# the waiting client's output and in `dtask results` (whose first pages come from the store), and
# `dtask results --job` must give one job's results only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_window

N=10000 # per job
data="$DT_TMP/data"
MASTER_ARGS=(--data "$data" --window 256 --heartbeat 200 --liveness 3)
dt_master_start "${MASTER_ARGS[@]}"

a="$DT_TMP/a.txt" b="$DT_TMP/b.txt"
for ((i = 0; i < N; i++)); do echo "http://127.0.0.1:1/a/$i"; done >"$a"
for ((i = 0; i < N; i++)); do echo "http://127.0.0.1:1/b/$i"; done >"$b"
dt_cli --timeout 10 submit --job win-b -f "$b" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submitting job B failed"
results="$DT_TMP/a.jsonl"
dt_spawn_to submit "$results" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  submit --job win-a --wait -f "$a"
dt_wait_for 20 "job A accepted" eval '[ "$(dt_status_json | dt_json "d[\"submitted\"]")" -ge $((2 * N)) ]'
status=$(dt_status_json)
dt_say "queued: $status"

# Slow enough that the kill lands half-way: each worker runs 8 tasks at a time.
dt_worker_start win-w1 --handler noop --concurrency 8 --heartbeat 200
dt_wait_for 60 "some tasks done before the crash" dt_final_at_least 2000
pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed the master (pid $pid)"
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
dt_worker_start win-w2 --handler noop --concurrency 64 --heartbeat 200

dt_wait_exit submit 110
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
dt_wait_for 60 "every task final" dt_final_at_least $((2 * N))
dt_cli --timeout 10 results >"$DT_TMP/all.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
dt_cli --timeout 10 results --job win-b >"$DT_TMP/b.jsonl" 2>>"$DT_TMP/cli.log" \
  || fail "dtask results --job failed"
"$DT_PYTHON" - "$a" "$b" "$results" "$DT_TMP/all.jsonl" "$DT_TMP/b.jsonl" <<'PY' || fail "results are wrong"
import json, sys
a, b = ([l.strip() for l in open(p) if l.strip()] for p in sys.argv[1:3])
def load(path):
    return [json.loads(l) for l in open(path) if l.startswith("{")]
def check(name, res, urls):
    got = [r["url"] for r in res]
    assert len(got) == len(set(got)), f"{name}: a URL printed twice"
    assert set(got) == set(urls), f"{name}: {len(set(urls) - set(got))} missing, {len(set(got) - set(urls))} extra"
    assert all(r["state"] == "done" for r in res), f"{name}: a task not done"
check("waiting client", load(sys.argv[3]), a)
check("dtask results", load(sys.argv[4]), a + b)
check("dtask results --job", load(sys.argv[5]), b)
ids = [r["id"] for r in load(sys.argv[4])]
print(f"{len(ids)} results, ids {min(ids)}..{max(ids)}")
PY
status=$(dt_status_json)
dt_say "status: $status"
for check in "d[\"submitted\"] == $((2 * N))" "d[\"done\"] == $((2 * N))" 'd["pending"] == 0' 'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
dt_say "PASS"
