#!/usr/bin/env bash
# e2e_peer_waiters.sh - one host cannot take every parked FETCH: a client's --wait works while an attacker holds its share.
#
# An attacker on loopback source 127.0.0.2 sends 4,100 long-poll FETCHes (tests/tools/dt_peer.c
# waiters), more than the master's DT_WAITERS_MAX (4,096), and keeps each one parked again as soon
# as it is answered. DT_LIMIT_WAITERS_PER_ADDR (1,024) of them are parked, the 3,076 beyond are
# refused at once (ERROR TOO_BIG, "from this address"); before the cap it took all 4,096 slots and
# every other client's FETCH was refused. Meanwhile a rightful `dtask submit --wait` of 2,000 URLs from 127.0.0.1 long-polls
# its results and must end with every URL done exactly once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_peer_waiters
PEER=$(dt_peer_tool)

N=2000
PER_ADDR=1024 # DT_LIMIT_WAITERS_PER_ADDR
WAITERS_MAX=4096 # DT_WAITERS_MAX
ATTACK=$((WAITERS_MAX + 4)) # FETCHes the attacker sends: every slot and beyond

dt_httpd_start
dt_master_start --memory
dt_worker_start w1 --concurrency 16
dt_worker_start w2 --concurrency 16
dt_wait_for 20 "2 workers registered" dt_workers_registered 2

# The attacker holds its share for as long as the test runs (SIGTERM ends it; 300 s at most).
dt_spawn_to attack "$DT_TMP/attack.out" "$PEER" waiters "$DT_MASTER" "$ATTACK" 1 2 300000
attack_read() { [ -s "$DT_TMP/attack.out" ]; }
dt_wait_for 60 "the attacker's first reads" attack_read
dt_say "attacker: $(cat "$DT_TMP/attack.out")"
refused=$(dt_kv "$DT_TMP/attack.out" refused)
refused_addr=$(dt_kv "$DT_TMP/attack.out" refused_addr)
[ "$refused" -eq $((ATTACK - PER_ADDR)) ] \
  || fail "expected $((ATTACK - PER_ADDR)) of the attacker's FETCHes refused, got $refused"
[ "$refused_addr" -eq "$refused" ] || fail "a refusal was not the per-address cap's"
[ "$(dt_kv "$DT_TMP/attack.out" pages)" -eq 0 ] || fail "a parked FETCH was answered early"
grep -q 'FETCH-REFUSED.*127.0.0.2' "$DT_TMP/master.log" || fail "no FETCH-REFUSED line naming 127.0.0.2"

# The rightful client long-polls from another address while the attacker holds its share.
urls="$DT_TMP/urls.txt"
for ((i = 0; i < N; i++)); do echo "$DT_HTTP/page/$i"; done >"$urls"
results="$DT_TMP/results.jsonl"
dt_spawn_to submit "$results" timeout 240 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait -f "$urls"
dt_wait_exit submit 250
[ "$DT_EXIT" -eq 0 ] || fail "dtask submit --wait exited $DT_EXIT beside the attacker"
dt_alive attack || fail "the attacker stopped holding its share before the job ended"
"$DT_PYTHON" "$DTASK_TESTS/integration/check_results.py" --urls "$urls" --results "$results" \
  || fail "results beside the parked-FETCH attack do not match"
status=$(dt_status_json)
for check in "d[\"done\"] == $N" 'd["failed"] == 0' 'd["pending"] == 0'; do
  [ "$(printf '%s' "$status" | dt_json "$check")" = "true" ] || fail "status: expected $check in $status"
done
grep -q 'FETCH-REFUSED.*127.0.0.1' "$DT_TMP/master.log" && fail "a FETCH from 127.0.0.1 was refused"

dt_stop_pid "$(dt_pid_of attack)"
dt_say "attacker at the end: $(tail -1 "$DT_TMP/attack.out")"
dt_alive master || fail "master died"
dt_say "PASS"
