#!/usr/bin/env bash
# e2e_requeue_steps.sh - REQUEUE (`dtask retry --failed --cancelled`) of a job of 200,000 failed tasks only in the store (--window 1000) goes in steps of at most DT_LIMIT_REQUEUE_STEP rows a loop turn (the master's MASTER-REQUEUE-STEP debug lines) while a 2,000-URL job runs: another client's STATUS is answered between the steps (counted by tests/tools/dt_peer steps, not timed), and every task of both jobs ends done exactly once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_requeue_steps

BIG=200000 LEGIT=2000 STEP=4096
# A sanitizer build (every process several times slower) requeues a fifth: still 10 steps.
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
[[ "$syms" != *__asan_init* ]] || BIG=40000
peer=$(dt_peer_tool)
examples="$DTASK_TESTS/../examples/python"
dt_httpd_start
dt_master_start --data "$DT_TMP/data" --window 1000 -v

# The big job: BIG payloads of kind square with no worker for them, cancelled: every task ends
# failed "cancelled", nearly all of them only in the store.
seq 1 "$BIG" | dt_cli --timeout 120 -q submit --kind square --job big -f - >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "submit of the big job failed"
dt_cli --timeout 30 cancel --job big >/dev/null 2>>"$DT_TMP/cli.log" || fail "cancel failed"
cancelled() { [ "$(dt_cli --timeout 5 status --json --job big 2>>"$DT_TMP/cli.log" | dt_json 'd["failed"]')" -eq "$BIG" ]; }
dt_wait_for 120 "every task of the big job failed" cancelled

# The legitimate job runs on an http worker meanwhile (10 ms a page, 4 at a time: a few seconds).
legit="$DT_TMP/legit.txt" results="$DT_TMP/results.jsonl"
for ((i = 0; i < LEGIT; i++)); do echo "$DT_HTTP/slow/10?n=$i"; done >"$legit"
dt_worker_start w1 --concurrency 4
dt_spawn_to legit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job legit --wait -f "$legit"
started() { [ "$(dt_cli --timeout 5 status --json --job legit 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" -gt 0 ]; }
dt_wait_for 60 "the legitimate job running" started

# The requeue, from one client, while another keeps STATUS requests out until the big job has no
# failed task left.
"$peer" steps "$DT_MASTER" big 300000 >"$DT_TMP/steps.out" 2>>"$DT_TMP/cli.log" || fail "dt_peer steps failed"
dt_say "$(cat "$DT_TMP/steps.out")"
requeued=$(dt_kv "$DT_TMP/steps.out" requeued) during=$(dt_kv "$DT_TMP/steps.out" during)
distinct=$(dt_kv "$DT_TMP/steps.out" distinct) errors=$(dt_kv "$DT_TMP/steps.out" errors)
[ "$requeued" -eq "$BIG" ] || fail "REQUEUE_OK counted $requeued, not $BIG"
[ "$errors" -eq 0 ] || fail "$errors STATUS were refused"
# Before, the whole requeue was one loop turn: no STATUS could see it half done. Now the loop
# answers STATUS between its steps, each showing fewer failed tasks than the one before.
[ "$during" -ge 3 ] && [ "$distinct" -ge 2 ] \
  || fail "STATUS answered $during times ($distinct counts) while the requeue was under way"
cancelled_left=$(dt_cli --timeout 5 status --json --job big 2>>"$DT_TMP/cli.log" | dt_json 'd["failed"]')
[ "$cancelled_left" -eq 0 ] || fail "$cancelled_left tasks of the big job still failed"

# The steps, by the master's own count of rows (not a time).
steps=$(grep -c 'MASTER-REQUEUE-STEP job big:' "$DT_TMP/master.log") || true
most=$(sed -n 's/.*MASTER-REQUEUE-STEP job big: \([0-9]*\) rows read.*/\1/p' "$DT_TMP/master.log" | sort -n | tail -1)
dt_say "requeue of $requeued tasks: $steps steps, at most $most rows read in one"
[ "$steps" -ge $((BIG / STEP)) ] || fail "only $steps requeue steps"
[ "$most" -le "$STEP" ] || fail "a requeue step read $most rows"
grep -q 'MASTER-REQUEUED job big' "$DT_TMP/master.log" || fail "no MASTER-REQUEUED line"

# Both jobs run to the end: the big one on a --stdio square worker.
dt_worker_start sq --kind square --concurrency 16 --stdio -- "$DT_PYTHON" "$examples/square_stdio.py"
dt_wait_exit legit 240
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait of the legitimate job exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$legit" --results "$results" \
  || fail "the legitimate job's results do not match"
done_big() { [ "$(dt_cli --timeout 5 status --json --job big 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" -eq "$BIG" ]; }
dt_wait_for 600 "every task of the big job done" done_big
dt_cli --timeout 120 results --job big >"$DT_TMP/big.jsonl" 2>>"$DT_TMP/cli.log" || fail "results --job big failed"
"$DT_PYTHON" - "$DT_TMP/big.jsonl" "$BIG" <<'PY' || fail "the big job's results do not match"
import json, sys
path, total = sys.argv[1], int(sys.argv[2])
ids, payloads = set(), []
for line in open(path):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if r["id"] in ids:
        sys.exit("task %d has two results" % r["id"])
    ids.add(r["id"])
    if r["state"] != "done" or int(r["output"]) != int(r["payload"]) ** 2:
        sys.exit("unexpected result: %s" % line.strip())
    payloads.append(int(r["payload"]))
if sorted(payloads) != list(range(1, total + 1)):
    sys.exit("%d results, not one for each of the %d payloads" % (len(payloads), total))
print("big: %d tasks, each done once" % total)
PY
dt_say "PASS"
