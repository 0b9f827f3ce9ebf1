#!/usr/bin/env bash
# selftest.sh - warc-check passes a valid WARC file and fails each kind of broken one, saying why.
#
# A checker that passes everything proves nothing: this builds a small valid .warc.gz by hand
# (warcinfo, then a request and a chunked response linked by WARC-Concurrent-To, one gzip member
# each, digests computed here), checks that warc-check accepts it with one JSON line per record,
# then breaks it one way at a time (a wrong block or payload digest (a chunked body's digested with
# its framing passes only with --framed-digest-ok, as wget writes it), a record that lies about its
# length, two records in one member, a cut file, bytes after the last record, a body shorter than
# its HTTP Content-Length without WARC-Truncated, a dangling WARC-Concurrent-To, a duplicate
# response under --unique, an --expect mismatch) and checks that each fails with exit 1 and the
# expected problem. Without node, it must fail with exit 2 and say so, never pass.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../integration/lib.sh"
dt_init warc_check_selftest

WARC_CHECK="$DTASK_TESTS/tools/warc-check/warc-check"

"$DT_PYTHON" - "$DT_TMP" <<'EOF'
import base64, gzip, hashlib, json, os, sys
out = sys.argv[1]

def digest(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()

def record(typ, rid, block, uri=None, payload=None, extra=(), length=None, block_digest=None,
           payload_digest=None):
    h = ["WARC/1.1", "WARC-Type: " + typ, "WARC-Record-ID: <urn:uuid:%s>" % rid,
         "WARC-Date: 2026-12-03T12:00:00Z"]
    if uri:
        h.append("WARC-Target-URI: " + uri)
    h += list(extra)
    h.append("WARC-Block-Digest: " + (block_digest or digest(block)))
    if payload is not None:
        h.append("WARC-Payload-Digest: " + (payload_digest or digest(payload)))
    ctype = {"warcinfo": "application/warc-fields"}.get(typ, "application/http;msgtype=" + typ)
    h += ["Content-Type: " + ctype, "Content-Length: %d" % (len(block) if length is None else length)]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + block + b"\r\n\r\n"

URI = "http://127.0.0.1:9/a"
REQ_ID, RES_ID = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
body = b"hello, chunked world\n"
chunked = b"5\r\nhello\r\n10;x=1\r\n, chunked world\n\r\n0\r\n\r\n"
req = b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: t\r\n\r\n"
res_head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
info = record("warcinfo", "00000000-0000-4000-8000-000000000000", b"software: selftest\r\n")
request = record("request", REQ_ID, req, URI, extra=["WARC-Concurrent-To: <urn:uuid:%s>" % RES_ID])
response = record("response", RES_ID, res_head + chunked, URI, payload=body)
gz = lambda *recs: b"".join(gzip.compress(r, mtime=0) for r in recs)

files = {
    "good": gz(info, request, response),
    "block_digest": gz(info, request, record("response", RES_ID, res_head + chunked, URI, payload=body,
                                             block_digest=digest(b"other"))),
    "payload_digest": gz(info, request, record("response", RES_ID, res_head + chunked, URI,
                                               payload=chunked)),  # digested with its framing
    "payload_wrong": gz(info, request, record("response", RES_ID, res_head + chunked, URI, payload=b"other")),
    "length_lies": gz(info, request, record("response", RES_ID, res_head + chunked, URI, payload=body,
                                            length=len(res_head + chunked) - 3)),
    "two_in_one_member": gz(info) + gzip.compress(request + response, mtime=0),
    "cut_file": gz(info, request, response)[:-40],
    "trailing_bytes": gz(info, request, response) + b"garbage after the last record\n",
    "short_body": gz(info, request, record(
        "response", RES_ID, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body, URI, payload=body)),
    "dangling_concurrent": gz(info, record("request", REQ_ID, req, URI,
                                           extra=["WARC-Concurrent-To: <urn:uuid:nobody>"]), response),
    "duplicate": gz(info, request, response, record("response", "00000000-0000-4000-8000-000000000003",
                                                     res_head + chunked, URI, payload=body)),
}
for name, data in files.items():
    with open(os.path.join(out, name + ".warc.gz"), "wb") as f:
        f.write(data)
with open(os.path.join(out, "expect.json"), "w") as f:
    json.dump({"responses": {URI: {"status": 404, "payload_sha1": digest(body), "payload_len": len(body),
                                   "truncated": None}}}, f)
EOF

# check NAME WANT_RC PATTERN [ARGS...]: warc-check ARGS NAME.warc.gz exits WANT_RC and prints PATTERN.
check() {
  local name=$1 want=$2 pattern=$3 rc=0
  shift 3
  timeout 120 "$WARC_CHECK" "$@" "$DT_TMP/$name.warc.gz" >"$DT_TMP/$name.jsonl" 2>"$DT_TMP/$name.log" || rc=$?
  [ "$rc" -eq "$want" ] || fail "$name: exit $rc, want $want: $(cat "$DT_TMP/$name.jsonl" "$DT_TMP/$name.log")"
  grep -q -- "$pattern" "$DT_TMP/$name.jsonl" || fail "$name: no '$pattern' in: $(cat "$DT_TMP/$name.jsonl")"
  dt_say "$name: exit $rc, '$pattern'"
}

check good 0 '"summary":{"files":1,"records":3,"responses":1,"requests":1,"problems":0}'
check good 0 '"type":"response".*"status":200.*"block_ok":true.*"payload_ok":true,"payload_length":21,"truncated":null'
check block_digest 1 'WARC-Block-Digest sha1:[A-Z2-7]* != '
check payload_digest 1 'WARC-Payload-Digest sha1:[A-Z2-7]* != '
check payload_digest 0 '"payload_covers":"chunked transfer"' --framed-digest-ok
check payload_wrong 1 'WARC-Payload-Digest sha1:[A-Z2-7]* != ' --framed-digest-ok
check length_lies 1 'not header + block + CRLF CRLF'
check two_in_one_member 1 'not header + block + CRLF CRLF\|does not decompress alone\|the record before ended'
check cut_file 1 '"problem":'
check trailing_bytes 1 'records end at byte\|warcio stopped'
check short_body 1 'WARC-Truncated is not set'
check dangling_concurrent 1 'WARC-Concurrent-To <urn:uuid:nobody> names no record'
check duplicate 0 '"problems":0}'
check duplicate 1 'a second response for' --unique
check good 1 'HTTP status 200, the server sent 404' --expect "$DT_TMP/expect.json"

# No node: an error that says so (exit 2), never a pass or a skip.
rc=0
env PATH=/nonexistent "$BASH" "$WARC_CHECK" "$DT_TMP/good.warc.gz" >"$DT_TMP/nonode.log" 2>&1 || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q 'node not found' "$DT_TMP/nonode.log"; then
  fail "without node: exit $rc: $(cat "$DT_TMP/nonode.log")"
fi
dt_say "without node: exit 2, 'node not found'"
