#!/usr/bin/env bash
# cli_errors.sh - bad input, an unreachable master and bad flags fail fast with a clear message and submit nothing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init cli_errors

# expect NAME WANT_RC REGEX CMD...: runs CMD (stdout in NAME.out, stderr in NAME.log) and fails the
# test unless it exits WANT_RC ("nonzero" for any failure) and its output matches REGEX
# (extended, case-insensitive; "" for any). Sets MS to its wall time in milliseconds. A command
# that hangs is stopped after 30 s.
expect() {
  local name=$1 want=$2 re=$3 rc
  shift 3
  dt_run_timed MS rc timeout 30 "$@" >"$DT_TMP/$name.out" 2>"$DT_TMP/$name.log"
  [ "$rc" -ne 124 ] || fail "$name: '$*' still running after 30 s"
  if [ "$want" = nonzero ]; then
    [ "$rc" -ne 0 ] || fail "$name: '$*' exited 0, expected a failure"
  else
    [ "$rc" -eq "$want" ] || fail "$name: '$*' exited $rc, expected $want"
  fi
  if [ -n "$re" ] && ! cat "$DT_TMP/$name.out" "$DT_TMP/$name.log" | grep -qiE -- "$re"; then
    fail "$name: output of '$*' does not say /$re/: $(head -c 300 "$DT_TMP/$name.log")"
  fi
}

dtask=$DTASK_BIN/dtask

# --help and --version work on every binary, without a master.
for b in dtask dtask-master dtask-worker; do
  expect "$b-help" 0 "usage" "$DTASK_BIN/$b" --help
  [ -s "$DT_TMP/$b-help.out" ] || fail "$b --help printed nothing on stdout"
  expect "$b-version" 0 "[0-9]+\.[0-9]+\.[0-9]+" "$DTASK_BIN/$b" --version
  [ -s "$DT_TMP/$b-version.out" ] || fail "$b --version printed nothing on stdout"
  expect "$b-bogus-flag" nonzero "--bogus|usage|unknown|unrecognized" "$DTASK_BIN/$b" --bogus
done

# A master flag out of range is exit 2 with its range, before anything is opened.
expect master-window-small 2 "--window.*256" "$DTASK_BIN/dtask-master" --data "$DT_TMP/w" --window 5
expect master-window-text 2 "--window.*'lots'" "$DTASK_BIN/dtask-master" --data "$DT_TMP/w" --window lots
expect master-host-limit-text 2 "--host-limit.*'polite'" "$DTASK_BIN/dtask-master" --memory --host-limit polite
expect master-host-limit-big 2 "--host-limit.*0\.\.4096" "$DTASK_BIN/dtask-master" --memory --host-limit 5000
[ ! -e "$DT_TMP/w" ] || fail "dtask-master created its data directory despite a bad flag"

dt_master_start --memory
dt_say "master at $DT_MASTER"

# Bad usage is exit 2 with a message, before anything is sent.
expect unknown-global-flag 2 "--bogus|usage|unknown|unrecognized" "$dtask" --master "$DT_MASTER" --bogus status
expect unknown-command-flag 2 "--bogus|usage|unknown|unrecognized" "$dtask" --master "$DT_MASTER" status --bogus
expect unknown-command 2 "frobnicate|usage|unknown" "$dtask" --master "$DT_MASTER" frobnicate
expect no-command 2 "usage|command" "$dtask" --master "$DT_MASTER"
expect submit-nothing 2 "usage|url|file" "$dtask" --master "$DT_MASTER" submit

# Invalid URLs: one bad URL refuses the whole submission.
expect bad-scheme 2 "ftp://x|scheme" "$dtask" --master "$DT_MASTER" submit ftp://x
expect not-a-url 2 "not a url|scheme|url" "$dtask" --master "$DT_MASTER" submit "not a url"
expect one-bad-of-two 2 "ftp://x|scheme" "$dtask" --master "$DT_MASTER" submit http://127.0.0.1:9/ok ftp://x
# dtask crawl checks its seeds and flags before it sends anything.
expect crawl-no-seed 2 "no seed" "$dtask" --master "$DT_MASTER" crawl
expect crawl-bad-seed 2 "seed 1.*scheme" "$dtask" --master "$DT_MASTER" crawl ftp://x
expect crawl-bad-scope 2 "--scope.*'site'" "$dtask" --master "$DT_MASTER" crawl --scope site http://127.0.0.1:9/
expect crawl-bad-depth 2 "--depth.*'-1'" "$dtask" --master "$DT_MASTER" crawl --depth -1 http://127.0.0.1:9/
expect crawl-zero-pages 2 "--max-pages" "$dtask" --master "$DT_MASTER" crawl --max-pages 0 http://127.0.0.1:9/
printf 'http://127.0.0.1:9/a\n# a comment\nhttp://127.0.0.1:9/b\nftp://x\n' >"$DT_TMP/bad-urls.txt"
expect bad-file 2 "ftp://x|scheme|line" "$dtask" --master "$DT_MASTER" submit -f "$DT_TMP/bad-urls.txt"
expect bad-stdin 2 "scheme|url" "$dtask" --master "$DT_MASTER" submit -f - <<<"gopher://127.0.0.1/x"
expect missing-file nonzero "no-such-file|no such file" \
  "$dtask" --master "$DT_MASTER" submit -f "$DT_TMP/no-such-file.txt"

submitted=$(dt_status_json | dt_json 'd["submitted"]')
[ "$submitted" = "0" ] || fail "rejected submissions reached the master: submitted = $submitted"

# DTASK_MASTER is the default endpoint.
DTASK_MASTER=$DT_MASTER expect env-master 0 "" "$dtask" --timeout 5 status --json
[ "$(dt_json 'd["submitted"]' <"$DT_TMP/env-master.out")" = "0" ] || fail "status via DTASK_MASTER is wrong"

# An unreachable master is a clear error (exit 3) once --timeout has passed, not a hang.
closed=$(dt_free_port)
for cmd in status "submit http://127.0.0.1:9/x"; do
  # shellcheck disable=SC2086 # cmd is split into the command and its argument on purpose
  expect "unreachable-${cmd%% *}" 3 "unreachable|no reply|timed? ?out|127\.0\.0\.1:$closed" \
    "$dtask" --master "tcp://127.0.0.1:$closed" --timeout 2 $cmd
  [ "$MS" -le 4000 ] || fail "dtask $cmd against a closed port took $MS ms with --timeout 2"
  dt_say "unreachable master: dtask $cmd gave up after $MS ms"
done

# A URL with a scheme but no host says the host is missing; other wrong shapes say what is wrong.
expect no-host 2 "no host" "$dtask" --master "$DT_MASTER" submit http://
expect no-host-s 2 "no host" "$dtask" --master "$DT_MASTER" submit https:///path
grep -qi "scheme" "$DT_TMP/no-host.log" && fail "http:// is blamed on its scheme: $(cat "$DT_TMP/no-host.log")"
expect not-absolute 2 "must start with http:// or https://" "$dtask" --master "$DT_MASTER" submit www.example.com
expect bad-port 2 "bad port" "$dtask" --master "$DT_MASTER" submit http://127.0.0.1:99999/

# --timeout 0 is refused with the range it must be in.
expect timeout-zero 2 "--timeout: '0' is not a number of seconds \(0 < s <= 86400\)" \
  "$dtask" --master "$DT_MASTER" --timeout 0 status

# A malformed endpoint is bad usage (exit 2) everywhere, naming it and the form expected.
form="'bogus' is not an endpoint: expected tcp://HOST:PORT"
expect cli-bad-master 2 "--master: $form" "$dtask" --master bogus status
DTASK_MASTER=bogus expect cli-bad-env-master 2 "DTASK_MASTER: $form" "$dtask" status
expect worker-bad-master 2 "--master: $form" "$DTASK_BIN/dtask-worker" --master bogus
expect master-bad-bind 2 "--bind: $form" "$DTASK_BIN/dtask-master" --memory --bind bogus
expect cli-bad-port 2 "port" "$dtask" --master tcp://127.0.0.1:http status

submitted=$(dt_status_json | dt_json 'd["submitted"]')
[ "$submitted" = "0" ] || fail "rejected submissions reached the master: submitted = $submitted"

# results --broken: failed tasks and HTTP statuses of 400 or more, nothing else.
dt_httpd_start
dt_worker_start cli-w1 --concurrency 4 --timeout 5
cat >"$DT_TMP/links.txt" <<LINKS
$DT_HTTP/status/200
$DT_HTTP/status/404
$DT_HTTP/status/410
$DT_HTTP/status/500
$DT_HTTP/redirect/1
http://127.0.0.1:$closed/nobody-listens
LINKS
expect links-wait 0 "" "$dtask" --master "$DT_MASTER" submit --wait --job links -f "$DT_TMP/links.txt"
expect links-broken 0 "" "$dtask" --master "$DT_MASTER" results --job links --broken
"$DT_PYTHON" - "$DT_TMP/links-broken.out" <<'PY' || fail "results --broken is wrong"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = sorted((r["url"].split("/", 3)[3], r["state"], r["http_status"]) for r in rs)
want = sorted([("status/404", "done", 404), ("status/410", "done", 410),
               ("status/500", "failed", 500), ("nobody-listens", "failed", None)])
if got != want:
    print("got %r\nwant %r" % (got, want))
    sys.exit(1)
PY

# Interrupting submit --wait says how to resume; while the master is down the progress line says
# so. The CLI runs with its stderr on a pty (the progress line is drawn only on a terminal), against
# a master of its own with no worker, so the task stays unfinished.
port2=$(dt_free_port)
dt_spawn master-wait "$DTASK_BIN/dtask-master" --bind "tcp://127.0.0.1:$port2" --memory
dt_wait_for 15 "the second master to listen" dt_listening "$DT_LAST_PID" "$port2"
tty_out="$DT_TMP/tty.out"
dt_spawn tty "$DT_PYTHON" "$DTASK_TESTS/integration/tty_stderr.py" "$tty_out" "$DT_TMP/tty.pid" \
  "$dtask" --master "tcp://127.0.0.1:$port2" --timeout 3 submit --wait --job waitjob "$DT_HTTP/status/200"
dt_wait_for 30 "submit --wait to be accepted" grep -q "accepted 1 tasks" "$tty_out"
dt_wait_for 30 "the progress line" grep -q "0/1 done" "$tty_out"
mpid=$(dt_pid_of master-wait)
kill -KILL "$mpid"
wait "$mpid" 2>/dev/null || true
dt_wait_for 60 "the progress line to say the master is unreachable" \
  grep -qE "0/1 done[^"$'\r'"]* - master unreachable, retrying" "$tty_out"
kill -INT "$(cat "$DT_TMP/tty.pid")"
dt_wait_exit tty 30
[ "$DT_EXIT" -eq 130 ] || fail "interrupted submit --wait exited $DT_EXIT, expected 130"
grep -q "dtask results --job waitjob --follow" "$tty_out" ||
  fail "interrupted submit --wait does not say how to resume: $(tr '\r' '\n' <"$tty_out" | tail -5)"
dt_say "cli rough edges: no-host, timeout 0, endpoints, --broken, interrupt and outage messages"
