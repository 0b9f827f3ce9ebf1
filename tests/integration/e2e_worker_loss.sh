#!/usr/bin/env bash
# e2e_worker_loss.sh - two workers killed mid-crawl (kill -9) and one stopped with TERM lose no task and record none twice.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_worker_loss

N=2000
dt_httpd_start
# A short heartbeat so the killed worker is declared dead (and its leases end) within ~1 s.
dt_master_start --memory --heartbeat 200 --liveness 3 --max-attempts 5
dt_worker_start loss-w1 --concurrency 8 --timeout 10
dt_worker_start loss-w2 --concurrency 8 --timeout 10
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

# Each fetch takes 50 ms, so the crawl lasts several seconds and every worker holds leases when
# it goes.
urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/50?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"

# have_results N: true once the waiting client has printed N results.
have_results() {
  [ "$(dt_count_results "$results")" -ge "$1" ]
}

dt_wait_for 60 "60 results" have_results 60
w1=$(dt_pid_of loss-w1)
{ kill -KILL "$w1" && wait "$w1"; } 2>/dev/null || true
dt_say "killed loss-w1 (pid $w1) after $(dt_count_results "$results") results"
dt_worker_start loss-w3 --concurrency 8 --timeout 10

dt_wait_for 60 "500 results" have_results 500
w3=$(dt_pid_of loss-w3)
{ kill -KILL "$w3" && wait "$w3"; } 2>/dev/null || true
dt_say "killed loss-w3 (pid $w3) after $(dt_count_results "$results") results"
dt_worker_start loss-w4 --concurrency 8 --timeout 10

dt_wait_for 60 "1000 results" have_results 1000
kill -TERM "$(dt_pid_of loss-w2)"
dt_say "sent TERM to loss-w2 after $(dt_count_results "$results") results"
# It finishes what it holds (8 fetches of 50 ms at most), says BYE and exits 0.
dt_wait_exit loss-w2 15
[ "$DT_EXIT" -eq 0 ] || fail "loss-w2 exited $DT_EXIT after TERM, expected 0"

dt_wait_exit submit 60
[ "$DT_EXIT" -le 1 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results after losing workers do not match"

status=$(dt_status_json)
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0' \
  'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
# Only loss-w4 is left: the killed workers were declared dead, the stopped one said BYE.
only_w4_left() {
  local names
  names=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" \
    | dt_json 'sorted(w["name"] for w in d["workers"])' 2>/dev/null) || return 1
  [ "$names" = '["loss-w4"]' ]
}
dt_wait_for 10 "the master to list only loss-w4" only_w4_left
