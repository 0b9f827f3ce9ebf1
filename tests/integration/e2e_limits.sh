#!/usr/bin/env bash
# e2e_limits.sh - caps of dt_limits.h end to end, at the cap and one beyond: kind names, worker names, payloads and outputs.
#
#  - DT_LIMIT_PAYLOAD_MAX and DT_LIMIT_OUTPUT_MAX (1 MiB each): a payload of exactly 1 MiB goes from
#    `dtask submit` through the master to a command worker (cat) and back as a 1 MiB output, stored and
#    paged to the client whole; a payload one byte longer is refused by the CLI (exit 2, nothing sent);
#    an output one byte over the cap fails its task ("output"), one at the cap is done.
#  - DT_LIMIT_KIND_MAX (32): a kind of 32 characters is accepted by the CLI and served by a worker;
#    33 are refused by both at start (exit 2).
#  - DT_LIMIT_NAME_MAX (128): a worker named with 128 characters registers and STATUS shows the name
#    whole; 129 are refused at start (exit 2).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_limits

CAP=$((1024 * 1024)) # DT_LIMIT_PAYLOAD_MAX, DT_LIMIT_OUTPUT_MAX
KIND32=$(printf 'k%.0s' $(seq 1 32))
NAME128=$(printf 'n%.0s' $(seq 1 128))

dt_master_start --memory --max-attempts 1
dt_worker_start echo-w --kind echo --concurrency 2 -- cat
dt_worker_start atcap-w --kind atcap --concurrency 1 -- sh -c "head -c $CAP /dev/zero | tr '\\0' a"
dt_worker_start overcap-w --kind overcap --concurrency 1 -- sh -c "head -c $((CAP + 1)) /dev/zero | tr '\\0' a"
dt_worker_start "$NAME128" --kind "$KIND32" --concurrency 1 -- cat
dt_wait_for 20 "4 workers registered" dt_workers_registered 4
named=$(dt_status_json | dt_json "len([w for w in d['workers'] if w['name'] == '$NAME128'])")
[ "$named" = 1 ] || fail "the worker named with 128 characters is not listed whole"

# One beyond each cap, at start: refused, nothing sent.
rc=0
"$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --name "${NAME128}n" -- cat >"$DT_TMP/name129.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a worker name of 129 characters: exit $rc, expected 2"
rc=0
"$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --kind "${KIND32}k" -- cat >"$DT_TMP/kind33w.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a worker kind of 33 characters: exit $rc, expected 2"
rc=0
dt_cli submit --kind "${KIND32}k" x >"$DT_TMP/kind33.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a kind of 33 characters: dtask submit exit $rc, expected 2"

# Payloads: exactly the cap, and one byte more.
head -c "$CAP" /dev/zero | tr '\0' p >"$DT_TMP/atcap.txt"
echo >>"$DT_TMP/atcap.txt"
head -c $((CAP + 1)) /dev/zero | tr '\0' p >"$DT_TMP/overcap.txt"
echo >>"$DT_TMP/overcap.txt"
rc=0
dt_cli submit --kind echo -f "$DT_TMP/overcap.txt" >"$DT_TMP/over.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a payload of 1 MiB + 1: dtask submit exit $rc, expected 2"

submit_wait() {
  local name=$1 rc=0
  shift
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait "$@" >"$DT_TMP/$name.jsonl" \
    2>"$DT_TMP/$name-submit.log" || rc=$?
  [ "$rc" -le 1 ] || fail "$name: dtask submit --wait exited $rc"
}
submit_wait echo --kind echo -f "$DT_TMP/atcap.txt"
submit_wait kind32 --kind "$KIND32" small-payload
submit_wait atcap --kind atcap x
submit_wait overcap --kind overcap x

"$DT_PYTHON" - "$DT_TMP" "$CAP" <<'PY' || fail "results at and beyond the caps are wrong"
import json, sys
tmp, cap = sys.argv[1], int(sys.argv[2])
def one(name):
    rs = [json.loads(l) for l in open("%s/%s.jsonl" % (tmp, name)) if l.startswith("{")]
    assert len(rs) == 1, "%s: %d results" % (name, len(rs))
    return rs[0]
bad = 0
r = one("echo")
if r["state"] != "done" or len(r["payload"]) != cap or r["output"] != r["payload"]:
    print("echo: state %s, payload %d bytes, output %d bytes" % (r["state"], len(r.get("payload") or ""), len(r.get("output") or ""))); bad += 1
r = one("kind32")
if r["state"] != "done" or r["output"] != "small-payload":
    print("kind32: %r" % r); bad += 1
r = one("atcap")
if r["state"] != "done" or len(r["output"]) != cap:
    print("atcap: state %s, output %d bytes" % (r["state"], len(r.get("output") or ""))); bad += 1
r = one("overcap")
if r["state"] != "failed" or "output" not in (r["error"] or ""):
    print("overcap: state %s, error %r" % (r["state"], r["error"])); bad += 1
sys.exit(1 if bad else 0)
PY
dt_alive master || fail "master died"
dt_say "PASS"
