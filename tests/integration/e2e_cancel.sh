#!/usr/bin/env bash
# e2e_cancel.sh - cancelling a job ends its unfinished tasks at once, tells a waiting client, and spares other jobs; a reused job id is refused.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_cancel

dt_httpd_start
dt_master_start --data "$DT_TMP/data"
a="$DT_TMP/a.txt" b="$DT_TMP/b.txt"
for ((i = 0; i < 2000; i++)); do echo "$DT_HTTP/slow/20?copy=$i"; done >"$a"
for ((i = 0; i < 100; i++)); do echo "$DT_HTTP/page/$i"; done >"$b"

# One slow worker makes a little progress on job A, then A is cancelled while the client waits.
results="$DT_TMP/a.jsonl"
dt_spawn_to submit "$results" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job crawl-a --wait -f "$a"
dt_worker_start cancel-w1 --concurrency 4
have_results() { [ "$(dt_count_results "$results")" -ge "$1" ]; }
dt_wait_for 60 "some of job A done" have_results 20
dt_cli --timeout 10 submit --job crawl-b -f "$b" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submitting job B failed"
out=$(dt_cli --timeout 10 cancel --job crawl-a 2>>"$DT_TMP/cli.log") || fail "dtask cancel failed"
dt_say "$out"
n=$(printf '%s' "$out" | awk '{print $2}')
[ "$n" -gt 0 ] || fail "nothing was cancelled: $out"

# The waiting client sees job A finished: every URL has exactly one result, done or cancelled.
dt_wait_exit submit 60
[ "$DT_EXIT" -le 1 ] || fail "the waiting client exited $DT_EXIT after the cancel"
"$DT_PYTHON" - "$a" "$results" "$n" <<'PY' || fail "job A's results after the cancel are wrong"
import json, sys
urls = [l.strip() for l in open(sys.argv[1]) if l.strip()]
res = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
by_url = {}
for r in res:
    by_url.setdefault(r["url"], []).append(r)
assert sorted(by_url) == sorted(urls), "missing or extra URLs"
assert all(len(v) == 1 for v in by_url.values()), "a URL printed twice"
cancelled = [r for r in res if r["state"] == "failed" and r["error"] == "cancelled"]
assert len(cancelled) == int(sys.argv[3]), (len(cancelled), sys.argv[3])
assert all(r["state"] == "done" for r in res if r not in cancelled)
PY

# Job B still runs to the end; cancelling A again changes nothing.
b_done() { [ "$(dt_cli --timeout 5 status --json --job crawl-b 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" -eq 100 ]; }
dt_wait_for 60 "job B to finish" b_done
again=$(dt_cli --timeout 10 cancel --job crawl-a 2>>"$DT_TMP/cli.log")
[ "$(printf '%s' "$again" | awk '{print $2}')" -eq 0 ] || fail "a second cancel cancelled more: $again"
rc=0; dt_cli --timeout 5 cancel >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "cancel without --job exited $rc, expected 2"
# Reusing a job id with other URLs is refused, not mistaken for a resend and dropped.
rc=0; dt_cli --timeout 5 submit --job crawl-b "$DT_HTTP/page/999" >/dev/null 2>"$DT_TMP/conflict.err" || rc=$?
[ "$rc" -eq 4 ] || fail "reusing job crawl-b with other URLs exited $rc, expected 4"
grep -q CONFLICT "$DT_TMP/conflict.err" || fail "no CONFLICT message: $(cat "$DT_TMP/conflict.err")"
dt_say "PASS"
