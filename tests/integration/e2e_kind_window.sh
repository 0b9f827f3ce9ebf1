#!/usr/bin/env bash
# e2e_kind_window.sh - a durable master's window holds tasks of several kinds: a kind no worker serves never holds
# up another (the store is read back per kind), priority tasks past the window wait in the store (the master's RSS
# stays bounded) and still go first, STATUS counts each kind's tasks in the store, and a kill -9 of the master
# with several kinds waiting reloads them all.
#
# --window 1000: 5,000 tasks of kind "nobody" (no worker ever serves it) fill it; then 3,000 "sq" tasks, 5 more at
# --priority 5, and 200 "big" payloads of 1 MB at --priority 1 (no worker either). Holding all 200 in memory takes
# over 200 MB; the window in bytes (64 MiB) bounds them, so the master's RSS must stay under RSS_MAX_KB. After the
# kill -9 and restart: 2 URLs for an http worker, and the sq tasks for a sq worker, all come back done, each once,
# the 5 priority sq tasks among the first ones run, while the 5,000 "nobody" tasks still wait.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_kind_window

NOBODY=5000
NSQ=3000
NBIG=200
RSS_MAX_KB=180000
# A sanitizer build asserts no RSS bound (its shadow memory and quarantine would be counted).
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
[[ "$syms" != *__asan_init* ]] || RSS_MAX_KB=0
MASTER_ARGS=(--data "$DT_TMP/data" --window 1000)
dt_master_start "${MASTER_ARGS[@]}"

# kind_row KIND: the status table's row of KIND ("" when none).
kind_row() {
  dt_cli --timeout 5 status 2>>"$DT_TMP/cli.log" | awk -v k="$1" '$1 == k' || true
}

dt_say "seq 1 $NOBODY | dtask submit --kind nobody -f -"
seq 1 "$NOBODY" | dt_cli --timeout 30 submit --kind nobody --job nobody -f - >/dev/null 2>>"$DT_TMP/cli.log" ||
  fail "submit of nobody failed"
row=$(kind_row nobody)
dt_say "status, no worker connected: $row"
[ "$(awk '{print $2}' <<<"$row")" = "$NOBODY" ] || fail "status shows nobody's pending as: $row"
grep -q "no worker serves this kind" <<<"$row" || fail "no warning for a kind without workers: $row"

dt_say "$NSQ sq tasks, 5 at --priority 5, $NBIG payloads of 1 MB at --priority 1"
seq 1 "$NSQ" | dt_cli --timeout 30 submit --kind sq --job sq -f - >/dev/null 2>>"$DT_TMP/cli.log" ||
  fail "submit of sq failed"
dt_cli --timeout 30 submit --kind sq --job sqp --priority 5 90001 90002 90003 90004 90005 >/dev/null \
  2>>"$DT_TMP/cli.log" || fail "submit of the priority sq tasks failed"
"$DT_PYTHON" -c '
import sys
for i in range(int(sys.argv[1])):
    sys.stdout.write("%d-%s\n" % (i, "x" * 1000000))' "$NBIG" >"$DT_TMP/big.txt"
dt_cli --timeout 60 submit --kind big --job big --priority 1 -f "$DT_TMP/big.txt" >/dev/null \
  2>>"$DT_TMP/cli.log" || fail "submit of the big payloads failed"
rm -f "$DT_TMP/big.txt"
rss=$(dt_rss_kb "$(dt_pid_of master)")
dt_say "master RSS with $NBIG big payloads at priority 1 submitted: $rss kB"
[ "$RSS_MAX_KB" -eq 0 ] || [ "$rss" -lt "$RSS_MAX_KB" ] ||
  fail "the master's RSS reached $rss kB: priority tasks past the window stayed in memory"

dt_say "kill -9 and restart with four kinds waiting"
pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 30 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
grep -q "MASTER-RECOVER" "$DT_TMP/master2.log" || fail "master2 did not recover"
for want in "nobody $NOBODY" "sq $((NSQ + 5))" "big $NBIG"; do
  row=$(kind_row "${want% *}")
  [ "$(awk '{print $2}' <<<"$row")" = "${want#* }" ] && grep -q "no worker serves this kind" <<<"$row" ||
    fail "after the restart, status shows: $row (want ${want#* } pending, no worker)"
done
rss=$(dt_rss_kb "$(dt_pid_of master2)")
dt_say "master RSS after the restart: $rss kB"
[ "$RSS_MAX_KB" -eq 0 ] || [ "$rss" -lt "$RSS_MAX_KB" ] || fail "the master's RSS reached $rss kB after the restart"

dt_say "an http worker: 2 URLs are done while $NOBODY nobody tasks wait"
dt_worker_start http1 --handler noop --concurrency 4
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait http://127.0.0.1/a http://127.0.0.1/b \
  >"$DT_TMP/http.jsonl" 2>>"$DT_TMP/cli.log" || rc=$?
[ "$rc" -eq 0 ] || fail "submit --wait of 2 URLs exited $rc (status: $(kind_row nobody))"
[ "$(grep -c '"state":"done"' "$DT_TMP/http.jsonl")" = 2 ] || fail "the URLs: $(cat "$DT_TMP/http.jsonl")"

dt_say "a sq worker: every sq task done once, the priority ones among the first"
# One child: it runs the tasks in the order the master sent them, which its clock records.
cat >"$DT_TMP/clock.py" <<'PY'
import json, sys, time
for line in sys.stdin:
    task = json.loads(line)
    print(json.dumps({"id": task["id"], "state": "done", "output": str(time.time_ns())}), flush=True)
PY
dt_worker_start sq1 --kind sq --stdio --concurrency 1 -- "$DT_PYTHON" "$DT_TMP/clock.py"
for ((i = 0; i < 600; i++)); do
  dt_final_at_least $((NSQ + 5 + 2)) && break
  sleep 0.5
done
dt_final_at_least $((NSQ + 5 + 2)) || fail "the sq tasks did not all finish: $(kind_row sq)"
dt_cli --timeout 30 results --job sq >"$DT_TMP/sq.jsonl" 2>>"$DT_TMP/cli.log" || fail "results of sq"
dt_cli --timeout 30 results --job sqp >"$DT_TMP/sqp.jsonl" 2>>"$DT_TMP/cli.log" || fail "results of sqp"
"$DT_PYTHON" - "$DT_TMP/sq.jsonl" "$DT_TMP/sqp.jsonl" "$NSQ" <<'PY' || fail "sq results are wrong"
import json, sys
sq = [json.loads(l) for l in open(sys.argv[1])]
sqp = [json.loads(l) for l in open(sys.argv[2])]
n = int(sys.argv[3])
for rs, want in ((sq, n), (sqp, 5)):
    assert len(rs) == want and len({r["id"] for r in rs}) == want, "%d results, want %d" % (len(rs), want)
    assert all(r["state"] == "done" for r in rs), "not all done"
times = sorted(int(r["output"]) for r in sq)
late = [r["payload"] for r in sqp if int(r["output"]) > times[100]]
assert not late, "priority tasks ran after the first 100 of the queue: %r" % late
print("%d + 5 sq tasks done once each; the 5 priority ones before the 100th other" % n)
PY
row=$(kind_row nobody)
[ "$(awk '{print $2}' <<<"$row")" = "$NOBODY" ] || fail "nobody's tasks at the end: $row"
dt_say "ok"
