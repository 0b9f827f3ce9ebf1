#!/usr/bin/env bash
# e2e_fault_crash.sh POINT CASE - a durable master killed at a fault point while a worker holds its tasks loses nothing and mixes up no results.
#
# POINT is master-after-dispatch (TASKS sent, the turn not committed) or master-before-reply (the
# turn committed, its SUBMIT_OK not sent). Two jobs of 300 URLs each, A and B, every URL distinct
# and traceable (its final URL, and a byte count of its own). A's first 128 URLs are slow (the first
# 8, its first batch, very slow), so the one worker still holds tasks of A when the master dies; the
# master is then restarted on its --data (without the fault), the worker reconnects and sends
# the results it holds.
#
# CASE both: A and B are both submitted before the crash.
#   master-after-dispatch: both are accepted with no worker connected; the worker's arrival
#     makes the first dispatch, and the master dies right after sending it.
#   master-before-reply: A is accepted and running; the master dies after committing B, before
#     telling B's client. B's client resends to the new master.
# CASE lost: the master dies in the turn that received A (the worker is connected, so A's tasks
#   go out in that turn). The worker and A's client are frozen (SIGSTOP) while the new master
#   starts and accepts B, then thawed: A's client resends A, and the worker's results for the
#   tasks it got before the crash arrive after B exists. With master-after-dispatch that turn
#   was never committed: those tasks do not exist any more, and their ids must not let the
#   worker's results be taken for B's tasks.
#
# Checks: each client prints exactly one result per URL of its job, each the one the test
# server gives for that URL; `dtask results --job` says the same; the master counts 600 done.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
POINT=${1:?usage: e2e_fault_crash.sh POINT both|lost}
CASE=${2:?usage: e2e_fault_crash.sh POINT both|lost}
case "$POINT/$CASE" in
  master-after-dispatch/both | master-after-dispatch/lost | master-before-reply/both | \
    master-before-reply/lost) ;;
  *) echo "e2e_fault_crash.sh: unknown point or case: $POINT $CASE" >&2 && exit 2 ;;
esac
short=${POINT#master-}
dt_init "e2e_fault_${short#*-}_$CASE" # e2e_fault_dispatch_lost, ..., as ctest names them
fault_check_tool

N=300
SLOW=128
data="$DT_TMP/data"
MASTER_ARGS=(--data "$data" --heartbeat 200 --liveness 3)
WORKER_ARGS=(--concurrency 4 --prefetch 124 --timeout 60 --heartbeat 200 -v) # -v: TASK-START lines

dt_httpd_start
# A: the slow ones first (they go out first, and are the ones held across the crash), then fast
# ones. B: fast. Every body length is its URL's own, and differs between A and B. A new worker's
# first batch is its starting credit (8, DT_WORKERS_CREDIT_START), so those first 8 take 8 s each:
# they are still running when the master dies, and their results come after the restart (in the
# lost cases the worker is frozen in between), instead of going out to a master that is gone.
HELD=8
for ((i = 0; i < N; i++)); do
  if ((i < HELD)); then
    echo "$DT_HTTP/slow/$((8000 + i))?job=A&i=$i"
  elif ((i < SLOW)); then
    echo "$DT_HTTP/slow/$((300 + i))?job=A&i=$i"
  else
    echo "$DT_HTTP/size/$((1000 + i))?job=A&i=$i"
  fi
done >"$DT_TMP/A.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/size/$((5000 + i))?job=B&i=$i"; done >"$DT_TMP/B.txt"

# submit_wait JOB: a client that submits JOB and prints its results (stdout JOB.jsonl); it waits
# across master restarts by itself.
submit_wait() {
  dt_spawn_to "client-$1" "$DT_TMP/$1.jsonl" "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 120 \
    submit --job "$1" --wait -f "$DT_TMP/$1.txt"
}
accepted() { grep -q "accepted $N tasks" "$DT_TMP/client-$1.log"; }
# The scenario needs the worker to hold tasks from the master that died.
worker_holds() { grep -q TASK-START "$DT_TMP/fault-w1.log"; }
crashed() {
  fault_expect_crash master "$POINT"
  dt_wait_for 30 "the worker to have tasks from the master that died" worker_holds
}

case "$POINT/$CASE" in
  master-after-dispatch/both)
    fault_master_start master "$POINT:1" "${MASTER_ARGS[@]}"
    submit_wait A
    dt_wait_for 30 "A accepted" accepted A
    submit_wait B
    dt_wait_for 30 "B accepted" accepted B
    dt_worker_start fault-w1 "${WORKER_ARGS[@]}"
    crashed
    fault_master_restart master2 "${MASTER_ARGS[@]}"
    ;;
  master-before-reply/both)
    fault_master_start master "$POINT:2" "${MASTER_ARGS[@]}"
    dt_worker_start fault-w1 "${WORKER_ARGS[@]}"
    dt_wait_for 30 "the worker registered" dt_workers_registered 1
    submit_wait A
    dt_wait_for 30 "A accepted" accepted A
    submit_wait B
    crashed
    accepted B && fail "B's client was told SUBMIT_OK by a master that died before replying"
    fault_master_restart master2 "${MASTER_ARGS[@]}"
    ;;
  */lost)
    fault_master_start master "$POINT:1" "${MASTER_ARGS[@]}"
    dt_worker_start fault-w1 "${WORKER_ARGS[@]}"
    dt_wait_for 30 "the worker registered" dt_workers_registered 1
    submit_wait A
    crashed
    accepted A && fail "A's client was told SUBMIT_OK by a master that died before replying"
    frozen=("$(dt_pid_of fault-w1)" "$(dt_pid_of client-A)")
    kill -STOP "${frozen[@]}"
    dt_say "worker and A's client frozen"
    fault_master_restart master2 "${MASTER_ARGS[@]}"
    submit_wait B
    dt_wait_for 30 "B accepted by the new master" accepted B
    kill -CONT "${frozen[@]}"
    dt_say "B accepted; worker and A's client thawed"
    ;;
esac

for job in A B; do
  dt_wait_exit "client-$job" 240
  [ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait for job $job exited $DT_EXIT"
done
dt_wait_for 60 "every task final" dt_final_at_least $((2 * N))
for job in A B; do
  fault_check_job "$job" "$DT_TMP/$job.txt" "$DT_TMP/$job.jsonl" "the results its waiting client printed"
  dt_cli --timeout 10 results --job "$job" >"$DT_TMP/$job-stored.jsonl" 2>>"$DT_TMP/cli.log" ||
    fail "dtask results --job $job failed"
  fault_check_job "$job" "$DT_TMP/$job.txt" "$DT_TMP/$job-stored.jsonl" "the stored results"
done
status=$(dt_status_json)
dt_say "status: $status"
for check in "d[\"submitted\"] == $((2 * N))" "d[\"done\"] == $((2 * N))" 'd["failed"] == 0' \
  'd["pending"] == 0' 'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
# The worker's results for what it held across the crash reached the new master, and were dropped
# as late: without that, the worker could have thrown its tasks away at the restart and the checks
# above would hold as well. Where the master died in the very turn its tasks went out, every one of
# their results comes after the crash; with the crash at B's SUBMIT_OK (both), A's slow tasks may
# in principle all have been answered before it, so the count is only shown there.
late=$(printf '%s' "$status" | dt_json 'd["late"]')
dt_say "results of the master that died, dropped as late by the new one: $late"
if [ "$POINT/$CASE" != master-before-reply/both ]; then
  [ "$late" -gt 0 ] || fail "no result of the tasks the worker held across the crash reached the new master"
fi
dt_say "PASS"
