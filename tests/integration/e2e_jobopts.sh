#!/usr/bin/env bash
# e2e_jobopts.sh - a job's HTTP options (submit --method, -H, --user-agent, --timeout, --max-bytes, --compressed) reach the
# server as asked, for that job only; bad flags exit 2; a job's options are its first chunk's (other ones: CONFLICT); a
# hand-made SUBMIT with a bad header gets a clear ERROR and the master serves on; the worker's own limits and headers still
# apply; the options survive a master restart with --data.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_jobopts

py=$DT_PYTHON
"$py" -c 'import zmq, msgpack' 2>/dev/null || py=/usr/bin/python3
reqlog="$DT_TMP/requests.jsonl"
dt_httpd_start --request-log "$reqlog"
dt_master_start --data "$DT_TMP/data" --heartbeat 200
dt_worker_start jo-w1 --concurrency 8 --header 'X-Worker: w1'

# run JOB ARGS...: submit --wait of job JOB; its result lines in $DT_TMP/JOB.jsonl.
run() {
  local job=$1 rc=0
  shift
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 submit --job "$job" --wait "$@" \
    >"$DT_TMP/$job.jsonl" 2>>"$DT_TMP/cli.log" || rc=$?
  [ "$rc" -eq 0 ] || fail "submit job $job exited $rc"
}
# check JOB PYTHON: runs PYTHON with `rs` (the job's results) and `reqs` (the server's requests whose
# query holds j=JOB); it exits non-zero with a message when something is wrong.
check() {
  "$py" - "$DT_TMP/$1.jsonl" "$reqlog" "$1" <<PY || fail "job $1: ${3:-wrong}"
import json, sys, urllib.parse
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
reqs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
reqs = [r for r in reqs if urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query).get("j") == [sys.argv[3]]]
def hdr(r, name):
    return [v for k, v in r["headers"] if k.lower() == name.lower()]
def need(cond, what):
    if not cond:
        print("job %s: %s\nresults: %s\nrequests: %s" % (sys.argv[3], what, rs, reqs)); sys.exit(1)
$2
PY
}

dt_say "method HEAD, two headers and a User-Agent reach the server; the worker's own header too"
run head --method HEAD -H 'X-Job: head' -H 'Accept-Language: fr, en;q=0.5' --user-agent 'jobbot/1 (+https://bot.test/)' \
  "$DT_HTTP/size/100?j=head" "$DT_HTTP/size/200?j=head"
check head '
need(len(rs) == 2 and all(r["state"] == "done" and r["http_status"] == 200 and r["bytes"] == 0 for r in rs), "2 HEAD results of 0 bytes")
need(len(reqs) == 2, "2 requests")
for r in reqs:
    need(r["method"] == "HEAD", "method HEAD")
    need(hdr(r, "X-Job") == ["head"] and hdr(r, "Accept-Language") == ["fr, en;q=0.5"], "the job headers")
    need(hdr(r, "User-Agent") == ["jobbot/1 (+https://bot.test/)"], "the job User-Agent")
    need(hdr(r, "X-Worker") == ["w1"], "the worker header as well")
'

dt_say "a job without options on the same worker: GET, the default User-Agent, no job header"
run plain "$DT_HTTP/size/100?j=plain"
check plain '
need(len(rs) == 1 and rs[0]["bytes"] == 100, "one result of 100 bytes")
need(len(reqs) == 1 and reqs[0]["method"] == "GET", "GET")
need(hdr(reqs[0], "User-Agent")[0].startswith("dtask/"), "User-Agent dtask/VERSION")
need(not hdr(reqs[0], "X-Job") and not hdr(reqs[0], "Accept-Encoding"), "no job header")
'

dt_say "--timeout 1: a 4 s page fails at the job's limit while a job without one waits for it"
dt_spawn_to slowjob "$DT_TMP/nolimit.jsonl" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 \
  submit --job nolimit --wait "$DT_HTTP/slow/4000?j=nolimit"
run limit --timeout 1 --max-attempts 1 "$DT_HTTP/slow/4000?j=limit"
dt_wait_exit slowjob 120
[ "$DT_EXIT" -eq 0 ] || fail "submit job nolimit exited $DT_EXIT"
check limit '
need(len(rs) == 1 and rs[0]["state"] == "failed" and "timed out" in (rs[0]["error"] or ""), "failed: timed out")
'
check nolimit '
need(len(rs) == 1 and rs[0]["state"] == "done" and rs[0]["http_status"] == 200, "done 200")
'

dt_say "--max-bytes 1K: a 5000-byte body fails, a 1000-byte one passes"
run maxb --max-bytes 1K --max-attempts 1 "$DT_HTTP/size/5000?j=maxb" "$DT_HTTP/size/1000?j=maxb"
check maxb '
by = {r["url"].split("?")[0].rsplit("/", 1)[1]: r for r in rs}
need(by["5000"]["state"] == "failed" and "1024" in (by["5000"]["error"] or ""), "5000 fails over 1024 bytes")
need(by["1000"]["state"] == "done" and by["1000"]["bytes"] == 1000, "1000 done")
'

dt_say "--compressed asks for gzip and gets the body decoded; without it the gzip bytes are counted"
run gz --compressed "$DT_HTTP/gzip/10000?j=gz"
run nogz "$DT_HTTP/gzip/10000?j=nogz"
check gz '
need(rs[0]["state"] == "done" and rs[0]["bytes"] == 10000, "10000 bytes decoded")
need(hdr(reqs[0], "Accept-Encoding"), "Accept-Encoding sent")
'
check nogz '
need(rs[0]["state"] == "done" and 0 < rs[0]["bytes"] < 10000, "the compressed bytes")
need(not hdr(reqs[0], "Accept-Encoding"), "no Accept-Encoding")
'

dt_say "more headers than fit with the worker's own: each task fails with the reason, nothing is sent"
hs=()
for ((i = 0; i < 32; i++)); do hs+=(-H "X-H$i: $i"); done
run toomany "${hs[@]}" --max-attempts 1 "$DT_HTTP/size/10?j=toomany"
check toomany '
need(rs[0]["state"] == "failed" and "job HTTP options" in rs[0]["error"] and "32 headers" in rs[0]["error"], "refused by the worker")
need(not reqs, "never sent")
'

dt_say "bad flags exit 2 and send nothing"
bad() {
  local rc=0
  dt_cli --timeout 5 submit --job badflags "$@" "$DT_HTTP/size/1?j=bad" >/dev/null 2>"$DT_TMP/bad.err" || rc=$?
  [ "$rc" -eq 2 ] || fail "submit $* exited $rc, not 2"
}
bad -H $'X-Evil: a\r\nInjected: 1'
grep -q -- '--header: header value holds a control character' "$DT_TMP/bad.err" || fail "CR in a header: $(cat "$DT_TMP/bad.err")"
bad -H 'Bad Name: x'
grep -q -- '--header: header name' "$DT_TMP/bad.err" || fail "space in a name: $(cat "$DT_TMP/bad.err")"
bad --method POST
grep -q -- '--method: GET or HEAD' "$DT_TMP/bad.err" || fail "POST: $(cat "$DT_TMP/bad.err")"
bad --user-agent "$(printf 'u%.0s' $(seq 513))"
grep -q -- '--user-agent: User-Agent must be 1 to 512 bytes' "$DT_TMP/bad.err" || fail "long UA: $(cat "$DT_TMP/bad.err")"
bad --max-bytes 0
bad --timeout 0
bad --kind square -H 'X: y'
dt_cli --timeout 5 status --job badflags >/dev/null 2>&1 && fail "a refused submit created job badflags"

dt_say "a job's options are its first chunk's: an append with others is CONFLICT, with the same ones accepted"
rc=0
dt_cli --timeout 10 submit --job head --append --method HEAD -H 'X-Job: other' "$DT_HTTP/size/1?j=head2" \
  >/dev/null 2>"$DT_TMP/conflict.err" || rc=$?
[ "$rc" -eq 4 ] || fail "append with other options exited $rc, not 4"
grep -q 'CONFLICT.*job head was submitted with other HTTP options' "$DT_TMP/conflict.err" \
  || fail "conflict: $(cat "$DT_TMP/conflict.err")"
rc=0
dt_cli --timeout 10 submit --job plain --append -H 'X-Job: late' "$DT_HTTP/size/1?j=plain2" \
  >/dev/null 2>"$DT_TMP/conflict.err" || rc=$?
[ "$rc" -eq 4 ] && grep -q 'submitted with no HTTP options' "$DT_TMP/conflict.err" \
  || fail "options on a job without: $rc $(cat "$DT_TMP/conflict.err")"
dt_cli --timeout 10 submit --job head --append --method HEAD -H 'X-Job: head' -H 'Accept-Language: fr, en;q=0.5' \
  --user-agent 'jobbot/1 (+https://bot.test/)' "$DT_HTTP/size/1?j=head3" >/dev/null 2>>"$DT_TMP/cli.log" \
  || fail "append with the same options refused"

dt_say "hand-made SUBMITs with bad options get a clear ERROR; the master serves on"
"$py" - "$DT_MASTER" <<'PY' || fail "hand-made SUBMIT"
import msgpack, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
def submit(req, h):
    # The last fields are the crawl tuple and host_delay_ms (0: the master's).
    s.send(msgpack.packb([4, 7, req, "handmade", 0, 0, "", 0, 0, 0, 0, [b"http://127.0.0.1:1/x"], h, [0, "", 0, 0], 0],
                       use_bin_type=True))
    if not s.poll(10000):
        print("no reply to req %d" % req); sys.exit(1)
    return msgpack.unpackb(s.recv(), raw=False)
cases = [
    (1, [0, 0, 0, 0, 0, "bot\r\nX-Injected: 1", ""], 1, "User-Agent holds a control character"),
    (2, [0, 0, 0, 0, 0, "", "X-A: 1\nBad Name: 2"], 1, "header 2: header name"),
    (3, [0, 0, 0, 0, 0, "", "X-A: 1\n"], 1, "header 2: header must be"),
    (4, [3, 0, 0, 0, 0, "", ""], 1, ""),          # method 3: the codec refuses it
    (5, [0, 0, 0, 0, 0, "u" * 513, ""], 3, ""),   # over its cap: TOO_BIG
]
for req, h, code, text in cases:
    m = submit(req, h)
    if m[1] != 15 or m[2] != req or m[3] != code or text not in m[4]:
        print("req %d: %r" % (req, m)); sys.exit(1)
PY
dt_cli --timeout 5 status >/dev/null 2>>"$DT_TMP/cli.log" || fail "the master stopped serving"
dt_cli --timeout 5 status --job handmade >/dev/null 2>&1 && fail "a refused SUBMIT created its job"

dt_say "a master restart with --data keeps the job's options for its tasks still to run"
dt_stop_pid "$(dt_pid_of jo-w1)"
for ((i = 0; i < 6; i++)); do echo "$DT_HTTP/size/$((10 + i))?j=restart"; done >"$DT_TMP/restart.txt"
dt_cli --timeout 10 submit --job restart -f "$DT_TMP/restart.txt" -H 'X-Restart: yes' --user-agent restartbot \
  --method HEAD >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit restart"
pid=$(dt_pid_of master)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" --data "$DT_TMP/data" --heartbeat 200
dt_wait_for 15 "master2 to listen" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
dt_worker_start jo-w2 --concurrency 4
restart_done() { [ "$(dt_cli --timeout 5 status --json --job restart 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]')" = 6 ]; }
dt_wait_for 60 "job restart done" restart_done
dt_cli --timeout 10 results --job restart >"$DT_TMP/restart.jsonl" 2>>"$DT_TMP/cli.log" || fail "results --job restart"
check restart '
need(len(rs) == 6 and all(r["state"] == "done" and r["bytes"] == 0 for r in rs), "6 HEAD results")
need(len(reqs) == 6, "6 requests")
for r in reqs:
    need(r["method"] == "HEAD" and hdr(r, "X-Restart") == ["yes"] and hdr(r, "User-Agent") == ["restartbot"], "options kept")
'
dt_say "ok"
