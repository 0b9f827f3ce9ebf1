#!/usr/bin/env bash
# e2e_valgrind.sh - the integration path under valgrind memcheck: master (durable), worker and CLI leak nothing and touch no bad memory.
#
# A small durable crawl (pages, a 404, a redirect chain, a refused connection) with the master and a
# worker running under memcheck, stopped with SIGTERM as in production; the CLI runs under memcheck
# too. Any error or definite leak makes valgrind exit 99, which fails the test. Skipped (77) when
# valgrind is missing or the binaries were built with sanitizers (the two do not mix).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_valgrind

command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
# Read the whole symbol list first: `nm | grep -q` would kill nm with SIGPIPE under pipefail.
syms=$(nm -D "$DTASK_BIN/dtask-master" 2>/dev/null || true)
if [[ "$syms" == *__asan_init* ]]; then
  echo "SKIP: sanitizer build"
  exit 77
fi
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
  --show-leak-kinds=definite --track-fds=no)

dt_httpd_start
port=$(dt_free_port)
DT_MASTER="tcp://127.0.0.1:$port"
DT_MASTER_PORT=$port
dt_spawn master "${VG[@]}" "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" --data "$DT_TMP/data" \
  --max-attempts 2 --retry-base 50
dt_wait_for 60 "the master under valgrind to listen" dt_listening "$(dt_pid_of master)" "$port"
dt_spawn worker "${VG[@]}" "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --name vg-w1 \
  --concurrency 8 --timeout 5 --connect-timeout 2
dt_wait_for 60 "the worker under valgrind to register" dt_workers_registered 1

urls="$DT_TMP/urls.txt"
{
  for ((i = 0; i < 150; i++)); do echo "$DT_HTTP/page/$i"; done
  echo "$DT_HTTP/status/404"
  echo "$DT_HTTP/redirect/3"
  echo "http://127.0.0.1:1/refused"
} >"$urls"
rc=0
timeout 240 "${VG[@]}" "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 30 submit --wait -f "$urls" \
  >"$DT_TMP/results.jsonl" 2>"$DT_TMP/cli.log" || rc=$?
[ "$rc" -eq 0 ] || fail "dtask submit --wait under valgrind exited $rc (99: memcheck errors)"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$DT_TMP/results.jsonl" \
  --failed '/refused' || fail "results under valgrind do not match"

for name in worker master; do
  kill -TERM "$(dt_pid_of "$name")"
  dt_wait_exit "$name" 60
  [ "$DT_EXIT" -eq 0 ] || fail "$name under valgrind exited $DT_EXIT after SIGTERM (99: memcheck errors)"
done
dt_say "PASS: no memcheck errors or definite leaks"
