#!/usr/bin/env bash
# e2e_crawl_faults.sh - a crawl survives kill -9 of its master (--data) and of a worker: every page
# is fetched, and none twice but those in flight at a crash (counted by the HTTP server).
#
# Each page of the site takes 300 ms, and the two workers hold at most 3 tasks each (concurrency 2,
# prefetch 1), so the crawl of 64 pages lasts a few seconds. When the master dies, each worker may
# have fetched up to 3 leased tasks plus up to 3 whose results the master received but had not
# committed yet (one loop turn's group): 12 fetches may be repeated; when the worker dies, its 3.
# A resume that lost the seen set would fetch again the 30 pages done before the crash. The
# waiting client rides out the restart and prints each page once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_crawl_faults

pf="$DT_TMP/other.port"
dt_spawn other "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet
dt_wait_port_file "$pf" 15 other
OTHER="http://127.0.0.1:$DT_PORT"
dt_httpd_start --other-base "$OTHER" --site-delay-ms 300
MASTER_ARGS=(--data "$DT_TMP/data" --heartbeat 200 --liveness 3)
dt_master_start "${MASTER_ARGS[@]}"
for w in fault-w1 fault-w2; do
  dt_worker_start "$w" --concurrency 2 --prefetch 1 --heartbeat 200 --timeout 10
done
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

results="$DT_TMP/results.jsonl"
dt_spawn_to crawl "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  crawl --wait --job faults "$DT_HTTP/site/0"

dt_wait_for 60 "30 pages final before the crash" dt_final_at_least 30
pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed the master after $(dt_count_results "$results") results"
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
grep -q 'crawls go on' "$DT_TMP/master2.log" || fail "master2 did not resume the crawl"

dt_wait_for 60 "45 pages final after the restart" dt_final_at_least 45
pid=$(dt_pid_of fault-w2)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed worker fault-w2 after $(dt_count_results "$results") results"

dt_wait_exit crawl 240
[ "$DT_EXIT" -eq 0 ] || fail "dtask crawl --wait exited $DT_EXIT"

"$DT_PYTHON" - "$DTASK_TESTS/http" "$(curl -sS --max-time 10 "$DT_HTTP/hits")" "$results" <<'PY' \
  || fail "the crawl's fetches are wrong"
import json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
hits = json.loads(sys.argv[2])
want = dt_httpd.site_expected()
got = {p for p in hits if p.startswith("/site/") or p.startswith("/trap/")}
assert got == want, "missing %s, extra %s" % (sorted(want - got), sorted(got - want))
again = sum(hits[p] - 1 for p in want)
assert again <= 15, "%d fetches repeated, at most 15 were in flight at the crashes: %s" % (
    again, {p: n for p, n in hits.items() if n > 1})
lines = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
ids = [r["id"] for r in lines]
assert len(ids) == len(set(ids)) == len(want), "%d results for %d pages" % (len(ids), len(want))
print("%d pages, %d fetches repeated" % (len(want), again))
PY
[ "$(curl -sS --max-time 10 "$OTHER/hits")" = "{}" ] || fail "the off-site server was asked"

dt_say "cancel of a running crawl"
dt_cli crawl --job stopme "$DT_HTTP/site/0" >/dev/null 2>>"$DT_TMP/cli.log" || fail "dtask crawl failed"
job_stat() { dt_cli --timeout 5 status --json --job stopme 2>>"$DT_TMP/cli.log" | dt_json "$1"; }
some_done() { [ "$(job_stat 'd["done"]')" -ge 3 ]; }
dt_wait_for 60 "3 pages of the crawl done" some_done
dt_cli cancel --job stopme >/dev/null 2>>"$DT_TMP/cli.log" || fail "dtask cancel failed"
[ "$(job_stat 'd["pending"] + d["inflight"] + d["delayed"]')" -eq 0 ] || fail "the crawl still has tasks after cancel"
total=$(job_stat 'd["submitted"]')
# A page running at the cancel comes back as a duplicate: its links make nothing.
sleep 1 # the page running at the cancel (300 ms) is back by then
[ "$(job_stat 'd["submitted"]')" -eq "$total" ] || fail "the crawl grew after its cancel"
[ "$(dt_cli results --job stopme | grep -c '^{')" -eq "$total" ] || fail "results of the cancelled crawl"

dt_say "purge of the cancelled crawl deletes its crawl rows too"
dt_cli purge --job stopme >/dev/null 2>>"$DT_TMP/cli.log" || fail "dtask purge failed"
crawl_rows_gone() {
  "$DT_PYTHON" - "$DT_TMP/data/dtask.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
n = sum(db.execute("SELECT count(*) FROM %s WHERE %s = ?" % (t, c), (b"stopme",)).fetchone()[0]
        for t, c in (("crawl_jobs", "name"), ("crawl_seen", "job"), ("crawl_depth", "job")))
sys.exit(0 if n == 0 else 1)
PY
}
purged() { grep -q 'MASTER-PURGED job stopme' "$DT_TMP/master2.log"; }
dt_wait_for 20 "the purge to end" purged
# The master holds the store locked: it is read once the master stopped.
dt_stop_pid "$(dt_pid_of master2)"
crawl_rows_gone || fail "the purged crawl's rows are still in the store"
dt_say "PASS"
