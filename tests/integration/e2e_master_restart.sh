#!/usr/bin/env bash
# e2e_master_restart.sh - a master killed mid-crawl and restarted on its --data dir loses no accepted task and records none twice.
#
# 2,000 URLs are submitted by a client that waits (--wait) for every result. The master is killed
# with SIGKILL while tasks are in flight and results are streaming, then restarted on the same
# endpoint and data directory. The workers and the waiting client must reconnect by themselves; the
# client must print every task's result exactly once and exit 0, and `dtask results` must list
# each task once. A second crash comes right after a restart, before the workers are back. The
# last crash leaves the master down until the waiting client says it is unreachable (after its
# --timeout), and the client must then say the master is back.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_master_restart

N=2000
data="$DT_TMP/data"
MASTER_ARGS=(--data "$data" --heartbeat 200 --liveness 3 --max-attempts 5)

dt_httpd_start
dt_master_start "${MASTER_ARGS[@]}"
dt_worker_start restart-w1 --concurrency 16 --timeout 10 --heartbeat 200
dt_worker_start restart-w2 --concurrency 16 --timeout 10 --heartbeat 200
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/40?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  submit --wait -f "$urls"
have_results() { [ "$(dt_count_results "$results")" -ge "$1" ]; }

kill_master() { # kill -9 the running master
  local pid
  pid=$(dt_pid_of "$MASTER_NAME")
  { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
  dt_say "killed $MASTER_NAME (pid $pid) after $(dt_count_results "$results") results"
}
start_master() { # NAME: start NAME on the same endpoint and data
  MASTER_NAME=$1
  dt_spawn "$MASTER_NAME" "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
  dt_wait_for 15 "$MASTER_NAME to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
}
restart_master() { # NAME: kill -9 the running master, start NAME on the same endpoint and data
  kill_master
  start_master "$1"
}
MASTER_NAME=master

dt_wait_for 60 "400 results before the first crash" have_results 400
restart_master master2
# Crash again at once: the workers may not even have said HELLO to master2.
restart_master master3
# The client may see nothing for a while (its long poll died with the master), so judge progress
# by the master's own count.
dt_wait_for 60 "1200 tasks final after the restarts" dt_final_at_least 1200
kill_master
dt_wait_for 60 "the client to report the master unreachable" \
  grep -q 'MASTER-UNREACHABLE' "$DT_TMP/submit.log"
start_master master4

dt_wait_exit submit 240
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT across master restarts"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "the waiting client's results across restarts do not match"
dt_cli --timeout 10 results >"$DT_TMP/stored.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$DT_TMP/stored.jsonl" \
  || fail "stored results after the restarts do not match"

status=$(dt_status_json)
dt_say "status after restarts: $status"
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0' \
  'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
grep -q 'MASTER-BACK' "$DT_TMP/submit.log" || fail "the client never said the master was back"
dt_say "PASS"
