# lib.sh - shared helpers for dtask's end-to-end tests: real processes, free ports, bounded waits, cleanup.
# shellcheck shell=bash
# shellcheck disable=SC2034 # DT_HTTP, DT_MASTER_PORT, DT_EXIT, ... are set here for the test scripts
#
# A test script does:
#   . "$(dirname "$0")/lib.sh"
#   dt_init my_test_name          # temp dir, EXIT trap that stops everything started here
#   dt_httpd_start                # sets DT_HTTP (http://127.0.0.1:PORT)
#   dt_master_start --memory      # sets DT_MASTER (tcp://127.0.0.1:PORT)
#   dt_worker_start w1 --concurrency 8
#   dt_cli submit --wait URL...   # runs dtask against DT_MASTER
#   [ ... ] || fail "what went wrong"
#
# Environment: DTASK_BIN (the build's bin directory) and DTASK_TESTS (the tests/ directory) are set
# by ctest; both fall back to this checkout's build/ when a script is run by hand.
# Every process is started in the background with its output in $DT_TMP/NAME.log, and is stopped by
# PID (TERM, then KILL after a bounded wait) when the script exits for any reason. Logs are scanned
# for sanitizer reports, so `make asan` fails on a leak or UB in a daemon even if the test passed.

DTASK_TESTS=${DTASK_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DTASK_BIN=${DTASK_BIN:-$(cd "$DTASK_TESTS/.." && pwd)/build/bin}
DT_HTTPD="$DTASK_TESTS/http/dt_httpd.py"
DT_PYTHON=${DT_PYTHON:-python3}

DT_TEST=""        # this test's name, for messages
DT_TMP=""         # temp dir holding logs, port files and inputs; removed when the test passes
DT_PIDS=()        # PIDs of every background process started, in start order
DT_PNAMES=()      # their names (log file stems), same order
DT_LOGS_SHOWN=0   # set once fail() printed the logs, so the EXIT trap does not print them again
DT_T0=$SECONDS    # start time, for the elapsed time in messages

# dt_say MSG: a progress line on stderr, prefixed with the test name and seconds since start.
dt_say() {
  printf '[%s +%ss] %s\n' "$DT_TEST" "$((SECONDS - DT_T0))" "$*" >&2
}

# dt_init NAME: checks the binaries, makes the temp dir, installs the cleanup trap.
dt_init() {
  DT_TEST=$1
  local b
  for b in dtask-master dtask-worker dtask; do
    if [ ! -x "$DTASK_BIN/$b" ]; then
      echo "[$DT_TEST] FAIL: $DTASK_BIN/$b not found: build first (make)" >&2
      exit 1
    fi
  done
  command -v "$DT_PYTHON" >/dev/null || { echo "[$DT_TEST] FAIL: python3 not found" >&2; exit 1; }
  DT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dtask-$DT_TEST.XXXXXX")
  trap dt_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# dt_show_logs: prints the tail of every log in the temp dir.
dt_show_logs() {
  local f
  for f in "$DT_TMP"/*.log; do
    [ -e "$f" ] || continue
    echo "----- tail of $(basename "$f") -----" >&2
    tail -n 40 "$f" >&2
  done
  DT_LOGS_SHOWN=1
}

# fail MSG: reports the failure with the logs' tails and ends the test (the trap cleans up).
# Inside a command substitution it only ends that subshell: the caller's set -e ends the test, and
# the EXIT trap prints the logs then.
fail() {
  echo "[$DT_TEST +$((SECONDS - DT_T0))s] FAIL: $*" >&2
  if [ "$BASHPID" = "$$" ]; then
    dt_show_logs
  fi
  exit 1
}

# dt_stop_pid PID: TERM, then KILL if it is still there after ~5 s. Only ever our own children.
dt_stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "[$DT_TEST] pid $pid did not stop on TERM within 5 s: KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# dt_cleanup: the EXIT trap. Stops every process started (workers before the master, in reverse
# start order), fails the test on a sanitizer report in any log, keeps the temp dir on failure.
dt_cleanup() {
  local rc=$? i f
  trap - EXIT
  set +e
  for ((i = ${#DT_PIDS[@]} - 1; i >= 0; i--)); do
    dt_stop_pid "${DT_PIDS[$i]}"
  done
  if [ -n "$DT_TMP" ] && [ -d "$DT_TMP" ]; then
    for f in "$DT_TMP"/*.log; do
      [ -e "$f" ] || continue
      if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$f"; then
        echo "[$DT_TEST] FAIL: sanitizer report in $(basename "$f"):" >&2
        grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" | head -n 60 >&2
        rc=1
      fi
    done
    if [ "$rc" -ne 0 ]; then
      [ "$DT_LOGS_SHOWN" -eq 1 ] || dt_show_logs
      echo "[$DT_TEST] logs kept in $DT_TMP" >&2
    else
      rm -rf "$DT_TMP"
    fi
  fi
  if [ "$rc" -eq 0 ]; then
    echo "[$DT_TEST] PASS in $((SECONDS - DT_T0)) s" >&2
  fi
  exit "$rc"
}

# dt_spawn NAME CMD...: starts CMD in the background, output to $DT_TMP/NAME.log; sets DT_LAST_PID.
dt_spawn() {
  local name=$1
  shift
  "$@" >"$DT_TMP/$name.log" 2>&1 </dev/null &
  DT_LAST_PID=$!
  DT_PIDS+=("$DT_LAST_PID")
  DT_PNAMES+=("$name")
}

# dt_spawn_to NAME OUT CMD...: like dt_spawn, but stdout goes to OUT (stderr to $DT_TMP/NAME.log).
dt_spawn_to() {
  local name=$1 out=$2
  shift 2
  "$@" >"$out" 2>"$DT_TMP/$name.log" </dev/null &
  DT_LAST_PID=$!
  DT_PIDS+=("$DT_LAST_PID")
  DT_PNAMES+=("$name")
}

# dt_wait_exit NAME SECONDS: waits for the process NAME to exit and sets DT_EXIT to its exit code;
# fails the test if it is still running after SECONDS.
dt_wait_exit() {
  local pid i
  pid=$(dt_pid_of "$1") || fail "no process named $1"
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "$1 (pid $pid) still running after $2 s"
  DT_EXIT=0
  wait "$pid" || DT_EXIT=$?
}

# dt_count_results FILE: prints how many JSON result lines FILE holds so far.
dt_count_results() {
  grep -c '^{' "$1" 2>/dev/null || true
}

# dt_pid_of NAME: the PID of the process started under NAME.
dt_pid_of() {
  local i
  for ((i = 0; i < ${#DT_PNAMES[@]}; i++)); do
    if [ "${DT_PNAMES[$i]}" = "$1" ]; then
      echo "${DT_PIDS[$i]}"
      return 0
    fi
  done
  return 1
}

# dt_alive NAME: true while the process started under NAME runs.
dt_alive() {
  local pid
  pid=$(dt_pid_of "$1") || return 1
  kill -0 "$pid" 2>/dev/null
}

# dt_wait_for SECONDS DESCRIPTION CMD...: runs CMD (a command or a shell function) every 0.1 s until
# it succeeds; fails the test once SECONDS have passed (wall time, however long CMD takes).
dt_wait_for() {
  local secs=$1 what=$2 end
  shift 2
  end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@"; then
      return 0
    fi
    sleep 0.1
  done
  "$@" || fail "timed out after ${secs} s waiting for $what"
}

# dt_wait_port_file FILE SECONDS NAME: waits until the process NAME has written its port into FILE;
# sets DT_PORT to it. Fails at once if the process dies first.
dt_wait_port_file() {
  local file=$1 secs=$2 name=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if [ -s "$file" ]; then
      DT_PORT=$(cat "$file")
      return 0
    fi
    dt_alive "$name" || fail "$name exited before writing its port file"
    sleep 0.1
  done
  fail "timed out after ${secs} s waiting for $name's port file"
}

# dt_free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
dt_free_port() {
  "$DT_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# dt_listening PID PORT: true when PID listens on 127.0.0.1:PORT.
dt_listening() {
  local pid=$1 port=$2
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"
  else
    (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null
  fi
}

# dt_httpd_start [ARGS...]: starts the test HTTP server (extra ARGS go to dt_httpd.py, e.g. --root);
# sets DT_HTTP_PORT and DT_HTTP (base URL, no trailing slash).
dt_httpd_start() {
  local pf="$DT_TMP/httpd.port"
  rm -f "$pf"
  dt_spawn httpd "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet "$@"
  dt_wait_port_file "$pf" 15 httpd
  DT_HTTP_PORT=$DT_PORT
  DT_HTTP="http://127.0.0.1:$DT_HTTP_PORT"
}

# dt_master_start [ARGS...]: starts dtask-master on a free 127.0.0.1 port with ARGS (e.g. --memory)
# and waits until it listens; sets DT_MASTER_PORT and DT_MASTER. Tries another port if the chosen one
# was taken in between.
dt_master_start() {
  local try port pid i
  for try in 1 2 3; do
    port=$(dt_free_port)
    dt_spawn master "$DTASK_BIN/dtask-master" --bind "tcp://127.0.0.1:$port" "$@"
    pid=$DT_LAST_PID
    for ((i = 0; i < 150; i++)); do
      if dt_listening "$pid" "$port"; then
        DT_MASTER_PORT=$port
        DT_MASTER="tcp://127.0.0.1:$port"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      fail "dtask-master (pid $pid) did not listen on 127.0.0.1:$port within 15 s"
    fi
    if ! grep -qi 'in use' "$DT_TMP/master.log"; then
      fail "dtask-master exited at start"
    fi
    cp "$DT_TMP/master.log" "$DT_TMP/master-bind-$try.log.old"
  done
  fail "dtask-master could not bind a free port in 3 tries"
}

# dt_worker_start NAME [ARGS...]: starts dtask-worker named NAME against DT_MASTER.
dt_worker_start() {
  local name=$1
  shift
  dt_spawn "$name" "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --name "$name" "$@"
}

# dt_cli ARGS...: runs the dtask CLI against DT_MASTER (stdout and stderr as the caller directs).
dt_cli() {
  "$DTASK_BIN/dtask" --master "$DT_MASTER" "$@"
}

# dt_status_json: prints `dtask status --json`; fails the test if it does not work.
dt_status_json() {
  local out
  out=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log") || fail "dtask status --json failed"
  printf '%s\n' "$out"
}

# dt_json EXPR: reads one JSON document on stdin and prints the Python expression EXPR of it (`d`).
# Example: dt_status_json | dt_json 'd["submitted"]'
dt_json() {
  "$DT_PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d, "len": len})
print(json.dumps(v) if isinstance(v, (dict, list, type(None), bool)) else v)' "$1"
}

# dt_final_at_least N: true when the master counts at least N tasks done or failed. Judges progress
# by the master's own count, which works while a client's long poll is down with a killed master.
dt_final_at_least() {
  local n
  n=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]' 2>/dev/null) \
    || return 1
  [ "${n:-0}" -ge "$1" ]
}

# dt_workers_registered N: true when the master lists at least N connected workers.
dt_workers_registered() {
  local n
  n=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'd["workers_total"]' 2>/dev/null) || return 1
  [ "${n:-0}" -ge "$1" ]
}

# dt_run_timed MS_VAR RC_VAR CMD...: runs CMD, stores its exit code and wall time (ms) in the
# variables named MS_VAR and RC_VAR; never trips set -e. (Locals are __-prefixed so they cannot
# shadow the caller's variables.)
dt_run_timed() {
  local __ms_var=$1 __rc_var=$2 __t0 __t1 __rc=0
  shift 2
  __t0=$(date +%s%N)
  "$@" || __rc=$?
  __t1=$(date +%s%N)
  printf -v "$__ms_var" '%s' "$(((__t1 - __t0) / 1000000))"
  printf -v "$__rc_var" '%s' "$__rc"
}

# dt_rss_kb PID: resident memory of PID in kB.
dt_rss_kb() {
  awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}

# dt_fds PID: descriptors PID holds open now.
dt_fds() {
  local n
  n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || n=0
  echo "$n"
}

# dt_cpu_ticks PID: user + system CPU time PID used so far, in clock ticks (getconf CLK_TCK a second).
dt_cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# dt_peer_tool: prints the path of the hostile-peer tool (tests/tools/dt_peer.c); fails if not built.
dt_peer_tool() {
  local tool=${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_peer
  [ -x "$tool" ] || fail "$tool not found: build first"
  echo "$tool"
}

# dt_kv FILE KEY: the value of KEY in the last "key=value ..." line of FILE (a dt_peer result).
dt_kv() {
  tail -n 1 "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'
}
