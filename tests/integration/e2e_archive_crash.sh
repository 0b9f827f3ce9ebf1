#!/usr/bin/env bash
# e2e_archive_crash.sh - with --save warc, kill -9 of a worker and of the master mid-job leaves every task exactly one capture.
#
# Two workers fetch a job saved as WARC (slow and binary bodies of many sizes). Mid-job one worker is
# killed with SIGKILL (its leases are lost and the tasks run again elsewhere: their first captures,
# if any, never reach the master), then the master twice (captures written to the archive file but
# not committed stay in the file, unindexed). The waiting client carries on across the restarts.
# Then: every result names a capture; the export, read through the index, holds exactly one
# response per URL (warcio checks that and every digest); `dtask get` gives the right body for a
# sample.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
dt_init e2e_archive_crash
dt_warcio_install

N=1200
MASTER_ARGS=(--data "$DT_TMP/data" --heartbeat 200 --liveness 3 --max-attempts 5)
dt_httpd_start
dt_master_start "${MASTER_ARGS[@]}"
dt_worker_start w1 --concurrency 16 --timeout 10 --heartbeat 200
dt_worker_start w2 --concurrency 16 --timeout 10 --heartbeat 200
dt_wait_for 20 "2 workers registered with the master" dt_workers_registered 2

paths=()
for ((i = 0; i < N; i++)); do
  if ((i % 2)); then paths+=("/bin/$((i * 97 % 20000))?copy=$i"); else paths+=("/slow/30?copy=$i"); fi
done
for p in "${paths[@]}"; do echo "$DT_HTTP$p"; done >"$DT_TMP/urls.txt"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  submit --job crash --save warc --wait -f "$DT_TMP/urls.txt"
have_results() { [ "$(dt_count_results "$results")" -ge "$1" ]; }

MASTER_NAME=master
restart_master() { # NAME: kill -9 the running master, start NAME on the same endpoint and data
  local pid
  pid=$(dt_pid_of "$MASTER_NAME")
  { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
  dt_say "killed $MASTER_NAME after $(dt_count_results "$results") results"
  MASTER_NAME=$1
  dt_spawn "$MASTER_NAME" "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
  dt_wait_for 15 "$MASTER_NAME to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
}

dt_wait_for 60 "200 results before killing a worker" have_results 200
pid=$(dt_pid_of w1)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_say "killed w1 after $(dt_count_results "$results") results"
dt_worker_start w3 --concurrency 16 --timeout 10 --heartbeat 200
dt_wait_for 60 "400 results before the first master crash" have_results 400
restart_master master2
dt_wait_for 60 "700 tasks final after the restart" dt_final_at_least 700
restart_master master3

dt_wait_exit submit 240
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT across the crashes"
status=$(dt_status_json)
for check in "d[\"submitted\"] == $N" "d[\"done\"] == $N" 'd["failed"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check: $status"
done
ls "$DT_TMP/data/warc/"dtask-0000[123].warc.gz >/dev/null || fail "each master run did not start its own file"

dt_cli --timeout 10 results --job crash >"$DT_TMP/stored.jsonl" 2>>"$DT_TMP/cli.log" || fail "dtask results failed"
[ "$(grep -c '"warc":{' "$DT_TMP/stored.jsonl")" -eq "$N" ] || fail "not every result names a capture"

dt_archive_expected / "${paths[@]}" >"$DT_TMP/expected.json"
dt_cli export --job crash -o "$DT_TMP/crash.warc.gz" 2>"$DT_TMP/export.log" || fail "dtask export failed"
grep -q "exported $N captures" "$DT_TMP/export.log" || fail "export: $(cat "$DT_TMP/export.log")"
dt_archive_check "$DT_TMP/expected.json" "$DT_TMP/crash.warc.gz"

# A sample of bodies through dtask get.
"$DT_PYTHON" - "$DT_TMP/stored.jsonl" "$DT_HTTP" <<'PYEOF' >"$DT_TMP/sample.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for r in rows[::97]:
    print(r["id"], r["url"][len(sys.argv[2]):])
PYEOF
while read -r id path; do
  dt_cli get "$id" >"$DT_TMP/got.body" 2>>"$DT_TMP/cli.log" || fail "dtask get $id failed"
  "$DT_PYTHON" -c 'import sys; sys.path.insert(0, sys.argv[1]); import dt_httpd
sys.stdout.buffer.write(dt_httpd.expected_body(sys.argv[2])[1])' "$DTASK_TESTS/http" "$path" >"$DT_TMP/want.body"
  cmp -s "$DT_TMP/got.body" "$DT_TMP/want.body" || fail "dtask get $id ($path) is not what the server sent"
done <"$DT_TMP/sample.txt"
dt_say "$(wc -l <"$DT_TMP/sample.txt") bodies checked with dtask get"
