#!/usr/bin/env python3
"""linked_site.py - writes the crawl benchmark's site: N linked HTML pages, the same for the same seed.

  linked_site.py ROOT N SEED PATHS_OUT

Page 0 is the home page, ROOT/index.html, served as "/"; page i > 0 is ROOT/p/DDD/NNNNN.html
(DDD = i // 1000). Every page is about PAGE_BYTES long and has exactly LINKS links:

- "/" (the home page, as a site's navigation would link it);
- its children in a 4-ary tree, 4i+1 .. 4i+4 (those below N): every page is reachable from "/",
  and a breadth-first crawl is at most ~log4(N) + 1 levels deep, so it can keep many fetches in flight;
- random pages (uniform over 0..N-1, from random.Random(SEED)) up to LINKS.

So each page is linked about LINKS times and a crawler must drop about 19 of every 20 links it sees as
already seen. A link to a page in the same directory is written relative ("01234.html"), any other
as an absolute path ("/p/003/03456.html"), "/" for the home page. PATHS_OUT gets the N paths, one
a line, home first: the URL list of the "list, not crawl" row and the crawlers' expected count.
"""

import os
import random
import sys

LINKS = 20  # links per page
PAGE_BYTES = 2048  # padded to about this size with filler words
FANOUT = 4  # tree children per page
WORDS = ("task", "queue", "worker", "master", "lease", "crawl", "page", "link", "fetch", "result",
         "retry", "batch", "store", "window", "credit", "frame")


def path_of(i):
    return "/" if i == 0 else "/p/%03d/%05d.html" % (i // 1000, i)


def href(src, dst):
    if dst != 0 and src != 0 and src // 1000 == dst // 1000:
        return "%05d.html" % dst
    return path_of(dst)


def page(i, n, rng):
    targets = [0] + [c for c in range(FANOUT * i + 1, FANOUT * i + FANOUT + 1) if c < n]
    while len(targets) < LINKS:
        targets.append(rng.randrange(n))
    links = "\n".join('<li><a href="%s">page %d</a></li>' % (href(i, t), t) for t in targets)
    head = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>page %d</title></head>\n<body>\n" % i
    tail = "\n</p>\n</body></html>\n"
    body = "<h1>page %d</h1>\n<ul>\n%s\n</ul>\n<p>" % (i, links)
    filler = []
    size = len(head) + len(body) + len(tail)
    while size < PAGE_BYTES:
        w = rng.choice(WORDS)
        filler.append(w)
        size += len(w) + 1
    return head + body + " ".join(filler) + tail


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[1])
    root, n, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if n < 1:
        sys.exit("linked_site.py: N must be positive")
    rng = random.Random(seed)
    os.makedirs(root, exist_ok=True)
    with open(out, "w") as paths:
        for i in range(n):
            f = os.path.join(root, "index.html") if i == 0 else os.path.join(root, path_of(i)[1:])
            if i == 1 or i % 1000 == 0:
                os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "w") as fp:
                fp.write(page(i, n, rng))
            paths.write(path_of(i) + "\n")


if __name__ == "__main__":
    main()
