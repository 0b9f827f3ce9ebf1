#!/usr/bin/env python3
"""dt_httpd.py - the HTTP/1.1 test server for dtask's fetch tests and demo (standard library only).

It binds 127.0.0.1 only and answers a small set of routes whose bodies are a pure function of the
path, so a test can compute what a fetch must have returned (import this module and call
expected_body(path)) without fetching it again:

  /size/N          N bytes of text/plain (N capped at SIZE_MAX)
  /bin/N           N bytes of application/octet-stream holding every byte value, NUL, CR and LF
                   included (N capped at SIZE_MAX)
  /gzip/N          the /size/N text gzip-compressed, sent with Content-Encoding: gzip (N capped at
                   GZIP_MAX); expected_body gives the compressed bytes, as sent
  /cut/N           announces N bytes of /bin/N, sends the first half, then closes the connection:
                   a server that dies mid-body; expected_body gives the bytes sent
  /stall/N         announces N bytes of /bin/N, sends the first half, then sends nothing more for
                   SLOW_MAX_MS (or until the client leaves): a server that stalls mid-body;
                   expected_body gives the bytes sent
  /chunked/N       the /size/N text with Transfer-Encoding: chunked, in chunks of many sizes, some
                   with extensions (chunk_sizes(N)); expected_body gives the body without framing
  /close/N         the /size/N text with neither Content-Length nor chunks: the body ends when the
                   server closes the connection (HTTP/1.0 style)
  /early/N         a 103 Early Hints interim answer, then the /size/N text as a 200
  /gzipchunked/N   the /gzip/N body (Content-Encoding: gzip) sent with Transfer-Encoding: chunked;
                   expected_body gives the compressed bytes without framing
  /page/K          a ~1 KiB HTML page linking to a few other pages; its size depends only on K
  /status/C        status C (200..599) with a short body (empty for 204 and 304)
  /redirect/N      302 to /redirect/N-1; /redirect/0 answers 200 "done"
  /slow/MS         sleeps MS milliseconds (capped at SLOW_MAX_MS), then 200
  /flaky/KEY/N     the first N requests for KEY answer 503, later ones 200
  /fail/KEY        always 503
  /retry-after/KEY/S  the first request for KEY answers 429 with "Retry-After: S" (seconds; with
                   ?date=1 as an HTTP date S seconds ahead), later ones 200
  /hits            JSON object: requests served per path (itself not counted)
  /log             JSON list: every request but /hits, /peaks and /log, in arrival order, as
                   [path with query, start, end] (wall-clock seconds, float; end is null while it
                   runs): what politeness tests assert on (at most LOG_MAX entries)
  /peaks           JSON object: per group, the most /slow requests in progress at once; a /slow
                   request's group is its query's g= value, else its Host header
  /site/K          a crawl test site of SITE_PAGES pages (K in 0..SITE_PAGES-1): cycles, duplicate
                   and relative links, a fragment, a rel=nofollow link, an off-site link to
                   --other-base, a link to /site/data (binary), /site/huge and /site/nofollow-*;
                   site_links(K) says which in-site pages a page links to (followed links only)
  /site/data       application/octet-stream whose bytes look like HTML linking to /trap/binary
  /site/huge       HTML with HUGE_LINKS links to --other-base, a 100 kB link and broken markup
  /site/nofollow-meta, /site/nofollow-header
                   (with --site-framing chunked every /site/ route is sent chunked, with
                   gzipchunked also gzipped for a client that accepts gzip: site_wire_body)
                   pages whose links must not be followed (meta robots, X-Robots-Tag)
  /trap/...        never linked by a followed link: a crawl that fetches one is wrong
  /robots.txt      allows everything, or what --robots says:
                     status:C   status C with a short body (404: no rules; 503: unavailable)
                     file:PATH  the bytes of PATH
                     big:N      "User-agent: *" / "Disallow: /private/", then comment lines to
                                N bytes in all (a robots.txt far over any parser's cap)
                     garbage:N  N bytes of binary noise (NUL, high bytes, no newline structure)
  anything else    a static file under --root, else 404

Every response but /chunked's, /gzipchunked's and /close's carries Content-Length, so connections are kept alive (HTTP/1.1).

With --request-log FILE, each request is appended to FILE as one JSON line, before it is answered:
{"method": "GET", "path": "/size/10?x=1", "headers": [["Host", "..."], ...]}, the headers as
received, in order, so a test can check what a client sent (method, User-Agent, extra headers).
"""

import argparse
import email.utils
import gzip
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIZE_MAX = 64 * 1024 * 1024 + 1  # largest /size/N body: one byte over the worker's default body cap
SLOW_MAX_MS = 120 * 1000  # a test never needs a longer stall; bounds a stuck handler thread
REDIRECT_MAX = 100  # deeper chains are answered 404 rather than looping for long
PAGE_COUNT = 1000  # /page/K links stay within 0..PAGE_COUNT-1 so a crawl is finite
CHUNK = 64 * 1024  # write granularity for big bodies: memory stays flat for /size/N
GZIP_MAX = 16 * 1024 * 1024  # largest /gzip/N text: compressed whole in memory for each request
SITE_PAGES = 60  # pages /site/0 .. /site/59 of the crawl test site
HUGE_LINKS = 3000  # links on /site/huge: past the worker's per-page cap (DT_LIMIT_LINKS_MAX 1000)
OTHER_BASE = "http://127.0.0.1:9"  # --other-base: where off-site links point (another server)
SITE_DELAY_MS = 0  # --site-delay-ms: each /site/ page waits this long, so a crawl lasts a while
SITE_FRAMING = ""  # --site-framing: "", "chunked" or "gzipchunked" (how /site/ routes are sent)
LOG_MAX = 100000  # /log entries kept: a test makes far fewer; bounds memory under a long run
ROBOTS_MAX = 64 * 1024 * 1024  # largest big:N / garbage:N robots.txt

_FILLER = b"dtask test body 0123456789 abcdefghijklmnopqrstuvwxyz\n"
# The filler repeated past CHUNK bytes, so any chunk of a /size/N body is one slice of it.
_FILLER_RUN = _FILLER * (CHUNK // len(_FILLER) + 2)

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def page_size(k):
    """Exact byte length of /page/K: varies with K so a result mixed up with another URL's shows."""
    return 1024 + (k % 101)


def page_links(k):
    """The /page/K paths that page K links to."""
    return ["/page/%d" % ((k * m + 1) % PAGE_COUNT) for m in (3, 7, 11)] + ["/page/%d" % ((k + 1) % PAGE_COUNT)]


def page_body(k):
    """The HTML of /page/K, padded with a comment to exactly page_size(k) bytes."""
    links = "".join('<li><a href="%s">%s</a></li>\n' % (p, p) for p in page_links(k))
    head = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>page %d</title></head>\n"
        "<body><h1>page %d</h1>\n<ul>\n%s</ul>\n" % (k, k, links)
    )
    tail = "</body></html>\n"
    pad = page_size(k) - len(head) - len(tail) - len("<!--  -->\n")
    assert pad >= 0, "page template outgrew page_size()"
    return (head + "<!-- " + "x" * pad + " -->\n" + tail).encode("ascii")


def site_links(k):
    """The in-site pages /site/K links to with links a crawler follows, in order (with repeats)."""
    n = SITE_PAGES
    return ["/site/%d" % ((k + 1) % n), "/site/%d" % ((2 * k + 3) % n), "/site/%d" % ((7 * k + 1) % n)]


def site_extra(k):
    """The other pages a crawl of /site/ reaches from /site/K: the specials hang off page 0."""
    return ["/site/data", "/site/huge", "/site/nofollow-meta", "/site/nofollow-header"] if k == 0 else []


def site_body(k):
    """The HTML of /site/K: every link of site_links and site_extra in several spellings, and links
    a crawler must not follow."""
    a, b, c = site_links(k)
    rel = c.rsplit("/", 1)[1]
    items = [
        '<a href="%s">next</a>' % a,
        '<a href="%s#part">next again, with a fragment</a>' % a,
        '<a href="%s">jump</a> <a href="%s">jump again</a>' % (b, b),
        '<a href="%s">relative</a>' % rel,
        '<A HREF="HTTP://127.0.0.1:%s%s">absolute, upper case</A>' % ("{port}", c),
        '<a rel="nofollow" href="/trap/nofollow-%d">nofollow</a>' % k,
        '<a href="%s/site/%d">off site</a>' % (OTHER_BASE, k),
        '<a href="mailto:x@example.org">mail</a> <a href="javascript:void(0)">js</a>',
    ] + ['<a href="%s">special</a>' % p for p in site_extra(k)]
    return (
        "<!DOCTYPE html><html><head><title>site %d</title></head><body>\n%s\n</body></html>\n"
        % (k, "\n".join("<p>%s</p>" % i for i in items))
    )


def site_expected(depth=None, pattern=None):
    """The paths a crawl of /site/0 fetches, each once: every page reached by followed links within
    `depth` steps (None: any) whose path matches the regex `pattern` (None: all), seed included."""
    import re

    seen, frontier = {"/site/0"}, ["/site/0"]
    d = 0
    while frontier and (depth is None or d < depth):
        nxt = []
        for p in frontier:
            name = p.rsplit("/", 1)[1]
            links = site_links(int(name)) + site_extra(int(name)) if name.isdigit() else []
            for q in links:
                if q not in seen and (pattern is None or re.search(pattern, q)):
                    seen.add(q)
                    nxt.append(q)
        frontier, d = nxt, d + 1
    return seen


def site_page(path, port):
    """The /site/ and /trap/ routes as (status, content_type, headers, body bytes), or None."""
    parts = path.split("/")[1:]
    if len(parts) != 2 or parts[0] not in ("site", "trap"):
        return None
    name = parts[1]
    html = "text/html; charset=utf-8"
    if parts[0] == "trap":
        return (200, html, {}, b"<html><body>a crawler followed a link it must not</body></html>")
    if name == "data":
        return (200, "application/octet-stream", {}, b'<html><a href="/trap/binary">x</a></html>')
    if name == "huge":
        links = "".join('<a href="%s/h/%d">%d</a>\n' % (OTHER_BASE, i, i) for i in range(HUGE_LINKS))
        long_link = '<a href="/trap/%s">long</a>' % ("x" * 100000)
        broken = '<div><p><a href="/trap/broken" <b>unclosed <table><tr><td>\x00 &#x&#x; <a href='
        return (200, html, {}, (links + long_link + broken).encode("utf-8"))
    if name == "nofollow-meta":
        body = '<html><head><meta name="robots" content="noindex, nofollow"></head><body>' \
               '<a href="/trap/meta">x</a></body></html>'
        return (200, html, {}, body.encode("ascii"))
    if name == "nofollow-header":
        body = '<html><body><a href="/trap/header">x</a></body></html>'
        return (200, html, {"X-Robots-Tag": "dtask: nofollow"}, body.encode("ascii"))
    k = _int(name, 0, SITE_PAGES - 1)
    if k is None:
        return None
    return (200, html, {}, site_body(k).replace("{port}", str(port)).encode("utf-8"))


def site_wire_body(body, accepts_gzip):
    """The entity body a /site/ route sends for body under SITE_FRAMING (before chunk framing)."""
    if SITE_FRAMING == "gzipchunked" and accepts_gzip:
        return gzip.compress(body, compresslevel=6, mtime=0)
    return body


_SITE_CHUNK_CYCLE = (5, 13, 1, 64)  # chunks of a --site-framing page: small, so framing splits URLs


def site_chunk_sizes(n):
    """The sizes of the chunks a /site/ route is sent in under --site-framing."""
    sizes, i = [], 0
    while n > 0:
        sizes.append(min(n, _SITE_CHUNK_CYCLE[i % len(_SITE_CHUNK_CYCLE)]))
        n -= sizes[-1]
        i += 1
    return sizes


def size_chunk(offset, n):
    """n bytes of the /size/N body starting at offset (the body repeats _FILLER)."""
    out = bytearray()
    while len(out) < n:
        pos = (offset + len(out)) % len(_FILLER)
        take = min(CHUNK, n - len(out))
        out += _FILLER_RUN[pos : pos + take]
    return bytes(out)


# /bin/N repeats 251 bytes (a prime, so the pattern does not line up with any buffer size) that
# take every value from 0 to 250 in a scrambled order, and NUL, CR, LF among them.
_BIN = bytes((j * 97 + 13) % 251 for j in range(251))
_BIN_RUN = _BIN * (CHUNK // len(_BIN) + 2)


def bin_chunk(offset, n):
    """n bytes of the /bin/N body starting at offset."""
    out = bytearray()
    while len(out) < n:
        pos = (offset + len(out)) % len(_BIN)
        take = min(CHUNK, n - len(out))
        out += _BIN_RUN[pos : pos + take]
    return bytes(out)


def gzip_body(n):
    """The /gzip/N body as sent: the /size/N text compressed, with no time stamp in it."""
    return gzip.compress(size_chunk(0, n), compresslevel=6, mtime=0)


_CHUNK_CYCLE = (1, 10, 1000, 7, 65536, 333)  # sizes of successive /chunked/N chunks, repeated


def chunk_sizes(n):
    """The sizes of the chunks a /chunked/N body is sent in (the last may be shorter)."""
    sizes, i = [], 0
    while n > 0:
        take = min(n, _CHUNK_CYCLE[i % len(_CHUNK_CYCLE)])
        sizes.append(take)
        n -= take
        i += 1
    return sizes


def cut_sent(n):
    """How many bytes of its announced n a /cut/N response sends before closing."""
    return n // 2


def status_body(code):
    """Body of /status/C; statuses that must not carry a body get none."""
    if code in (204, 304):
        return b""
    return ("status %d\n" % code).encode("ascii")


def _int(text, lo, hi):
    """text as an int in [lo, hi], or None when it is not a plain decimal in range."""
    if not text.isdigit() or len(text) > 12:
        return None
    v = int(text)
    return v if lo <= v <= hi else None


def route(path):
    """Resolves a built-in route to (status, content_type, body_len, headers, body) or None.

    body is bytes, or a callable(offset, n) for bodies generated in chunks. Routes with side effects
    (/flaky counts, /slow sleeps) are handled by the server, not here, so this stays pure and a test
    can call it to learn what a fetch of `path` returns.
    """
    parts = path.split("/")[1:]
    if len(parts) == 2 and parts[0] == "size":
        n = _int(parts[1], 0, 1 << 40)
        if n is None:
            return None
        n = min(n, SIZE_MAX)
        return (200, "text/plain", n, {}, size_chunk)
    if len(parts) == 2 and parts[0] == "bin":
        n = _int(parts[1], 0, 1 << 40)
        if n is None:
            return None
        return (200, "application/octet-stream", min(n, SIZE_MAX), {}, bin_chunk)
    if len(parts) == 2 and parts[0] == "gzip":
        n = _int(parts[1], 0, 1 << 40)
        if n is None:
            return None
        body = gzip_body(min(n, GZIP_MAX))
        return (200, "text/plain", len(body), {"Content-Encoding": "gzip"}, body)
    if len(parts) == 2 and parts[0] == "page":
        k = _int(parts[1], 0, 1 << 40)
        if k is None:
            return None
        body = page_body(k)
        return (200, "text/html; charset=utf-8", len(body), {}, body)
    if len(parts) == 2 and parts[0] == "status":
        # 1xx are interim answers: sent alone they leave the client waiting for a final one.
        c = _int(parts[1], 200, 599)
        if c is None:
            return None
        body = status_body(c)
        return (c, "text/plain", len(body), {}, body)
    if len(parts) == 2 and parts[0] == "redirect":
        n = _int(parts[1], 0, REDIRECT_MAX)
        if n is None:
            return None
        if n == 0:
            return (200, "text/plain", 4, {}, b"done")
        return (302, "text/plain", 0, {"Location": "/redirect/%d" % (n - 1)}, b"")
    if len(parts) == 2 and parts[0] == "slow":
        ms = _int(parts[1], 0, SLOW_MAX_MS)
        if ms is None:
            return None
        body = ("slow %d\n" % ms).encode("ascii")
        return (200, "text/plain", len(body), {}, body)
    if len(parts) == 2 and parts[0] == "fail" and parts[1]:
        body = b"failing on purpose\n"
        return (503, "text/plain", len(body), {}, body)
    if len(parts) == 1 and parts[0] == "robots.txt":
        body = b"User-agent: *\nAllow: /\n"
        return (200, "text/plain", len(body), {}, body)
    return None


def robots_reply(spec):
    """The /robots.txt answer for a --robots SPEC, as route() gives it; None for the default."""
    if not spec:
        return None
    kind, _, arg = spec.partition(":")
    if kind == "status":
        c = _int(arg, 200, 599)
        body = status_body(c)
        return (c, "text/plain", len(body), {}, body)
    if kind == "file":
        with open(arg, "rb") as f:
            body = f.read()
        return (200, "text/plain", len(body), {}, body)
    n = min(_int(arg, 0, ROBOTS_MAX) or 0, ROBOTS_MAX)
    if kind == "big":
        head = b"User-agent: *\nDisallow: /private/\n"
        line = b"# " + b"x" * 61 + b"\n"
        body = (head + line * ((max(n - len(head), 0)) // len(line) + 1))[:n]
        return (200, "text/plain", len(body), {}, body)
    if kind == "garbage":
        # A fixed pseudo-random stream: the same bytes on every run.
        body = bytes((i * 7919 + (i >> 3) * 104729) % 256 for i in range(n))
        return (200, "application/octet-stream", len(body), {}, body)
    raise ValueError("--robots: unknown spec %r" % spec)


def expected_body(path):
    """What a successful fetch of a built-in `path` ends with: (status, body bytes), or None.

    Follows /redirect chains and treats /flaky as recovered and /slow as answered, which is what a
    test checks after retries; /hits and static files are not predictable and give None.
    """
    path = urllib.parse.urlsplit(path).path
    parts = path.split("/")[1:]
    if len(parts) == 3 and parts[0] == "flaky" and _int(parts[2], 0, 1 << 30) is not None:
        return (200, b"ok\n")
    if len(parts) == 2 and parts[0] == "redirect" and _int(parts[1], 0, REDIRECT_MAX) is not None:
        return (200, b"done")
    if len(parts) == 2 and parts[0] in ("cut", "stall") and _int(parts[1], 1, SIZE_MAX) is not None:
        return (200, bin_chunk(0, cut_sent(int(parts[1]))))
    if len(parts) == 2 and parts[0] in ("chunked", "close", "early") and _int(parts[1], 0, SIZE_MAX) is not None:
        return (200, size_chunk(0, int(parts[1])))
    if len(parts) == 2 and parts[0] == "gzipchunked" and _int(parts[1], 0, GZIP_MAX) is not None:
        return (200, gzip_body(int(parts[1])))
    r = route(path)
    if r is None:
        return None
    status, _, n, _, body = r
    return (status, body(0, n) if callable(body) else body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dt_httpd/1"
    # Headers and body go out in separate writes: without this, Nagle holds the body back until
    # the client's delayed ACK, 40 ms per kept-alive request.
    disable_nagle_algorithm = True
    # Enough for a /slow request to finish, short enough that idle keep-alive threads go away.
    timeout = 150

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("dt_httpd: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def _serve(self, send_body):
        self.server.log_request_line(self.command, self.path, self.headers.items())
        path = urllib.parse.urlsplit(self.path).path
        entry = None
        if path not in ("/hits", "/peaks", "/log"):
            self.server.count_hit(path)
            entry = self.server.log_start(self.path)
        try:
            self._dispatch(path, send_body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a fetch timeout): normal in tests, not an error.
            self.close_connection = True
        finally:
            if entry is not None:
                entry[2] = time.time()

    def _dispatch(self, path, send_body):
        parts = path.split("/")[1:]
        if path == "/hits":
            body = json.dumps(self.server.hits_snapshot(), sort_keys=True).encode("utf-8") + b"\n"
            return self._reply(200, "application/json", len(body), {}, body, send_body)
        if path == "/log":
            body = json.dumps(self.server.log_snapshot()).encode("utf-8") + b"\n"
            return self._reply(200, "application/json", len(body), {}, body, send_body)
        if path == "/robots.txt" and self.server.robots is not None:
            status, ctype, n, headers, body = self.server.robots
            return self._reply(status, ctype, n, headers, body, send_body)
        if len(parts) == 3 and parts[0] == "retry-after" and parts[1]:
            secs = _int(parts[2], 0, 10 * 365 * 86400)
            if secs is not None:
                if self.server.flaky_take("retry-after/" + parts[1]) == 0:
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                    value = str(secs)
                    if query.get("date"):
                        value = email.utils.formatdate(time.time() + secs, usegmt=True)
                    body = b"slow down\n"
                    return self._reply(429, "text/plain", len(body), {"Retry-After": value}, body,
                                       send_body)
                return self._reply(200, "text/plain", 3, {}, b"ok\n", send_body)
        if path == "/peaks":
            body = json.dumps(self.server.peaks_snapshot(), sort_keys=True).encode("utf-8") + b"\n"
            return self._reply(200, "application/json", len(body), {}, body, send_body)
        if len(parts) == 2 and parts[0] == "cut":
            n = _int(parts[1], 1, SIZE_MAX)
            if n is not None:
                return self._reply_cut(n, send_body)
        if len(parts) == 2 and parts[0] == "stall":
            n = _int(parts[1], 1, SIZE_MAX)
            if n is not None:
                return self._reply_cut(n, send_body, stall=True)
        if len(parts) == 2 and parts[0] == "chunked":
            n = _int(parts[1], 0, SIZE_MAX)
            if n is not None:
                return self._reply_chunked(n, send_body)
        if len(parts) == 2 and parts[0] == "gzipchunked":
            n = _int(parts[1], 0, GZIP_MAX)
            if n is not None:
                return self._reply_chunked(n, send_body, gzipped=True)
        if len(parts) == 2 and parts[0] == "close":
            n = _int(parts[1], 0, SIZE_MAX)
            if n is not None:
                return self._reply_close(n, send_body)
        if len(parts) == 2 and parts[0] == "early":
            n = _int(parts[1], 0, SIZE_MAX)
            if n is not None:
                self.send_response_only(103)
                self.send_header("Link", "</page/1>; rel=preload")
                self.end_headers()
                return self._reply(200, "text/plain", n, {}, size_chunk, send_body)
        if len(parts) == 3 and parts[0] == "flaky" and parts[1]:
            n = _int(parts[2], 0, 1 << 30)
            if n is not None:
                if self.server.flaky_take(parts[1]) < n:
                    body = b"flaky: not yet\n"
                    return self._reply(503, "text/plain", len(body), {}, body, send_body)
                return self._reply(200, "text/plain", 3, {}, b"ok\n", send_body)
        site = site_page(path, self.server.server_address[1])
        if site is not None:
            if SITE_DELAY_MS:
                time.sleep(SITE_DELAY_MS / 1000.0)
            status, ctype, headers, body = site
            if SITE_FRAMING:
                gz = "gzip" in self.headers.get("Accept-Encoding", "")
                return self._reply_chunked_bytes(status, ctype, headers, site_wire_body(body, gz),
                                                 gz and SITE_FRAMING == "gzipchunked", send_body)
            return self._reply(status, ctype, len(body), headers, body, send_body)
        r = route(path)
        if r is not None:
            if parts[0] == "slow":
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                group = query.get("g", [self.headers.get("Host", "")])[0]
                self.server.slow_enter(group)
                try:
                    time.sleep(int(parts[1]) / 1000.0)
                finally:
                    self.server.slow_leave(group)
            status, ctype, n, headers, body = r
            return self._reply(status, ctype, n, headers, body, send_body)
        static = self._static_file(path)
        if static is not None:
            with open(static, "rb") as f:
                body = f.read()
            ext = os.path.splitext(static)[1].lower()
            ctype = STATIC_TYPES.get(ext, "application/octet-stream")
            return self._reply(200, ctype, len(body), {}, body, send_body)
        body = b"not found\n"
        return self._reply(404, "text/plain", len(body), {}, body, send_body)

    def _reply_cut(self, n, send_body, stall=False):
        """Announces n bytes, sends cut_sent(n) of them, then (stall: after SLOW_MAX_MS or when
        the client has gone) closes the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if send_body:
            self.wfile.write(bin_chunk(0, cut_sent(n)))
            self.wfile.flush()
            if stall:
                # The client closing its side ends the wait: recv returns b"" (or fails).
                self.connection.settimeout(SLOW_MAX_MS / 1000.0)
                try:
                    self.connection.recv(1)
                except OSError:
                    pass
        self.close_connection = True

    def _reply_chunked(self, n, send_body, gzipped=False):
        """The /size/N text (gzipped: the /gzip/N body) in chunk_sizes() chunks; every third chunk
        carries an extension."""
        body = gzip_body(n) if gzipped else None
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not send_body:
            return
        off = 0
        for i, size in enumerate(chunk_sizes(len(body) if gzipped else n)):
            ext = ";i=%d" % i if i % 3 == 2 else ""
            data = body[off : off + size] if gzipped else size_chunk(off, size)
            self.wfile.write(b"%x%s\r\n%s\r\n" % (size, ext.encode(), data))
            off += size
        self.wfile.write(b"0\r\n\r\n")

    def _reply_chunked_bytes(self, status, ctype, headers, body, gzipped, send_body):
        """body (already encoded) in site_chunk_sizes() chunks, every third with an extension."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not send_body:
            return
        off = 0
        for i, size in enumerate(site_chunk_sizes(len(body))):
            ext = ";i=%d" % i if i % 3 == 2 else ""
            self.wfile.write(b"%x%s\r\n%s\r\n" % (size, ext.encode(), body[off : off + size]))
            off += size
        self.wfile.write(b"0\r\n\r\n")

    def _reply_close(self, n, send_body):
        """The /size/N text delimited by the end of the connection, not by a length."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            off = 0
            while off < n:
                take = min(CHUNK, n - off)
                self.wfile.write(size_chunk(off, take))
                off += take
        self.close_connection = True

    def _static_file(self, path):
        """The file under --root that `path` names, or None; never a path outside the root."""
        root = self.server.root
        if root is None:
            return None
        rel = urllib.parse.unquote(path).lstrip("/")
        full = os.path.realpath(os.path.join(root, rel))
        if full != root and not full.startswith(root + os.sep):
            return None
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        return full if os.path.isfile(full) else None

    def _reply(self, status, ctype, n, headers, body, send_body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(n))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not send_body or n == 0:
            return
        if callable(body):
            off = 0
            while off < n:
                take = min(CHUNK, n - off)
                self.wfile.write(body(off, take))
                off += take
        else:
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # A worker opens dozens of connections at once; the default backlog of 5 drops SYNs and turns
    # into one-second retransmit stalls that look like slow fetches.
    request_queue_size = 1024

    def __init__(self, addr, root, quiet, request_log=None, robots=None):
        super().__init__(addr, Handler)
        self.root = os.path.realpath(root) if root else None
        self.quiet = quiet
        self._request_log = open(request_log, "a", encoding="utf-8") if request_log else None
        self.robots = robots_reply(robots)
        self._log = []
        self._lock = threading.Lock()
        self._hits = {}
        self._flaky = {}
        self._slow_now = {}
        self._slow_peak = {}

    def log_request_line(self, method, path, headers):
        """Appends one request to the --request-log file (one JSON line, flushed at once)."""
        if self._request_log is None:
            return
        line = json.dumps({"method": method, "path": path, "headers": [[k, v] for k, v in headers]})
        with self._lock:
            self._request_log.write(line + "\n")
            self._request_log.flush()

    def count_hit(self, path):
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1

    def log_start(self, path):
        """Records a request's start; returns its entry (the caller sets entry[2] at its end)."""
        entry = [path, time.time(), None]
        with self._lock:
            if len(self._log) < LOG_MAX:
                self._log.append(entry)
        return entry

    def log_snapshot(self):
        with self._lock:
            return [list(e) for e in self._log]

    def hits_snapshot(self):
        with self._lock:
            return dict(self._hits)

    def slow_enter(self, host):
        with self._lock:
            now = self._slow_now.get(host, 0) + 1
            self._slow_now[host] = now
            self._slow_peak[host] = max(self._slow_peak.get(host, 0), now)

    def slow_leave(self, host):
        with self._lock:
            self._slow_now[host] -= 1

    def peaks_snapshot(self):
        with self._lock:
            return dict(self._slow_peak)

    def flaky_take(self, key):
        """Returns how many /flaky requests for key came before this one."""
        with self._lock:
            seen = self._flaky.get(key, 0)
            self._flaky[key] = seen + 1
            return seen


def main():
    ap = argparse.ArgumentParser(description="HTTP/1.1 test server for dtask (binds 127.0.0.1 only)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind: 127.0.0.1 only")
    ap.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--root", help="also serve static files from this directory")
    ap.add_argument("--quiet", action="store_true", help="do not log requests")
    ap.add_argument("--other-base", help="base URL /site/ pages link off-site to (another server)")
    ap.add_argument("--site-delay-ms", type=int, default=0, help="each /site/ page waits this long")
    ap.add_argument("--site-framing", choices=("chunked", "gzipchunked"),
                    help="send /site/ routes chunked (gzipchunked: also gzipped when accepted)")
    ap.add_argument("--request-log", help="append each request (method, path, headers) to this file as a JSON line")
    ap.add_argument("--robots", help="what /robots.txt answers: status:C, file:PATH, big:N, garbage:N")
    args = ap.parse_args()
    global SITE_DELAY_MS
    SITE_DELAY_MS = max(0, min(args.site_delay_ms, SLOW_MAX_MS))
    global SITE_FRAMING  # noqa: PLW0603 (set once, before serving)
    SITE_FRAMING = args.site_framing or ""
    if args.other_base:
        global OTHER_BASE  # noqa: PLW0603 (set once, before serving)
        OTHER_BASE = args.other_base.rstrip("/")

    if args.host != "127.0.0.1":
        ap.error("--host must be 127.0.0.1: this server is for local tests only")
    if args.root and not os.path.isdir(args.root):
        ap.error("--root %s: not a directory" % args.root)

    try:
        srv = Server((args.host, args.port), args.root, args.quiet, args.request_log, args.robots)
    except OSError as e:
        sys.stderr.write("dt_httpd: bind %s:%d: %s\n" % (args.host, args.port, e.strerror))
        return 1
    port = srv.server_address[1]
    if args.port_file:
        # Written whole and then renamed, so a reader never sees a partial number.
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    if not args.quiet:
        sys.stderr.write("dt_httpd: listening on http://%s:%d/\n" % (args.host, port))

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
