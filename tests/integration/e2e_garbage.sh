#!/usr/bin/env bash
# e2e_garbage.sh - hostile peers flood the master while a crawl runs: every result arrives, memory stays bounded.
#
# Two raw ZeroMQ peers send thousands of random, truncated, oversized, multi-frame and wrong-version
# messages (tests/tools/dt_garbage.c), and raw TCP peers that speak no ZMTP at all send random bytes,
# all while 2,000 URLs are crawled. The crawl must finish with exactly one right result per URL, the
# master must count the invalid messages, answer status, and its RSS must not grow without bound.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_garbage

GARBAGE=${DTASK_TOOLS:-$DTASK_BIN/../tests}/dt_garbage
[ -x "$GARBAGE" ] || fail "$GARBAGE not found: build first"

dt_httpd_start
dt_master_start --memory
dt_worker_start g-w1 --concurrency 16
dt_worker_start g-w2 --concurrency 16
dt_wait_for 20 "2 workers registered" dt_workers_registered 2
master_pid=$(dt_pid_of master)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss0=$(rss "$master_pid")

urls="$DT_TMP/urls.txt"
for ((k = 0; k < 2000; k++)); do echo "$DT_HTTP/page/$k"; done >"$urls"

# The attackers: two ZeroMQ floods and a raw TCP flood, each bounded in count.
dt_spawn garbage1 "$GARBAGE" "$DT_MASTER" 20000 1
dt_spawn garbage2 "$GARBAGE" "$DT_MASTER" 20000 2
dt_spawn rawtcp "$DT_PYTHON" -c '
import os, random, socket, sys
port = int(sys.argv[1]); rng = random.Random(3)
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        # Half start like a ZMTP greeting, half are pure noise.
        head = b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f" if i % 2 else b""
        s.sendall(head + bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 4096))))
        s.close()
    except OSError:
        pass
' "$DT_MASTER_PORT"

dt_say "crawling 2,000 URLs under attack"
rc=0
timeout 300 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls" \
  >"$DT_TMP/results.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -eq 0 ] || fail "dtask submit --wait exited $rc"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" \
  --results "$DT_TMP/results.jsonl" || fail "results do not match what was served"

for name in garbage1 garbage2 rawtcp; do
  dt_wait_exit "$name" 120
done
dt_say "attackers sent: $(cat "$DT_TMP/garbage1.log") / $(cat "$DT_TMP/garbage2.log")"

dt_alive master || fail "the master died under garbage"
status=$(dt_status_json)
invalid=$(printf '%s' "$status" | dt_json 'd["invalid"]')
dt_say "master counted $invalid invalid messages"
[ "$invalid" -ge 1000 ] || fail "master counted only $invalid invalid messages"
for check in 'd["submitted"] == 2000' 'd["done"] == 2000' 'd["failed"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check"
done
grep -q 'PROTO-INVALID' "$DT_TMP/master.log" || fail "master logged no PROTO-INVALID line"
lines=$(grep -c 'PROTO-INVALID' "$DT_TMP/master.log" || true)
[ "$lines" -lt 2000 ] || fail "master logged $lines PROTO-INVALID lines: not rate limited"

rss1=$(rss "$master_pid")
dt_say "master RSS ${rss0} kB before, ${rss1} kB after"
# Oversized frames are refused by libzmq before they are buffered, so the master never holds one.
[ "$rss1" -lt $((rss0 + 262144)) ] || fail "master RSS grew from $rss0 kB to $rss1 kB"
dt_say "PASS"
