#!/usr/bin/env bash
# e2e_files.sh - the master refuses keys others can read or write, keeps its data to its owner, and stops cleanly on SIGHUP.
#
# Against real processes: a secret key of mode 0644, a key directory and an allow-list directory of
# mode 0777 and a group-writable allow-list key make the master refuse to start, naming the file,
# its mode and the chmod that fixes it. A new --data is made 0700 with 0600 files even under umask
# 022; an existing --data of mode 0755 gets a warning. SIGHUP stops the master (MASTER-STOP, exit 0)
# and a worker (WORKER-BYE, exit 0) as SIGTERM does.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_files
umask 022

mode() { stat -c %a "$1"; }

# refused WHAT PATH MODE FIX ARGS...: the master with ARGS exits 1 and says PATH, MODE and FIX.
refused() {
  local what=$1 path=$2 want_mode=$3 fix=$4 rc=0
  shift 4
  timeout 20 "$DTASK_BIN/dtask-master" --bind tcp://127.0.0.1:0 --memory "$@" \
    >/dev/null 2>"$DT_TMP/refused.err" || rc=$?
  [ "$rc" -eq 1 ] || fail "$what: master exited $rc, expected 1: $(cat "$DT_TMP/refused.err")"
  grep -qF "$path has mode 0$want_mode" "$DT_TMP/refused.err" ||
    fail "$what: message does not name $path and mode 0$want_mode: $(cat "$DT_TMP/refused.err")"
  grep -qF "$fix $path" "$DT_TMP/refused.err" ||
    fail "$what: message does not give '$fix $path': $(cat "$DT_TMP/refused.err")"
}

K="$DT_TMP/keys"
kg() { "$DTASK_BIN/dtask" -q keygen "$@"; }
kg --role master --dir "$K" master
kg --role worker --dir "$K/workers" w1
kg --role client --dir "$K/clients" c1
chmod 700 "$K" "$K/workers" "$K/clients"
[ "$(mode "$K/master.key_secret")" = 600 ] || fail "keygen wrote the secret key with mode $(mode "$K/master.key_secret")"

# keygen makes its directories 0700 and public keys 0644 whatever the umask.
(umask 002 && kg --role worker --dir "$DT_TMP/kg002/sub" k)
[ "$(mode "$DT_TMP/kg002/sub")" = 700 ] || fail "keygen made its directory $(mode "$DT_TMP/kg002/sub") under umask 002"
[ "$(mode "$DT_TMP/kg002/sub/k.key")" = 644 ] || fail "keygen wrote k.key $(mode "$DT_TMP/kg002/sub/k.key") under umask 002"

# 1. Keys: each unsafe mode is refused; put back, the next one is tried.
chmod 644 "$K/master.key_secret"
refused "readable secret key" "$K/master.key_secret" 644 "chmod 600" --keys "$K"
chmod 640 "$K/master.key_secret"
refused "group-readable secret key" "$K/master.key_secret" 640 "chmod 600" --keys "$K"
chmod 600 "$K/master.key_secret"
chmod 777 "$K/workers"
refused "world-writable allow-list" "$K/workers" 777 "chmod go-w" --keys "$K"
chmod 700 "$K/workers"
chmod 775 "$K/clients"
refused "group-writable allow-list" "$K/clients" 775 "chmod go-w" --keys "$K"
chmod 700 "$K/clients"
chmod 666 "$K/workers/w1.key"
refused "writable allow-list key" "$K/workers/w1.key" 666 "chmod go-w" --keys "$K"
chmod 644 "$K/workers/w1.key"
chmod 777 "$K"
refused "world-writable key directory" "$K" 777 "chmod go-w" --keys "$K"
chmod 700 "$K"
# The worker and the CLI load secret keys through the same check.
chmod 644 "$K/workers/w1.key_secret"
rc=0
timeout 20 "$DTASK_BIN/dtask-worker" --master tcp://127.0.0.1:1 --key "$K/workers/w1.key_secret" \
  --master-key "$K/master.key" >/dev/null 2>"$DT_TMP/worker-refused.err" || rc=$?
[ "$rc" -eq 2 ] || fail "worker with a 0644 secret key exited $rc, expected 2"
grep -qF "chmod 600 $K/workers/w1.key_secret" "$DT_TMP/worker-refused.err" ||
  fail "worker refusal does not give the chmod: $(cat "$DT_TMP/worker-refused.err")"
chmod 600 "$K/workers/w1.key_secret"

# 2. An existing --data of mode 0755 is used, with a warning; SIGHUP stops the master cleanly.
mkdir -m 755 "$DT_TMP/old-data"
dt_master_start --data "$DT_TMP/old-data"
grep -q "MASTER-DATA-MODE.*old-data has mode 0755.*chmod 700" "$DT_TMP/master.log" ||
  fail "no warning about the 0755 --data"
dt_httpd_start
dt_worker_start files-w1 --concurrency 2
dt_cli submit --wait "$DT_HTTP/status/200" >"$DT_TMP/r1.jsonl" 2>>"$DT_TMP/cli.log" || fail "submit failed"
kill -HUP "$(dt_pid_of files-w1)"
dt_wait_exit files-w1 30
[ "$DT_EXIT" -eq 0 ] || fail "worker exited $DT_EXIT on SIGHUP, expected 0"
grep -q "WORKER-BYE" "$DT_TMP/files-w1.log" || fail "worker stopped on SIGHUP without WORKER-BYE"
kill -HUP "$(dt_pid_of master)"
dt_wait_exit master 30
[ "$DT_EXIT" -eq 0 ] || fail "master exited $DT_EXIT on SIGHUP, expected 0"
grep -q "MASTER-STOP" "$DT_TMP/master.log" || fail "master stopped on SIGHUP without MASTER-STOP"

# 3. A new --data is made 0700 and every file in it 0600, though our umask is 022.
mv "$DT_TMP/master.log" "$DT_TMP/master-old.log.old"
port=$(dt_free_port)
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "tcp://127.0.0.1:$port" --data "$DT_TMP/new-data"
dt_wait_for 15 "the second master to listen" dt_listening "$DT_LAST_PID" "$port"
"$DTASK_BIN/dtask" --master "tcp://127.0.0.1:$port" submit "$DT_HTTP/status/200" \
  >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit to the second master failed"
[ "$(mode "$DT_TMP/new-data")" = 700 ] || fail "--data created with mode $(mode "$DT_TMP/new-data"), expected 700"
n=0
while IFS= read -r f; do
  n=$((n + 1))
  [ "$(mode "$f")" = 600 ] || fail "$f has mode $(mode "$f"), expected 600"
done < <(find "$DT_TMP/new-data" -type f)
[ "$n" -ge 1 ] || fail "no file in the new --data"
grep -q "MASTER-DATA-MODE" "$DT_TMP/master2.log" && fail "warning about a --data the master made itself"
kill -HUP "$(dt_pid_of master2)"
dt_wait_exit master2 30
[ "$DT_EXIT" -eq 0 ] || fail "second master exited $DT_EXIT on SIGHUP, expected 0"
dt_say "keys refused with mode and fix; --data 0700/0600; SIGHUP stops master and worker with exit 0"
