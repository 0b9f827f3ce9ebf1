#!/usr/bin/env bash
# e2e_jobs.sh - jobs are listed newest first with their counts, a job counts its own retries; unknown job ids exit 2; retry leaves cancelled tasks unless asked; a resubmission says nothing new; --append adds tasks once; purge --finished-before; the job life and the worker's summary at INFO.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_jobs

dt_httpd_start
dt_master_start --data "$DT_TMP/data" --retry-base 50
old="$DT_TMP/old.txt" new="$DT_TMP/new.txt" more="$DT_TMP/more.txt" slow="$DT_TMP/slow.txt"
for ((i = 0; i < 20; i++)); do echo "$DT_HTTP/page/$i"; done >"$old"
for ((i = 100; i < 110; i++)); do echo "$DT_HTTP/page/$i"; done >"$new"
for ((i = 200; i < 205; i++)); do echo "$DT_HTTP/page/$i"; done >"$more"
for ((i = 0; i < 30; i++)); do echo "$DT_HTTP/slow/3000?copy=$i"; done >"$slow"

# No worker yet: job canc is cancelled whole, then retried without and with --cancelled.
dt_cli --timeout 10 submit --job canc -f "$slow" >/dev/null 2>"$DT_TMP/canc.err" || fail "submit canc failed"
[ "$(head -1 "$DT_TMP/canc.err")" = "job canc" ] || fail "submit did not print the job id first: $(cat "$DT_TMP/canc.err")"
out=$(dt_cli --timeout 10 cancel --job canc 2>>"$DT_TMP/cli.log") || fail "cancel failed"
[ "$(printf '%s' "$out" | awk '{print $2}')" -eq 30 ] || fail "cancel: $out"
out=$(dt_cli --timeout 10 retry --failed --job canc 2>>"$DT_TMP/cli.log") || fail "retry failed"
[ "$(printf '%s' "$out" | awk '{print $2}')" -eq 0 ] || fail "retry --failed brought cancelled tasks back: $out"
out=$(dt_cli --timeout 10 retry --failed --cancelled --job canc 2>>"$DT_TMP/cli.log") || fail "retry --cancelled failed"
[ "$(printf '%s' "$out" | awk '{print $2}')" -eq 30 ] || fail "retry --failed --cancelled: $out"
out=$(dt_cli --timeout 10 cancel --job canc 2>>"$DT_TMP/cli.log") || fail "second cancel failed"
[ "$(printf '%s' "$out" | awk '{print $2}')" -eq 30 ] || fail "second cancel: $out"

# A worker runs jobs old, then new.
dt_worker_start jobs-w1 --concurrency 4
job_done() { [ "$(dt_cli --timeout 5 status --json --job "$1" 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" -eq "$2" ]; }
dt_cli --timeout 10 submit --job old -f "$old" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit old failed"
dt_wait_for 60 "job old to finish" job_done old 20
dt_cli --timeout 10 submit --job new -f "$new" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit new failed"
dt_wait_for 60 "job new to finish" job_done new 10

# Per-job retried: one task answers 503 once, then 200.
dt_cli --timeout 10 submit --job flk "$DT_HTTP/flaky/jobs-e2e/1" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit flk failed"
dt_wait_for 60 "job flk to finish" job_done flk 1
[ "$(dt_cli --timeout 5 status --json --job flk | dt_json 'd["retried"]')" -eq 1 ] || fail "job flk does not count its retry"
[ "$(dt_cli --timeout 5 status --json --job new | dt_json 'd["retried"]')" -eq 0 ] || fail "job new counts a retry it did not have"
dt_cli --timeout 10 purge --job flk >/dev/null 2>>"$DT_TMP/cli.log" || fail "purge flk failed"

# Newest first, with the right counts.
dt_cli --timeout 10 jobs --json >"$DT_TMP/jobs.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask jobs --json failed"
"$DT_PYTHON" - "$DT_TMP/jobs.jsonl" <<'PY' || fail "jobs --json is wrong: $(cat "$DT_TMP/jobs.jsonl")"
import json, sys
jobs = [json.loads(l) for l in open(sys.argv[1])]
assert [j["job"] for j in jobs] == ["new", "old", "canc"], jobs
want = {"new": (10, 10, 0), "old": (20, 20, 0), "canc": (30, 0, 30)}
for j in jobs:
    assert (j["total"], j["done"], j["failed"]) == want[j["job"]], j
    assert j["pending"] == 0 and j["finished"] and j["finished_at"] and j["kind"] == "http", j
    assert j["created"].endswith("Z"), j
PY
n=$(dt_cli --timeout 10 jobs --limit 1 2>>"$DT_TMP/cli.log" | grep -c '^new ') || true
[ "$n" -eq 1 ] || fail "jobs --limit 1 does not show job new alone"

# An unknown job is an error (exit 2) for every command that names one.
for cmd in "status --job nope" "results --job nope" "cancel --job nope" "retry --failed --job nope" \
  "purge --job nope" "jobs --job nope"; do
  rc=0
  # shellcheck disable=SC2086
  dt_cli --timeout 10 $cmd >/dev/null 2>"$DT_TMP/nope.err" || rc=$?
  [ "$rc" -eq 2 ] || fail "'dtask $cmd' exited $rc, expected 2"
  grep -q 'no such job nope' "$DT_TMP/nope.err" || fail "'dtask $cmd' said: $(cat "$DT_TMP/nope.err")"
done

# A resubmission creates nothing and says so.
out=$(dt_cli --timeout 10 submit --job old -f "$old" 2>>"$DT_TMP/cli.log") || fail "resubmit failed"
[ "$out" = "job old: all 20 tasks were already submitted; nothing new" ] || fail "resubmit said: $out"

# Jobs new and canc finished before T; old finishes again after it (the append).
sleep 1.1
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
out=$(dt_cli --timeout 10 submit --append --job old -f "$more" 2>>"$DT_TMP/cli.log") || fail "append failed"
[ "$out" = "accepted 5 tasks (job old)" ] || fail "append said: $out"
out=$(dt_cli --timeout 10 submit --append --job old -f "$more" 2>>"$DT_TMP/cli.log") || fail "append again failed"
[ "$out" = "job old: all 5 tasks were already submitted; nothing new" ] || fail "the resent append said: $out"
[ "$(dt_cli --timeout 5 status --json --job old | dt_json 'd["submitted"]')" -eq 25 ] || fail "job old does not have 25 tasks"
dt_wait_for 60 "job old to finish again" job_done old 25

out=$(dt_cli --timeout 10 purge --finished-before "$T" 2>>"$DT_TMP/cli.log") || fail "purge --finished-before failed"
dt_say "$out"
printf '%s\n' "$out" | grep -qx 'purged 2 jobs (40 tasks)' || fail "purge --finished-before: $out"
dt_cli --timeout 10 jobs --json >"$DT_TMP/jobs2.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask jobs failed"
[ "$(dt_json 'd["job"]' <"$DT_TMP/jobs2.jsonl")" = old ] && [ "$(wc -l <"$DT_TMP/jobs2.jsonl")" -eq 1 ] ||
  fail "after the purge: $(cat "$DT_TMP/jobs2.jsonl")"
rc=0; dt_cli --timeout 10 status --job new >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "status of purged job new exited $rc, expected 2"
rc=0; dt_cli --timeout 10 purge --finished-before yesterday >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "purge --finished-before yesterday exited $rc, expected 2"

# The job's life and the worker's summary are in the logs at INFO.
for line in 'MASTER-JOB-ACCEPTED.*job old: first chunk' 'MASTER-JOB-FINISHED.*job old finished: 20 tasks, 20 done' \
  'MASTER-JOB-FINISHED.*job old finished: 25 tasks, 25 done' 'MASTER-CANCEL.*job canc: 30' 'MASTER-PURGE.*job new: 10 tasks'; do
  grep -q "$line" "$DT_TMP/master.log" || fail "no '$line' in the master's log"
done
summary() { grep -q 'WORKER-SUMMARY.*tasks/s, [0-9]* done, [0-9]* errors, [0-9]* in flight' "$DT_TMP/jobs-w1.log"; }
dt_wait_for 30 "the worker's summary line" summary
dt_say "PASS"
