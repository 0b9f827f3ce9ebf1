#!/usr/bin/env bash
# e2e_host_limit.sh - --host-limit: however many workers and fetch slots, no more than N requests go
# to one host at once, while another host's tasks go on.
#
# Two host names for the one test server on 127.0.0.1: "127.0.0.1" and "127.1" (the same address
# in IPv4's short form), 60 slow pages (100 ms) each, two workers with 16 fetch slots each. Each
# URL says in its query which host name it used (g=), and the test server records per g the most
# requests it had in progress at once. With --host-limit 3 neither host ever sees more than 3; the
# same crawl without the limit, first, shows that the workers would have sent more.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_host_limit

dt_httpd_start
short="http://127.1:$DT_HTTP_PORT"
urls="$DT_TMP/urls.txt"

# crawl TAG MASTER_ARGS...: one crawl of 60 pages per host; prints the server's peaks for it.
crawl() {
  local tag=$1
  shift
  local master_pid
  dt_master_start --memory "$@"
  master_pid=$DT_LAST_PID
  dt_worker_start "$tag-w1" --concurrency 16 --timeout 10
  dt_worker_start "$tag-w2" --concurrency 16 --timeout 10
  for ((i = 0; i < 60; i++)); do
    echo "$DT_HTTP/slow/100?g=$tag-long&i=$i"
    echo "$short/slow/100?g=$tag-short&i=$i"
  done >"$urls"
  timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" --timeout 10 submit --wait -f "$urls" \
    >"$DT_TMP/$tag.jsonl" 2>>"$DT_TMP/cli.log" || fail "$tag: dtask submit --wait failed"
  [ "$(grep -c '"http_status":200' "$DT_TMP/$tag.jsonl")" -eq 120 ] || fail "$tag: not 120 pages done"
  dt_stop_pid "$(dt_pid_of "$tag-w1")"
  dt_stop_pid "$(dt_pid_of "$tag-w2")"
  dt_stop_pid "$master_pid"
}

peaks() { # peaks TAG: the server's peaks for one crawl's two host names, as JSON
  curl -fsS "$DT_HTTP/peaks" | "$DT_PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
print(json.dumps({k: v for k, v in d.items() if k.startswith(sys.argv[1] + "-")}))' "$1" \
    || fail "GET /peaks failed"
}

crawl free
free=$(peaks free)
dt_say "without a limit: $free"
[ "$(printf '%s' "$free" | dt_json 'max(d.values()) > 3')" = "true" ] \
  || fail "without a limit the workers never had more than 3 requests at one host: $free"

crawl limited --host-limit 3
limited=$(peaks limited)
dt_say "with --host-limit 3: $limited"
[ "$(printf '%s' "$limited" | dt_json 'len(d) == 2 and max(d.values()) <= 3')" = "true" ] \
  || fail "--host-limit 3: a host had more than 3 requests at once: $limited"
dt_say "ok"
