#!/usr/bin/env bash
# e2e_exec.sh - workers that run a command per task (--kind) and long-lived --stdio children, through a real master.
# The payloads look like URLs: the commands read the number at their end.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_exec

examples="$DTASK_TESTS/../examples/python"
dt_master_start --memory --max-attempts 2 --retry-base 50

# check FILE WANT...: each WANT is "SUFFIX STATE ATTEMPTS ERROR-SUBSTRING" (ERROR-SUBSTRING "-" for none).
check() {
  "$DT_PYTHON" - "$@" <<'PY'
import json, sys
results = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = 0
for want in sys.argv[2:]:
    suffix, state, attempts, error = want.split(" ", 3)
    rs = [r for r in results if r.get("payload", r.get("url", "")).endswith(suffix)]
    if len(rs) != 1:
        print("%s: %d results, expected 1" % (suffix, len(rs))); bad += 1; continue
    r = rs[0]
    if (r["state"], r["attempts"]) != (state, int(attempts)):
        print("%s: state %s after %s attempts, expected %s after %s" % (suffix, r["state"], r["attempts"], state, attempts)); bad += 1
    if error == "-" and r["error"] is not None:
        print("%s: unexpected error %r" % (suffix, r["error"])); bad += 1
    if error != "-" and error not in (r["error"] or ""):
        print("%s: error %r does not contain %r" % (suffix, r["error"], error)); bad += 1
print("%d results, %d problems" % (len(results), bad))
sys.exit(1 if bad else 0)
PY
}

# submit NAME [--kind K] PAYLOAD...: submits (kind square by default) and waits for every result.
submit() {
  local name=$1 rc=0 kind=square
  shift
  if [ "$1" = --kind ]; then kind=$2; shift 2; fi
  printf '%s\n' "$@" >"$DT_TMP/$name.txt"
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --kind "$kind" --wait -f "$DT_TMP/$name.txt" \
    >"$DT_TMP/$name.jsonl" 2>"$DT_TMP/$name-submit.log" || rc=$?
  [ "$rc" -ne 124 ] || fail "$name: dtask submit --wait did not finish within 120 s"
  [ "$rc" -le 1 ] || fail "$name: dtask submit --wait exited $rc"
}

dt_say "a process per task: examples/python/square.py"
dt_worker_start exec-w1 --concurrency 4 --kind square -- "$DT_PYTHON" "$examples/square.py"
urls=()
for i in $(seq 1 20); do urls+=("http://127.0.0.1/exec/$i"); done
submit exec "${urls[@]}" http://127.0.0.1/exec/notanumber
check "$DT_TMP/exec.jsonl" "/exec/7 done 1 -" "/exec/20 done 1 -" \
  "/exec/notanumber failed 1 exit status 1: not a number: 'http://127.0.0.1/exec/notanumber'" ||
  fail "exec results are wrong"
[ "$(dt_status_json | dt_json 'd["done"]')" = 20 ] || fail "exec: 20 tasks should be done"
dt_stop_pid "$(dt_pid_of exec-w1)"

dt_say "long-lived children: examples/python/square_stdio.py"
dt_worker_start stdio-w1 --concurrency 3 --kind square --stdio -- "$DT_PYTHON" "$examples/square_stdio.py"
urls=()
for i in $(seq 1 30); do urls+=("http://127.0.0.1/stdio/$i"); done
submit stdio "${urls[@]}" http://127.0.0.1/stdio/nan
check "$DT_TMP/stdio.jsonl" "/stdio/3 done 1 -" "/stdio/30 done 1 -" \
  "/stdio/nan failed 1 not a number: invalid literal" || fail "stdio results are wrong"
dt_stop_pid "$(dt_pid_of stdio-w1)"

dt_say "exit 75 and the task time limit are retried, then failed"
# shellcheck disable=SC2016 # $u belongs to the command's own shell
dt_worker_start flaky-w1 --concurrency 2 --kind flaky --task-timeout 0.5 -- \
  sh -c 'read u; case "$u" in *slow*) sleep 30 ;; *) echo "try later" >&2; exit 75 ;; esac'
submit flaky --kind flaky http://127.0.0.1/flaky/tempfail http://127.0.0.1/flaky/slow
check "$DT_TMP/flaky.jsonl" "/flaky/tempfail failed 2 exit status 75: try later" \
  "/flaky/slow failed 2 task time limit" || fail "retry results are wrong"

dt_say "a command that does not exist: the worker refuses to start"
rc=0
"$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --kind square -- dtask-no-such-command \
  2>"$DT_TMP/missing.err" || rc=$?
[ "$rc" = 2 ] || fail "a missing command: exit $rc, expected 2"
grep -q "dtask-no-such-command: command not found" "$DT_TMP/missing.err" ||
  fail "a missing command: no reason given: $(cat "$DT_TMP/missing.err")"
dt_say "ok"
