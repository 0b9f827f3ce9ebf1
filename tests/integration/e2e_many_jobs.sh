#!/usr/bin/env bash
# e2e_many_jobs.sh - 100,000 distinct one-task jobs through a real master (durable, then --memory) with a no-op worker: the master's RSS does not grow with the jobs done (finished jobs leave memory after DT_JOBS_KEEP_FINISHED), and the store still answers for an old job.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_many_jobs

# The bound: RSS growth over the last 100,000 jobs, after a warm-up that fills the results window
# and the task table's blocks. Before finished jobs left memory, each cost ~380 bytes
# (record, chunk, hash entries): ~36 MiB for 100,000.
WARM=70000 JOBS=100000 GROWTH_MAX_MB=8
DT_JOBS_BIN="${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_jobs"
[ -x "$DT_JOBS_BIN" ] || fail "$DT_JOBS_BIN not found: build first"
# Under ASan, freed memory waits in a quarantine (256 MiB by default) that RSS would count.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

MPID=""
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$MPID/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$MPID/status"; }
finished() { [ "$(dt_status_json | dt_json 'd["done"] + d["failed"]')" -ge "$1" ]; }

# run_jobs PREFIX N: submits N one-task jobs and waits until the master has run them all.
run_jobs() {
  local total=$3
  "$DT_JOBS_BIN" --master "$DT_MASTER" -n "$2" --prefix "$1" --window 64 --timeout 500 \
    >"$DT_TMP/jobs-$1.out" 2>&1 || fail "dt_jobs $1: $(cat "$DT_TMP/jobs-$1.out")"
  dt_wait_for 300 "$total tasks finished" finished "$total"
}

check_master() { # check_master LABEL ARGS...: one master, warm-up then JOBS more jobs
  local label=$1 rss0 rss1 grew
  shift
  dt_master_start "$@"
  MPID=$DT_LAST_PID
  dt_worker_start "w-$label" --handler noop --concurrency 64
  run_jobs "warm-$label" "$WARM" "$WARM"
  rss0=$(rss_kb)
  run_jobs "jobs-$label" "$JOBS" "$((WARM + JOBS))"
  rss1=$(rss_kb)
  grew=$(((rss1 - rss0) / 1024))
  dt_say "$label: RSS ${rss0} kB after $WARM jobs, ${rss1} kB after $((WARM + JOBS)) (peak $(hwm_kb) kB)"
  [ "$grew" -lt "$GROWTH_MAX_MB" ] || fail "$label: RSS grew by $grew MiB over $JOBS jobs (bound $GROWTH_MAX_MB MiB)"
  [ "$(dt_status_json | dt_json 'd["done"]')" -eq "$((WARM + JOBS))" ] || fail "$label: not every task done"
}

# --window 16384: the results kept fill up during the warm-up; --max-pending 2000: the jobs not yet
# run stay few whatever the load (RSS keeps the peak of what malloc once held).
check_master durable --data "$DT_TMP/data" --window 16384 --max-pending 2000
# The first job left memory long ago: the store answers its STATUS and its results.
s=$(dt_cli --timeout 10 status --json --job warm-durable-0 2>>"$DT_TMP/cli.log") || fail "status of an old job"
[ "$(printf '%s' "$s" | dt_json 'd["submitted"] == 1 and d["done"] == 1')" = true ] || fail "old job status: $s"
n=$(dt_cli --timeout 10 results --job warm-durable-0 2>>"$DT_TMP/cli.log" | grep -c '^{') || true
[ "$n" -eq 1 ] || fail "old job: $n results, expected 1"
dt_stop_pid "$(dt_pid_of w-durable)"
dt_stop_pid "$MPID"

check_master memory --memory --window 16384 --max-pending 2000
dt_say "PASS"
