#!/usr/bin/env bash
# e2e_deny_private.sh - --deny-private refuses internal addresses in every spelling, and refuses to run behind an untrusted proxy.
#
# A worker with --deny-private fails tasks for 127.0.0.1 and for IPv6 forms that carry it; the same
# worker with http_proxy set will not start (the proxy would fetch 127.0.0.1 on its side) unless
# --trusted-proxy says the proxy checks destinations itself, and then fetches go through the proxy.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_deny_private

dt_httpd_start
dt_master_start --memory

# 1. Behind an untrusted proxy the worker refuses to start, and says why and what to do.
rc=0
http_proxy="$DT_HTTP" timeout 20 "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --deny-private \
  >/dev/null 2>"$DT_TMP/refuse.err" || rc=$?
[ "$rc" -eq 2 ] || fail "worker with --deny-private behind http_proxy exited $rc, expected 2"
grep -q 'http_proxy' "$DT_TMP/refuse.err" || fail "refusal does not name http_proxy: $(cat "$DT_TMP/refuse.err")"
grep -q -- '--trusted-proxy' "$DT_TMP/refuse.err" || fail "refusal does not mention --trusted-proxy"
rc=0
ALL_PROXY="$DT_HTTP" timeout 20 "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --deny-private \
  >/dev/null 2>"$DT_TMP/refuse2.err" || rc=$?
[ "$rc" -eq 2 ] || fail "worker with --deny-private behind ALL_PROXY exited $rc, expected 2"

# 2. Without a proxy (NO_PROXY=* turns the one set off, so the worker starts): loopback in every
# spelling fails as "not allowed", without a request.
http_proxy="$DT_HTTP" NO_PROXY='*' dt_worker_start deny-w1 --deny-private --concurrency 4
P=$DT_HTTP_PORT
urls="$DT_TMP/urls.txt"
cat >"$urls" <<URLS
http://127.0.0.1:$P/status/200?plain
http://[::ffff:127.0.0.1]:$P/status/200?mapped
http://[::127.0.0.1]:$P/status/200?compatible
http://[::ffff:0:127.0.0.1]:$P/status/200?translated
http://[64:ff9b::7f00:1]:$P/status/200?nat64
http://[2002:7f00:1::1]:$P/status/200?6to4
http://[::1]:$P/status/200?v6loopback
URLS
rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls" \
  >"$DT_TMP/denied.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -ne 124 ] || fail "submit --wait did not finish within 120 s"
"$DT_PYTHON" - "$DT_TMP/denied.jsonl" 7 <<'PY' || fail "some internal address was not refused"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = [r for r in rs if r["state"] != "failed" or "not allowed" not in (r["error"] or "")]
for r in bad:
    print("%s: %s %r" % (r["url"], r["state"], r["error"]))
if len(rs) != int(sys.argv[2]) or bad:
    print("%d results, %d not refused" % (len(rs), len(bad)))
    sys.exit(1)
PY
hits=$(curl -fsS "$DT_HTTP/hits" | dt_json 'd.get("/status/200", 0)' 2>/dev/null || echo "?")
[ "$hits" = "0" ] || fail "the loopback server saw $hits requests for refused URLs"
dt_stop_pid "$(dt_pid_of deny-w1)"

# 3. With --trusted-proxy the same worker starts and fetches through the proxy (the test server
# answers absolute-form requests); the .invalid host is never resolved by the worker.
http_proxy="$DT_HTTP" dt_worker_start deny-w2 --deny-private --trusted-proxy --concurrency 4
rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait http://proxied.invalid/size/10 \
  >"$DT_TMP/proxied.jsonl" 2>>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "fetch through the trusted proxy: submit exited $rc"
"$DT_PYTHON" - "$DT_TMP/proxied.jsonl" <<'PY' || fail "fetch through the trusted proxy is wrong"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ok = len(rs) == 1 and rs[0]["state"] == "done" and rs[0]["http_status"] == 200 and rs[0]["bytes"] == 10
print(rs)
sys.exit(0 if ok else 1)
PY
dt_say "deny-private: untrusted proxy refused, 7 loopback spellings refused, trusted proxy used"
