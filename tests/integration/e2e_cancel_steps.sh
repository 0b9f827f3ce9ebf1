#!/usr/bin/env bash
# e2e_cancel_steps.sh - CANCEL of a job of 200,000 tasks mostly only in the store (--window 1000) goes in steps of at most DT_LIMIT_CANCEL_STEP rows a loop turn (counted from the master's MASTER-CANCEL-STEP debug lines) while a 2,000-URL job runs: that job ends with every URL done exactly once, STATUS keeps answering during the cancel, and every cancelled task ends failed "cancelled" exactly once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_cancel_steps

BIG=200000 LEGIT=2000 STEP=4096
dt_httpd_start
dt_master_start --data "$DT_TMP/data" --window 1000 -v

legit="$DT_TMP/legit.txt" big="$DT_TMP/big.txt"
for ((i = 0; i < LEGIT; i++)); do echo "$DT_HTTP/page/$((2000 + i))"; done >"$legit"
"$DT_PYTHON" -c 'import sys
for i in range(int(sys.argv[2])): print("%s/page/%d?big" % (sys.argv[1], i))' "$DT_HTTP" "$BIG" >"$big"

# The big job first: the legitimate one queues behind it, and the worker starts on the big one.
dt_cli --timeout 120 -q submit --job big -f "$big" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit of the big job failed"
results="$DT_TMP/results.jsonl"
dt_spawn_to legit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job legit --wait -f "$legit"
accepted() { [ "$(dt_cli --timeout 5 status --json --job legit 2>>"$DT_TMP/cli.log" | dt_json 'd["submitted"]')" -eq "$LEGIT" ]; }
dt_wait_for 60 "the legitimate job accepted" accepted
dt_worker_start w1 --concurrency 16
started() { [ "$(dt_cli --timeout 5 status --json --job big 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" -gt 0 ]; }
dt_wait_for 60 "the worker running the big job" started

# STATUS's reply time before the cancel: the worst of five.
base=0
for ((i = 0; i < 5; i++)); do
  dt_run_timed ms rc dt_cli --timeout 30 status --json --job big
  [ "$rc" -eq 0 ] || fail "status exited $rc"
  [ "$ms" -le "$base" ] || base=$ms
done >/dev/null 2>>"$DT_TMP/cli.log"

dt_cli --timeout 30 cancel --job big >"$DT_TMP/cancel.out" 2>>"$DT_TMP/cli.log" || fail "cancel failed"
count=$(sed -n 's/^cancelled \([0-9]*\) unfinished tasks of job big$/\1/p' "$DT_TMP/cancel.out")
[ -n "$count" ] && [ "$count" -gt $((BIG / 2)) ] || fail "cancel: $(cat "$DT_TMP/cancel.out")"

# STATUS answers while the steps go on, until the big job is finished.
worst=0 polls=0 left=1
for ((i = 0; i < 600 && left > 0; i++)); do
  dt_run_timed ms rc dt_cli --timeout 30 status --json --job big >"$DT_TMP/status.json" 2>>"$DT_TMP/cli.log"
  [ "$rc" -eq 0 ] || fail "status during the cancel exited $rc"
  [ "$ms" -le "$worst" ] || worst=$ms
  polls=$((polls + 1))
  left=$(dt_json 'd["pending"] + d["inflight"] + d["delayed"]' <"$DT_TMP/status.json")
done
[ "$left" -eq 0 ] || fail "the big job still has $left unfinished tasks after $polls STATUS"
dt_say "STATUS: worst $base ms before the cancel, $worst ms in $polls during it"
[ "$worst" -le $((5 * base + 1000)) ] || fail "STATUS took $worst ms during the cancel (before: $base ms)"

# The cancel went in bounded steps (the master's own counts of rows, not a time): a step reads at
# most STEP rows; a refill of the queue cancels what it reads of the job, at most STEP and one span
# (4 windows) at a time.
steps=$(grep -c 'MASTER-CANCEL-STEP job big:' "$DT_TMP/master.log") || true
most=$(sed -n 's/.*MASTER-CANCEL-STEP job big: \([0-9]*\) rows read.*/\1/p' "$DT_TMP/master.log" | sort -n | tail -1)
refills=$(grep -c 'MASTER-CANCEL-REFILL' "$DT_TMP/master.log") || true
refill_most=$(sed -n 's/.*MASTER-CANCEL-REFILL \([0-9]*\) tasks.*/\1/p' "$DT_TMP/master.log" | sort -n | tail -1)
dt_say "cancel of $count tasks: $steps steps (at most $most rows read in one), $refills refills (at most ${refill_most:-0} cancelled in one)"
[ "$steps" -ge 1 ] || fail "no cancel step"
[ "$most" -le "$STEP" ] || fail "a cancel step read $most rows"
[ "${refill_most:-0}" -le $((STEP + 4 * 1000)) ] || fail "a refill cancelled $refill_most tasks"
grep -q 'MASTER-CANCELLED job big' "$DT_TMP/master.log" || fail "no MASTER-CANCELLED line"

# The legitimate job: every URL done exactly once.
dt_wait_exit legit 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait of the legitimate job exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$legit" --results "$results" \
  || fail "the legitimate job's results do not match"

# The big job: one result a task; the cancelled ones failed "cancelled", as many as CANCEL_OK said.
dt_cli --timeout 120 results --job big >"$DT_TMP/big.jsonl" 2>>"$DT_TMP/cli.log" || fail "results --job big failed"
"$DT_PYTHON" - "$DT_TMP/big.jsonl" "$BIG" "$count" <<'PY' || fail "the big job's results do not match"
import json, sys
path, total, cancelled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ids, n_cancelled, n_done = set(), 0, 0
for line in open(path):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if r["id"] in ids:
        sys.exit("task %d has two results" % r["id"])
    ids.add(r["id"])
    if r["state"] == "failed" and r.get("error") == "cancelled":
        n_cancelled += 1
    elif r["state"] == "done":
        n_done += 1
    else:
        sys.exit("unexpected result: %s" % line.strip())
print("big: %d results, %d done, %d cancelled" % (len(ids), n_done, n_cancelled))
if len(ids) != total or n_cancelled != cancelled or n_done + n_cancelled != total:
    sys.exit("expected %d results, %d of them cancelled" % (total, cancelled))
PY
dt_say "PASS"
