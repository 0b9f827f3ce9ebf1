#!/usr/bin/env bash
# e2e_store_budget.sh - --max-store-bytes: a flood of long URLs is refused with "store budget of N bytes reached" while a job accepted before runs on, and that job ends with every URL done exactly once; `dtask purge` of the floods gives the room back.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_store_budget

BUDGET=4194304 LEGIT=2000
dt_httpd_start
dt_master_start --data "$DT_TMP/data" --max-store-bytes 4M

legit="$DT_TMP/legit.txt" flood="$DT_TMP/flood.txt"
for ((i = 0; i < LEGIT; i++)); do echo "$DT_HTTP/page/$((2000 + i))"; done >"$legit"
# Floods of 7 KiB URLs, 20 a job: about 0.3 MiB of store each with their results' room.
"$DT_PYTHON" -c 'import sys
pad = "x" * 7000
for i in range(20): print("%s/page/%d?pad=%s" % (sys.argv[1], 5000 + i, pad))' "$DT_HTTP" >"$flood"

# The legitimate job is accepted, and waits for its results (no worker yet).
results="$DT_TMP/results.jsonl"
dt_spawn_to legit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job legit --wait -f "$legit"
accepted() { [ "$(dt_cli --timeout 5 status --json --job legit 2>>"$DT_TMP/cli.log" | dt_json 'd["submitted"]')" -eq "$LEGIT" ]; }
dt_wait_for 60 "the legitimate job accepted" accepted

# The flood: accepted until the budget (with room kept for every queued task's result) is reached,
# then refused every time, with the reason.
took=0 refused=0
for ((i = 0; i < 40; i++)); do
  rc=0
  dt_cli --timeout 30 submit --job "flood-$i" --no-wait-room -f "$flood" >/dev/null 2>"$DT_TMP/flood.err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    [ "$refused" -eq 0 ] || fail "flood $i accepted after an earlier one was refused"
    took=$((took + 20))
    continue
  fi
  [ "$rc" -eq 4 ] || fail "flood $i exited $rc, expected 0 or 4 (refused): $(tail -2 "$DT_TMP/flood.err")"
  grep -q "store budget of $BUDGET bytes reached" "$DT_TMP/flood.err" \
    || fail "no 'store budget of $BUDGET bytes reached' message: $(tail -2 "$DT_TMP/flood.err")"
  refused=$((refused + 1))
done
dt_say "flood: $took long URLs accepted, then $refused submits refused: $(tail -1 "$DT_TMP/flood.err")"
[ "$took" -gt 0 ] && [ "$refused" -gt 0 ] || fail "the budget was not reached by the flood"

# The workers run everything accepted: every result is recorded, the legitimate job's exactly once.
dt_worker_start w1 --concurrency 32
dt_wait_exit legit 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait of the legitimate job exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$legit" --results "$results" \
  || fail "the legitimate job's results do not match"
done_all() { [ "$(dt_status_json | dt_json 'd["pending"] + d["inflight"] + d["delayed"]')" -eq 0 ]; }
dt_wait_for 120 "every accepted task finished" done_all
status=$(dt_status_json)
[ "$(printf '%s' "$status" | dt_json "d['done'] == $LEGIT + $took")" = true ] || fail "status: $status"

# `dtask purge` of the floods gives their room back: a flood is accepted again.
floods=$((took / 20))
for ((i = 0; i < floods; i++)); do
  dt_cli --timeout 10 purge --job "flood-$i" >>"$DT_TMP/purge.out" 2>>"$DT_TMP/cli.log" || fail "purge of flood-$i failed"
done
[ "$(grep -c '^purged job flood-[0-9]* (20 tasks)' "$DT_TMP/purge.out")" -eq "$floods" ] \
  || fail "purge output: $(cat "$DT_TMP/purge.out")"
purged() { [ "$(grep -c 'MASTER-PURGED' "$DT_TMP/master.log")" -ge "$floods" ]; }
dt_wait_for 60 "the floods' rows deleted" purged
[ "$(dt_status_json | dt_json 'd["submitted"]')" -eq "$LEGIT" ] || fail "purged jobs still counted"
rc=0
dt_cli --timeout 30 submit --job flood-again --no-wait-room -f "$flood" >/dev/null 2>"$DT_TMP/flood.err" || rc=$?
[ "$rc" -eq 0 ] || fail "after the purge a flood was refused: $(tail -1 "$DT_TMP/flood.err")"
dt_wait_for 120 "the last flood finished" done_all

# The store kept to its budget: its file, once the master checkpointed it at exit.
dt_stop_pid "$(dt_pid_of w1)"
dt_stop_pid "$(dt_pid_of master)"
size=$(stat -c %s "$DT_TMP/data/dtask.db")
dt_say "store: $size bytes for a budget of $BUDGET"
[ "$size" -le "$BUDGET" ] || fail "the store is $size bytes, past its budget of $BUDGET"
dt_say "PASS"
