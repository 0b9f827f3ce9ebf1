#!/usr/bin/env bash
# e2e_delay_window.sh - 200,000 delayed tasks on a durable master with a small window: they wait in the store, not
# in memory (the master's RSS stays far below what holding them takes), none runs before its time, all run, and a
# kill -9 of the master keeps their times.
#
# The tasks come in 100 groups of 2,000 (one --jsonl file, each line its own "at"), due over 4 s in shuffled
# order, each payload its not-before time in ms and 600 bytes of padding (200,000 of them in memory would take
# over 120 MB; the master's RSS must stay under 100 MB: the store's page cache, and the task table's blocks
# that the tasks in memory touch, are most of it). Two stdio workers answer each task with the time they got it; every answer must be at or after
# the task's time.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_delay_window

N=200000
NGROUPS=100
RSS_MAX_KB=100000
# A sanitizer build runs a quarter of the tasks (ASan makes everything slower) and asserts no RSS
# bound (its shadow memory and quarantine would be counted): the times and the restart only.
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
if [[ "$syms" == *__asan_init* ]]; then
  N=50000
  RSS_MAX_KB=0
fi
MASTER_ARGS=(--data "$DT_TMP/data" --window 256)
dt_master_start "${MASTER_ARGS[@]}"

cat >"$DT_TMP/clock.py" <<'PY'
import json, sys, time
for line in sys.stdin:
    task = json.loads(line)
    now = int(time.time() * 1000)
    print(json.dumps({"id": task["id"], "state": "done", "output": str(now)}), flush=True)
PY
dt_worker_start w1 --kind due --stdio --concurrency 4 -- "$DT_PYTHON" "$DT_TMP/clock.py"
dt_worker_start w2 --kind due --stdio --concurrency 4 -- "$DT_PYTHON" "$DT_TMP/clock.py"
dt_wait_for 30 "two workers" dt_workers_registered 2

# Due from 20 s after now: submitting 200,000 tasks under load takes a while, and the kill below must
# land while they all wait (should it not, every assertion still holds).
"$DT_PYTHON" - "$DT_TMP/in.jsonl" "$N" "$NGROUPS" <<'PY'
import json, random, sys, time
path, n, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = int(time.time() * 1000) + 20000
order = list(range(groups))
random.shuffle(order)
with open(path, "w") as f:
    for g in order:
        at = t0 + g * 4000 // groups
        for _ in range(n // groups):
            f.write(json.dumps({"payload": "%d %s" % (at, "x" * 600), "at": at / 1000}) + "\n")
PY
dt_say "submitting $N delayed tasks"
dt_cli --timeout 30 submit --kind due --job later --jsonl -f "$DT_TMP/in.jsonl" >/dev/null 2>>"$DT_TMP/cli.log" ||
  fail "submit failed"
dt_say "status: $(dt_cli --timeout 5 status --json --job later 2>/dev/null | tr -d '\n' | head -c 300)"

peak=0
sample() {
  local rss
  rss=$(dt_rss_kb "$(dt_pid_of "$1")" 2>/dev/null) || return 0
  [ "${rss:-0}" -le "$peak" ] || peak=$rss
}
for ((i = 0; i < 6; i++)); do sample master; sleep 0.5; done
dt_say "master RSS before the kill: peak $peak kB"

pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 30 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
grep -q "MASTER-RECOVER" "$DT_TMP/master2.log" || fail "master2 did not recover"
status=$(dt_cli --timeout 5 status --json --job later 2>>"$DT_TMP/cli.log") || fail "status after the restart"
[ "$(dt_json 'd["submitted"]' <<<"$status")" = "$N" ] && [ "$(dt_json 'd["failed"]' <<<"$status")" = 0 ] ||
  fail "after the restart: $status"
dt_say "after the restart: $(dt_json 'd["delayed"]' <<<"$status") delayed, $(dt_json 'd["done"]' <<<"$status") done"

# All run: bounded by count and by time, the time generous for a loaded machine.
for ((i = 0; i < 900; i++)); do
  sample master2
  dt_final_at_least "$N" && break
  sleep 0.5
done
dt_final_at_least "$N" || fail "not every task ran: $(dt_status_json | tr -d '\n' | head -c 300)"
dt_say "master RSS peak $peak kB"
[ "$RSS_MAX_KB" -eq 0 ] || [ "$peak" -lt "$RSS_MAX_KB" ] ||
  fail "the master's RSS reached $peak kB with $N tasks waiting (window 256)"

dt_cli --timeout 30 results --job later >"$DT_TMP/out.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
"$DT_PYTHON" - "$DT_TMP/out.jsonl" "$N" <<'PY' || fail "a task ran before its time"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == int(sys.argv[2]), "%d results" % len(rs)
assert len({r["id"] for r in rs}) == len(rs), "a task has two results"
early = [(r["id"], r["output"], r["payload"][:13]) for r in rs if int(r["output"]) < int(r["payload"].split()[0])]
assert not early, "%d early, first: %r" % (len(early), early[:3])
late = sorted(int(r["output"]) - int(r["payload"].split()[0]) for r in rs)
print("%d results, none early; start after due: p50 %d ms, p99 %d ms (no bound asserted)"
      % (len(rs), late[len(late) // 2], late[len(late) * 99 // 100]))
PY
dt_say "ok"
