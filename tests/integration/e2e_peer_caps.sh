#!/usr/bin/env bash
# e2e_peer_caps.sh - the master's caps on workers and parked FETCHes, at the cap and one beyond.
#
# While 2,000 URLs are crawled by two rightful workers (submitted without --wait, read back after):
#  - 1,023 more workers say HELLO (tests/tools/dt_peer.c workers, capacity 0 so they take
#    nothing), spread round-robin over the loopback sources 127.0.0.1..127.0.0.5 (at most 205 from
#    one, 207 on 127.0.0.1 with the rightful two: under DT_LIMIT_WORKERS_PER_ADDR = 256 and the
#    default --max-conns-per-addr 256): with the two rightful ones that is DT_LIMIT_WORKERS_MAX =
#    1,024 welcomed and one beyond, which gets ERROR TOO_MANY_WORKERS from the whole-master cap
#    (not the per-address one); a STATUS then answers within the client's timeout, says 1,024
#    registered and lists DT_LIMIT_STATUS_WORKERS = 100 of them (a bounded reply).
#  - 4,100 long-poll FETCHes (8 s each) from five sockets on 127.0.0.1..127.0.0.5 (820 each, under
#    DT_LIMIT_WAITERS_PER_ADDR = 1,024): DT_WAITERS_MAX = 4,096 are parked, the ones beyond get
#    ERROR TOO_BIG at once from the whole-master cap; a STATUS still answers. (The per-address cap
#    is attacked by e2e_peer_waiters.)
# The crawl must end with every URL done once. (--max-conns 4096: 1,025 workers and the FETCH
# socket fit; the master raises its own descriptor limit to the hard one; --liveness 60: the silent
# fake workers stay registered while this runs.)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_caps
PEER=$(dt_peer_tool)
# 1,025 workers and 4,100 FETCHes: the master and the tool each need a few thousand descriptors.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 4096 ]; then
  echo "[e2e_peer_caps] SKIP: the hard descriptor limit ($hard) is under 4096" >&2
  exit 77
fi

WORKERS_MAX=1024 # DT_LIMIT_WORKERS_MAX
PER_ADDR_MAX=256 # DT_LIMIT_WORKERS_PER_ADDR, and the default --max-conns-per-addr
SOURCES=5        # loopback sources 127.0.0.1..127.0.0.5
STATUS_WORKERS=100 # DT_LIMIT_STATUS_WORKERS
WAITERS_MAX=4096 # DT_WAITERS_MAX
CLIENT_TIMEOUT_MS=10000

dt_httpd_start
# Peers from each source, worst case (127.0.0.1: the fakes, two workers, a client, the FETCHes).
per_source=$(((WORKERS_MAX - 2 + 1 + SOURCES - 1) / SOURCES))
[ $((per_source + 4)) -lt "$PER_ADDR_MAX" ] || fail "$SOURCES sources do not keep under the per-address caps"
dt_master_start --memory --max-conns 4096 --liveness 60
dt_worker_start p-w1 --concurrency 16
dt_worker_start p-w2 --concurrency 16
dt_wait_for 20 "2 workers registered" dt_workers_registered 2

urls="$DT_TMP/urls.txt"
for ((k = 0; k < 2000; k++)); do echo "$DT_HTTP/page/$k"; done >"$urls"
dt_cli --timeout 30 submit --job caps -f "$urls" >/dev/null 2>"$DT_TMP/submit.log" \
  || fail "submit failed: $(cat "$DT_TMP/submit.log")"

dt_spawn workers "$PEER" workers "$DT_MASTER" $((WORKERS_MAX - 2 + 1)) "$SOURCES"
dt_wait_exit workers 120
[ "$DT_EXIT" -eq 0 ] || fail "dt_peer workers exited $DT_EXIT"
w="$DT_TMP/workers.log"
dt_say "workers: $(cat "$w")"
[ "$(dt_kv "$w" welcome)" -eq $((WORKERS_MAX - 2)) ] || fail "expected $((WORKERS_MAX - 2)) WELCOMEs"
[ "$(dt_kv "$w" too_many)" -eq 1 ] || fail "expected one ERROR TOO_MANY_WORKERS"
[ "$(dt_kv "$w" too_many_addr)" -eq 0 ] || fail "a HELLO was refused by the per-address cap"
[ "$(dt_kv "$w" other)" -eq 0 ] && [ "$(dt_kv "$w" unanswered)" -eq 0 ] || fail "a HELLO got another reply or none"
[ "$(dt_kv "$w" status_total)" -eq "$WORKERS_MAX" ] || fail "STATUS did not count $WORKERS_MAX workers"
[ "$(dt_kv "$w" status_workers)" -eq "$STATUS_WORKERS" ] || fail "STATUS did not list $STATUS_WORKERS workers"
ms=$(dt_kv "$w" status_ms)
[ "$ms" -ge 0 ] && [ "$ms" -le "$CLIENT_TIMEOUT_MS" ] || fail "STATUS with $WORKERS_MAX workers took $ms ms"

dt_spawn waiters "$PEER" waiters "$DT_MASTER" $((WAITERS_MAX + 4)) "$SOURCES"
dt_wait_exit waiters 120
[ "$DT_EXIT" -eq 0 ] || fail "dt_peer waiters exited $DT_EXIT"
f="$DT_TMP/waiters.log"
dt_say "waiters: $(cat "$f")"
[ "$(dt_kv "$f" refused)" -eq 4 ] || fail "expected 4 FETCHes refused beyond the cap"
[ "$(dt_kv "$f" refused_addr)" -eq 0 ] || fail "a FETCH was refused by the per-address cap"
[ "$(dt_kv "$f" pages)" -eq 0 ] || fail "a parked FETCH was answered early"
ms=$(dt_kv "$f" status_ms)
[ "$ms" -ge 0 ] && [ "$ms" -le "$CLIENT_TIMEOUT_MS" ] || fail "STATUS with $WAITERS_MAX parked FETCHes took $ms ms"
grep -q 'FETCH-REFUSED' "$DT_TMP/master.log" || fail "no FETCH-REFUSED line"

dt_wait_for 120 "the crawl to finish" dt_final_at_least 2000
# The parked FETCHes hold every slot until their 8 s wait ends: until then a FETCH is refused.
read_results() { dt_cli --timeout 30 results --job caps >"$DT_TMP/results.jsonl" 2>>"$DT_TMP/cli.log"; }
dt_wait_for 30 "the results, once the parked FETCHes ended" read_results
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" \
  --results "$DT_TMP/results.jsonl" || fail "results do not match what was served"
dt_alive master || fail "master died"
dt_say "PASS"
