#!/usr/bin/env bash
# e2e_backpressure_cut.sh - chunks of unequal size under --max-pending: the CLI learns the limit from its largest chunk, so no chunk is refused TOO_BIG once part of a job is in.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dt_init e2e_backpressure_cut

dt_master_start --memory --max-pending 500

# 400 URLs of 8,000 bytes, then 1,000 short ones. Chunks are cut at 4,096 URLs or 3 MiB, so the
# first holds only the ~390 long URLs that fit 3 MiB, and the second the rest: ~1,010 URLs, over the
# limit of 500. Sent first and alone, the first chunk would fit and be accepted, and the second
# would then be refused TOO_BIG with part of the job already in.
urls="$DT_TMP/urls.txt"
pad=$(head -c 7950 /dev/zero | tr '\0' 'x')
{
  for ((i = 0; i < 400; i++)); do echo "http://127.0.0.1:9/long/$i?p=$pad"; done
  for ((i = 0; i < 1000; i++)); do echo "http://127.0.0.1:9/short/$i"; done
} >"$urls"

submitted() { dt_status_json | dt_json 'd["submitted"]'; }

# No worker: the queue fills at 500. The CLI must cut its chunks to 500 and stop at a full queue
# (exit 4, how many were accepted), never be refused TOO_BIG.
rc=0
dt_cli --timeout 10 -v submit --no-wait-room --job cut1 -f "$urls" >/dev/null 2>"$DT_TMP/cut.err" || rc=$?
grep -q 'master refused' "$DT_TMP/cut.err" &&
  fail "a chunk was refused after part of the job was accepted: $(grep 'master refused' "$DT_TMP/cut.err")"
[ "$rc" -eq 4 ] || fail "1,400 URLs into --max-pending 500 with --no-wait-room exited $rc, expected 4"
grep -q 'queue is full.*accepted 500 of 1400 tasks under job cut1' "$DT_TMP/cut.err" ||
  fail "no 'accepted 500 of 1400 ... job cut1' message: $(cat "$DT_TMP/cut.err")"
[ "$(submitted)" -eq 500 ] || fail "the queue holds $(submitted) tasks, expected 500"

# The rest goes in by running the same submit again under the job id while a worker drains the
# queue: every URL ends with exactly one result.
dt_worker_start cut-w1 --handler noop --concurrency 16
results="$DT_TMP/results.jsonl"
dt_spawn_to rest "$results" timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --wait --job cut1 -f "$urls"
dt_wait_exit rest 110
[ "$DT_EXIT" -eq 0 ] || fail "submit --wait --job cut1 exited $DT_EXIT: $(tail -n 5 "$DT_TMP/rest.log")"
"$DT_PYTHON" - "$urls" "$results" <<'EOF' || fail "results of job cut1 do not match its URLs"
import json, sys
urls = [line.strip() for line in open(sys.argv[1]) if line.strip()]
seen = {}
for line in open(sys.argv[2]):
    if line.startswith("{"):
        r = json.loads(line)
        seen[r["url"]] = seen.get(r["url"], 0) + 1
bad = [u for u in urls if seen.get(u) != 1]
extra = set(seen) - set(urls)
if bad or extra:
    print(f"{len(bad)} URLs without exactly one result, {len(extra)} unexpected", file=sys.stderr)
    sys.exit(1)
EOF
[ "$(submitted)" -eq 1400 ] || fail "submitted=$(submitted), expected 1400 (nothing added twice)"
dt_say "PASS"
