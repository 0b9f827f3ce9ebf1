#!/usr/bin/env bash
# e2e_retries.sh - transient failures are retried up to --max-attempts, permanent answers are not.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_retries

dt_httpd_start
dt_master_start --memory --max-attempts 3
dt_worker_start retry-w1 --concurrency 4 --timeout 5

closed=$(dt_free_port)
urls="$DT_TMP/urls.txt"
cat >"$urls" <<EOF
$DT_HTTP/flaky/one/1
$DT_HTTP/flaky/two/2
$DT_HTTP/flaky/three/3
$DT_HTTP/fail/always
$DT_HTTP/status/500
$DT_HTTP/status/404
$DT_HTTP/status/200
http://127.0.0.1:$closed/nobody-listens
EOF

rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls" \
  >"$DT_TMP/results.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -ne 124 ] || fail "dtask submit --wait did not finish within 120 s"
[ "$rc" -le 1 ] || fail "dtask submit --wait exited $rc"
curl -fsS "$DT_HTTP/hits" >"$DT_TMP/hits.json" || fail "GET /hits failed"

# url suffix -> (state, http_status, attempts, requests the server saw)
"$DT_PYTHON" - "$DT_TMP/results.jsonl" "$DT_TMP/hits.json" <<'EOF' || fail "retry behaviour is wrong"
import json, sys
want = {
    "/flaky/one/1": ("done", 200, 2, 2),
    "/flaky/two/2": ("done", 200, 3, 3),
    "/flaky/three/3": ("failed", 503, 3, 3),
    "/fail/always": ("failed", 503, 3, 3),
    "/status/500": ("failed", 500, 3, 3),
    "/status/404": ("done", 404, 1, 1),
    "/status/200": ("done", 200, 1, 1),
    "/nobody-listens": ("failed", None, 3, None),
}
results = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
hits = json.load(open(sys.argv[2]))
bad = 0
for suffix, (state, status, attempts, nhits) in want.items():
    rs = [r for r in results if r["url"].endswith(suffix)]
    if len(rs) != 1:
        print("%s: %d results, expected 1" % (suffix, len(rs)))
        bad += 1
        continue
    r = rs[0]
    got = (r["state"], r["http_status"], r["attempts"])
    if got != (state, status, attempts):
        print("%s: (state, http_status, attempts) = %r, expected %r" % (suffix, got, (state, status, attempts)))
        bad += 1
    if state == "failed" and not r["error"]:
        print("%s: failed without an error string" % suffix)
        bad += 1
    if state == "done" and r["error"] is not None:
        print("%s: done with error %r" % (suffix, r["error"]))
        bad += 1
    if nhits is not None and hits.get(suffix, 0) != nhits:
        print("%s: the server saw %d requests, expected %d" % (suffix, hits.get(suffix, 0), nhits))
        bad += 1
print("retries: %d results checked, %d problems" % (len(results), bad))
sys.exit(1 if bad else 0)
EOF

status=$(dt_status_json)
for check in 'd["submitted"] == 8' 'd["done"] == 4' 'd["failed"] == 4' 'd["retried"] >= 6' \
  'd["pending"] == 0' 'd["inflight"] == 0' 'd["delayed"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done

