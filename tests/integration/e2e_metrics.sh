#!/usr/bin/env bash
# e2e_metrics.sh - a real Prometheus scrapes dtask-master --http during a 2,000-URL job: PromQL sees 2000 done, promtool accepts the exposition.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_metrics

for tool in prometheus promtool curl; do
  command -v "$tool" >/dev/null || { dt_say "SKIP: $tool not installed (scripts/install-deps)"; exit 77; }
done

dt_httpd_start
http_port=$(dt_free_port)
dt_master_start --data "$DT_TMP/data" --http "127.0.0.1:$http_port"
metrics="http://127.0.0.1:$http_port/metrics"
serving() { curl -sf -o /dev/null --max-time 5 "$metrics"; }
dt_wait_for 15 "the master's /metrics" serving

# Prometheus on its own free port and temp storage, scraping the master every second.
prom_port=$(dt_free_port)
cat >"$DT_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dtask
    static_configs:
      - targets: ['127.0.0.1:$http_port']
EOF
promtool check config "$DT_TMP/prometheus.yml" >"$DT_TMP/promtool-config.log" 2>&1 ||
  fail "promtool rejects the generated config: $(cat "$DT_TMP/promtool-config.log")"
dt_spawn prometheus prometheus --config.file "$DT_TMP/prometheus.yml" \
  --storage.tsdb.path "$DT_TMP/tsdb" --web.listen-address "127.0.0.1:$prom_port"
prom="http://127.0.0.1:$prom_port"

# query EXPR: prints the value of an instant PromQL query with one result ("" when none).
query() {
  curl -sf --max-time 5 -G "$prom/api/v1/query" --data-urlencode "query=$1" | dt_json \
    '(d["data"]["result"][0]["value"][1] if d["status"] == "success" and d["data"]["result"] else "")'
}
scraped() { [ "$(query 'up{job="dtask"}' 2>/dev/null)" = 1 ]; }
dt_wait_for 60 "Prometheus to scrape the master once" scraped

# A job slow enough (2,000 x 20 ms over 8 fetches at once: about 5 s) to be scraped while it runs;
# the scrape above, before the submit, saw 0 done.
dt_worker_start m-w1 --concurrency 8
dt_wait_for 15 "the worker to register" dt_workers_registered 1
urls="$DT_TMP/urls.txt"
for ((i = 0; i < 2000; i++)); do echo "$DT_HTTP/slow/20?n=$i"; done >"$urls"
dt_cli --timeout 10 submit --job metrics -f "$urls" --wait >"$DT_TMP/results.jsonl" 2>>"$DT_TMP/cli.log" ||
  fail "submit --wait failed"
[ "$(dt_count_results "$DT_TMP/results.jsonl")" -eq 2000 ] || fail "not 2000 results"

done_2000() { [ "$(query dtask_tasks_done_total 2>/dev/null)" = 2000 ]; }
dt_wait_for 30 "PromQL dtask_tasks_done_total to be 2000" done_2000
dt_say "PromQL: dtask_tasks_done_total = $(query dtask_tasks_done_total)"
[ "$(query 'min_over_time(dtask_tasks_done_total[10m])')" = 0 ] || fail "no scrape before the job"
[ "$(query 'dtask_worker_done_total{worker="m-w1"}')" = 2000 ] || fail "the worker's series is not 2000"
[ "$(query dtask_tasks_submitted_total)" = 2000 ] || fail "submitted is not 2000"
[ "$(query dtask_workers_connected)" = 1 ] || fail "workers_connected is not 1"
commits=$(query dtask_store_commit_seconds_count)
[ "${commits:-0}" -gt 0 ] || fail "no store commit was timed"
samples=$(query 'count_over_time(dtask_tasks_done_total[10m])')
dt_say "commits timed: $commits, samples of done: $samples"
[ "$samples" -ge 3 ] || fail "only $samples scrapes"

# The exposition itself passes promtool's checks (names, types, histogram, escaping).
curl -sf --max-time 5 "$metrics" >"$DT_TMP/metrics.txt" || fail "GET /metrics failed"
promtool check metrics <"$DT_TMP/metrics.txt" >"$DT_TMP/promtool-metrics.log" 2>&1 ||
  fail "promtool check metrics: $(cat "$DT_TMP/promtool-metrics.log")"
grep -q '^dtask_store_commit_seconds_bucket{le="+Inf"} ' "$DT_TMP/metrics.txt" || fail "no +Inf bucket"
grep -q '^dtask_build_info{version="' "$DT_TMP/metrics.txt" || fail "no build info"

# /api/status says the same as the CLI once the job is over.
api=$(curl -sf --max-time 5 "http://127.0.0.1:$http_port/api/status") || fail "GET /api/status failed"
cli=$(dt_status_json)
for k in submitted done failed pending inflight delayed; do
  a=$(printf '%s' "$api" | dt_json "d[\"$k\"]")
  c=$(printf '%s' "$cli" | dt_json "d[\"$k\"]")
  [ "$a" = "$c" ] || fail "/api/status $k=$a, dtask status $k=$c"
done
points=$(curl -sf --max-time 5 "http://127.0.0.1:$http_port/api/history" | dt_json 'len(d["points"])')
[ "$points" -ge 3 ] || fail "/api/history has $points points"
dt_say "PASS"
