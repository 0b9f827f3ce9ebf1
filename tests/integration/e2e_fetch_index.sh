#!/usr/bin/env bash
# e2e_fetch_index.sh - FETCH of a small job on a store of 200,000 results of another job reads only the small job's rows (an index range scan), counted by the master's MASTER-PAGE debug line, not timed; CANCEL of a small job behind a large cold queue is answered at once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_fetch_index

BIG=200000 SMALL=10 FETCHES=20
dt_master_start --data "$DT_TMP/data" -v
dt_worker_start w1 --handler noop --concurrency 64

for ((i = 0; i < SMALL; i++)); do echo "http://127.0.0.1:1/small/$i"; done >"$DT_TMP/small.txt"
"$DT_PYTHON" -c 'import sys
for i in range(int(sys.argv[1])): print("http://127.0.0.1:1/big/%d" % i)' "$BIG" >"$DT_TMP/big.txt"

# The small job first, so its results are the oldest: past the window in memory, in the store only.
dt_cli --timeout 60 submit --job small --wait -f "$DT_TMP/small.txt" >"$DT_TMP/small.jsonl" 2>>"$DT_TMP/cli.log" \
  || fail "submit of the small job failed"
dt_cli --timeout 60 -q submit --job big -f "$DT_TMP/big.txt" >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "submit of the big job failed"
finished() { [ "$(dt_status_json | dt_json 'd["done"]')" -ge "$1" ]; }
dt_wait_for 300 "$((BIG + SMALL)) tasks done" finished "$((BIG + SMALL))"

for ((i = 0; i < FETCHES; i++)); do
  dt_run_timed ms rc dt_cli --timeout 30 results --job small >"$DT_TMP/fetch.jsonl" 2>>"$DT_TMP/cli.log"
  [ "$rc" -eq 0 ] || fail "results --job small exited $rc"
  n=$(grep -c '^{' "$DT_TMP/fetch.jsonl") || true
  [ "$n" -eq "$SMALL" ] || fail "results --job small gave $n results, expected $SMALL"
done
dt_say "last results --job small took $ms ms (not asserted)"

# Every store read for the small job examined at most its own rows (and at least one read happened).
lines=$(grep -c 'MASTER-PAGE job small:' "$DT_TMP/master.log") || true
[ "$lines" -ge "$FETCHES" ] || fail "only $lines store reads logged for the small job"
most=$(sed -n 's/.*MASTER-PAGE job small: .* \([0-9]*\) rows examined.*/\1/p' "$DT_TMP/master.log" | sort -n | tail -1)
dt_say "store reads of the small job: $lines, at most $most rows examined in one"
[ "$most" -le "$SMALL" ] || fail "a FETCH of the small job examined $most rows (its job has $SMALL)"

# CANCEL of a small job queued behind the big one's cold tasks reads only its own.
dt_stop_pid "$(dt_pid_of w1)"
dt_cli --timeout 60 -q submit --job big2 -f "$DT_TMP/big.txt" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit big2"
dt_cli --timeout 60 -q submit --job small2 -f "$DT_TMP/small.txt" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit small2"
dt_run_timed ms rc dt_cli --timeout 30 cancel --job small2
[ "$rc" -eq 0 ] || fail "cancel exited $rc"
# Its cold tasks are cancelled by the steps that follow the answer.
cancelled() { [ "$(dt_cli --timeout 10 status --json --job small2 2>>"$DT_TMP/cli.log" | dt_json 'd["failed"]')" -eq "$SMALL" ]; }
dt_wait_for 30 "the small job's $SMALL cold tasks cancelled" cancelled
dt_say "cancel of $SMALL cold tasks behind $BIG took $ms ms (not asserted)"
dt_say "PASS"
