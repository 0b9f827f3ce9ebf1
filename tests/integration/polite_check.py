#!/usr/bin/env python3
"""polite_check.py - asserts politeness rules from test servers' request logs (dt_httpd.py /log).

Usage: polite_check.py RULE ARGS...; prints what it measured; exits 1 with a reason when a rule
is broken. Every rule reads the servers' own records (start and end time of every request), never
dtask's logs. Only lower bounds on time are asserted: load can only make gaps longer.

  once LOG PATH                 PATH was requested exactly once
  never LOG PREFIX              no request path starts with PREFIX
  count LOG PREFIX N            exactly N requests start with PREFIX
  spacing LOG MIN_MS            consecutive request starts are >= MIN_MS apart
  quiet LOG FIRST_PREFIX MS     no request starts within MS after the first request that starts
                                with FIRST_PREFIX (the one answered 429)
  before_end FAST_LOG SLOW_LOG  every request of FAST_LOG started before SLOW_LOG's first ended
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main(argv):
    rule, args = argv[1], argv[2:]
    if rule == "once":
        log, path = load(args[0]), args[1]
        n = sum(1 for e in log if e[0] == path)
        print("%s: %d request(s)" % (path, n))
        if n != 1:
            fail("%s requested %d times, not once" % (path, n))
    elif rule == "never":
        log, prefix = load(args[0]), args[1]
        bad = [e[0] for e in log if e[0].startswith(prefix)]
        print("%s*: %d request(s)" % (prefix, len(bad)))
        if bad:
            fail("requested although disallowed: %s" % bad[:5])
    elif rule == "count":
        log, prefix, n = load(args[0]), args[1], int(args[2])
        got = sum(1 for e in log if e[0].startswith(prefix))
        print("%s*: %d request(s)" % (prefix, got))
        if got != n:
            fail("%s*: %d requests, expected %d" % (prefix, got, n))
    elif rule == "spacing":
        log, min_ms = load(args[0]), float(args[1])
        starts = sorted(e[1] for e in log)
        gaps = [(b - a) * 1000 for a, b in zip(starts, starts[1:])]
        print("%d requests, smallest gap %.0f ms (bound %.0f ms)" % (len(starts), min(gaps) if gaps else -1, min_ms))
        if len(starts) < 2:
            fail("fewer than 2 requests: nothing to measure")
        if min(gaps) < min_ms:
            fail("two requests %.0f ms apart, under %.0f ms" % (min(gaps), min_ms))
    elif rule == "quiet":
        log, prefix, ms = load(args[0]), args[1], float(args[2])
        first = min((e for e in log if e[0].startswith(prefix)), key=lambda e: e[1], default=None)
        if first is None:
            fail("no request starting with %s" % prefix)
        after = sorted(e[1] for e in log if e is not first and e[1] >= first[1])
        if not after:
            fail("no request after the first %s" % prefix)
        gap = (after[0] - first[1]) * 1000
        print("first request after %s came %.0f ms later (bound %.0f ms), %d after it" % (prefix, gap, ms, len(after)))
        if gap < ms:
            fail("a request %.0f ms after the 429, under %.0f ms" % (gap, ms))
    elif rule == "before_end":
        fast, slow = load(args[0]), load(args[1])
        first_slow = min(slow, key=lambda e: e[1])
        if first_slow[2] is None:
            fail("the slow host's first request has not ended")
        late = [e for e in fast if e[1] > first_slow[2]]
        print("%d fast requests, %d started after the slow host's first request ended" % (len(fast), len(late)))
        if late:
            fail("the fast host waited for the slow one: %s" % [e[0] for e in late][:5])
    else:
        fail("unknown rule %s" % rule)


if __name__ == "__main__":
    main(sys.argv)
