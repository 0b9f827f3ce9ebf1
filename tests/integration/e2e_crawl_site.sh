#!/usr/bin/env bash
# e2e_crawl_site.sh - `dtask crawl` fetches every in-scope page of a site with cycles, duplicate,
# off-site and nofollow links exactly once (counted by the HTTP server), and --depth, --max-pages
# and a regex scope hold; its HTTP options reach every page.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_crawl_site

# The second server is the off-site target: a crawl must never ask it for anything.
pf="$DT_TMP/other.port"
dt_spawn other "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet
dt_wait_port_file "$pf" 15 other
OTHER="http://127.0.0.1:$DT_PORT"
reqlog="$DT_TMP/requests.jsonl"
dt_httpd_start --other-base "$OTHER" --request-log "$reqlog"
dt_master_start --memory
dt_worker_start crawl-w1 --concurrency 8
dt_worker_start crawl-w2 --concurrency 8
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

hits() { curl -sS --max-time 10 "$1/hits"; }

# check_hits BEFORE AFTER MODE ARG: compares the requests per path the site served between two
# /hits snapshots with what a crawl must have fetched. MODE is "exact DEPTH PATTERN" (every page
# site_expected gives, once each, nothing else) or "count N" (N pages, each at most once).
check_hits() {
  "$DT_PYTHON" - "$DTASK_TESTS/http" "$@" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
before, after = json.loads(sys.argv[2]), json.loads(sys.argv[3])
delta = {p: n - before.get(p, 0) for p, n in after.items() if n - before.get(p, 0)}
# A crawl obeys robots.txt: the master reads it once per origin (then keeps it 24 h).
assert delta.pop("/robots.txt", 0) <= 1, "robots.txt read more than once"
traps = [p for p in delta if p.startswith("/trap/")]
assert not traps, "fetched links that must not be followed: %s" % traps
twice = {p: n for p, n in delta.items() if n != 1}
assert not twice, "fetched more than once: %s" % twice
if sys.argv[4] == "exact":
    depth = None if sys.argv[5] == "any" else int(sys.argv[5])
    pattern = sys.argv[6] or None
    want = dt_httpd.site_expected(depth, pattern)
    assert set(delta) == want, "missing %s, extra %s" % (sorted(want - set(delta)), sorted(set(delta) - want))
else:
    assert len(delta) == int(sys.argv[5]), "%d pages fetched, expected %s" % (len(delta), sys.argv[5])
print(len(delta))
PY
}

# crawl NAME ARGS...: runs `dtask crawl --wait` with ARGS, results to $DT_TMP/NAME.jsonl.
crawl() {
  local name=$1 rc=0
  shift
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" crawl --wait --job "$name" "$@" \
    >"$DT_TMP/$name.jsonl" 2>"$DT_TMP/$name.err" || rc=$?
  [ "$rc" -ne 124 ] || fail "dtask crawl $name did not finish within 120 s"
  [ "$rc" -eq 0 ] || { cat "$DT_TMP/$name.err" >&2; fail "dtask crawl $name exited $rc"; }
}

dt_say "whole site from its home page"
h0=$(hits "$DT_HTTP")
crawl whole "$DT_HTTP/site/0"
h1=$(hits "$DT_HTTP")
n=$(check_hits "$h0" "$h1" exact any "") || fail "whole crawl: server counts are wrong"
[ "$(dt_count_results "$DT_TMP/whole.jsonl")" -eq "$n" ] || fail "whole crawl: $n pages but $(dt_count_results "$DT_TMP/whole.jsonl") results"
[ "$(hits "$OTHER")" = "{}" ] || fail "the off-site server was asked: $(hits "$OTHER")"
grep -q "^$n done, 0 failed" "$DT_TMP/whole.err" || fail "whole crawl: summary: $(cat "$DT_TMP/whole.err")"
# The job is a job like any other: jobs and status count its pages.
total=$(dt_cli jobs --json --job whole | dt_json 'd[0]["total"] if isinstance(d, list) else d["total"]')
[ "$total" -eq "$n" ] || fail "dtask jobs says $total tasks, $n pages were crawled"
dt_wait_for 10 "the master to log the crawl's end" grep -q 'MASTER-CRAWL-FINISHED crawl whole: ' "$DT_TMP/master.log"
dt_say "whole crawl: $n pages, each once"
# /site/huge's 3,000 links and its 100 kB link are cut by the worker: a clear record says so.
grep -h 'LINKS-SKIPPED .*/site/huge: 1000 links kept; skipped [0-9]* over the per-page cap, 1 longer' \
  "$DT_TMP/crawl-w1.log" "$DT_TMP/crawl-w2.log" >/dev/null ||
  fail "no worker logged the links /site/huge lost: $(grep -h LINKS-SKIPPED "$DT_TMP"/crawl-w*.log)"

dt_say "--depth 0, 1 and 2"
for d in 0 1 2; do
  h0=$(hits "$DT_HTTP")
  crawl "depth$d" --depth "$d" "$DT_HTTP/site/0"
  h1=$(hits "$DT_HTTP")
  n=$(check_hits "$h0" "$h1" exact "$d" "") || fail "--depth $d: server counts are wrong"
  dt_say "--depth $d: $n pages"
done

dt_say "--max-pages 10"
h0=$(hits "$DT_HTTP")
crawl max10 --max-pages 10 "$DT_HTTP/site/0"
h1=$(hits "$DT_HTTP")
check_hits "$h0" "$h1" count 10 >/dev/null || fail "--max-pages 10: server counts are wrong"
[ "$(dt_count_results "$DT_TMP/max10.jsonl")" -eq 10 ] || fail "--max-pages 10: not 10 results"

dt_say "a crawl's HTTP options reach the server for every page"
: >"$reqlog"
crawl agent --depth 1 --user-agent crawlbot/1.0 -H 'X-Crawl: yes' "$DT_HTTP/site/0"
"$DT_PYTHON" - "$reqlog" <<'PY' || fail "the crawl's User-Agent or header did not reach every page"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
# The master's own robots.txt read (for this crawl's product token) is not a page.
robots = [r for r in reqs if r["path"].startswith("/robots.txt")]
assert len(robots) <= 1, robots
reqs = [r for r in reqs if r not in robots]
assert len(reqs) == 7, "%d requests, the seed and its 6 pages expected" % len(reqs)
for r in reqs:
    h = {k.lower(): v for k, v in r["headers"]}
    assert h.get("user-agent") == "crawlbot/1.0" and h.get("x-crawl") == "yes", r
PY

dt_say "regex and prefix scopes"
h0=$(hits "$DT_HTTP")
crawl regex --scope 'regex:/site/[0-9]+$' "$DT_HTTP/site/0"
h1=$(hits "$DT_HTTP")
check_hits "$h0" "$h1" exact any '/site/[0-9]+$' >/dev/null || fail "regex scope: server counts are wrong"
h0=$(hits "$DT_HTTP")
crawl prefix --scope "prefix:$DT_HTTP/site/1" "$DT_HTTP/site/0"
h1=$(hits "$DT_HTTP")
check_hits "$h0" "$h1" exact any '/site/(0|1[0-9]*)$' >/dev/null || fail "prefix scope: server counts are wrong"

dt_say "refused at once: a back-reference, a bad prefix"
rc=0
dt_cli crawl --scope 'regex:(a)\1' "$DT_HTTP/site/0" >/dev/null 2>"$DT_TMP/bad.err" || rc=$?
[ "$rc" -eq 4 ] && grep -q 'back-reference' "$DT_TMP/bad.err" || fail "a back-reference was not refused (rc $rc)"
rc=0
dt_cli crawl --scope 'prefix:ftp://x/' "$DT_HTTP/site/0" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a bad prefix was not refused by the CLI (rc $rc)"
dt_say "PASS"
