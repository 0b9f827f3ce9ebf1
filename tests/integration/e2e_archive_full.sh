#!/usr/bin/env bash
# e2e_archive_full.sh - a disk that fills up stops the archive with a clear error; the master keeps serving and loses nothing acknowledged.
#
# --data is a 16 MiB tmpfs mounted for the test (root only: skipped, exit 77, when mount is not
# allowed). A job saves incompressible 1 MB bodies until fewer than the store's reserve (8 MiB,
# DT_ARCHIVE_RESERVE_BYTES) would be left free: from then on captures are refused, their tasks fail
# saying why, a SUBMIT with --save warc is refused (exit 4, "archive stopped"), and everything else
# goes on: a job without --save runs to the end, STATUS answers. Every capture acknowledged before
# is read back whole (export checked by warcio), also after a kill -9 and restart of the master.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
dt_init e2e_archive_full

FULL="$DT_TMP/full"
mkdir "$FULL"
if ! mount -t tmpfs -o size=16m tmpfs "$FULL" 2>"$DT_TMP/mount.err"; then
  echo "[e2e_archive_full] SKIP: cannot mount a tmpfs here: $(cat "$DT_TMP/mount.err")" >&2
  exit 77
fi
# The daemons go before the unmount; then lib.sh's cleanup runs as usual.
s_unmount() {
  local rc=$? i
  for ((i = ${#DT_PIDS[@]} - 1; i >= 0; i--)); do dt_stop_pid "${DT_PIDS[$i]}"; done
  umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null || true
  (exit "$rc")
  dt_cleanup
}
trap s_unmount EXIT
dt_warcio_install

N=24
mkdir -p "$DT_TMP/www/file"
for ((i = 0; i < N; i++)); do head -c 1000000 /dev/urandom >"$DT_TMP/www/file/r$i.bin"; done
dt_httpd_start --root "$DT_TMP/www"
MASTER_ARGS=(--data "$FULL/data" --max-attempts 1)
dt_master_start "${MASTER_ARGS[@]}"
dt_worker_start w1 --concurrency 2
dt_wait_for 20 "the worker registered with the master" dt_workers_registered 1

for ((i = 0; i < N; i++)); do echo "$DT_HTTP/file/r$i.bin"; done >"$DT_TMP/urls.txt"
rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job fill --save warc --wait \
  -f "$DT_TMP/urls.txt" >"$DT_TMP/results.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "dtask submit --wait exited $rc"
saved=$(grep -c '"warc":{' "$DT_TMP/results.jsonl" || true)
refused=$(grep -c 'capture not stored: archive stopped: disk nearly full' "$DT_TMP/results.jsonl" || true)
dt_say "$saved captures stored, $refused refused, $(df -k "$FULL" | awk 'NR==2 {print $4}') KiB left"
[ "$saved" -ge 3 ] || fail "only $saved captures stored before the disk filled"
[ "$refused" -ge 1 ] || fail "no capture was refused on a full disk"
[ $((saved + refused)) -eq "$N" ] || fail "$saved stored + $refused refused is not $N"
grep -q 'ARCHIVE-STOPPED' "$DT_TMP/master.log" || fail "the master did not log ARCHIVE-STOPPED"

# Saves are refused, with the reason; everything else is served.
rc=0
dt_cli submit --save warc "$DT_HTTP/size/10" >/dev/null 2>"$DT_TMP/refused.err" || rc=$?
[ "$rc" -eq 4 ] && grep -q 'STORE: archive stopped, saves refused: disk nearly full' "$DT_TMP/refused.err" ||
  fail "a saving SUBMIT on a full archive: exit $rc: $(cat "$DT_TMP/refused.err")"
dt_cli submit --job plain --wait "$DT_HTTP/size/10" "$DT_HTTP/page/3" >"$DT_TMP/plain.jsonl" 2>>"$DT_TMP/cli.log" ||
  fail "a job without --save failed on a full archive"
[ "$(grep -c '"state":"done"' "$DT_TMP/plain.jsonl")" -eq 2 ] || fail "the plain job did not finish done"
dt_status_json >/dev/null

# What was acknowledged is all there, read through the master, before and after a kill -9.
grep '"warc":{' "$DT_TMP/results.jsonl" | "$DT_PYTHON" -c 'import json, sys
for l in sys.stdin: print(json.loads(l)["url"].split("/", 3)[3])' | sed 's|^|/|' >"$DT_TMP/saved.txt"
mapfile -t saved_paths <"$DT_TMP/saved.txt"
dt_archive_expected "$DT_TMP/www/file" "${saved_paths[@]}" >"$DT_TMP/expected.json"
check_export() { # NAME
  dt_cli export --job fill -o "$DT_TMP/$1.warc.gz" 2>"$DT_TMP/export.log" || fail "dtask export failed ($1)"
  grep -q "exported $saved captures" "$DT_TMP/export.log" || fail "export ($1): $(cat "$DT_TMP/export.log")"
  dt_archive_check "$DT_TMP/expected.json" "$DT_TMP/$1.warc.gz"
}
check_export before
pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" "${MASTER_ARGS[@]}"
dt_wait_for 15 "the master to listen again" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
check_export after
