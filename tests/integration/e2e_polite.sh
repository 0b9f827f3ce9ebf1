#!/usr/bin/env bash
# e2e_polite.sh - politeness held by the master for the whole cluster, asserted from what the web
# servers saw: robots.txt fetched once per origin and obeyed (a disallowed directory is never
# requested), a 10 MB and a binary robots.txt bounded, an unavailable one disallows everything,
# --host-delay spaces the starts of requests to one origin over two workers, a 429 with
# Retry-After: 2 keeps every request off its host for 2 s, a Retry-After of a year is cut to an
# hour, and a slow host does not hold up a fast one. A job's politeness outlives kill -9 of a
# durable master; robots.txt groups follow each job's User-Agent, and robots.txt is fetched with it.
#
# Each origin is its own dt_httpd.py on 127.0.0.1 (distinct ports are distinct origins), logging
# the start and end of every request (/log); polite_check.py asserts on those logs. Only lower
# bounds on gaps are asserted: load can only widen them.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_polite
CHECK="$DTASK_TESTS/integration/polite_check.py"

# site NAME [dt_httpd ARGS...]: starts a test server; sets URL_<NAME>.
site() {
  local name=$1 pf="$DT_TMP/$1.port"
  shift
  dt_spawn "site-$name" "$DT_PYTHON" "$DT_HTTPD" --host 127.0.0.1 --port 0 --port-file "$pf" --quiet "$@"
  dt_wait_port_file "$pf" 15 "site-$name"
  printf -v "URL_$name" 'http://127.0.0.1:%s' "$DT_PORT"
}
# log NAME: saves the server's request log to $DT_TMP/NAME.json and prints the path.
log() {
  local u="URL_$1"
  curl -fsS "${!u}/log" >"$DT_TMP/$1.json" || fail "GET /log of $1 failed"
  printf '%s' "$DT_TMP/$1.json"
}
check() { "$DT_PYTHON" "$CHECK" "$@" >&2 || fail "politeness rule broken: $*"; }

printf 'User-agent: *\nDisallow: /private/\n\nUser-agent: dtask\nDisallow: /private/\nAllow: /private/open\n' >"$DT_TMP/robots-a.txt"
site a --robots "file:$DT_TMP/robots-a.txt"
site big --robots big:10485760
site junk --robots garbage:300000
site down --robots status:503

# ---- robots.txt and --host-delay, two workers ----------------------------------------------
DELAY=500
dt_master_start --memory --host-delay "$DELAY"
dt_worker_start w1 --concurrency 16
dt_worker_start w2 --concurrency 16
urls="$DT_TMP/p1.txt"
{
  for i in 1 2 3 4 5 6; do echo "$URL_a/size/100?i=$i"; done
  for i in 1 2 3; do echo "$URL_a/private/x?i=$i"; done
  echo "$URL_a/private/open"
  for i in 1 2 3; do echo "$URL_big/size/50?i=$i"; done
  echo "$URL_big/private/b"
  for i in 1 2 3; do echo "$URL_junk/size/50?i=$i"; done
  for i in 1 2; do echo "$URL_down/size/10?i=$i"; done
} >"$urls"
dt_spawn_to submit-p1 "$DT_TMP/p1.jsonl" "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  submit --job p1 --robots --wait -f "$urls"
# While it runs, the job's origins as STATUS --hosts shows them.
hosts_seen() {
  dt_cli --timeout 5 status --job p1 --hosts --json >"$DT_TMP/hosts.json" 2>>"$DT_TMP/cli.log" &&
    [ "$(dt_json 'd["hosts_total"]' <"$DT_TMP/hosts.json")" -ge 1 ]
}
dt_wait_for 30 "status --hosts listing origins" hosts_seen
dt_say "status --hosts: $(cat "$DT_TMP/hosts.json")"
dt_wait_exit submit-p1 120
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait of p1 exited $DT_EXIT"
res="$DT_TMP/p1.jsonl"
count() { grep -c "$1" "$res" || true; }
[ "$(grep -c '^{' "$res")" -eq 19 ] || fail "p1: not 19 results"
[ "$(count '"error":"robots.txt disallows"')" -eq 4 ] || fail "p1: not 4 pages refused by robots.txt"
[ "$(count '"error":"robots.txt unavailable: all disallowed"')" -eq 2 ] || fail "p1: the 503 site's pages were not refused"
[ "$(count '"http_status":200')" -eq 12 ] || fail "p1: not 12 pages fetched"
for s in a big junk down; do check once "$(log "$s")" /robots.txt; done
check never "$DT_TMP/a.json" /private/x
check count "$DT_TMP/a.json" /private/open 1
check never "$DT_TMP/big.json" /private/
check count "$DT_TMP/down.json" /size/ 0
# Starts at one origin at least DELAY apart, less what a request may lose between the master and
# the server (its delivery may be late, the next one's early): half of it. Without the delay they
# come a few ms apart.
check spacing "$DT_TMP/a.json" $((DELAY / 2))
check spacing "$DT_TMP/big.json" $((DELAY / 2))
grep -q 'POLITE-ROBOTS.*127.0.0.1:[0-9]*: robots.txt HTTP 200, [0-9]* bytes parsed (cut)' "$DT_TMP/master.log" \
  || fail "the 10 MB robots.txt was not recorded as cut at 512 KiB"
dt_stop_pid "$(dt_pid_of w1)"
dt_stop_pid "$(dt_pid_of w2)"
dt_stop_pid "$(dt_pid_of master)"

# ---- a job's politeness is durable: kill -9 of the master before any page went -------------
site dur --robots "file:$DT_TMP/robots-a.txt"
dt_master_start --data "$DT_TMP/data"
{
  for i in 1 2 3 4; do echo "$URL_dur/size/10?i=$i"; done
  echo "$URL_dur/private/x?i=1"
} >"$DT_TMP/d1.txt"
dt_cli --timeout 10 submit --job d1 --robots --host-delay 300 -f "$DT_TMP/d1.txt" >/dev/null \
  2>>"$DT_TMP/cli.log" || fail "submit d1 failed"
{ kill -KILL "$DT_LAST_PID" && wait "$DT_LAST_PID"; } 2>/dev/null || true
dt_master_start --data "$DT_TMP/data"
dur_master=$DT_LAST_PID
dt_worker_start w5 --concurrency 16
d1_done() { [ "$(dt_cli --timeout 5 status --job d1 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]')" = 5 ]; }
dt_wait_for 60 "d1 to end after the restart" d1_done
check once "$(log dur)" /robots.txt
check never "$DT_TMP/dur.json" /private/
check spacing "$DT_TMP/dur.json" 150
dt_stop_pid "$(dt_pid_of w5)"
dt_stop_pid "$dur_master"

# ---- Retry-After, a slow host beside a fast one --------------------------------------------
site busy
site year
site slow
site fast
dt_master_start --memory --retry-base 100
dt_worker_start w3 --concurrency 16
dt_worker_start w4 --concurrency 16
dt_cli --timeout 10 submit --job r1 --max-attempts 3 "$URL_busy/retry-after/k/2" >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "submit r1 failed"
# The master has the 429 once the task waits for its retry.
delayed() { [ "$(dt_cli --timeout 5 status --job r1 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["delayed"]')" = 1 ]; }
dt_wait_for 30 "the 429 to be retried later" delayed
for i in 1 2 3; do echo "$URL_busy/size/10?i=$i"; done >"$DT_TMP/r2.txt"
timeout 60 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 submit --job r2 --wait -f "$DT_TMP/r2.txt" \
  >"$DT_TMP/r2.jsonl" 2>>"$DT_TMP/cli.log" || fail "submit --wait of r2 failed"
r1_done() { [ "$(dt_cli --timeout 5 status --job r1 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]')" = 1 ]; }
dt_wait_for 60 "r1 to end" r1_done
dt_cli --timeout 10 results --job r1 >"$DT_TMP/r1.jsonl" 2>>"$DT_TMP/cli.log" || fail "results of r1 failed"
grep -q '"http_status":200' "$DT_TMP/r1.jsonl" || fail "r1 did not end 200 after its retry"
check count "$(log busy)" /retry-after/k/2 2
check quiet "$DT_TMP/busy.json" /retry-after/k/2 1950

# A Retry-After of a year pauses the host for an hour, not a year (STATUS --hosts shows when).
dt_cli --timeout 10 submit --job y1 --max-attempts 2 "$URL_year/retry-after/y/31536000" "$URL_year/size/1" \
  >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit y1 failed"
paused() {
  dt_cli --timeout 5 status --job y1 --hosts --json >"$DT_TMP/y1.json" 2>>"$DT_TMP/cli.log" &&
    [ "$(dt_json 'len(d["hosts"]) == 1 and d["hosts"][0]["next_ms"] > 3000000' <"$DT_TMP/y1.json")" = true ]
}
dt_wait_for 30 "the year-long Retry-After to pause its host" paused
[ "$(dt_json 'd["hosts"][0]["next_ms"] <= 3600000' <"$DT_TMP/y1.json")" = true ] \
  || fail "a Retry-After of a year paused the host more than an hour: $(cat "$DT_TMP/y1.json")"
grep -q 'POLITE-PAUSE-CLAMPED' "$DT_TMP/master.log" || fail "the clamped pause was not recorded"
check count "$(log year)" /retry-after/ 1
dt_cli --timeout 10 cancel --job y1 >/dev/null 2>>"$DT_TMP/cli.log" || fail "cancel y1 failed"

# robots.txt groups follow each job's own User-Agent: MyBot's group for a job sent as MyBot/1.0,
# the * group for a job with the worker's own (dtask/VERSION), on one site.
printf 'User-agent: mybot\nDisallow: /mine/\n\nUser-agent: *\nDisallow: /theirs/\n' >"$DT_TMP/robots-ua.txt"
site ua --robots "file:$DT_TMP/robots-ua.txt"
dt_cli --timeout 10 submit --job u1 --robots --user-agent "MyBot/1.0 (+http://example.org/bot)" \
  "$URL_ua/mine/1" "$URL_ua/theirs/1" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit u1 failed"
dt_cli --timeout 10 submit --job u2 --robots "$URL_ua/mine/2" "$URL_ua/theirs/2" >/dev/null \
  2>>"$DT_TMP/cli.log" || fail "submit u2 failed"
u_done() {
  [ "$(dt_cli --timeout 5 status --job u1 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]')" = 2 ] &&
    [ "$(dt_cli --timeout 5 status --job u2 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]')" = 2 ]
}
dt_wait_for 30 "u1 and u2 to end" u_done
check never "$(log ua)" /mine/1
check never "$DT_TMP/ua.json" /theirs/2
check count "$DT_TMP/ua.json" /theirs/1 1
check count "$DT_TMP/ua.json" /mine/2 1

# The robots.txt fetch goes with the job's own User-Agent, as its pages do (the server logs each
# request's headers), not the worker's default.
site uar --robots "file:$DT_TMP/robots-ua.txt" --request-log "$DT_TMP/uar-requests.jsonl"
dt_cli --timeout 10 submit --job u3 --robots --user-agent "MyBot/2.0 (+http://example.org/bot)" \
  "$URL_uar/theirs/3" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit u3 failed"
u3_done() { [ "$(dt_cli --timeout 5 status --job u3 --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]')" = 1 ]; }
dt_wait_for 30 "u3 to end" u3_done
"$DT_PYTHON" - "$DT_TMP/uar-requests.jsonl" <<'PY' >&2 || fail "robots.txt was not fetched with the job's User-Agent"
import json, sys
reqs = [json.loads(line) for line in open(sys.argv[1])]
ua = {r["path"]: [v for k, v in r["headers"] if k.lower() == "user-agent"] for r in reqs}
print("user agents by path:", ua)
want = ["MyBot/2.0 (+http://example.org/bot)"]
assert [r["path"] for r in reqs].count("/robots.txt") == 1, "robots.txt not fetched once"
assert ua["/robots.txt"] == want and ua["/theirs/3"] == want, ua
PY

# One slow host (6 s a page) beside a fast one, 200 ms between starts at each: the fast host's
# pages all go while the slow host's first page is still being answered.
{
  for i in 1 2; do echo "$URL_slow/slow/6000?i=$i"; done
  for i in 1 2 3 4 5 6 7 8; do echo "$URL_fast/size/10?i=$i"; done
} >"$DT_TMP/s1.txt"
timeout 90 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 submit --job s1 --host-delay 200 --wait \
  -f "$DT_TMP/s1.txt" >"$DT_TMP/s1.jsonl" 2>>"$DT_TMP/cli.log" || fail "submit --wait of s1 failed"
[ "$(grep -c '"http_status":200' "$DT_TMP/s1.jsonl")" -eq 10 ] || fail "s1: not 10 pages fetched"
check before_end "$(log fast)" "$(log slow)"
check spacing "$DT_TMP/fast.json" 100
dt_say "ok"
