#!/usr/bin/env bash
# e2e_peer_flood.sh - peers that send 4 MiB frames as fast as they can cannot grow the master's memory past a fixed bound per peer.
#
# While 2,000 URLs are crawled (with a store: every turn commits), three ZeroMQ peers
# (tests/tools/dt_peer.c bigframes) each send 300 garbage frames of DT_LIMIT_FRAME_MAX (4 MiB), 1.2 GiB
# each, as fast as the master takes them. What the master holds received from one peer and not yet
# read is at most DT_LIMIT_PEER_RECV_BYTES: (DT_LIMIT_PEER_RECV_MSGS + 1) x 4 MiB = 68 MiB (the
# ROUTER's receive HWM; it was 10,000 messages, 40 GiB); beyond it libzmq stops reading that peer
# and TCP holds the rest back on its side. The master's RSS must stay within that bound per flooder
# plus a margin for the crawl, every frame is counted invalid and dropped, and the crawl must end
# with every URL done exactly once.
# At the same time two hand-written ZMTP peers (dt_peer rawmore) each send one message that never
# ends: 4 MiB frames, every one with the MORE flag. libzmq keeps every frame of a message until its
# last has come (the receive HWM counts whole messages; it held 400 MB of one such peer in under a
# second, without end); the master closes a connection that brought in more than
# DT_LIMIT_PEER_UNDELIVERED_BYTES (the 68 MiB pipe and 64 MiB: 132 MiB) with no message out of them
# (CONN-UNFINISHED), looking every 100 ms: each is closed, having got at most that and one look's
# worth in (allowed here: 256 MiB, at loopback speed). The flooders, whose messages end, are not.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_flood
PEER=$(dt_peer_tool)
# Under ASan every freed frame would sit in the allocator's quarantine (256 MiB by default) and
# count as RSS; a small quarantine keeps the figure about the master, not the sanitizer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

FRAME=$((4 * 1024 * 1024))            # DT_LIMIT_FRAME_MAX
RECV_KB=$(((16 + 1) * FRAME / 1024))  # DT_LIMIT_PEER_RECV_BYTES in kB
MARGIN_KB=$((64 * 1024))
FLOODERS=3
FRAMES=300
UNDELIVERED_KB=$((RECV_KB + 64 * 1024)) # DT_LIMIT_PEER_UNDELIVERED_BYTES in kB
LOOK_KB=$((256 * 1024))       # what one peer may send in a look's time (100 ms) on loopback
RAW=2
RAW_FRAMES=1000               # 4 GB each, if nothing stopped them

dt_httpd_start
dt_master_start --data "$DT_TMP/data"
dt_worker_start f-w1 --concurrency 16
dt_worker_start f-w2 --concurrency 16
dt_wait_for 20 "2 workers registered" dt_workers_registered 2
master_pid=$(dt_pid_of master)

urls="$DT_TMP/urls.txt"
for ((k = 0; k < 2000; k++)); do echo "$DT_HTTP/slow/20?copy=$k"; done >"$urls"
dt_spawn_to submit "$DT_TMP/results.jsonl" timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" \
  submit --wait -f "$urls"
dt_wait_for 120 "some results" dt_final_at_least 100
rss0=$(dt_rss_kb "$master_pid")
for ((a = 1; a <= FLOODERS; a++)); do
  dt_spawn_to "flood$a" "$DT_TMP/flood$a.out" "$PEER" bigframes "$DT_MASTER" "$FRAMES" 1 "$FRAME" 120000
done
for ((a = 1; a <= RAW; a++)); do
  dt_spawn_to "raw$a" "$DT_TMP/raw$a.out" "$PEER" rawmore "$DT_MASTER_PORT" "$RAW_FRAMES" "$FRAME" 120000
done
# Sample until the master has read every frame (each is counted invalid), 180 s at most.
peak=$rss0
read_all() {
  local n
  n=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'd["invalid"]' 2>/dev/null) || return 1
  [ "${n:-0}" -ge $((FLOODERS * FRAMES)) ]
}
done_reading=0
for ((i = 0; i < 1800; i++)); do
  r=$(dt_rss_kb "$master_pid")
  [ "$r" -gt "$peak" ] && peak=$r
  if [ $((i % 10)) -eq 9 ] && read_all; then
    done_reading=1
    break
  fi
  sleep 0.1
done
[ "$done_reading" -eq 1 ] || fail "the master did not read the $((FLOODERS * FRAMES)) frames within 180 s"
for ((a = 1; a <= FLOODERS; a++)); do
  dt_say "flood$a: $(cat "$DT_TMP/flood$a.out")"
  dt_stop_pid "$(dt_pid_of "flood$a")"
done
# The unfinished messages' connections were closed before all their frames were in.
raw_done() {
  local a
  for ((a = 1; a <= RAW; a++)); do [ -s "$DT_TMP/raw$a.out" ] || return 1; done
}
dt_wait_for 120 "the unfinished messages' connections to be closed" raw_done
for ((a = 1; a <= RAW; a++)); do
  dt_say "raw$a: $(cat "$DT_TMP/raw$a.out")"
  [ "$(dt_kv "$DT_TMP/raw$a.out" frames)" -lt "$RAW_FRAMES" ] || fail "raw$a sent every frame: not closed"
  dt_stop_pid "$(dt_pid_of "raw$a")"
done
closed=$(grep -c 'CONN-UNFINISHED' "$DT_TMP/master.log" || true)
[ "$closed" -eq "$RAW" ] || fail "expected $RAW CONN-UNFINISHED lines, got $closed"
limit=$((rss0 + FLOODERS * RECV_KB + RAW * (UNDELIVERED_KB + LOOK_KB) + MARGIN_KB))
dt_say "master RSS ${rss0} kB before, peak ${peak} kB under the flood, limit ${limit} kB"
[ "$peak" -le "$limit" ] || fail "master RSS grew from $rss0 kB to $peak kB: over the per-peer bound"

dt_wait_exit submit 300
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" \
  --results "$DT_TMP/results.jsonl" || fail "results do not match what was served"
status=$(dt_status_json)
for check in 'd["submitted"] == 2000' 'd["done"] == 2000' 'd["failed"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
dt_alive master || fail "master died"
dt_say "PASS"
