#!/usr/bin/env bash
# e2e_archive_budget.sh - --max-store-bytes counts the archive's files with the store: captures past it are refused with "store budget of N bytes reached", a job without --save accepted before runs to the end, and nothing acknowledged is lost.
#
# A 3 MiB budget; a job saves 16 incompressible 300,000-byte bodies while a 500-URL job without
# --save runs beside it. The captures that fit are stored; each one past the budget is refused and
# its task fails saying why (the room kept for the other job's results is never taken). The plain
# job ends with every URL done exactly once. The archive and the store together stay under the
# budget. Every capture acknowledged is exported and read back by warcio, also after a kill -9 and
# a restart with a budget the archive alone passes: then a SUBMIT with --save, and any other, is
# refused with the same message, and STATUS, GET and EXPORT are still served.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
dt_init e2e_archive_budget
dt_warcio_install

BUDGET=3145728 N=16 PLAIN=500
mkdir -p "$DT_TMP/www/file"
for ((i = 0; i < N; i++)); do head -c 300000 /dev/urandom >"$DT_TMP/www/file/r$i.bin"; done
dt_httpd_start --root "$DT_TMP/www"
MASTER_ARGS=(--data "$DT_TMP/data" --max-attempts 1)
dt_master_start "${MASTER_ARGS[@]}" --max-store-bytes 3M

for ((i = 0; i < N; i++)); do echo "$DT_HTTP/file/r$i.bin"; done >"$DT_TMP/urls.txt"
for ((i = 0; i < PLAIN; i++)); do echo "$DT_HTTP/page/$i"; done >"$DT_TMP/plain.txt"
# Both jobs are accepted before a worker runs anything: they run side by side.
dt_cli --timeout 30 submit --job plain -f "$DT_TMP/plain.txt" >/dev/null 2>>"$DT_TMP/cli.log" ||
  fail "the plain job was refused"
dt_cli --timeout 30 submit --job fill --save warc -f "$DT_TMP/urls.txt" >/dev/null 2>>"$DT_TMP/cli.log" ||
  fail "the saving job was refused"
dt_worker_start w1 --concurrency 4
dt_wait_for 120 "both jobs finished" dt_final_at_least $((N + PLAIN))

dt_cli --timeout 30 results --job plain >"$DT_TMP/plain.jsonl" 2>>"$DT_TMP/cli.log" || fail "results of the plain job"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$DT_TMP/plain.txt" --results "$DT_TMP/plain.jsonl" ||
  fail "the plain job did not end with every URL done once"
dt_cli --timeout 30 results --job fill >"$DT_TMP/fill.jsonl" 2>>"$DT_TMP/cli.log" || fail "results of the saving job"
saved=$(grep -c '"warc":{' "$DT_TMP/fill.jsonl" || true)
refused=$(grep -c "capture not stored: store budget of $BUDGET bytes reached" "$DT_TMP/fill.jsonl" || true)
dt_say "$saved captures stored, $refused refused by the budget"
[ "$saved" -ge 3 ] || fail "only $saved captures stored under a 3 MiB budget"
[ "$refused" -ge 1 ] || fail "no capture was refused past the budget: $(head -c 600 "$DT_TMP/fill.jsonl")"
[ $((saved + refused)) -eq "$N" ] || fail "$saved stored + $refused refused is not $N"
grep -q 'ARCHIVE-BUDGET' "$DT_TMP/master.log" || fail "the master did not log ARCHIVE-BUDGET"
! grep -q 'ARCHIVE-STOPPED' "$DT_TMP/master.log" || fail "the budget stopped the archive (a purge could not reopen it)"

# What was acknowledged is all there, read through the master.
grep '"warc":{' "$DT_TMP/fill.jsonl" | "$DT_PYTHON" -c 'import json, sys
for l in sys.stdin: print("/" + json.loads(l)["url"].split("/", 3)[3])' >"$DT_TMP/saved.txt"
mapfile -t saved_paths <"$DT_TMP/saved.txt"
dt_archive_expected "$DT_TMP/www/file" "${saved_paths[@]}" >"$DT_TMP/expected.json"
check_export() { # NAME
  dt_cli export --job fill -o "$DT_TMP/$1.warc.gz" 2>"$DT_TMP/export.log" || fail "dtask export failed ($1)"
  grep -q "exported $saved captures" "$DT_TMP/export.log" || fail "export ($1): $(cat "$DT_TMP/export.log")"
  dt_archive_check "$DT_TMP/expected.json" "$DT_TMP/$1.warc.gz"
}
check_export before

# The database and the archive together kept to the budget (the database once checkpointed at exit).
dt_stop_pid "$(dt_pid_of w1)"
dt_stop_pid "$(dt_pid_of master)"
db=$(stat -c %s "$DT_TMP/data/dtask.db")
warc=$(cat "$DT_TMP/data/warc/"*.warc.gz | wc -c)
dt_say "store $db + archive $warc bytes for a budget of $BUDGET"
[ $((db + warc)) -le "$BUDGET" ] || fail "store $db + archive $warc bytes pass the budget of $BUDGET"

# Under a budget the archive alone passes (the database is far below it), every SUBMIT is refused
# with the budget's message; everything else is served, also after a kill -9.
SMALL=$((warc - 65536))
[ "$db" -lt "$SMALL" ] || fail "the database ($db bytes) is not below $SMALL: the test proves nothing"
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}" --max-store-bytes "$SMALL"
dt_wait_for 15 "the master to listen again" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
for save in --save ""; do
  rc=0
  # shellcheck disable=SC2086 # "" is no argument
  dt_cli --timeout 30 submit --no-wait-room $save ${save:+warc} "$DT_HTTP/size/10" >/dev/null 2>"$DT_TMP/refused.err" || rc=$?
  [ "$rc" -eq 4 ] && grep -q "store budget of $SMALL bytes reached" "$DT_TMP/refused.err" ||
    fail "a SUBMIT ${save:-without --save} past the budget: exit $rc: $(cat "$DT_TMP/refused.err")"
done
dt_say "refused: $(cat "$DT_TMP/refused.err")"
dt_status_json >/dev/null
id=$("$DT_PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    if "\"warc\":{" in l: print(json.loads(l)["id"]); break' "$DT_TMP/fill.jsonl")
path=$(grep -m1 '"warc":{' "$DT_TMP/fill.jsonl" | "$DT_PYTHON" -c 'import json, sys; print(json.loads(sys.stdin.readline())["url"].rsplit("/", 1)[1])')
dt_cli get "$id" | cmp -s - "$DT_TMP/www/file/$path" || fail "dtask get $id is not the body of $path"
check_export small
pid=$(dt_pid_of master2)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_spawn master3 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}" --max-store-bytes "$SMALL"
dt_wait_for 15 "the master to listen again" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
check_export after-kill
dt_say "PASS"
