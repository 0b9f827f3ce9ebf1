#!/usr/bin/env bash
# e2e_archive_reclaim.sh - dtask purge deletes the archive files that only the purged job's captures used; a kill -9 at any point of it never deletes a file a result points into, and what a crash leaves is deleted at the next start.
#
# A master with fault points and --archive-roll 64K (files of about three 30,000-byte captures).
# Jobs are saved one after the other, so each has files of its own and shares at most the file at
# its boundary with the next. Purging a job deletes every file that held only its captures; the
# file it shares, and every file of the other jobs, stay; their exports are read back whole by
# warcio and `dtask get` serves their bodies. Then a purge crashes (SIGKILL, DTASK_FAULT
# archive-before-unlink:2) after deleting the first of its files: the master restarted without
# faults deletes the rest at start. Last, a kill -9 from outside right after a purge is
# acknowledged: after a restart no file a result points into is gone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
dt_init e2e_archive_reclaim
fault_check_tool
dt_warcio_install

# --archive-roll takes a size of at least 64K (DT_ARCHIVE_ROLL_MIN), and only with a store.
for args in "--data $DT_TMP/none --archive-roll 65535" "--data $DT_TMP/none --archive-roll 64Q" \
  "--memory --archive-roll 64K"; do
  rc=0
  # shellcheck disable=SC2086 # the words are the arguments
  "$DTASK_BIN/dtask-master" $args >/dev/null 2>"$DT_TMP/usage.err" || rc=$?
  [ "$rc" -eq 2 ] && head -n 1 "$DT_TMP/usage.err" | grep -q -- '^dtask-master: --archive-roll' ||
    fail "dtask-master $args: exit $rc, want 2: $(head -n 1 "$DT_TMP/usage.err")"
done
[ ! -e "$DT_TMP/none" ] || fail "a refused --archive-roll created the store"

N=20
WARC="$DT_TMP/data/warc"
mkdir -p "$DT_TMP/www/file"
for job in a b c d; do
  for ((i = 0; i < N; i++)); do head -c 30000 /dev/urandom >"$DT_TMP/www/file/$job$i.bin"; done
done
dt_httpd_start --root "$DT_TMP/www"
MASTER_ARGS=(--data "$DT_TMP/data" --max-attempts 1 --archive-roll 64K)
fault_master_restart master "${MASTER_ARGS[@]}"
dt_worker_start w1 --concurrency 4
dt_wait_for 20 "the worker registered with the master" dt_workers_registered 1

save() { # JOB: saves the job's N files, and its results
  local i
  for ((i = 0; i < N; i++)); do echo "$DT_HTTP/file/$1$i.bin"; done >"$DT_TMP/$1.txt"
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job "$1" --save warc --wait \
    -f "$DT_TMP/$1.txt" >"$DT_TMP/$1.jsonl" 2>>"$DT_TMP/cli.log" || fail "saving job $1 failed"
  [ "$(grep -c '"warc":{' "$DT_TMP/$1.jsonl")" -eq "$N" ] || fail "job $1: not $N captures"
}
files_of() { # JOB: the archive files its results point into, one a line
  "$DT_PYTHON" -c 'import json, sys
print("\n".join(sorted({json.loads(l)["warc"]["file"] for l in open(sys.argv[1]) if l.startswith("{")})))' "$DT_TMP/$1.jsonl"
}
only_of() { # JOB OTHER...: the files of JOB that no OTHER job's result points into
  local job=$1
  shift
  comm -23 <(files_of "$job") <(for o in "$@"; do files_of "$o"; done | sort -u)
}
check_job() { # JOB NAME: export read back by warcio with every capture, every file there, a body
  local paths=() i id
  for ((i = 0; i < N; i++)); do paths+=("/file/$1$i.bin"); done
  dt_archive_expected "$DT_TMP/www/file" "${paths[@]}" >"$DT_TMP/expected-$1.json"
  local rc=0
  dt_cli export --job "$1" -o "$DT_TMP/$1-$2.warc.gz" >"$DT_TMP/export.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || fail "export of $1 ($2): exit $rc: $(cat "$DT_TMP/export.log")"
  grep -q "exported $N captures" "$DT_TMP/export.log" || fail "export of $1 ($2): $(cat "$DT_TMP/export.log")"
  dt_archive_check "$DT_TMP/expected-$1.json" "$DT_TMP/$1-$2.warc.gz"
  while read -r f; do [ -f "$WARC/$f" ] || fail "$2: $f, which job $1 points into, is gone"; done < <(files_of "$1")
  id=$("$DT_PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    if l.startswith("{") and json.loads(l)["url"].endswith(sys.argv[2]): print(json.loads(l)["id"])' "$DT_TMP/$1.jsonl" "/file/${1}0.bin")
  dt_cli get "$id" | cmp -s - "$DT_TMP/www/file/${1}0.bin" || fail "$2: dtask get $id is not ${1}0.bin"
}
gone() { # JOB OTHER...: true when every file only JOB used is deleted
  local f
  while read -r f; do [ ! -e "$WARC/$f" ] || return 1; done < <(only_of "$@")
}
purge() { # JOB
  dt_cli --timeout 10 purge --job "$1" >>"$DT_TMP/purge.out" 2>>"$DT_TMP/cli.log" || fail "purge of $1 failed"
}

for job in a b c d; do save "$job"; done
for job in a b c d; do dt_say "job $job: files $(files_of "$job" | tr '\n' ' ')"; done
[ "$(only_of a b c d | wc -l)" -ge 2 ] && [ "$(only_of c a b d | wc -l)" -ge 2 ] ||
  fail "jobs a and c do not have two files each of their own: the roll size is not applied"
before=$(ls "$WARC" | wc -l)

# Purge a: its own files go; b's (one of them shared with a) stay whole.
purge a
dt_wait_for 30 "job a's own files deleted" gone a b c d
after=$(ls "$WARC" | wc -l)
dt_say "purge of a: $before files, then $after ($(grep -c 'ARCHIVE-RECLAIMED' "$DT_TMP/master.log") deleted)"
[ $((before - after)) -eq "$(only_of a b c d | wc -l)" ] || fail "the purge of a deleted other files too"
for job in b c d; do check_job "$job" after-purge-a; done

# Purge c under a master killed (SIGKILL) just before the second file it deletes (the count starts
# at its start, which finds nothing to delete): one of c's files is gone, the rest wait for the
# next start, and no file of b or d is touched.
dt_stop_pid "$(dt_pid_of master)"
fault_master_start faulty archive-before-unlink:2 "${MASTER_ARGS[@]}"
dt_wait_for 20 "the worker registered again" dt_workers_registered 1
purge c
fault_expect_crash faulty archive-before-unlink
left=$(only_of c a b d | while read -r f; do [ ! -e "$WARC/$f" ] || echo "$f"; done | wc -l)
[ "$left" -ge 1 ] && [ "$left" -lt "$(only_of c a b d | wc -l)" ] || fail "the crash did not come between two deletions ($left left)"
fault_master_restart master2 "${MASTER_ARGS[@]}"
dt_wait_for 30 "the files job c left deleted at start" gone c a b d
dt_wait_for 20 "the worker registered again" dt_workers_registered 1
for job in b d; do check_job "$job" after-crash; done

# A kill -9 from outside right after a purge is acknowledged, wherever it lands: after a restart,
# every file b points into is there, and d's own files are deleted by then.
purge d
pid=$(dt_pid_of master2)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
fault_master_restart master3 "${MASTER_ARGS[@]}"
dt_wait_for 30 "job d's own files deleted" gone d a b c
dt_wait_for 20 "the worker registered again" dt_workers_registered 1
check_job b after-kill
# The file b shares with a still holds a's bytes, and b's files its; nothing else is left.
[ "$(ls "$WARC" | wc -l)" -eq "$(files_of b | wc -l)" ] || fail "files left: $(ls "$WARC" | tr '\n' ' '), b uses $(files_of b | tr '\n' ' ')"
dt_say "PASS"
