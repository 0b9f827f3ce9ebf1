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
