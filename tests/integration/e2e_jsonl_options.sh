#!/usr/bin/env bash
# e2e_jsonl_options.sh - `dtask submit --jsonl` lines with options of their own: each line's priority, max_attempts
# and delay apply to its task, consecutive lines with equal options share chunks (-v shows the chunks sent), the
# same file again adds nothing, and a bad option on any line refuses the whole file (exit 2).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_jsonl_options

dt_master_start --data "$DT_TMP/data" --retry-base 50

dt_say "bad options on a line: exit 2, nothing sent"
n=0
for bad in '{"payload": "x", "priority": 10}' '{"payload": "x", "priority": "9"}' '{"payload": "x", "bogus": 1}' \
  '{"payload": "x", "delay": 1, "at": 5}' '{"payload": "x", "max_attempts": 0}' '{"payload": "x", "delay": -1}' \
  '{"payload": "x", "task_timeout": 0}' '{"payload": "x", "at": "2026-13-40T00:00:00"}'; do
  n=$((n + 1))
  printf '%s\n' '{"payload": "ok"}' "$bad" >"$DT_TMP/bad$n.jsonl"
  rc=0
  dt_cli submit --kind echo --jsonl -f "$DT_TMP/bad$n.jsonl" >/dev/null 2>"$DT_TMP/bad$n.err" || rc=$?
  [ "$rc" -eq 2 ] && grep -q "entry 2" "$DT_TMP/bad$n.err" || fail "line $bad: exit $rc, $(cat "$DT_TMP/bad$n.err")"
done
[ "$(dt_status_json | dt_json 'd["submitted"]')" = 0 ] || fail "a refused submit created tasks"

dt_say "a priority-9 line goes before the twenty lines above it; equal lines share a chunk"
{
  for i in $(seq 1 20); do echo "{\"payload\": \"low $i\"}"; done
  echo '{"payload": "high", "priority": 9}'
  echo '{"payload": "low 21"}'
} >"$DT_TMP/prio.jsonl"
dt_cli -v submit --kind echo --job prio --jsonl -f "$DT_TMP/prio.jsonl" >/dev/null 2>"$DT_TMP/prio.err" ||
  fail "submit prio: $(cat "$DT_TMP/prio.err")"
chunks=$(grep -c "SUBMIT-OK" "$DT_TMP/prio.err" || true)
[ "$chunks" = 3 ] || fail "expected 3 chunks (20 low, 1 high, 1 low), got $chunks: $(cat "$DT_TMP/prio.err")"
dt_cli submit --kind echo --job prio --jsonl -f "$DT_TMP/prio.jsonl" >"$DT_TMP/again.out" 2>&1 ||
  fail "the same file again: $(cat "$DT_TMP/again.out")"
grep -q "nothing new" "$DT_TMP/again.out" || fail "the same file again added tasks: $(cat "$DT_TMP/again.out")"
dt_worker_start w1 --kind echo --concurrency 1 --prefetch 1 -- sh -c 'read n; echo "$n"'
dt_wait_for 60 "the prio job done" eval \
  '[ "$(dt_cli --timeout 5 status --json --job prio 2>/dev/null | dt_json "d[\"done\"]")" = 22 ]'
dt_cli results --job prio >"$DT_TMP/prio.out" 2>/dev/null || fail "results failed"
first=$("$DT_PYTHON" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["payload"])' \
  "$DT_TMP/prio.out")
[ "$first" = high ] || fail "the first task run was '$first', not the priority-9 one"

dt_say "max_attempts and delay per line, over the command line's"
dt_worker_start w2 --kind flaky --concurrency 2 -- sh -c 'echo "try later" >&2; exit 75'
printf '%s\n' '{"payload": "a", "max_attempts": 2}' '{"payload": "b"}' '{"payload": "c", "max_attempts": 4}' \
  >"$DT_TMP/flaky.jsonl"
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind flaky --max-attempts 3 --jsonl \
  -f "$DT_TMP/flaky.jsonl" --wait >"$DT_TMP/flaky.out" 2>/dev/null || rc=$?
[ "$rc" -le 1 ] || fail "submit flaky exited $rc"
"$DT_PYTHON" - "$DT_TMP/flaky.out" <<'PY' || fail "attempts: $(cat "$DT_TMP/flaky.out")"
import json, sys
got = {r["payload"]: r["attempts"] for r in map(json.loads, open(sys.argv[1]))}
assert got == {"a": 2, "b": 3, "c": 4}, got
PY
dt_worker_start w3 --kind clock --concurrency 2 -- sh -c 'date +%s%3N'
t0=$(date +%s%3N)
printf '%s\n' '{"payload": "now"}' '{"payload": "later", "delay": 2}' >"$DT_TMP/clock.jsonl"
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind clock --jsonl -f "$DT_TMP/clock.jsonl" \
  --wait >"$DT_TMP/clock.out" 2>/dev/null || fail "submit clock failed"
"$DT_PYTHON" - "$DT_TMP/clock.out" "$t0" <<'PY' || fail "delay: $(cat "$DT_TMP/clock.out")"
import json, sys
got = {r["payload"]: int(r["output"]) for r in map(json.loads, open(sys.argv[1]))}
assert got["later"] >= int(sys.argv[2]) + 2000, got
PY
dt_say "ok"
