#!/usr/bin/env bash
# e2e_backpressure.sh - --max-pending bounds the queue for every submission: the CLI cuts its chunks to the limit, refuses fast with --no-wait-room, or waits for room; nothing is dropped or added twice.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_backpressure

dt_httpd_start
dt_master_start --data "$DT_TMP/data" --max-pending 100

first="$DT_TMP/first.txt" more="$DT_TMP/more.txt" big="$DT_TMP/big.txt"
for ((i = 0; i < 300; i++)); do echo "$DT_HTTP/page/$i"; done >"$first"
for ((i = 0; i < 50; i++)); do echo "$DT_HTTP/size/$i"; done >"$more"
for ((i = 0; i < 2000; i++)); do echo "$DT_HTTP/page/$((1000 + i))"; done >"$big"

submitted() { dt_status_json | dt_json 'd["submitted"]'; }

# 300 URLs into an empty queue with a limit of 100 and no worker: the master refuses the CLI's
# first 300-URL chunk as larger than the limit, the CLI cuts its chunks to 100, the first fits and
# the second finds the queue full: exit 4, saying how many were accepted under which job and how to
# add the rest. The bound held.
rc=0
dt_cli --timeout 10 -v submit --no-wait-room --job bp300 -f "$first" >/dev/null 2>"$DT_TMP/full.err" || rc=$?
[ "$rc" -eq 4 ] || fail "300 URLs into --max-pending 100 with --no-wait-room exited $rc, expected 4"
grep -q 'larger than the queue limit: --max-pending 100' "$DT_TMP/full.err" ||
  fail "the master did not refuse the 300-URL chunk as over the limit: $(cat "$DT_TMP/full.err")"
grep -q 'queue is full.*accepted 100 of 300 tasks under job bp300' "$DT_TMP/full.err" ||
  fail "no 'accepted 100 of 300 ... job bp300' message: $(cat "$DT_TMP/full.err")"
grep -q -- '--job bp300' "$DT_TMP/full.err" || fail "no hint to resubmit with --job bp300"
[ "$(submitted)" -eq 100 ] || fail "the queue holds $(submitted) tasks, over --max-pending 100"

# A full queue refuses another submission whole: nothing accepted, exit 4.
rc=0
dt_cli --timeout 10 submit --no-wait-room -f "$more" >/dev/null 2>"$DT_TMP/full2.err" || rc=$?
[ "$rc" -eq 4 ] || fail "submit into a full queue with --no-wait-room exited $rc, expected 4"
grep -q 'accepted 0 of 50 tasks' "$DT_TMP/full2.err" || fail "no 'accepted 0 of 50': $(cat "$DT_TMP/full2.err")"
[ "$(submitted)" -eq 100 ] || fail "a refused submission left tasks behind: submitted=$(submitted)"

# By default submit waits for room: 2,000 URLs go through the 100-task bound once a worker drains
# it; the rest of bp300 is added by running the same submit again under its job id.
results="$DT_TMP/results.jsonl" rest="$DT_TMP/rest.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$big"
dt_spawn_to rest "$rest" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait --job bp300 -f "$first"
sleep 1
dt_alive submit || fail "submit without --no-wait-room gave up on a full queue"
[ "$(submitted)" -le 100 ] || fail "the master accepted more than --max-pending"
dt_worker_start bp-w1 --concurrency 32
peak=0
for ((i = 0; i < 2400; i++)); do
  dt_alive submit || dt_alive rest || break
  s=$(dt_status_json)
  n=$(printf '%s' "$s" | dt_json 'd["pending"] + d["inflight"] + d["delayed"]')
  [ "$n" -le "$peak" ] || peak=$n
  sleep 0.1
done
[ "$peak" -le 100 ] || fail "unfinished tasks reached $peak, over --max-pending 100"
dt_wait_exit submit 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait exited $DT_EXIT"
dt_wait_exit rest 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait --job bp300 exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$big" --results "$results" \
  || fail "results through a full queue do not match"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$first" --results "$rest" \
  || fail "results of bp300 (first 100, then the rest) do not match"
status=$(dt_status_json)
for check in 'd["submitted"] == 2300' 'd["done"] == 2300' 'd["pending"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
dt_say "PASS (peak unfinished $peak)"
