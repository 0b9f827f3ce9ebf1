#!/usr/bin/env bash
# e2e_worker_stall.sh - a worker frozen with SIGSTOP loses its leases; thawed, its late results are not recorded.
#
# A stopped process keeps its TCP connection open but says nothing: only heartbeats can tell it is
# gone. The master must declare it dead, give its tasks to the others, and when SIGCONT lets it
# finish the fetches it held, drop those results (their leases ended with it: late, or duplicates
# for tasks finished meanwhile) so that every URL still has exactly one result. The thawed worker
# then rejoins.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_worker_stall

N=2000
dt_httpd_start
dt_master_start --data "$DT_TMP/data" --heartbeat 200 --liveness 3 --max-attempts 5
for w in stall-w1 stall-w2 stall-w3; do
  dt_worker_start "$w" --concurrency 16 --timeout 10 --heartbeat 200
done
dt_wait_for 20 "3 workers registered" dt_workers_registered 3

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/100?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"

have_results() { [ "$(dt_count_results "$results")" -ge "$1" ]; }
worker_listed() {
  dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" \
    | dt_json "\"$1\" in [w[\"name\"] for w in d[\"workers\"]]" 2>/dev/null | grep -q true
}
worker_gone() { ! worker_listed "$1"; }

dt_wait_for 60 "200 results" have_results 200
w1=$(dt_pid_of stall-w1)
kill -STOP "$w1"
dt_say "froze stall-w1 (pid $w1) after $(dt_count_results "$results") results"
dt_wait_for 30 "the master to declare stall-w1 dead" worker_gone stall-w1
grep -q 'WORKER-DEAD' "$DT_TMP/master.log" || fail "no WORKER-DEAD line in the master's log"
# Let the others run on its tasks for a while, then thaw it: it finishes its fetches and sends
# results the master has already given to others.
dt_wait_for 60 "1000 results" have_results 1000
kill -CONT "$w1"
dt_say "thawed stall-w1 after $(dt_count_results "$results") results"
dt_wait_for 30 "stall-w1 to rejoin" worker_listed stall-w1

dt_wait_exit submit 240
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results after a stalled worker do not match"
dt_cli --timeout 10 results >"$DT_TMP/stored.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$DT_TMP/stored.jsonl" \
  || fail "stored results after a stalled worker do not match"

status=$(dt_status_json)
dt_say "status: $status"
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
# What the stall must cause: stall-w1 was frozen mid-fetch (results were streaming in at
# --concurrency 16 on 100 ms pages), so its leases ended and were given again (retried) and, thawed,
# its results for them were dropped: as duplicates for tasks the others had finished, as late for
# the rest (a lease that ended is never taken back). Each needs a second dispatch, so there are
# never more of them than retries.
for check in 'd["retried"] >= 1' 'd["late"] + d["duplicates"] >= 1' \
  'd["late"] + d["duplicates"] <= d["retried"]'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status after the stall: expected $check"
done
dt_say "PASS ($(printf '%s' "$status" | dt_json 'd["late"] + d["duplicates"]') results of ended leases dropped)"
