#!/usr/bin/env bash
# e2e_limits_args.sh - limits of dt_limits.h that bound a command-line option, at the limit and one beyond: the master takes --max-conns and --max-conns-per-addr up to DT_LIMIT_CONNS_MAX (4,096) and --host-delay up to DT_LIMIT_HOST_DELAY_MAX_MS (10 min), the worker --max-bytes up to DT_LIMIT_BODY_MAX (64 MiB); one more is refused at start (exit 2). (What each bound does to a running system: e2e_peer_conns, test_state_polite, test_fetch.)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_limits_args

CONNS_MAX=4096                      # DT_LIMIT_CONNS_MAX
HOST_DELAY_MAX_MS=$((10 * 60 * 1000)) # DT_LIMIT_HOST_DELAY_MAX_MS
BODY_MAX=$((64 * 1024 * 1024))       # DT_LIMIT_BODY_MAX

# At the limit: the master starts and answers STATUS.
dt_master_start --memory --max-conns "$CONNS_MAX" --max-conns-per-addr "$CONNS_MAX" --host-delay "$HOST_DELAY_MAX_MS"
dt_status_json >/dev/null
dt_stop_pid "$(dt_pid_of master)"

# One beyond: refused before it binds anything.
port=$(dt_free_port)
for opt in "--max-conns $((CONNS_MAX + 1))" "--max-conns-per-addr $((CONNS_MAX + 1))" \
  "--host-delay $((HOST_DELAY_MAX_MS + 1))"; do
  rc=0
  # shellcheck disable=SC2086 # the option and its value are two words
  timeout 10 "$DTASK_BIN/dtask-master" --bind "tcp://127.0.0.1:$port" --memory $opt \
    >"$DT_TMP/refused.log" 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "dtask-master $opt exited $rc, expected 2: $(cat "$DT_TMP/refused.log")"
done

# The worker: --max-bytes at the limit runs (stopped by timeout, 124), one more is refused (2).
dt_master_start --memory
rc=0
timeout 2 "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --max-bytes "$BODY_MAX" >"$DT_TMP/w.log" 2>&1 || rc=$?
[ "$rc" -eq 124 ] || fail "dtask-worker --max-bytes $BODY_MAX exited $rc: $(cat "$DT_TMP/w.log")"
rc=0
timeout 10 "$DTASK_BIN/dtask-worker" --master "$DT_MASTER" --max-bytes $((BODY_MAX + 1)) >"$DT_TMP/w.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "dtask-worker --max-bytes $((BODY_MAX + 1)) exited $rc, expected 2"
dt_say "PASS"
