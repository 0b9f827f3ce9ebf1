#!/usr/bin/env bash
# e2e_crawl_save.sh - `dtask crawl --save warc` archives every page of a crawl through the master:
# the site's pages are sent chunked (and, on a second server, chunked and gzipped), so the worker
# captures the wire's bytes while it reads links from the decoded page. Checks: every in-scope page
# fetched once (server counts), the same links found as by the same crawl without --save, and
# `dtask export --job` read by warc-check with one response per page holding the bytes sent; the
# page marked noindex (meta robots) is fetched and its result recorded, but not kept.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
dt_init e2e_crawl_save
dt_warcio_install

# The off-site target: a crawl must never ask it for anything.
pf="$DT_TMP/other.port"
dt_spawn other "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet
dt_wait_port_file "$pf" 15 other
OTHER="http://127.0.0.1:$DT_PORT"
# Two sites: one chunked, one chunked and gzipped (for a client that accepts gzip).
dt_httpd_start --other-base "$OTHER" --site-framing chunked
CHUNKED=$DT_HTTP
pf="$DT_TMP/gz.port"
dt_spawn gz "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet \
  --other-base "$OTHER" --site-framing gzipchunked
dt_wait_port_file "$pf" 15 gz
GZIPPED="http://127.0.0.1:$DT_PORT"
dt_master_start --data "$DT_TMP/data"
dt_worker_start w1 --concurrency 8
dt_wait_for 20 "the worker registered with the master" dt_workers_registered 1

hits() { curl -sS --max-time 10 "$1/hits"; }

# check_hits BEFORE AFTER: every page of a whole crawl of /site/0 requested once, nothing else.
check_hits() {
  "$DT_PYTHON" - "$DTASK_TESTS/http" "$@" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
before, after = json.loads(sys.argv[2]), json.loads(sys.argv[3])
delta = {p: n - before.get(p, 0) for p, n in after.items() if n - before.get(p, 0)}
assert delta.pop("/robots.txt", 0) <= 1, "robots.txt read more than once"
twice = {p: n for p, n in delta.items() if n != 1}
assert not twice, "fetched more than once: %s" % twice
want = dt_httpd.site_expected()
assert set(delta) == want, "missing %s, extra %s" % (sorted(want - set(delta)), sorted(set(delta) - want))
print(len(delta))
PY
}

# crawl NAME ARGS...: runs `dtask crawl --wait --job NAME ARGS`, results to $DT_TMP/NAME.jsonl.
crawl() {
  local name=$1 rc=0
  shift
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" crawl --wait --job "$name" "$@" \
    >"$DT_TMP/$name.jsonl" 2>"$DT_TMP/$name.err" || rc=$?
  [ "$rc" -ne 124 ] || fail "dtask crawl $name did not finish within 120 s"
  [ "$rc" -eq 0 ] || { cat "$DT_TMP/$name.err" >&2; fail "dtask crawl $name exited $rc"; }
}

# links_made NAME: the master's count of what crawl NAME's links made and skipped (its end line).
links_made() {
  dt_wait_for 10 "the master to log crawl $1's end" grep -q "MASTER-CRAWL-FINISHED crawl $1: " "$DT_TMP/master.log"
  grep "MASTER-CRAWL-FINISHED crawl $1: " "$DT_TMP/master.log" | sed "s/.*crawl $1: //"
}

# expected SITE GZIP: the warc-check --expect JSON of a whole crawl of SITE/site/0: one 200
# response per page, its payload the entity body as sent (gzipped when GZIP is 1, chunks removed).
expected() {
  local version
  version=$("$DTASK_BIN/dtask-worker" --version | awk '{print $2}')
  "$DT_PYTHON" - "$DTASK_TESTS/http" "$1" "$2" "$OTHER" "$version" <<'PY'
import base64, hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
base, gz, version = sys.argv[2], sys.argv[3] == "1", sys.argv[5]
NOINDEX = "/site/nofollow-meta"  # its meta robots says noindex, nofollow
dt_httpd.OTHER_BASE = sys.argv[4]
dt_httpd.SITE_FRAMING = "gzipchunked" if gz else "chunked"
port = int(base.rsplit(":", 1)[1])
def digest(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()
responses = {}
for p in sorted(dt_httpd.site_expected()):
    if p == NOINDEX:
        continue  # fetched, links read, not kept
    status, _, _, body = dt_httpd.site_page(p, port)
    e = {"status": status, "payload_sha1": digest(dt_httpd.site_wire_body(body, gz)), "truncated": None}
    if gz:
        e["decoded_sha1"] = digest(body)
    responses[base + p] = e
json.dump({"responses": responses, "ip": "127.0.0.1", "request_has": ["User-Agent: dtask/" + version]},
          sys.stdout)
PY
}

# same_crawl SITE TAG ARGS...: the crawl of SITE without and with --save warc fetch the same pages
# and find the same links; the saved one's export holds each page once, as sent.
same_crawl() {
  local site=$1 tag=$2 gz=0 h0 h1 n m
  shift 2
  [ "$site" = "$GZIPPED" ] && gz=1
  h0=$(hits "$site")
  crawl "plain-$tag" "$@" "$site/site/0"
  h1=$(hits "$site")
  n=$(check_hits "$h0" "$h1") || fail "$tag without --save: server counts are wrong"
  h0=$(hits "$site")
  crawl "saved-$tag" --save warc "$@" "$site/site/0"
  h1=$(hits "$site")
  m=$(check_hits "$h0" "$h1") || fail "$tag with --save warc: server counts are wrong"
  [ "$n" -eq "$m" ] || fail "$tag: $n pages without --save, $m with"
  [ "$(dt_count_results "$DT_TMP/saved-$tag.jsonl")" -eq "$m" ] || fail "$tag: not one result per page"
  local plain saved
  plain=$(links_made "plain-$tag")
  saved=$(links_made "saved-$tag")
  [ "$plain" = "$saved" ] || fail "$tag: links differ: without --save '$plain', with '$saved'"
  "$DT_PYTHON" - "$DT_TMP/saved-$tag.jsonl" <<'PY' || fail "$tag: a saved page's result names no capture, or a noindex page's does"
import json, sys
noindex = 0
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        if r["url"].endswith("/site/nofollow-meta"):  # meta robots noindex: fetched, not kept
            assert r["state"] == "done" and "warc" not in r, line
            noindex += 1
        else:
            assert r.get("warc") and r["warc"]["length"] > 0, line
assert noindex == 1, "the noindex page was not crawled"
PY
  dt_cli export --job "saved-$tag" -o "$DT_TMP/$tag.warc.gz" 2>"$DT_TMP/export-$tag.log" ||
    fail "$tag: dtask export failed: $(cat "$DT_TMP/export-$tag.log")"
  expected "$site" "$gz" >"$DT_TMP/expected-$tag.json"
  dt_archive_check "$DT_TMP/expected-$tag.json" "$DT_TMP/$tag.warc.gz"
  dt_say "$tag: $m pages, each once, the same links with and without --save ($saved)"
}

dt_say "a chunked site"
same_crawl "$CHUNKED" chunked
dt_say "a chunked, gzipped site (--compressed)"
same_crawl "$GZIPPED" gzip --compressed
[ "$(hits "$OTHER")" = "{}" ] || fail "the off-site server was asked: $(hits "$OTHER")"

dt_say "--save takes warc or none"
rc=0
dt_cli crawl --save zip "$CHUNKED/site/0" >/dev/null 2>"$DT_TMP/bad.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'warc or none' "$DT_TMP/bad.err" || fail "--save zip was not refused (rc $rc)"
dt_say "PASS"
