#!/usr/bin/env python3
"""httpd_nodelay.py - tests/http/dt_httpd.py with Nagle's algorithm off, for bench/run's crawl.

dt_httpd writes a response's headers and its body in two sends. On a kept-alive connection Nagle's
algorithm holds the body until the headers are acknowledged, and the client delays that ACK (40 ms
on Linux), so every request after a connection's first waits ~40 ms. A benchmark would then measure
that stall, not the crawler. Same arguments as dt_httpd.py.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "http"))

import dt_httpd  # noqa: E402 (needs the path above)

# socketserver.StreamRequestHandler sets TCP_NODELAY on each connection when this is true.
dt_httpd.Handler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(dt_httpd.main())
