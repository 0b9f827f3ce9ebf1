#!/usr/bin/env bash
# e2e_fault_store.sh - a store write that fails inside a running master: it stops without acknowledging, says why, exits non-zero, and loses nothing it acknowledged.
#
# DTASK_FAULT=store-write:N makes a durable master's Nth commit of a group with writes fail as a
# disk error would. Each time, the master must log one MASTER-STORE line, exit 1 by itself (not
# crash) and answer nothing more; restarted on its --data, nothing it acknowledged may be lost.
#   1. No worker: jobs of 40 URLs, one client after the other, so that each submission is a group
#      of its own, until the sixth group with writes fails: the submission in it was not
#      acknowledged and must not exist at all; the ones before were.
#   2. Restarted, armed again (store-write:3), with a worker and a client following the results:
#      the failing group now holds results. Every result the client was shown must be stored.
#   3. Restarted without the fault: every acknowledged task reaches exactly one result.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
dt_init e2e_fault_store_write
fault_check_tool

PER=40
JOBS_MAX=12 # submissions tried: more than the failing group's number, so it must come
data="$DT_TMP/data"
MASTER_ARGS=(--data "$data" --heartbeat 200 --liveness 3)

# stopped_by_store NAME: NAME exited 1 by itself after the injected failure, saying why once.
stopped_by_store() {
  local stops
  dt_wait_exit "$1" 30
  [ "$DT_EXIT" -ne 137 ] || fail "$1 was killed; it should have stopped by itself"
  [ "$DT_EXIT" -ne 0 ] || fail "$1 exited 0 after a failed store write"
  grep -q "FAULT-INJECTED store-write:" "$DT_TMP/$1.log" || fail "$1: the fault never fired"
  stops=$(grep -c 'ERROR MASTER-STORE commit failed: stopping without acknowledging' "$DT_TMP/$1.log" || true)
  [ "$stops" -eq 1 ] || fail "$1: expected one MASTER-STORE line saying why it stopped, found $stops"
  dt_say "$1 stopped (exit $DT_EXIT): $(grep 'MASTER-STORE' "$DT_TMP/$1.log")"
}

# same_as_stored SHOWN STORED: every result in SHOWN is in STORED, unchanged (by task id).
same_as_stored() {
  "$DT_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
def load(path):
    out = {}
    for line in open(path, errors="replace"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict):
            out[r["id"]] = (r["url"], r["final_url"], r["state"], r["bytes"])
    return out
shown, stored = load(sys.argv[1]), load(sys.argv[2])
lost = [i for i in shown if stored.get(i) != shown[i]]
for i in lost[:5]:
    print("task %s was shown as %r, stored as %r" % (i, shown[i], stored.get(i)))
sys.exit(1 if lost else 0)
EOF
}

dt_httpd_start
dt_say "1. submissions one after the other, no worker, until the sixth group with writes fails"
fault_master_start master store-write:6 "${MASTER_ARGS[@]}"
answered_or_gone() { ! dt_alive "client-$1" || ! dt_alive master; }
acked=()
lost=""
for ((j = 1; j <= JOBS_MAX; j++)); do
  job=J$j
  for ((i = 0; i < PER; i++)); do echo "$DT_HTTP/size/$((100 * j + i))?job=$job&i=$i"; done >"$DT_TMP/$job.txt"
  dt_spawn_to "client-$job" "$DT_TMP/$job.out" "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 60 \
    submit --job "$job" -f "$DT_TMP/$job.txt"
  dt_wait_for 90 "job $job answered, or the master gone" answered_or_gone "$job"
  if ! dt_alive "client-$job"; then
    dt_wait_exit "client-$job" 10
    [ "$DT_EXIT" -eq 0 ] || fail "job $job: dtask submit exited $DT_EXIT"
    acked+=("$job")
    continue
  fi
  # Its master is gone without answering. Nothing else was in that master's last group (one
  # client at a time, no worker), so this submission was in the group that failed.
  dt_stop_pid "$(dt_pid_of "client-$job")"
  if grep -q accepted "$DT_TMP/$job.out"; then
    fail "job $job was acknowledged, and its group was not committed"
  fi
  lost=$job
  break
done
[ -n "$lost" ] || fail "the master took $JOBS_MAX submissions without its store write failing"
[ "${#acked[@]}" -ge 1 ] || fail "no submission was acknowledged before the failure"
stopped_by_store master
dt_say "acknowledged: ${acked[*]}; in the failed group: $lost"

dt_say "2. restarted with a worker and a results client; the third group fails"
fault_master_start master2 store-write:3 "${MASTER_ARGS[@]}"
dt_spawn_to follow "$DT_TMP/shown.jsonl" "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 60 \
  results --follow
dt_worker_start fault-w1 --concurrency 4 --timeout 30 --heartbeat 200
stopped_by_store master2
dt_stop_pid "$(dt_pid_of follow)"
dt_say "the results client was shown $(dt_count_results "$DT_TMP/shown.jsonl") results"

dt_say "3. restarted without the fault"
fault_master_restart master3 "${MASTER_ARGS[@]}"
n=$(fault_job_submitted "$lost") || fail "dtask status --job $lost failed"
[ "$n" -eq 0 ] || fail "job $lost was never acknowledged, yet $n of its tasks are stored"
for job in "${acked[@]}"; do
  dt_wait_for 60 "job $job final" fault_job_final "$job" "$PER"
  dt_cli --timeout 10 results --job "$job" >"$DT_TMP/$job-stored.jsonl" 2>>"$DT_TMP/cli.log" ||
    fail "dtask results --job $job failed"
  fault_check_job "$job" "$DT_TMP/$job.txt" "$DT_TMP/$job-stored.jsonl" "the stored results"
done
dt_cli --timeout 10 results >"$DT_TMP/stored.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
same_as_stored "$DT_TMP/shown.jsonl" "$DT_TMP/stored.jsonl" ||
  fail "a result shown to a client before the failure is not stored as shown"
total=$((${#acked[@]} * PER))
status=$(dt_status_json)
dt_say "status after the restarts: $status"
for check in "d[\"submitted\"] == $total" "d[\"done\"] == $total" 'd["pending"] == 0' 'd["inflight"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
dt_say "PASS"
