# archive_lib.sh - helpers for the archive tests (submit --save warc): the warcio reader and what
# the test server sent. Sourced after lib.sh.
# shellcheck shell=bash

WARCIO_VERSION=2.4.11
# DT_LIMIT_CAPTURE_SAVE: the body bytes a saved capture keeps (3 MiB - 512 KiB).
SAVE_CAP=$((3 * 1024 * 1024 - 512 * 1024))

# dt_warcio_install: installs the independent reader (the warcio package from the npm registry)
# once per build tree, as e2e_warc_local does; sets WARCIO_DIR. A missing npm fails the test.
dt_warcio_install() {
  command -v node >/dev/null || fail "node not found: scripts/install-deps installs nodejs and npm"
  command -v npm >/dev/null || fail "npm not found: scripts/install-deps installs nodejs and npm"
  WARCIO_DIR="$DTASK_BIN/../npm-warcio"
  if [ ! -f "$WARCIO_DIR/node_modules/warcio/package.json" ] ||
    ! grep -q "\"version\": \"$WARCIO_VERSION\"" "$WARCIO_DIR/node_modules/warcio/package.json"; then
    dt_say "installing warcio $WARCIO_VERSION into $WARCIO_DIR"
    mkdir -p "$WARCIO_DIR"
    timeout 300 npm install --prefix "$WARCIO_DIR" --no-audit --no-fund --no-save \
      "warcio@$WARCIO_VERSION" >"$DT_TMP/npm.log" 2>&1 ||
      fail "npm could not install warcio@$WARCIO_VERSION; see npm.log: $(tail -n 5 "$DT_TMP/npm.log")"
  fi
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
json.dump({"responses": responses, "request_has": ["User-Agent: dtask/" + version]}, sys.stdout)
PYEOF
}

# dt_archive_check EXPECTED FILE...: reads FILE(s) with warcio (warc_check.cjs): valid end to end,
# every expected URI's response exactly once with the status and digest the server sent.
dt_archive_check() {
  local expected=$1
  shift
  timeout 120 node "$DTASK_TESTS/integration/warc_check.cjs" "$WARCIO_DIR" "$expected" "$@" \
    >"$DT_TMP/check.log" 2>&1 || fail "warcio check: $(head -n 20 "$DT_TMP/check.log")"
  dt_say "warcio: $(tail -n 1 "$DT_TMP/check.log")"
}
