#!/usr/bin/env bash
# e2e_fake_workers.sh - fake workers (HELLO with capacity 4096, then vanish, or stay and keep their tasks) cannot fail a job, lock a real worker out or make STATUS large.
#
# A real worker crawls 2,000 URLs (50 ms each) while tests/tools/dt_fakeworkers attacks the master
# from the same address: 3,000 fakes in batches of 100 say HELLO and vanish without a word, then
# 1,000 more say HELLO and stay for 20 s, heartbeating and keeping every task they get. Each fake may
# hold only the starting credit (DT_WORKERS_CREDIT_START, 8); one address only
# DT_LIMIT_WORKERS_PER_ADDR (256) slots; a lease lost with a vanished fake spends none of a task's
# 3 attempts; STATUS lists at most 100 workers, under DT_LIMIT_STATUS_BYTES. So the job ends with
# every URL done exactly once, and a real worker started after the attack registers.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_fake_workers

FAKES=${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_fakeworkers
N=2000
CREDIT_START=8         # DT_WORKERS_CREDIT_START
PER_ADDR=256           # DT_LIMIT_WORKERS_PER_ADDR
STATUS_BYTES=17024     # DT_LIMIT_STATUS_BYTES: 100 workers * 160 + 1024

dt_httpd_start
# Default heartbeat (1 s) and liveness (3): a vanished fake is declared dead 3 s later.
# The connection budget per address (attacked on its own by e2e_peer_conns) is raised above the
# fakes held here, so that this test attacks the worker registry and its credit, not the
# connection table: every peer of the test is 127.0.0.1, the STATUS probe included.
dt_master_start --memory --max-attempts 3 --max-conns-per-addr 2048
dt_worker_start real-w1 --concurrency 16 --timeout 10
dt_wait_for 20 "the real worker registered" dt_workers_registered 1

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/slow/50?copy=$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"

# First the vanishing waves (their leases end as the master declares each dead), then the fakes
# that stay.
dt_spawn_to vanish "$DT_TMP/vanish.out" "$FAKES" "$DT_MASTER" vanish 3000 100
dt_wait_exit vanish 120
[ "$DT_EXIT" -eq 0 ] || fail "dt_fakeworkers vanish exited $DT_EXIT"
dt_spawn_to hold "$DT_TMP/hold.out" "$FAKES" "$DT_MASTER" hold 1000 20

# While the held fakes are registered, STATUS stays small and counts them all.
many_registered() {
  dt_workers_registered 101
}
dt_wait_for 30 "over 100 workers registered" many_registered
for i in 1 2 3; do
  "$FAKES" "$DT_MASTER" status "$STATUS_BYTES" - >>"$DT_TMP/status.out" 2>>"$DT_TMP/status.log" \
    || fail "STATUS during the attack: $(cat "$DT_TMP/status.log")"
done
dt_say "$(tail -1 "$DT_TMP/status.out")"
listed=$(dt_status_json | dt_json 'len(d["workers"])')
[ "$listed" -le 100 ] || fail "status --json listed $listed workers, expected at most 100"

dt_wait_exit hold 60
[ "$DT_EXIT" -eq 0 ] || fail "dt_fakeworkers hold exited $DT_EXIT"
dt_say "$(cat "$DT_TMP/vanish.out")"
dt_say "$(cat "$DT_TMP/hold.out")"
for out in vanish hold; do
  read -r _ _ fakes _ welcomed _ refused _ tasks _ max <"$DT_TMP/$out.out"
  [ "$max" -le "$CREDIT_START" ] || fail "$out: a fake held $max tasks, expected at most $CREDIT_START"
  [ "$welcomed" -le "$PER_ADDR" ] || [ "$out" = vanish ] \
    || fail "hold: $welcomed fakes registered from one address, expected at most $PER_ADDR"
  [ $((welcomed + refused)) -le "$fakes" ] || fail "$out: more answers than fakes"
done

dt_wait_exit submit 240
[ "$DT_EXIT" -le 1 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results under the fake-worker attack do not match"
status=$(dt_status_json)
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done

# The fakes are gone (declared dead): a real worker started now registers.
dt_worker_start real-w2 --concurrency 4 --timeout 10
has_w2() {
  dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" \
    | dt_json '"real-w2" in [w["name"] for w in d["workers"]]' 2>/dev/null | grep -q true
}
dt_wait_for 30 "real-w2 registered" has_w2
grep -q TOO_MANY "$DT_TMP/real-w2.log" && fail "real-w2 was refused: $(grep TOO_MANY "$DT_TMP/real-w2.log")"
dt_say "ok: $N URLs done once each under 4,000 fake workers"
