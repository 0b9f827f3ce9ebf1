# fault_lib.sh - helpers for the fault-point tests (e2e_fault_*.sh), on top of lib.sh.
# shellcheck shell=bash
# shellcheck disable=SC2034 # DT_MASTER, DT_MASTER_PORT are set here for the test scripts
#
# The master with fault points is a test tool (tests/faults.cmake builds it next to dt_garbage);
# the one in bin/ has none. DTASK_FAULT=POINT[:N] arms it (docs/TESTING.md).

DTASK_TOOLS=${DTASK_TOOLS:-$(cd "$DTASK_TESTS/.." && pwd)/build/tests}
DT_FAULT_MASTER="$DTASK_TOOLS/dtask-master-faults"

# fault_check_tool: ends the test at once when the master with fault points was not built.
fault_check_tool() {
  [ -x "$DT_FAULT_MASTER" ] || fail "$DT_FAULT_MASTER not found: build first (make)"
}

# fault_master_start NAME SPEC ARGS...: starts the master with fault points as NAME, armed with
# DTASK_FAULT=SPEC, on a free 127.0.0.1 port (the first time) or on DT_MASTER_PORT (a restart, so
# that workers and clients find it again); waits until it listens.
fault_master_start() {
  local name=$1 spec=$2
  shift 2
  fault_master_spawn "$name" env DTASK_FAULT="$spec" "$DT_FAULT_MASTER" "$@"
}

# fault_master_restart NAME ARGS...: the normal master (bin/, no fault points) as NAME on DT_MASTER.
fault_master_restart() {
  local name=$1
  shift
  fault_master_spawn "$name" "$DTASK_BIN/dtask-master" "$@"
}

# fault_master_spawn NAME CMD ARGS...: CMD ARGS --bind ..., then waits until it listens. The first
# start picks a free port, and another one if that was taken in between (as dt_master_start does).
fault_master_spawn() {
  local name=$1 port try pid
  shift
  for try in 1 2 3; do
    port=${DT_MASTER_PORT:-$(dt_free_port)}
    dt_spawn "$name" "$@" --bind "tcp://127.0.0.1:$port"
    pid=$DT_LAST_PID
    dt_wait_for 15 "$name to listen on 127.0.0.1:$port" fault_listening "$pid" "$port"
    if dt_listening "$pid" "$port"; then
      DT_MASTER_PORT=$port
      DT_MASTER="tcp://127.0.0.1:$port"
      return 0
    fi
    [ -z "${DT_MASTER_PORT:-}" ] && grep -qi 'in use' "$DT_TMP/$name.log" || fail "$name exited at start"
    mv "$DT_TMP/$name.log" "$DT_TMP/$name-bind-$try.log.old"
    wait "$pid" 2>/dev/null || true
    unset 'DT_PIDS[-1]' 'DT_PNAMES[-1]' # so that NAME means the next try
  done
  fail "$name could not bind a free port in 3 tries"
}

# fault_listening PID PORT: true once PID listens on PORT, or once it has exited.
fault_listening() {
  ! kill -0 "$1" 2>/dev/null || dt_listening "$1" "$2"
}

# fault_expect_crash NAME POINT: waits for NAME to die at POINT: killed by SIGKILL (exit status
# 137), right after its log says the point fired.
fault_expect_crash() {
  dt_wait_exit "$1" 120
  [ "$DT_EXIT" -eq 137 ] || fail "$1 exited $DT_EXIT, expected to be killed (137) at $2"
  grep -q "FAULT-INJECTED $2:" "$DT_TMP/$1.log" || fail "$1 died, but not at fault point $2"
  dt_say "$1 died at $2 as planned"
}

# fault_job_final JOB N: true when the master counts N tasks of JOB done or failed.
fault_job_final() {
  local n
  n=$(dt_cli --timeout 5 status --json --job "$1" 2>>"$DT_TMP/cli.log" |
    dt_json 'd["done"] + d["failed"]' 2>/dev/null) || return 1
  [ "${n:-0}" -ge "$2" ]
}

# fault_job_submitted JOB: prints how many tasks the master holds for JOB (0 for a job it does not
# know: status exits 2, "no such job").
fault_job_submitted() {
  local out rc=0
  out=$(dt_cli --timeout 10 status --json --job "$1" 2>>"$DT_TMP/cli.log") || rc=$?
  if [ "$rc" -eq 2 ]; then
    echo 0
    return 0
  fi
  [ "$rc" -eq 0 ] || return 1
  printf '%s
' "$out" | dt_json 'd["submitted"]'
}

# fault_check_job JOB URLS RESULTS WHAT: RESULTS (JSON lines) hold exactly one result per URL of
# URLS, each what the test server returns for that URL. On a mismatch it says which results are
# another URL's (a worker's result recorded for the wrong task) before failing.
fault_check_job() {
  local job=$1 urls=$2 results=$3 what=$4
  if "$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
    >"$DT_TMP/check-$job.txt" 2>&1; then
    return 0
  fi
  cat "$DT_TMP/check-$job.txt" >&2
  "$DT_PYTHON" - "$results" "$job" >&2 <<'EOF' || true
import json, sys
wrong = []
for line in open(sys.argv[1], errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if isinstance(r, dict) and r.get("final_url") not in (None, "", r.get("url")):
        wrong.append(r)
for r in wrong[:5]:
    print("job %s: task %s (%s) holds the result of %s" % (sys.argv[2], r["id"], r["url"], r["final_url"]))
if wrong:
    print("job %s: %d results are another URL's: results of one task recorded for another "
          "(a task id reused across the restart?)" % (sys.argv[2], len(wrong)))
EOF
  fail "job $job: $what do not match its URLs"
}
