#!/usr/bin/env bash
# e2e_http_input.sh - dtask-master --http refuses what it must (no or wrong token 401, unknown path 404, other methods 405, an oversized request 414/431, a foreign Host 403, more connections than its cap) and the ZeroMQ side serves a job throughout; bad --http arguments exit 2, a token file others can read exits 1.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_http_input

command -v curl >/dev/null || { dt_say "SKIP: curl not installed (scripts/install-deps)"; exit 77; }

# Refused at start, before anything is bound.
master_exit() { # master_exit ARGS...: runs dtask-master with ARGS and prints its exit code
  local rc=0
  timeout 10 "$DTASK_BIN/dtask-master" --memory --bind "tcp://127.0.0.1:$(dt_free_port)" "$@" \
    >>"$DT_TMP/refused.log" 2>&1 </dev/null || rc=$?
  echo "$rc"
}
[ "$(master_exit --http 0.0.0.0:9)" = 2 ] || fail "a non-loopback --http without a token did not exit 2"
grep -q 'without a token: give --http-token-file' "$DT_TMP/refused.log" || fail "no clear refusal"
[ "$(master_exit --http localhost:9090)" = 2 ] || fail "--http with a host name did not exit 2"
[ "$(master_exit --http 127.0.0.1:70000)" = 2 ] || fail "--http with port 70000 did not exit 2"
[ "$(master_exit --http-token-file /dev/null)" = 2 ] || fail "--http-token-file without --http did not exit 2"
token_file="$DT_TMP/token"
printf 'short\n' >"$token_file"
chmod 600 "$token_file"
[ "$(master_exit --http 127.0.0.1:0 --http-token-file "$token_file")" = 1 ] || fail "a 5-byte token was accepted"
token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
printf '%s\n' "$token" >"$token_file"
chmod 644 "$token_file"
[ "$(master_exit --http 127.0.0.1:0 --http-token-file "$token_file")" = 1 ] ||
  fail "a token file readable by others was accepted"
grep -q 'chmod 600' "$DT_TMP/refused.log" || fail "the refusal of a 0644 token file does not say chmod 600"
chmod 600 "$token_file"

# A master on loopback that still wants the token (tokens work on loopback too).
dt_httpd_start
http_port=$(dt_free_port)
dt_master_start --memory --http "127.0.0.1:$http_port" --http-token-file "$token_file"
base="http://127.0.0.1:$http_port"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
up() { [ "$(code -H "Authorization: Bearer $token" "$base/metrics")" = 200 ]; }
dt_wait_for 15 "/metrics with the token" up

# A job runs on the ZeroMQ side while the HTTP side is hammered.
dt_worker_start h-w1 --concurrency 4
urls="$DT_TMP/urls.txt"
for ((i = 0; i < 300; i++)); do echo "$DT_HTTP/slow/10?n=$i"; done >"$urls"
dt_spawn_to submit "$DT_TMP/results.jsonl" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" \
  submit --job input -f "$urls" --wait

for path in /metrics /api/status /api/history; do
  [ "$(code "$base$path")" = 401 ] || fail "$path without a token is not 401"
  [ "$(code -H "Authorization: Bearer ${token}x" "$base$path")" = 401 ] || fail "$path with a longer token is not 401"
  [ "$(code -H "Authorization: Bearer ${token%?}" "$base$path")" = 401 ] || fail "$path with a shorter token is not 401"
  [ "$(code -H "Authorization: Basic $token" "$base$path")" = 401 ] || fail "$path with Basic is not 401"
  [ "$(code -H "Authorization: Bearer $token" "$base$path")" = 200 ] || fail "$path with the token is not 200"
done
curl -s -D - -o /dev/null --max-time 5 "$base/metrics" | grep -qi '^WWW-Authenticate: Bearer' ||
  fail "a 401 without WWW-Authenticate"
[ "$(code "$base/")" = 200 ] || fail "the dashboard page (no data in it) is not served without a token"
[ "$(code -H "Authorization: Bearer $token" "$base/nope")" = 404 ] || fail "an unknown path is not 404"
[ "$(code --path-as-is -H "Authorization: Bearer $token" "$base/metrics/../etc/passwd")" = 404 ] || fail "a dotted path is not 404"
[ "$(code -X POST -d 'x=1' -H "Authorization: Bearer $token" "$base/metrics")" = 405 ] || fail "POST is not 405"
[ "$(code -X DELETE "$base/api/status")" = 405 ] || fail "DELETE is not 405"

# Requests over DT_LIMIT_HTTP_REQUEST_BYTES: a long URL, then long headers.
big=$("$DT_PYTHON" - "$http_port" <<'PY'
import socket, sys
port = int(sys.argv[1])
codes = []
for req in (b"GET /metrics?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: " + b"b" * 20000 + b"\r\n\r\n"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(req)
    except OSError:
        pass
    head = b""
    try:
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    except OSError:
        pass
    s.close()
    codes.append(head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "closed")
print(" ".join(codes))
PY
)
dt_say "oversized requests answered: $big"
for c in $big; do
  case $c in 413 | 414 | 431) ;; *) fail "an oversized request got '$c', expected 413, 414 or 431" ;; esac
done

# More idle connections from one address than DT_LIMIT_HTTP_PER_IP (16, under the total cap of
# 32): the rest are closed at once, and once ours are gone it serves again.
"$DT_PYTHON" - "$http_port" <<'PY' || fail "the connection cap test failed"
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(48):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass
# Connections over the cap are accepted and closed by the server at once; the others stay open
# until the idle timeout (10 s), so watch for less than that.
open_ = set(range(len(held)))
for s in held:
    s.setblocking(False)
end = time.monotonic() + 5
while len(open_) > 16 and time.monotonic() < end:
    for i in list(open_):
        try:
            if held[i].recv(1) == b"":
                open_.discard(i)
        except BlockingIOError:
            pass
        except OSError:
            open_.discard(i)
    time.sleep(0.05)
for s in held:
    s.close()
assert len(open_) <= 16, "%d of %d connections from one address stayed open" % (len(open_), len(held))
print("%d of %d connections refused" % (len(held) - len(open_), len(held)))
PY
dt_wait_for 15 "/metrics to serve again after the connection flood" up

# Without a token (loopback only) a request must name a loopback Host: a web page that rebinds
# its own name to 127.0.0.1 cannot read the master.
plain_port=$(dt_free_port)
dt_spawn master2 "$DTASK_BIN/dtask-master" --memory --bind "tcp://127.0.0.1:$(dt_free_port)" \
  --http "127.0.0.1:$plain_port"
plain="http://127.0.0.1:$plain_port"
plain_up() { [ "$(code "$plain/api/status")" = 200 ]; }
dt_wait_for 15 "the second master's /api/status" plain_up
[ "$(code -H 'Host: attacker.example' "$plain/api/status")" = 403 ] || fail "a foreign Host is not 403"
[ "$(code -H "Host: localhost:$plain_port" "$plain/metrics")" = 200 ] || fail "Host localhost is not 200"

# The job finished on the ZeroMQ side, and the master kept serving both sides.
dt_wait_exit submit 120
[ "$DT_EXIT" = 0 ] || fail "submit --wait exited $DT_EXIT"
[ "$(dt_count_results "$DT_TMP/results.jsonl")" -eq 300 ] || fail "not 300 results"
n=$(curl -sf --max-time 5 -H "Authorization: Bearer $token" "$base/api/status" | dt_json 'd["done"]')
[ "$n" = 300 ] || fail "/api/status says $n done"
dt_alive master || fail "the master died"
dt_say "PASS"
