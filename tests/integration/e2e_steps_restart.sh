#!/usr/bin/env bash
# e2e_steps_restart.sh - a CANCEL and a REQUEUE of a job of 100,000 tasks only in the store, each cut short by a kill -9 of the master between two of its steps (fault point master-after-step: SIGKILL before the turn's commit), go on in the restarted master from the `steps` table without being asked again: every task ends cancelled exactly once, then done exactly once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
dt_init e2e_steps_restart
fault_check_tool

BIG=100000
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
[[ "$syms" != *__asan_init* ]] || BIG=40000
examples="$DTASK_TESTS/../examples/python"
MASTER_ARGS=(--data "$DT_TMP/data" --window 1000 -v)
big_stat() { dt_cli --timeout 5 status --json --job big 2>>"$DT_TMP/cli.log" | dt_json "$1"; }

# CANCEL: the master dies at its second step; the next one cancels the rest by itself.
fault_master_start master1 master-after-step:2 "${MASTER_ARGS[@]}"
seq 1 "$BIG" | dt_cli --timeout 120 -q submit --kind square --job big -f - >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "submit of the big job failed"
dt_cli --timeout 30 cancel --job big >"$DT_TMP/cancel.out" 2>>"$DT_TMP/cli.log" || fail "cancel failed"
grep -qx "cancelled $BIG unfinished tasks of job big" "$DT_TMP/cancel.out" || fail "cancel: $(cat "$DT_TMP/cancel.out")"
fault_expect_crash master1 master-after-step
fault_master_restart master2 "${MASTER_ARGS[@]}"
grep -q 'MASTER-CANCEL job big: the cancel goes on' "$DT_TMP/master2.log" \
  || fail "the restarted master did not go on with the cancel"
all_failed() { [ "$(big_stat 'd["failed"]')" -eq "$BIG" ]; }
dt_wait_for 120 "every task of the big job cancelled" all_failed
[ "$(big_stat 'd["pending"] + d["inflight"] + d["delayed"]')" -eq 0 ] || fail "tasks of the big job left unfinished"
grep -q 'MASTER-CANCELLED job big' "$DT_TMP/master2.log" || fail "no MASTER-CANCELLED line after the restart"
dt_cli --timeout 120 results --job big >"$DT_TMP/cancelled.jsonl" 2>>"$DT_TMP/cli.log" || fail "results --job big failed"
"$DT_PYTHON" - "$DT_TMP/cancelled.jsonl" "$BIG" <<'PY' || fail "the cancelled job's results do not match"
import json, sys
ids = set()
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        if r["id"] in ids or r["state"] != "failed" or r.get("error") != "cancelled":
            sys.exit("unexpected result: %s" % line.strip())
        ids.add(r["id"])
if len(ids) != int(sys.argv[2]):
    sys.exit("%d results, expected %s" % (len(ids), sys.argv[2]))
print("%d tasks cancelled, each once" % len(ids))
PY
pid=$(dt_pid_of master2)
dt_stop_pid "$pid"

# REQUEUE: the master dies at its second step after REQUEUE_OK; the next one reopens the rest.
fault_master_start master3 master-after-step:2 "${MASTER_ARGS[@]}"
dt_cli --timeout 30 retry --failed --cancelled --job big >"$DT_TMP/retry.out" 2>>"$DT_TMP/cli.log" || fail "retry failed"
grep -q "^requeued $BIG failed tasks" "$DT_TMP/retry.out" || fail "retry: $(cat "$DT_TMP/retry.out")"
fault_expect_crash master3 master-after-step
fault_master_restart master4 "${MASTER_ARGS[@]}"
grep -q 'MASTER-REQUEUE 1 requeues go on' "$DT_TMP/master4.log" \
  || fail "the restarted master did not go on with the requeue"
dt_worker_start sq --kind square --concurrency 16 --stdio -- "$DT_PYTHON" "$examples/square_stdio.py"
all_done() { [ "$(big_stat 'd["done"]')" -eq "$BIG" ]; }
dt_wait_for 600 "every task of the big job done" all_done
grep -q 'MASTER-REQUEUED job big' "$DT_TMP/master4.log" || fail "no MASTER-REQUEUED line after the restart"
dt_cli --timeout 120 results --job big >"$DT_TMP/done.jsonl" 2>>"$DT_TMP/cli.log" || fail "results --job big failed"
"$DT_PYTHON" - "$DT_TMP/done.jsonl" "$BIG" <<'PY' || fail "the requeued job's results do not match"
import json, sys
ids, payloads = set(), []
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        if r["id"] in ids or r["state"] != "done" or int(r["output"]) != int(r["payload"]) ** 2:
            sys.exit("unexpected result: %s" % line.strip())
        ids.add(r["id"])
        payloads.append(int(r["payload"]))
if sorted(payloads) != list(range(1, int(sys.argv[2]) + 1)):
    sys.exit("%d results, not one for each payload" % len(payloads))
print("%d tasks done after the requeue, each once" % len(ids))
PY
dt_say "PASS"
