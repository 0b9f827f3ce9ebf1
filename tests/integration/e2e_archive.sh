#!/usr/bin/env bash
# e2e_archive.sh - submit --save warc keeps every fetch through the master; dtask get and dtask export read it back.
#
# A real master (--data), a worker and the test HTTP server: pages of many sizes (some over the
# capture cap of a saved fetch, some incompressible so their capture is read in many GET pieces),
# binary, gzip-encoded and chunked bodies, a redirect chain, error statuses and a server that closes
# mid-body. Checks: every result names its capture (warc file, offset, length) and the payload digest
# the server's bytes have; `dtask get` gives each body as sent (the head with --headers, the records
# with --record); `dtask export` writes one standalone WARC file that warcio (npm) reads end to end,
# with exactly one response per URI; a memory-only master refuses --save warc; a master restarted
# on the same --data serves the same captures.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.sh"
dt_init e2e_archive
dt_warcio_install

# Incompressible files: their captures are as large as they are, so GET reads them in pieces.
mkdir -p "$DT_TMP/www/file"
for n in 300000 1000000 2000000; do head -c "$n" /dev/urandom >"$DT_TMP/www/file/rand$n.bin"; done
dt_httpd_start --root "$DT_TMP/www"
dt_master_start --data "$DT_TMP/data" --max-attempts 1
dt_worker_start w1 --concurrency 8
dt_wait_for 20 "the worker registered with the master" dt_workers_registered 1

paths=()
for k in 0 7 101 999; do paths+=("/page/$k"); done
for n in 0 1 1000 65536 1048576 2621440 2621441 9000000; do paths+=("/size/$n"); done
for n in 0 255 100000 2000000; do paths+=("/bin/$n"); done
for n in 0 5000 1048576; do paths+=("/gzip/$n"); done
for n in 1 70000 2000000; do paths+=("/chunked/$n"); done
for n in 300000 1000000 2000000; do paths+=("/file/rand$n.bin"); done
paths+=(/status/404 /status/204 /status/503 /redirect/3 /cut/100000)
for p in "${paths[@]}"; do echo "$DT_HTTP$p"; done >"$DT_TMP/urls.txt"

dt_say "submitting ${#paths[@]} URLs with --save warc"
rc=0
timeout 120 "$DTASK_BIN/dtask" --master "$DT_MASTER" submit --job site --save warc --wait \
  -f "$DT_TMP/urls.txt" >"$DT_TMP/results.jsonl" 2>"$DT_TMP/submit.log" || rc=$?
[ "$rc" -ne 124 ] || fail "dtask submit --wait did not finish within 120 s"
[ "$rc" -eq 0 ] || fail "dtask submit --wait exited $rc"
[ "$(dt_count_results "$DT_TMP/results.jsonl")" -eq "${#paths[@]}" ] || fail "not one result per URL"
ls "$DT_TMP/data/warc/"dtask-00001.warc.gz >/dev/null || fail "no archive file under --data/warc"

dt_archive_expected "$DT_TMP/www/file" "${paths[@]}" >"$DT_TMP/expected.json"

# Every result names its capture, whose digest is the final response's as the server sent it.
"$DT_PYTHON" - "$DT_TMP/results.jsonl" "$DT_TMP/expected.json" "$DT_HTTP" <<'PYEOF' || fail "results do not name their captures"
import json, sys
exp = json.load(open(sys.argv[2]))["responses"]
base = sys.argv[3]
seen = set()
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    w = r.get("warc")
    assert w and w["file"] == "dtask-00001.warc.gz" and w["length"] > 0, "no capture: %s" % line
    key = (w["file"], w["offset"])
    assert key not in seen, "two results share a capture: %s" % line
    seen.add(key)
    final = r["final_url"] or r["url"]
    assert r["digest"] == exp[final]["payload_sha1"], "%s: digest %s, want %s" % (
        r["url"], r["digest"], exp[final]["payload_sha1"])
print("ok")
PYEOF

# dtask get: the body as the server sent it, for a sample of every kind of body.
id_of() { "$DT_PYTHON" -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("{"):
        r = json.loads(l)
        if r["url"] == sys.argv[2]: print(r["id"])' "$DT_TMP/results.jsonl" "$DT_HTTP$1"; }
expect_body() { # PATH FILE: writes what the server sent for PATH (cut at the capture cap) to FILE
  "$DT_PYTHON" - "$DTASK_TESTS/http" "$1" "$SAVE_CAP" "$DT_TMP/www" >"$2" <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import dt_httpd
p, cap, root = sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = open(os.path.join(root, p.lstrip("/")), "rb").read() if p.startswith("/file/") else dt_httpd.expected_body(p)[1]
sys.stdout.buffer.write(body[:cap])
PYEOF
}
for p in /size/1000 /size/9000000 /bin/100000 /gzip/5000 /chunked/70000 /page/7 /file/rand2000000.bin /size/0; do
  id=$(id_of "$p")
  [ -n "$id" ] || fail "no result for $p"
  dt_cli get "$id" >"$DT_TMP/got.body" 2>>"$DT_TMP/cli.log" || fail "dtask get $id ($p) failed"
  expect_body "$p" "$DT_TMP/want.body"
  cmp -s "$DT_TMP/got.body" "$DT_TMP/want.body" ||
    fail "dtask get $id ($p): $(stat -c %s "$DT_TMP/got.body") bytes differ from the $(stat -c %s "$DT_TMP/want.body") sent"
done
[ "$(dt_cli get "$(id_of /redirect/3)")" = "done" ] || fail "dtask get of a redirect chain is not its last body"
dt_cli get --headers "$(id_of /status/404)" | head -n 1 | grep -q '^HTTP/1.1 404' ||
  fail "dtask get --headers does not start with the status line"
dt_cli get --record "$(id_of /bin/255)" | gzip -dc | grep -ac '^WARC-Type: ' | grep -qx 2 ||
  fail "dtask get --record is not the two records as gzip members"
rc=0
dt_cli get 999999 >/dev/null 2>"$DT_TMP/get.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'no stored capture' "$DT_TMP/get.err" || fail "dtask get of a task without capture: exit $rc"

# Bad usage is exit 2 and sends nothing.
for args in "get abc" "get" "get --headers --record 1" "export -o x.warc.gz" "export --job site" \
  "submit --save tar $DT_HTTP/size/1" "submit --save warc --kind square 3"; do
  rc=0
  # shellcheck disable=SC2086 # the words are the arguments
  dt_cli $args >/dev/null 2>>"$DT_TMP/usage.log" || rc=$?
  [ "$rc" -eq 2 ] || fail "dtask $args: exit $rc, want 2"
done
dt_cli export --job nosuchjob -o "$DT_TMP/none.warc.gz" 2>"$DT_TMP/nojob.err" && fail "export of an unknown job worked"
grep -q 'no such job' "$DT_TMP/nojob.err" || fail "export of an unknown job: $(cat "$DT_TMP/nojob.err")"
[ ! -e "$DT_TMP/none.warc.gz" ] && [ ! -e "$DT_TMP/none.warc.gz.part" ] || fail "a failed export left a file"

# dtask export: one standalone WARC file, read by an independent reader.
dt_cli export --job site -o "$DT_TMP/site.warc.gz" 2>"$DT_TMP/export.log" || fail "dtask export failed"
grep -q "exported ${#paths[@]} captures" "$DT_TMP/export.log" || fail "export: $(cat "$DT_TMP/export.log")"
dt_archive_check "$DT_TMP/expected.json" "$DT_TMP/site.warc.gz"
# A file name with a space: written as named; the warcinfo names it with '_'.
mkdir -p "$DT_TMP/a dir"
dt_cli export --job site -o "$DT_TMP/a dir/site copy.warc.gz" 2>>"$DT_TMP/export.log" ||
  fail "export to a path with spaces failed: $(tail -n 2 "$DT_TMP/export.log")"
gzip -dc "$DT_TMP/a dir/site copy.warc.gz" | grep -a '^WARC-Filename: site_copy.warc.gz' >/dev/null ||
  fail "export to a path with spaces: the warcinfo does not name the file"

# A job's HTTP options hold for its saved fetches: the request record shows them.
dt_cli submit --job opts --save warc -H 'X-Archive-Test: yes' --user-agent 'archiver/1' --wait \
  "$DT_HTTP/size/7" >"$DT_TMP/opts.jsonl" 2>>"$DT_TMP/cli.log" || fail "a saving job with HTTP options failed"
opts_id=$("$DT_PYTHON" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$DT_TMP/opts.jsonl")
dt_cli get --record "$opts_id" | gzip -dc >"$DT_TMP/opts.records"
grep -aq '^X-Archive-Test: yes' "$DT_TMP/opts.records" && grep -aq '^User-Agent: archiver/1' "$DT_TMP/opts.records" ||
  fail "the saved request lacks the job's header or User-Agent"

# The same job saved again under a restarted master: the file goes on in a new one, and GET reads both.
dt_stop_pid "$(dt_pid_of master)"
dt_spawn master2 "$DTASK_BIN/dtask-master" --bind "$DT_MASTER" --data "$DT_TMP/data" --max-attempts 1
dt_wait_for 15 "the master to listen again" dt_listening "$DT_LAST_PID" "$DT_MASTER_PORT"
dt_wait_for 20 "the worker registered again" dt_workers_registered 1
dt_cli get "$(id_of /size/1000)" | cmp -s - <(expect_body /size/1000 /dev/stdout) ||
  fail "a restarted master does not serve the capture"
dt_cli submit --job site2 --save warc --wait "$DT_HTTP/size/42" >"$DT_TMP/site2.jsonl" 2>>"$DT_TMP/cli.log" ||
  fail "a second saving job failed"
grep -q '"file":"dtask-00002.warc.gz"' "$DT_TMP/site2.jsonl" || fail "a restarted master appended to an old file"

# A memory-only master keeps nothing across a restart: it refuses to save, and says why.
dt_stop_pid "$(dt_pid_of master2)"
dt_master_start --memory
rc=0
dt_cli submit --save warc "$DT_HTTP/size/1" >/dev/null 2>"$DT_TMP/memory.err" || rc=$?
[ "$rc" -eq 4 ] && grep -q 'needs a master with a store' "$DT_TMP/memory.err" ||
  fail "a memory-only master took --save warc (exit $rc: $(cat "$DT_TMP/memory.err"))"
