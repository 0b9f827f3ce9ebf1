#!/usr/bin/env bash
# e2e_peer_noread.sh - clients that never read their replies cannot grow the master's memory past a fixed bound per peer.
#
# While 2,000 URLs are crawled, two raw ZeroMQ clients (tests/tools/dt_peer.c noread) each send
# 2,000 FETCHes of a full page of results from a DEALER with a receive HWM of 1 and a 4 KiB socket
# buffer, and never read. libzmq bounds a ROUTER's queue per peer in messages, so what the master
# holds for each is at most (DT_LIMIT_PEER_REPLIES + 1) x DT_LIMIT_REPLY_BYTES = 32.25 MiB; replies
# beyond that are dropped and the peer is named once in a REPLY-DROPPED line. The master's RSS must
# stay within that bound per attacker (plus a margin for the crawl itself), and the crawl must end
# with every URL done exactly once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_noread
PEER=$(dt_peer_tool)
# Under ASan every dropped reply would sit in the allocator's quarantine (256 MiB by default) and
# count as RSS; a small quarantine keeps the figure about the master, not the sanitizer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

# DT_LIMIT_PEER_QUEUED_BYTES in kB, and a margin for the crawl's own results and libzmq's buffers.
PEER_QUEUED_KB=$(((128 + 1) * 256))
MARGIN_KB=$((48 * 1024))
ATTACKERS=2

dt_httpd_start
dt_master_start --memory
dt_worker_start n-w1 --concurrency 16
dt_worker_start n-w2 --concurrency 16
dt_wait_for 20 "2 workers registered" dt_workers_registered 2
master_pid=$(dt_pid_of master)

urls="$DT_TMP/urls.txt"
for ((k = 0; k < 2000; k++)); do echo "$DT_HTTP/page/$k?pad=$(printf '%0200d' "$k")"; done >"$urls"
dt_spawn_to submit "$DT_TMP/results.jsonl" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" \
  submit --wait -f "$urls"
# Attack once there are results to page through: each FETCH then asks for a full page.
dt_wait_for 120 "some results" dt_final_at_least 300
rss0=$(dt_rss_kb "$master_pid")
for ((a = 1; a <= ATTACKERS; a++)); do
  dt_spawn "noread$a" "$PEER" noread "$DT_MASTER" 2000 6000
done
peak=$rss0
for ((i = 0; i < 80; i++)); do
  r=$(dt_rss_kb "$master_pid")
  [ "$r" -gt "$peak" ] && peak=$r
  dt_alive noread1 || dt_alive noread2 || break
  sleep 0.1
done
for ((a = 1; a <= ATTACKERS; a++)); do
  dt_wait_exit "noread$a" 60
  [ "$DT_EXIT" -eq 0 ] || fail "noread$a exited $DT_EXIT"
done
limit=$((rss0 + ATTACKERS * PEER_QUEUED_KB + MARGIN_KB))
dt_say "master RSS ${rss0} kB before, peak ${peak} kB under attack, limit ${limit} kB"
[ "$peak" -le "$limit" ] || fail "master RSS grew from $rss0 kB to $peak kB: over the per-peer bound"

dt_wait_exit submit 300
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" \
  --results "$DT_TMP/results.jsonl" || fail "results do not match what was served"

drops=$(grep -c 'REPLY-DROPPED' "$DT_TMP/master.log" || true)
dt_say "REPLY-DROPPED lines: $drops"
[ "$drops" -ge 1 ] || fail "no REPLY-DROPPED line: replies to a peer that does not read were not dropped"
# Named once per peer (a summary line may follow a burst).
[ "$drops" -le $((ATTACKERS * 2)) ] || fail "$drops REPLY-DROPPED lines for $ATTACKERS peers"
status=$(dt_status_json)
for check in 'd["submitted"] == 2000' 'd["done"] == 2000' 'd["failed"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
dt_say "PASS"
