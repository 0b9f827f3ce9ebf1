#!/usr/bin/env bash
# e2e_warc_local.sh - a worker with --warc-dir keeps every fetch as WARC records that an independent reader (warcio) verifies.
#
# Pages of many sizes (0 B, 1 B, 100 KiB, 5 MiB and more), binary, gzip-encoded, chunked, gzip-encoded
# and chunked, and connection-delimited bodies, an interim 103 before the answer, a redirect chain,
# error statuses, a body over the capture cap and a server that closes mid-body go through a real
# master and a worker with --warc-dir (rolling at its default size, so one file). Then
# tests/tools/warc-check (the warcio package from the npm registry, installed into the build tree)
# reads every record back and checks the URI, HTTP status and payload digest of each response
# against what dt_httpd.py sent (computed here from its routes; a chunked body's without its
# framing), every block digest, the truncation marks, the request headers, and that the file is a
# valid sequence of gzip members from its first byte to its last. A job submitted with --method HEAD
# and a header of its own then shows both in its request records and a body-less answer whole, not
# truncated, and a third with --timeout and
# --max-bytes that a record cut short by the worker says so and still parses. A URL's fragment is not part of its
# record's WARC-Target-URI (it is never sent).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_warc_local

CAPTURE_MAX=$((8 * 1024 * 1024)) # DT_LIMIT_CAPTURE_MAX
WARC_CHECK="$DTASK_TESTS/tools/warc-check/warc-check"

dt_httpd_start
dt_master_start --memory --max-attempts 1
mkdir "$DT_TMP/warc"
version=$("$DTASK_BIN/dtask-worker" --version | awk '{print $2}')
dt_worker_start w1 --concurrency 8 --warc-dir "$DT_TMP/warc" --compressed \
  --header 'X-Test: e2e-warc'
dt_wait_for 20 "the worker registered with the master" dt_workers_registered 1

paths=()
for k in 0 1 7 58 99 100 101 512 999; do paths+=("/page/$k"); done
for n in 0 1 100 1000 65535 65536 65537 102400 1048576 3000000 5242880 9000000; do paths+=("/size/$n"); done
for n in 0 1 255 256 100000 2000000; do paths+=("/bin/$n"); done
for n in 0 5000 200000 1048576; do paths+=("/gzip/$n"); done
for n in 0 1 1000 70000 3000000; do paths+=("/chunked/$n"); done
for n in 0 100000; do paths+=("/gzipchunked/$n" "/close/$n" "/early/$n"); done
paths+=(/status/404 /status/204 /status/503 /redirect/3 /cut/100000 /robots.txt "/page/3?a=1#top")
urls="$DT_TMP/urls.txt"
for p in "${paths[@]}"; do echo "$DT_HTTP$p"; done >"$urls"

dt_say "submitting ${#paths[@]} URLs"
rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls" \
  >"$DT_TMP/results.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -ne 124 ] || fail "dtask submit --wait did not finish within 120 s"
[ "$rc" -le 1 ] || fail "dtask submit --wait exited $rc"

# Stopping the worker closes its file; every capture was written before its result was sent.
dt_stop_pid "$(dt_pid_of w1)"
grep -q 'WARC-CAPTURE\|WARC-WRITE' "$DT_TMP/w1.log" && fail "the worker lost captures"

# What the server sent for each URI, hop by hop, as the WARC records must hold it.
"$DT_PYTHON" - "$DTASK_TESTS/http" "$DT_HTTP" "$CAPTURE_MAX" "$version" "${paths[@]}" \
  >"$DT_TMP/expected.json" <<'EOF'
import base64, gzip, hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
base, cap, version, paths = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]

def digest(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()

def entry(status, body, truncated=None):
    if len(body) > cap:
        body, truncated = body[:cap], "length"
    return {"status": status, "payload_sha1": digest(body), "payload_len": len(body),
            "truncated": truncated}

responses = {}
for p in paths:
    if p.startswith("/redirect/"):
        for k in range(int(p.split("/")[2]), 0, -1):  # each hop its own record pair
            responses[base + "/redirect/%d" % k] = entry(302, b"")
        responses[base + "/redirect/0"] = entry(200, b"done")
        continue
    status, body = dt_httpd.expected_body(p)
    e = entry(status, body, "disconnect" if p.startswith("/cut/") else None)
    if p.startswith(("/gzip/", "/gzipchunked/")):  # warcio decodes the content itself
        e["decoded_sha1"] = digest(gzip.decompress(body))
    if p.startswith("/chunked/"):  # warcio removes the framing itself
        e["decoded_sha1"] = e["payload_sha1"]
    responses[base + p.split("#")[0]] = e  # the fragment is not sent, nor recorded
json.dump({"responses": responses, "ip": "127.0.0.1",
           "request_has": ["X-Test: e2e-warc", "User-Agent: dtask/" + version]}, sys.stdout)
EOF

files=("$DT_TMP"/warc/*.warc.gz)
[ -e "${files[0]}" ] || fail "no .warc.gz file in --warc-dir"
[ "${#files[@]}" -eq 1 ] || fail "${#files[@]} files: expected one under the roll size"
dt_say "checking ${files[*]##*/} ($(stat -c %s "${files[0]}") bytes) with warcio"
rc=0
timeout 300 "$WARC_CHECK" --expect "$DT_TMP/expected.json" "${files[@]}" >"$DT_TMP/check.jsonl" \
  2>"$DT_TMP/check.log" || rc=$?
[ "$rc" -ne 2 ] || fail "warc-check could not run: $(cat "$DT_TMP/check.log")"
[ "$rc" -eq 0 ] || fail "warc-check found problems: $(grep -v '"problems":\[\]' "$DT_TMP/check.jsonl" | head -n 20)"
dt_say "$(tail -n 1 "$DT_TMP/check.jsonl")"
# Every URI asked for, each redirect hop and the warcinfo: one response and one request each.
want_records=$((1 + 2 * (${#paths[@]} + 3)))
grep -q "\"records\":$want_records," "$DT_TMP/check.jsonl" ||
  fail "want $want_records records: $(tail -n 1 "$DT_TMP/check.jsonl")"

# The results say the same as the records: the chain ends at /redirect/0, the cut body fails, the
# body over the capture cap is fetched whole (only its record is truncated).
"$DT_PYTHON" - "$DT_TMP/results.jsonl" "$DT_HTTP" <<'EOF' || fail "results do not match the captures"
import json, sys
base = sys.argv[2]
r = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        r[d["url"]] = d
def want(path, **kv):
    d = r[base + path]
    for k, v in kv.items():
        assert d[k] == v, "%s: %s is %r, want %r" % (path, k, d[k], v)
want("/redirect/3", state="done", http_status=200, final_url=base + "/redirect/0")
want("/cut/100000", state="failed")
want("/size/9000000", state="done", bytes=9000000)
want("/status/503", state="failed", http_status=503)
want("/gzip/5000", state="done", content_type="text/plain")
EOF

# A job's own options (submit --method HEAD -H ...): its request records say HEAD and carry the
# header; the answer's Content-Length announces a body that rightly never comes; its record is whole.
mkdir "$DT_TMP/warc-head"
dt_worker_start w2 --concurrency 2 --warc-dir "$DT_TMP/warc-head"
head_paths=(/size/100000 /gzip/5000 /chunked/1000 /status/404)
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait --method HEAD -H 'X-Job: e2e-head' \
  "${head_paths[@]/#/$DT_HTTP}" >"$DT_TMP/head.jsonl" 2>"$DT_TMP/submit-head.log" || rc=$?
[ "$rc" -le 1 ] || fail "dtask submit --wait (HEAD) exited $rc"
dt_stop_pid "$(dt_pid_of w2)"
"$DT_PYTHON" - "$DT_HTTP" "${head_paths[@]}" >"$DT_TMP/expected-head.json" <<'EOF'
import base64, hashlib, json, sys
empty = "sha1:" + base64.b32encode(hashlib.sha1(b"").digest()).decode()
responses = {sys.argv[1] + p: {"status": 404 if p.startswith("/status/") else 200,
                               "payload_sha1": empty, "payload_len": 0, "truncated": None}
             for p in sys.argv[2:]}
json.dump({"responses": responses, "ip": "127.0.0.1", "request_has": ["X-Job: e2e-head"]}, sys.stdout)
EOF
rc=0
timeout 120 "$WARC_CHECK" --expect "$DT_TMP/expected-head.json" "$DT_TMP"/warc-head/*.warc.gz \
  >"$DT_TMP/check-head.jsonl" 2>>"$DT_TMP/check.log" || rc=$?
[ "$rc" -eq 0 ] || fail "warc-check (HEAD, exit $rc): $(grep -v '"problems":\[\]' "$DT_TMP/check-head.jsonl" | head -n 10)"
grep -q '"records":9,' "$DT_TMP/check-head.jsonl" || fail "HEAD: want 9 records: $(tail -n 1 "$DT_TMP/check-head.jsonl")"
dt_say "HEAD: $(tail -n 1 "$DT_TMP/check-head.jsonl")"

# Cut short by the worker: a server that stalls mid-body meets --timeout ("time"), a Content-Length
# over --max-bytes stops libcurl inside the head ("length": the head is closed so the block still
# parses), a chunked body grows past it ("length"). Each record says it is truncated.
mkdir "$DT_TMP/warc-cut"
dt_worker_start w3 --concurrency 4 --warc-dir "$DT_TMP/warc-cut" --timeout 3 --max-bytes 50000
cut_paths=(/stall/40000 /size/200000 /chunked/200000 /size/50000)
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait \
  "${cut_paths[@]/#/$DT_HTTP}" >"$DT_TMP/cut.jsonl" 2>"$DT_TMP/submit-cut.log" || rc=$?
[ "$rc" -le 1 ] || fail "dtask submit --wait (cut) exited $rc"
dt_stop_pid "$(dt_pid_of w3)"
"$DT_PYTHON" - "$DTASK_TESTS/http" "$DT_HTTP" >"$DT_TMP/expected-cut.json" <<'EOF'
import base64, hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
base = sys.argv[2]
digest = lambda b: "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()
full = dt_httpd.expected_body("/size/50000")[1]
json.dump({"ip": "127.0.0.1", "responses": {
    base + "/stall/40000": {"status": 200, "truncated": "time"},  # what came before the limit
    base + "/size/200000": {"status": 200, "payload_len": 0, "payload_sha1": digest(b""),
                            "truncated": "length"},
    base + "/chunked/200000": {"status": 200, "truncated": "length"},
    base + "/size/50000": {"status": 200, "payload_len": len(full), "payload_sha1": digest(full)},
}}, sys.stdout)
EOF
rc=0
timeout 120 "$WARC_CHECK" --expect "$DT_TMP/expected-cut.json" "$DT_TMP"/warc-cut/*.warc.gz \
  >"$DT_TMP/check-cut.jsonl" 2>>"$DT_TMP/check.log" || rc=$?
[ "$rc" -eq 0 ] || fail "warc-check (cut, exit $rc): $(grep -v '"problems":\[\]' "$DT_TMP/check-cut.jsonl" | head -n 10)"
dt_say "cut short: $(tail -n 1 "$DT_TMP/check-cut.jsonl")"
