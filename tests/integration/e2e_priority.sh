#!/usr/bin/env bash
# e2e_priority.sh - task options end to end: a priority-9 task submitted behind 3,000 queued ones goes next; --delay and
# --at hold a task until its time (kept across a kill -9 of the master); --max-attempts is the task's own; bad
# options are refused before anything is sent (exit 2).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_priority

MASTER_ARGS=(--data "$DT_TMP/data" --retry-base 50)
dt_master_start "${MASTER_ARGS[@]}"
echo_cmd=(sh -c 'read n; echo "$n"')

dt_say "bad options: exit 2, nothing sent"
for bad in "--priority 10" "--priority -1" "--delay x" "--at 2026-13-40T00:00:00" "--max-attempts 0" \
  "--task-timeout 0" "--delay 1 --at 5"; do
  rc=0
  # shellcheck disable=SC2086 # the options are words
  dt_cli submit --kind echo $bad 1 >/dev/null 2>"$DT_TMP/bad.err" || rc=$?
  [ "$rc" -eq 2 ] || fail "submit $bad: exit $rc, expected 2"
done
[ "$(dt_status_json | dt_json 'd["submitted"]')" = 0 ] || fail "a refused submit created tasks"

dt_say "a priority-9 task behind 3,000 queued ones"
seq 1 3000 | dt_cli submit --kind echo --job low -f - >/dev/null 2>&1 || fail "submit low"
dt_worker_start w1 --kind echo --concurrency 1 --prefetch 1 -- "${echo_cmd[@]}"
some() { [ "$(dt_status_json | dt_json 'd["done"]')" -ge 5 ]; }
dt_wait_for 60 "five low tasks done" some
kill -STOP "$(dt_pid_of w1)"
before=$(dt_status_json | dt_json 'd["done"]')
dt_cli submit --kind echo --job high --priority 9 urgent >/dev/null 2>&1 || fail "submit high"
kill -CONT "$(dt_pid_of w1)"
high_done() { [ "$(dt_cli --timeout 5 status --json --job high 2>/dev/null | dt_json 'd["done"]')" = 1 ]; }
dt_wait_for 60 "the high task done" high_done
# Results are recorded in order: the high one within what the worker held (capacity 2) when it came.
dt_cli results >"$DT_TMP/all.jsonl" 2>/dev/null || fail "dtask results failed"
pos=$("$DT_PYTHON" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print([i for i, r in enumerate(rs) if r["payload"] == "urgent"][0])' "$DT_TMP/all.jsonl")
[ "$pos" -le $((before + 4)) ] || fail "the high task was result $pos, with $before done when it came"
dt_say "high task recorded at position $pos ($before done when submitted)"
dt_cli cancel --job low >/dev/null 2>&1 || fail "cancel low"

dt_say "--delay holds a task until its time"
t0=$SECONDS
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind echo --delay 2 --wait later \
  >"$DT_TMP/later.jsonl" 2>/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "submit --delay --wait exited $rc"
[ $((SECONDS - t0)) -ge 2 ] || fail "a task delayed 2 s was done after $((SECONDS - t0)) s"
grep -q '"output":"later\\n"' "$DT_TMP/later.jsonl" || fail "the delayed task's output is wrong"

dt_say "a task --at an hour from now waits, across a kill -9 of the master"
dt_cli submit --kind echo --job hour --at $(($(date +%s) + 3600)) "in an hour" >/dev/null 2>&1 ||
  fail "submit --at"
delayed() { [ "$(dt_cli --timeout 5 status --json --job hour 2>/dev/null | dt_json 'd["delayed"]')" = 1 ]; }
dt_wait_for 30 "the task delayed" delayed
kill -KILL "$(dt_pid_of master)"
wait "$(dt_pid_of master)" 2>/dev/null || true
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
dt_wait_for 30 "the task delayed again after the restart" delayed
[ "$(dt_cli --timeout 5 status --json --job hour | dt_json 'd["done"]')" = 0 ] || fail "ran before its time"

dt_say "--max-attempts is the task's own"
dt_worker_start w2 --kind flaky --concurrency 2 -- sh -c 'echo "try later" >&2; exit 75'
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind flaky --max-attempts 3 --wait x \
  >"$DT_TMP/flaky.jsonl" 2>/dev/null || rc=$?
[ "$rc" -le 1 ] || fail "submit flaky exited $rc"
grep -q '"state":"failed"' "$DT_TMP/flaky.jsonl" && grep -q '"attempts":3' "$DT_TMP/flaky.jsonl" &&
  grep -q '"exit_code":75' "$DT_TMP/flaky.jsonl" || fail "flaky: $(cat "$DT_TMP/flaky.jsonl")"
dt_say "ok"
