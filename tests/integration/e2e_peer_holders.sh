#!/usr/bin/env bash
# e2e_peer_holders.sh - workers that keep their tasks and never answer (stopped, or fakes that heartbeat) cannot spend a job's attempts.
#
# With --max-attempts 2 and a 3 s task time limit, a real worker crawls 2,000 URLs (50 ms each)
# while two real workers are frozen with SIGSTOP as soon as they hold tasks, and 20 fake workers
# (tests/tools/dt_fakeworkers hold) say HELLO and heartbeat for 10 s, keeping every task they get.
# Their leases end at the time limit (3 s + the 0.5 s grace) while the master still thinks them
# alive (a missed heartbeat counts only after 20 x 0.5 s), and each fake is given tasks again after
# each expiry. A lease that expires on a worker that has returned no result for a whole task time
# limit counts as lost with a stuck worker (the task's max_lost, 10 x max attempts,
# DT_STATE_LOST_FACTOR), not as a spent attempt: so the job ends with every URL done exactly once
# and none failed. Before, every task held twice failed "lease lost".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_holders

FAKES=${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_fakeworkers
N=2000

dt_httpd_start
dt_master_start --memory --max-attempts 2 --task-timeout 3 --heartbeat 500 --liveness 20
dt_worker_start real-w1 --concurrency 16 --heartbeat 500
dt_worker_start stop-w2 --concurrency 4 --heartbeat 500
dt_worker_start stop-w3 --concurrency 4 --heartbeat 500
dt_wait_for 20 "3 workers registered" dt_workers_registered 3

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/50?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to hold "$DT_TMP/hold.out" "$FAKES" "$DT_MASTER" hold 20 10
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"

# Freeze the two once they hold tasks (they have returned results by then, and then return none).
holds_tasks() {
  dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" \
    | dt_json "all(w['inflight'] > 0 for w in d['workers'] if w['name'] in ('stop-w2', 'stop-w3'))" \
      2>/dev/null | grep -q true
}
dt_wait_for 30 "the workers to be frozen to hold tasks" holds_tasks
kill -STOP "$(dt_pid_of stop-w2)" "$(dt_pid_of stop-w3)"

dt_wait_exit hold 60
[ "$DT_EXIT" -eq 0 ] || fail "dt_fakeworkers hold exited $DT_EXIT"
dt_say "$(cat "$DT_TMP/hold.out")"
read -r _ _ fakes _ welcomed _ refused _ tasks _ max <"$DT_TMP/hold.out"
[ "$welcomed" -eq 20 ] || fail "expected 20 fakes welcomed"

dt_wait_exit submit 280
[ "$DT_EXIT" -le 1 ] || fail "dtask submit --wait exited $DT_EXIT"
expired=$(grep -c 'LEASE-EXPIRED' "$DT_TMP/master.log" || true)
dt_say "LEASE-EXPIRED lines: $expired; tasks dealt to the fakes: $tasks"
[ "$expired" -gt 0 ] || fail "no lease ended at its time limit: the attack did not hold tasks"
[ "$tasks" -gt $((welcomed * 8)) ] || fail "the fakes were given no task again after an expiry"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results beside the holding workers do not match"
status=$(dt_status_json)
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
kill -9 "$(dt_pid_of stop-w2)" "$(dt_pid_of stop-w3)"
dt_alive master || fail "master died"
dt_say "PASS"
