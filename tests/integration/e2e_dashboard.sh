#!/usr/bin/env bash
# e2e_dashboard.sh - headless Chromium opens dtask-master's dashboard during a job: the chart moves, and the numbers it shows match `dtask status --json` mid-job (the job frozen) and at the end; screenshots are kept.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_dashboard

# Debian's chromium, chromium-driver and python3-selenium (scripts/install-deps).
SEL_PYTHON=/usr/bin/python3
for f in /usr/bin/chromium /usr/bin/chromedriver "$SEL_PYTHON"; do
  [ -x "$f" ] || { dt_say "SKIP: $f not installed (scripts/install-deps)"; exit 77; }
done
"$SEL_PYTHON" -c 'import selenium' 2>/dev/null || { dt_say "SKIP: python3-selenium not installed"; exit 77; }
# Screenshots go next to the test logs (the build's tests/ directory under ctest).
SHOTS=${DTASK_TOOLS:-$DT_TMP}

dt_httpd_start
http_port=$(dt_free_port)
# A long liveness keeps the frozen worker listed while the page is read.
dt_master_start --data "$DT_TMP/data" --http "127.0.0.1:$http_port" --liveness 60
up() { curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$http_port/api/status"; }
dt_wait_for 15 "the master's /api/status" up

# The job is queued before any worker, so the page first sees it untouched.
urls="$DT_TMP/urls.txt"
for ((i = 0; i < 600; i++)); do echo "$DT_HTTP/slow/20?n=$i"; done >"$urls"
dt_cli --timeout 10 submit --job dash -f "$urls" >/dev/null 2>>"$DT_TMP/cli.log" || fail "submit failed"

sync="$DT_TMP/sync"
mkdir -p "$sync"
dt_spawn browser "$SEL_PYTHON" "$DTASK_TESTS/integration/dashboard_check.py" \
  "http://127.0.0.1:$http_port/" "$sync" "$SHOTS" -- "$DTASK_BIN/dtask" --master "$DT_MASTER"
page_ready() { [ -e "$sync/ready" ] || { dt_alive browser || fail "the browser check ended early"; return 1; }; }
dt_wait_for 120 "the page to load" page_ready

# Run part of the job, then freeze it (SIGSTOP) so the page can be read mid-job without a race.
dt_worker_start dash-w1 --concurrency 4
some_done() {
  local n
  n=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"]') || return 1
  [ "$n" -ge 100 ]
}
dt_wait_for 60 "100 tasks done" some_done
w1=$(dt_pid_of dash-w1)
kill -STOP "$w1"
touch "$sync/paused"
dt_say "job frozen at about $(dt_status_json | dt_json 'd["done"]') done"
checked() { [ -e "$sync/checked" ] || { dt_alive browser || fail "the browser check failed mid-job"; return 1; }; }
dt_wait_for 120 "the mid-job check" checked

# Let the job finish.
kill -CONT "$w1"
all_done() {
  local n
  n=$(dt_cli --timeout 5 status --json 2>>"$DT_TMP/cli.log" | dt_json 'd["done"] + d["failed"]') || return 1
  [ "$n" -ge 600 ]
}
dt_wait_for 120 "the job to end" all_done
touch "$sync/ended"
dt_wait_exit browser 120
[ "$DT_EXIT" = 0 ] || fail "the dashboard check failed (exit $DT_EXIT)"
for f in mid end; do
  [ -s "$SHOTS/e2e_dashboard-$f.png" ] || fail "no $f screenshot"
done
dt_say "screenshots: $SHOTS/e2e_dashboard-mid.png, $SHOTS/e2e_dashboard-end.png"
dt_say "PASS"
