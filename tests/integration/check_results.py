#!/usr/bin/env python3
"""check_results.py - checks dtask's JSON result lines against what dt_httpd.py must have served.

Usage: check_results.py --urls FILE --results FILE [--failed REGEX] [--workers a,b,c]

Every URL in --urls (one a line, all distinct) must have exactly one result line, and no result may
name a URL that was not submitted. A URL matching --failed must be state "failed" with an error
string; any other URL must be state "done" with the status, byte count, final URL and content type
that dt_httpd.expected_body() gives for its path. With --workers, each listed worker must appear in
some result's `worker` field. Lines that are not JSON objects are reported but do not fail the check
(the CLI may print a summary line). Exits 0 when everything matches, 1 otherwise.
"""

import argparse
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import dt_httpd  # noqa: E402

FIELDS = {
    "id": int,
    "kind": str,
    "url": str,
    "final_url": str,
    "state": str,
    "http_status": (int, type(None)),
    "bytes": int,
    "content_type": (str, type(None)),
    "elapsed_ms": int,
    "attempts": int,
    "worker": (str, type(None)),
    "error": (str, type(None)),
}

MAX_SHOWN = 20  # problems printed in full; the rest are only counted


def expected_ctype(path):
    if path.startswith("/page/"):
        return "text/html"
    if path.startswith(("/size/", "/status/", "/redirect/", "/slow/", "/flaky/", "/fail/")):
        return "text/plain"
    return None


def check_one(r, failed_re):
    """Problems with one result object whose url was submitted, as a list of strings."""
    probs = []
    for k, t in FIELDS.items():
        if k not in r:
            probs.append("missing field %r" % k)
        elif not isinstance(r[k], t) or (t is int and isinstance(r[k], bool)):
            probs.append("field %r has type %s" % (k, type(r[k]).__name__))
    if probs:
        return probs
    url = r["url"]
    parts = urllib.parse.urlsplit(url)
    if r["attempts"] < 1:
        probs.append("attempts %d < 1" % r["attempts"])
    if r["elapsed_ms"] < 0:
        probs.append("elapsed_ms %d < 0" % r["elapsed_ms"])
    if failed_re and failed_re.search(url):
        if r["state"] != "failed":
            probs.append("state %r, expected 'failed'" % r["state"])
        if not r["error"]:
            probs.append("failed result without an error string")
        return probs
    if r["state"] != "done":
        return ["state %r (error %r), expected 'done'" % (r["state"], r["error"])]
    if r["error"] is not None:
        probs.append("error %r on a done result, expected null" % r["error"])
    exp = dt_httpd.expected_body(parts.path)
    if exp is None:
        return probs
    status, body = exp
    if r["http_status"] != status:
        probs.append("http_status %r, expected %d" % (r["http_status"], status))
    if r["bytes"] != len(body):
        probs.append("bytes %d, expected %d" % (r["bytes"], len(body)))
    want_final = url
    if parts.path.startswith("/redirect/"):
        want_final = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/redirect/0", "", ""))
    if r["final_url"] != want_final:
        probs.append("final_url %r, expected %r" % (r["final_url"], want_final))
    ctype = expected_ctype(parts.path)
    got = (r["content_type"] or "").split(";")[0].strip()
    if ctype and got != ctype:
        probs.append("content_type %r, expected %s" % (r["content_type"], ctype))
    if not r["worker"]:
        probs.append("no worker named on a done result")
    return probs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--failed", help="regex of URLs that must end failed")
    ap.add_argument("--workers", help="comma-separated worker names that must all appear")
    args = ap.parse_args()

    with open(args.urls) as f:
        urls = [u.strip() for u in f if u.strip() and not u.startswith("#")]
    want = set(urls)
    if len(want) != len(urls):
        print("check_results: the URL list has duplicates; the check needs distinct URLs")
        return 1
    failed_re = re.compile(args.failed) if args.failed else None

    problems = []
    by_url = {}
    ids = set()
    workers = {}
    states = {}
    other_lines = 0
    with open(args.results, errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                r = None
            if not isinstance(r, dict):
                other_lines += 1
                if other_lines <= 3:
                    print("check_results: note: line %d is not a JSON object: %.120s" % (n, line))
                continue
            url = r.get("url")
            if url not in want:
                problems.append("line %d: result for a URL never submitted: %.200s" % (n, url))
                continue
            by_url.setdefault(url, []).append(r)
            if r.get("id") in ids:
                problems.append("line %d: id %r appears twice" % (n, r.get("id")))
            ids.add(r.get("id"))
            states[r.get("state")] = states.get(r.get("state"), 0) + 1
            if isinstance(r.get("worker"), str) and r["worker"]:
                workers[r["worker"]] = workers.get(r["worker"], 0) + 1
            for p in check_one(r, failed_re):
                problems.append("%s: %s" % (url, p))

    missing = [u for u in urls if u not in by_url]
    for u in missing:
        problems.append("%s: no result" % u)
    for u, rs in by_url.items():
        if len(rs) > 1:
            problems.append("%s: %d results, expected exactly one" % (u, len(rs)))
    if args.workers:
        for w in args.workers.split(","):
            if w not in workers:
                problems.append("worker %s appears in no result" % w)

    print(
        "check_results: %d URLs, %d with a result, %d missing; states %s; workers %s"
        % (len(urls), len(by_url), len(missing), json.dumps(states, sort_keys=True),
           json.dumps(workers, sort_keys=True))
    )
    for p in problems[:MAX_SHOWN]:
        print("check_results: " + p)
    if len(problems) > MAX_SHOWN:
        print("check_results: ... and %d more problems" % (len(problems) - MAX_SHOWN))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
