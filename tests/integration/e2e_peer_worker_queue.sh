#!/usr/bin/env bash
# e2e_peer_worker_queue.sh - a master that deals far beyond a worker's credit cannot make it hold more than its queue cap.
#
# A fake master (tests/tools/dt_peer.c fakemaster) welcomes a real worker (--concurrency 4) and deals
# it DT_WORKER_QUEUE_MAX + 4 + 1 tasks of a slow URL at once, whatever its credit: the worker runs 4,
# queues at most DT_WORKER_QUEUE_MAX = 2 x DT_LIMIT_CREDIT_MAX = 8,192, and drops the rest with a
# rate-limited TASKS-OVER-CREDIT line (their leases end, and a real master requeues them). The
# worker must keep running and heartbeating, and its log must stay short. (No crawl here: the peer
# under attack is the worker, and the fake master is the attacker.)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_worker_queue
PEER=$(dt_peer_tool)

QUEUE_MAX=8192 # DT_WORKER_QUEUE_MAX
CONCURRENCY=4
SENT=$((QUEUE_MAX + CONCURRENCY + 1))
LOG_LINES_MAX=200

dt_httpd_start
pf="$DT_TMP/fake.port"
dt_spawn_to fake "$DT_TMP/fake.out" "$PEER" fakemaster "$pf" "$SENT" "$DT_HTTP/slow/2000" 6000
dt_wait_port_file "$pf" 15 fake
DT_MASTER="tcp://127.0.0.1:$DT_PORT"
dt_worker_start q-w1 --concurrency "$CONCURRENCY"
dt_wait_exit fake 60
[ "$DT_EXIT" -eq 0 ] || fail "the fake master exited $DT_EXIT"
dt_say "fake master: $(cat "$DT_TMP/fake.out")"
[ "$(dt_kv "$DT_TMP/fake.out" sent)" -eq "$SENT" ] || fail "the fake master could not deal $SENT tasks"
[ "$(dt_kv "$DT_TMP/fake.out" heartbeats)" -ge 1 ] || fail "the worker stopped heartbeating"
dt_alive q-w1 || fail "the worker died"
log="$DT_TMP/q-w1.log"
grep -q 'TASKS-OVER-CREDIT' "$log" || fail "the worker did not refuse the tasks beyond its queue"
held=$(sed -n 's/.*TASKS-OVER-CREDIT holding \([0-9]*\) tasks.*/\1/p' "$log" | sort -n | tail -n 1)
dropped=$(sed -n 's/.*TASKS-OVER-CREDIT .*dropping \([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
dt_say "worker held at most $held tasks, dropped $dropped; its log has $(wc -l <"$log") lines"
[ "$held" -le $((QUEUE_MAX + CONCURRENCY)) ] || fail "the worker held $held tasks"
[ "$dropped" -ge 1 ] && [ "$dropped" -le $((CONCURRENCY + 1)) ] || fail "the worker dropped $dropped tasks"
[ "$(wc -l <"$log")" -le "$LOG_LINES_MAX" ] || fail "the worker's log grew past $LOG_LINES_MAX lines"
# Its master is gone and it holds thousands of tasks: it would wait out its stop deadline on TERM.
kill -KILL "$(dt_pid_of q-w1)"
dt_say "PASS"
