#!/usr/bin/env bash
# e2e_forge.sh - result forgery with real leases, while a legitimate 2,000-URL job runs (issue: "a
# result is accepted only from the connection that holds the lease for that attempt; the name in a
# message proves nothing").
#
# tests/tools/dt_peer forge registers a worker that takes real tasks of the job (their ids, attempts
# and the master's epoch) and never runs them; then a peer that never said HELLO sends RESULTS
# "done" for those leases naming that worker, and a second registered worker sends them naming the
# holder and naming itself, all with final_url http://forged.invalid/. None may be recorded: every
# URL ends done exactly once by the real worker, with its own final URL, and the master counts each
# forged result as late (it answers no lease of the connection it came over). The holder then falls
# silent, so its leases end and the real worker runs them.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_forge

PEER=${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_peer
N=2000

dt_httpd_start
dt_master_start --memory --heartbeat 200 --liveness 5
urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/20?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
# The forger registers first, so it is dealt tasks of the job as soon as the job arrives.
dt_spawn_to forge "$DT_TMP/forge.out" "$PEER" forge "$DT_MASTER" 8000
dt_wait_for 20 "the forger registered" dt_workers_registered 1
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"
dt_worker_start real-w1 --concurrency 16 --heartbeat 200

dt_wait_exit forge 60
[ "$DT_EXIT" -eq 0 ] || fail "dt_peer forge exited $DT_EXIT"
dt_say "$(cat "$DT_TMP/forge.out")"
leased=$(sed -n 's/.*leased=\([0-9]*\).*/\1/p' "$DT_TMP/forge.out")
[ "${leased:-0}" -gt 0 ] || fail "the forger was dealt no task: the attack did not run"

dt_wait_exit submit 280
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
! grep -q 'forged.invalid' "$results" || fail "a forged result was recorded"
! grep -q '"worker":"forge-' "$results" || fail "a result was credited to a forger"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results beside the forger do not match"
status=$(dt_status_json)
dt_say "late $(printf '%s' "$status" | dt_json 'd["late"]'), duplicates $(printf '%s' "$status" | dt_json 'd["duplicates"]')"
for check in "d[\"done\"] == $N" 'd["failed"] == 0' "d[\"late\"] >= 3 * $leased"; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
dt_alive master || fail "master died"
dt_say "PASS"
