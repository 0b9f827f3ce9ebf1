#!/usr/bin/env bash
# e2e_peer_logs.sh - no peer can flood the master's log, and a handshake flood does not starve its clients.
#
# A CURVE master crawls 2,000 URLs for a rightful worker and client. Meanwhile, with real keys:
# the client key sends 100,000 CANCELs of a missing job, the worker key says HELLO 50,000 times and
# sends 50,000 client messages (each refused, AUTH-DENIED), and strangers make CURVE handshakes with
# fresh unknown keys for 6 s while the rightful client asks STATUS every half second. Every line a
# peer can trigger goes through one limiter (common/dt_log.c: DT_LOG_PEER_PER_S lines per tag per
# second, then "N similar lines suppressed"), so the master's log grows by at most that many lines
# a second per tag; AUTH-DENIED names keys in Z85; every STATUS answers within the client's timeout;
# the crawl ends with every URL done once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_logs
PEER=$(dt_peer_tool)

LINES_PER_S=10   # DT_LOG_PEER_PER_S
LINE_BYTES=300   # a long log line: the escaped names and keys are capped
TAGS=8           # tags a peer can trigger here, generously

K="$DT_TMP/keys"
kg() { "$DTASK_BIN/dtask" -q keygen "$@"; }
kg --role master --dir "$K" master
kg --role worker --dir "$K/workers" w
kg --role client --dir "$K/clients" c
MK="$K/master.key"
WK="$K/workers/w.key_secret"
CK="$K/clients/c.key_secret"

dt_httpd_start
dt_master_start --memory --keys "$K"
dt_worker_start w --key "$WK" --master-key "$MK" --concurrency 16
good() { "$DTASK_BIN/dtask" --master "$DT_MASTER" --key "$CK" --master-key "$MK" "$@"; }
one_worker() {
  [ "$(good --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'len(d["workers"])')" = 1 ]
}
dt_wait_for 20 "the worker registered" one_worker
master_pid=$(dt_pid_of master)

urls="$DT_TMP/urls.txt"
for ((k = 0; k < 2000; k++)); do echo "$DT_HTTP/page/$k"; done >"$urls"
dt_spawn_to submit "$DT_TMP/results.jsonl" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" \
  --key "$CK" --master-key "$MK" --timeout 10 submit --wait -f "$urls"

bytes0=$(stat -c %s "$DT_TMP/master.log")
t0=$SECONDS
dt_spawn cancel "$PEER" flood "$DT_MASTER" cancel 100000 "$CK" "$MK"
dt_spawn hello "$PEER" flood "$DT_MASTER" hello 50000 "$WK" "$MK"
dt_spawn denied "$PEER" flood "$DT_MASTER" status 50000 "$WK" "$MK"
dt_spawn curve "$PEER" curve "$DT_MASTER" "$MK" 6000
worst=0
for ((i = 0; i < 12; i++)); do
  dt_run_timed ms rc good --timeout 20 status --json
  [ "$rc" -eq 0 ] || fail "STATUS of the rightful client failed ($rc) during the floods"
  [ "$ms" -gt "$worst" ] && worst=$ms
  sleep 0.5
done >/dev/null
for name in cancel hello denied curve; do
  dt_wait_exit "$name" 120
  [ "$DT_EXIT" -eq 0 ] || fail "$name exited $DT_EXIT"
  dt_say "$name: $(cat "$DT_TMP/$name.log")"
done
elapsed=$((SECONDS - t0 + 2))
bytes1=$(stat -c %s "$DT_TMP/master.log")
grown=$((bytes1 - bytes0))
limit=$((TAGS * (LINES_PER_S + 1) * elapsed * LINE_BYTES))
dt_say "STATUS answered in at most $worst ms; master log grew by $grown bytes in ${elapsed} s (limit $limit)"
[ "$grown" -le "$limit" ] || fail "master log grew by $grown bytes: not rate limited"
[ "$(dt_kv "$DT_TMP/cancel.log" sent)" -ge 100000 ] || fail "the CANCEL flood did not send everything"
# How many refusals it reads depends on its pace (the master drops replies to a peer that lags
# DT_LIMIT_PEER_REPLIES behind); that it gets refusals does not.
[ "$(dt_kv "$DT_TMP/denied.log" errors)" -ge 1 ] || fail "the worker key's client messages were not refused"
grep -q 'similar lines suppressed' "$DT_TMP/master.log" || fail "no summary of suppressed lines"
grep -Eq "AUTH-DENIED key not in the allow-list from .* \(key [!-~]{40}\)" "$DT_TMP/master.log" \
  || fail "no AUTH-DENIED line for an unknown key in Z85"
wkey=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$K/workers/w.key")
grep -qF "AUTH-DENIED-ROLE key $wkey with role 'worker' may not send STATUS" "$DT_TMP/master.log" \
  || fail "the refused worker key is not named in Z85 ($wkey)"

dt_wait_exit submit 300
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" \
  --results "$DT_TMP/results.jsonl" || fail "results do not match what was served"
dt_alive master || fail "master died"
dt_say "PASS"
