#!/usr/bin/env bash
# e2e_kinds.sh - the README's generic-task example with real processes: payloads of kind "square" go only to the
# workers that serve that kind (an http worker on the same master gets none), and outputs come back.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_kinds

examples="$DTASK_TESTS/../examples/python"
dt_master_start --data "$DT_TMP/data"

# The README's count; a sanitizer build (every process several times slower) runs a tenth of it.
N=100000
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
[[ "$syms" != *__asan_init* ]] || N=10000

dt_say "two square workers (one a process per task, one --stdio) and one http (noop) worker"
dt_worker_start sq1 --kind square --concurrency 16 -- "$DT_PYTHON" "$examples/square.py"
dt_worker_start sq2 --kind square --concurrency 16 --stdio -- "$DT_PYTHON" "$examples/square_stdio.py"
dt_worker_start http1 --handler noop --concurrency 4

dt_say "seq 1 $N | dtask submit --kind square -f - --wait"
rc=0
seq 1 "$N" | timeout 600 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind square -f - --wait \
  >"$DT_TMP/out.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "dtask submit --wait exited $rc"
"$DT_PYTHON" - "$DT_TMP/out.jsonl" "$N" <<'PY' || fail "square results are wrong"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in rs if r["kind"] != "square" or r["state"] != "done" or r["exit_code"] not in (0, None)
       or int(r["output"]) != int(r["payload"]) ** 2]
got = sorted(int(r["payload"]) for r in rs)
n = int(sys.argv[2])
if bad or got != list(range(1, n + 1)):
    print("%d results, %d wrong, first: %r" % (len(rs), len(bad), bad[:1])); sys.exit(1)
print("%d squares, each once" % n)
PY

dt_say "an http job on the same master goes to the http worker only"
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait http://127.0.0.1/a http://127.0.0.1/b \
  >"$DT_TMP/http.jsonl" 2>>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "http submit exited $rc"
grep -c '"state":"done"' "$DT_TMP/http.jsonl" | grep -qx 2 || fail "http tasks not done"
grep -q 'http1' "$DT_TMP/http.jsonl" || fail "http tasks ran elsewhere than the http worker"

dt_say "--jsonl: a payload with a newline, one in base64; a bad line refuses all (exit 2)"
printf '%s\n' '{"payload": "12\n"}' '{"payload_base64": "MTM="}' >"$DT_TMP/in.jsonl"
rc=0
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind square --jsonl -f "$DT_TMP/in.jsonl" \
  --wait >"$DT_TMP/jsonl.out" 2>>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "submit --jsonl exited $rc"
grep -q '"payload":"12\\n".*"output":"144' "$DT_TMP/jsonl.out" &&
  grep -q '"payload":"13".*"output":"169' "$DT_TMP/jsonl.out" || fail "--jsonl: $(cat "$DT_TMP/jsonl.out")"
printf '%s\n' '{"payload": "1"}' '{"payload": 2}' >"$DT_TMP/bad.jsonl"
rc=0
"$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind square --jsonl -f "$DT_TMP/bad.jsonl" \
  >/dev/null 2>"$DT_TMP/bad.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "entry 2" "$DT_TMP/bad.err" || fail "a bad --jsonl line: exit $rc, $(cat "$DT_TMP/bad.err")"

dt_say "status per kind: a kind with tasks and no worker says so"
dt_cli submit --kind nobody a b c >/dev/null 2>&1 || fail "submit --kind nobody"
dt_cli status >"$DT_TMP/status.txt" 2>&1 || fail "dtask status failed"
grep -E '^nobody +3 +0 +0 +0  no worker serves this kind' "$DT_TMP/status.txt" >/dev/null ||
  fail "status: $(cat "$DT_TMP/status.txt")"
[ "$(dt_status_json | dt_json '[k["workers"] for k in d["kinds"] if k["kind"] == "square"][0]')" = 2 ] ||
  fail "status --json: square should have 2 workers"

dt_say "a payload over the limit is refused before anything is sent (exit 2)"
rc=0
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$DT_TMP/big.txt"
timeout 30 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind square -f "$DT_TMP/big.txt" \
  >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "an oversized payload: exit $rc, expected 2"
dt_say "ok"
