#!/usr/bin/env bash
# e2e_requeue_window.sh - `dtask retry --failed` on a durable master with a small memory window: the
# failed tasks go back to the store's queue, survive a kill -9 there, and each runs again once.
#
# 3,000 URLs that answer 503 to their first request and 200 after (/flaky/KEY/1) are crawled with
# --max-attempts 1, so every one of them fails. `dtask retry --failed` reopens them: with
# --window 256 nearly all wait in the store, not in memory. The master is killed with SIGKILL right
# after and restarted on its data directory; the workers then finish every task, and each URL must
# have exactly one current result, done, fetched twice by the server in all.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_requeue_window

N=3000
data="$DT_TMP/data"
MASTER_ARGS=(--data "$data" --window 256 --max-attempts 1 --heartbeat 200 --liveness 3)
dt_httpd_start
dt_master_start "${MASTER_ARGS[@]}"

urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/flaky/k$i/1"; done >"$urls"
dt_cli --timeout 10 submit --job rq -f "$urls" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit failed"
dt_worker_start rq-w1 --concurrency 32 --timeout 5 --heartbeat 200
dt_wait_for 120 "every first attempt final" dt_final_at_least "$N"
status=$(dt_status_json)
[ "$(printf '%s' "$status" | dt_json 'd["failed"]')" = "$N" ] || fail "expected $N failed: $status"

# Nothing runs while the tasks are reopened and the master is killed.
dt_stop_pid "$(dt_pid_of rq-w1)"
out=$(dt_cli --timeout 10 retry --failed --job rq 2>>"$DT_TMP/cli.log") || fail "dtask retry failed"
dt_say "$out"
case "$out" in "requeued $N failed tasks"*) ;; *) fail "dtask retry said: $out" ;; esac
status=$(dt_status_json)
[ "$(printf '%s' "$status" | dt_json 'd["pending"]')" = "$N" ] || fail "expected $N pending: $status"

pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed the master (pid $pid)"
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
dt_say "$(grep -o "MASTER-RECOVER.*" "$DT_TMP/master2.log" || true)"
grep -q "MASTER-RECOVER.*$N pending" "$DT_TMP/master2.log" \
  || fail "the restarted master did not recover $N pending tasks: $(grep RECOVER "$DT_TMP/master2.log")"

dt_worker_start rq-w2 --concurrency 32 --timeout 5 --heartbeat 200
results="$DT_TMP/results.jsonl"
dt_wait_for 120 "every task done" eval \
  '[ "$(dt_status_json | dt_json "d[\"done\"]")" -eq '"$N"' ]'
dt_cli --timeout 10 results --job rq >"$results" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
dt_cli --timeout 10 results --job rq --failed >"$DT_TMP/failed.jsonl" 2>>"$DT_TMP/cli.log" \
  || fail "dtask results --failed failed"
curl -fsS "$DT_HTTP/hits" >"$DT_TMP/hits.json" || fail "GET /hits failed"
"$DT_PYTHON" - "$urls" "$results" "$DT_TMP/failed.jsonl" "$DT_TMP/hits.json" <<'PY' || fail "results are wrong"
import json, sys
urls = [l.strip() for l in open(sys.argv[1]) if l.strip()]
res = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
failed = [l for l in open(sys.argv[3]) if l.startswith("{")]
hits = json.load(open(sys.argv[4]))
got = [r["url"] for r in res]
assert len(got) == len(set(got)), "a URL has two current results"
assert set(got) == set(urls), f"{len(set(urls) - set(got))} missing, {len(set(got) - set(urls))} extra"
assert all(r["state"] == "done" and r["http_status"] == 200 for r in res), "a task not done with 200"
assert not failed, f"{len(failed)} results still failed"
fetched = {k: v for k, v in hits.items() if k.startswith("/flaky/")}
assert len(fetched) == len(urls) and all(v == 2 for v in fetched.values()), \
    f"expected 2 requests per URL: {sorted(set(fetched.values()))}"
print(f"{len(res)} URLs done after the requeue, each fetched twice")
PY
dt_say "ok"
