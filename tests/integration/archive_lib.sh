# archive_lib.sh - helpers for the archive tests (submit --save warc): the warcio reader and what
# the test server sent. Sourced after lib.sh.
# shellcheck shell=bash

# DT_LIMIT_CAPTURE_SAVE: the body bytes a saved capture keeps (3 MiB - 512 KiB).
SAVE_CAP=$((3 * 1024 * 1024 - 512 * 1024))

# The independent reader: tests/tools/warc-check (the warcio package from the npm registry, installed
# into the build tree by the warc_check_install fixture, or on first use).
WARC_CHECK="$DTASK_TESTS/tools/warc-check/warc-check"

# dt_warcio_install: makes sure warc-check can run (installs warcio when the fixture did not).
dt_warcio_install() {
  "$WARC_CHECK" --install 2>"$DT_TMP/warc-check-install.log" ||
    fail "warc-check could not install warcio: $(tail -n 5 "$DT_TMP/warc-check-install.log")"
}

# dt_archive_expected ROOT PATH...: prints the JSON warc_check.cjs takes: for each URI (hop by hop for
# /redirect/N), the status, payload digest and length and truncation its response record must hold,
# as dt_httpd.py sends it (files under ROOT for other paths), with bodies cut at SAVE_CAP.
dt_archive_expected() {
  local root=$1
  shift
  local version
  version=$("$DTASK_BIN/dtask-worker" --version | awk '{print $2}')
  "$DT_PYTHON" - "$DTASK_TESTS/http" "$DT_HTTP" "$SAVE_CAP" "$version" "$root" "$@" <<'PYEOF'
import base64, gzip, hashlib, json, os, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
base, cap, version, root, paths = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]

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
        for k in range(int(p.split("/")[2]), 0, -1):
            responses[base + "/redirect/%d" % k] = entry(302, b"")
        responses[base + "/redirect/0"] = entry(200, b"done")
        continue
    if p.startswith("/file/"):
        responses[base + p] = entry(200, open(os.path.join(root, p[len("/file/"):]), "rb").read())
        continue
    status, body = dt_httpd.expected_body(p.split("?")[0])
    e = entry(status, body, "disconnect" if p.startswith("/cut/") else None)
    if p.startswith("/gzip/"):
        e["decoded_sha1"] = digest(gzip.decompress(body))
    if p.startswith("/chunked/"):
        e["decoded_sha1"] = e["payload_sha1"]
    responses[base + p] = e
json.dump({"responses": responses, "ip": "127.0.0.1", "request_has": ["User-Agent: dtask/" + version]},
          sys.stdout)
PYEOF
}

# dt_archive_check EXPECTED FILE...: reads FILE(s) with warc-check: valid end to end (every member one
# whole record, digests, lengths, links between records), every expected URI's response exactly once
# (--expect implies --unique) with the status and digest the server sent.
dt_archive_check() {
  local expected=$1 rc=0
  shift
  timeout 300 "$WARC_CHECK" --quiet --expect "$expected" "$@" >"$DT_TMP/check.jsonl" \
    2>"$DT_TMP/check.log" || rc=$?
  [ "$rc" -ne 2 ] || fail "warc-check could not run: $(cat "$DT_TMP/check.log")"
  [ "$rc" -eq 0 ] || fail "warc-check found problems: $(grep -v '"problems":\[\]' "$DT_TMP/check.jsonl" | head -n 20)"
  dt_say "warc-check: $(tail -n 1 "$DT_TMP/check.jsonl")"
}
