#!/usr/bin/env bash
# e2e_security.sh - a CURVE master admits only its listed keys, each in its own role, and keeps serving the rightful peers.
#
# In one run, against one master: a legitimate worker and client crawl; meanwhile a worker with an
# unknown key, a client using a worker's key, a worker using a client's key and plaintext peers
# all try their luck. Every one of them is refused and logged; the crawl completes.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_security

K="$DT_TMP/keys"
kg() { "$DTASK_BIN/dtask" -q keygen "$@"; }
kg --role master --dir "$K" master
kg --role worker --dir "$K/workers" good-worker
kg --role client --dir "$K/clients" good-client
kg --role worker --dir "$DT_TMP/stranger" stranger

# A plaintext master on a real address is refused outright; with keys it starts.
rc=0
"$DTASK_BIN/dtask-master" --bind tcp://0.0.0.0:0 --memory >/dev/null 2>"$DT_TMP/refuse.err" || rc=$?
[ "$rc" -eq 2 ] || fail "plaintext master on 0.0.0.0 exited $rc, expected 2"
grep -q 'insecure' "$DT_TMP/refuse.err" || fail "no hint about --keys/--insecure: $(cat "$DT_TMP/refuse.err")"

dt_httpd_start
dt_master_start --memory --keys "$K"
MK="$K/master.key"
worker_as() { # NAME KEY: a worker using KEY
  dt_worker_start "$1" --key "$2" --master-key "$MK" --concurrency 16
}
cli_as() { # KEY ARGS...: the CLI using KEY
  local key=$1
  shift
  "$DTASK_BIN/dtask" --master "$DT_MASTER" --key "$key" --master-key "$MK" "$@"
}
good() { cli_as "$K/clients/good-client.key_secret" "$@"; }
listed_workers() { good --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'sorted(w["name"] for w in d["workers"])'; }
only_good_worker() { [ "$(listed_workers)" = '["good"]' ]; }

worker_as good "$K/workers/good-worker.key_secret"
worker_as stranger "$DT_TMP/stranger/stranger.key_secret"
worker_as posing-client "$K/clients/good-client.key_secret"
dt_spawn plaintext-worker "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --name plaintext --heartbeat 200
dt_wait_for 20 "the legitimate worker registered" only_good_worker

# Clients that must be refused: no reply (exit 3) or an explicit DENIED (exit 4).
rc=0; cli_as "$DT_TMP/stranger/stranger.key_secret" --timeout 2 status >/dev/null 2>"$DT_TMP/s1.err" || rc=$?
[ "$rc" -eq 3 ] || fail "a client with an unknown key got exit $rc, expected 3"
grep -q "allow-list" "$DT_TMP/s1.err" || fail "no allow-list hint: $(cat "$DT_TMP/s1.err")"
rc=0; cli_as "$K/workers/good-worker.key_secret" --timeout 5 submit "$DT_HTTP/page/1" >/dev/null 2>"$DT_TMP/s2.err" || rc=$?
[ "$rc" -eq 4 ] || fail "a client using a worker's key got exit $rc, expected 4 (DENIED)"
grep -qi 'denied' "$DT_TMP/s2.err" || fail "no DENIED message: $(cat "$DT_TMP/s2.err")"
rc=0; "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 2 status >/dev/null 2>"$DT_TMP/s3.err" || rc=$?
[ "$rc" -eq 3 ] || fail "a plaintext client got exit $rc, expected 3"

# Meanwhile the rightful client crawls through the rightful worker.
urls="$DT_TMP/urls.txt"
for ((i = 0; i < 500; i++)); do echo "$DT_HTTP/page/$i"; done >"$urls"
rc=0
good --timeout 10 submit --wait -f "$urls" >"$DT_TMP/results.jsonl" 2>>"$DT_TMP/cli.log" || rc=$?
[ "$rc" -eq 0 ] || fail "the legitimate crawl exited $rc"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$DT_TMP/results.jsonl" \
  --workers good || fail "legitimate results do not match"

only_good_worker || fail "workers listed: $(listed_workers), expected only the legitimate one"
grep -q 'AUTH-DENIED.*key not in the allow-list' "$DT_TMP/master.log" || fail "unknown key not logged"
grep -q 'AUTH-DENIED.*may not send HELLO' "$DT_TMP/master.log" || fail "a client key posing as a worker not logged"
grep -q 'AUTH-DENIED.*may not send SUBMIT' "$DT_TMP/master.log" || fail "a worker key submitting not logged"
dt_alive master || fail "master died"
dt_say "PASS"
