#!/usr/bin/env bash
# e2e_backpressure.sh - a full queue (--max-pending) refuses fast with --no-wait-room, or makes submit wait for room; nothing is dropped.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_backpressure

dt_httpd_start
dt_master_start --data "$DT_TMP/data" --max-pending 100

first="$DT_TMP/first.txt" more="$DT_TMP/more.txt" big="$DT_TMP/big.txt"
for ((i = 0; i < 80; i++)); do echo "$DT_HTTP/page/$i"; done >"$first"
for ((i = 0; i < 50; i++)); do echo "$DT_HTTP/size/$i"; done >"$more"
for ((i = 0; i < 2000; i++)); do echo "$DT_HTTP/page/$((1000 + i))"; done >"$big"

submitted() { dt_status_json | dt_json 'd["submitted"]'; }

# 80 fit. With no worker, 50 more do not: refused whole with a clear error, exit 4.
dt_cli --timeout 10 submit --no-wait-room -f "$first" >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "80 URLs under a limit of 100 were refused"
rc=0
dt_cli --timeout 10 submit --no-wait-room -f "$more" >/dev/null 2>"$DT_TMP/full.err" || rc=$?
[ "$rc" -eq 4 ] || fail "submit into a full queue with --no-wait-room exited $rc, expected 4"
grep -qiE 'queue (is )?full' "$DT_TMP/full.err" || fail "no 'queue full' message: $(cat "$DT_TMP/full.err")"
[ "$(submitted)" -eq 80 ] || fail "a refused submission left tasks behind: submitted=$(submitted)"

# By default submit waits for room: 2,000 URLs go through a 100-task window once a worker drains it.
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$big"
sleep 1
dt_alive submit || fail "submit without --no-wait-room gave up on a full queue"
[ "$(submitted)" -le 100 ] || fail "the master accepted more than --max-pending"
dt_worker_start bp-w1 --concurrency 32
dt_wait_exit submit 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$big" --results "$results" \
  || fail "results through a full queue do not match"
status=$(dt_status_json)
for check in 'd["submitted"] == 2080' 'd["done"] == 2080' 'd["pending"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
dt_say "PASS"
