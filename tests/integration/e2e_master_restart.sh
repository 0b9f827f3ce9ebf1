#!/usr/bin/env bash
# e2e_master_restart.sh - a master killed mid-crawl and restarted on its --data dir loses no accepted task and records none twice.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_master_restart

N=300
data="$DT_TMP/data"
mkdir -p "$data"
MASTER_ARGS=(--data "$data" --heartbeat 200 --liveness 3 --max-attempts 5)

dt_httpd_start
dt_master_start "${MASTER_ARGS[@]}"
dt_worker_start restart-w1 --concurrency 8 --timeout 10
dt_worker_start restart-w2 --concurrency 8 --timeout 10
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/200?copy=$i"; done >"$urls"
# Without --wait, submit returns once the master has made the tasks durable.
dt_cli --timeout 10 submit -f "$urls" >"$DT_TMP/submit.out" 2>"$DT_TMP/submit.log" || fail "dtask submit failed"

# final_at_least N: true once the master counts N tasks done or failed; sets NFINAL.
final_at_least() {
  NFINAL=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" \
    | dt_json 'd["done"] + d["failed"]' 2>/dev/null) || return 1
  [ "${NFINAL:-0}" -ge "$1" ]
}
dt_wait_for 60 "50 tasks final before the crash" final_at_least 50

pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed the master (pid $pid) with $NFINAL tasks final; restarting it on $DT_MASTER"

# Same endpoint and data dir: the workers redial by themselves.
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "the restarted master to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"

dt_wait_for 120 "all $N tasks final after the restart" final_at_least "$N"

status=$(dt_status_json)
dt_say "status after restart: $status"
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0' \
  'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
dt_cli --timeout 10 results >"$DT_TMP/results.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$DT_TMP/results.jsonl" \
  || fail "stored results after the restart do not match"
