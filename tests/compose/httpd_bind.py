#!/usr/bin/env python3
"""httpd_bind.py - runs tests/http/dt_httpd.py on a test host's own address instead of 127.0.0.1.

dt_httpd.py binds 127.0.0.1 only, which a web server in another network namespace or container
cannot be reached on. This runs the same server (same routes, same arguments) bound to --host,
which must be 0.0.0.0 (inside a container, whose network only the project's own containers share)
or an address in 198.18.0.0/15 (the benchmarking range that the multihost test's namespaces and
the compose test's docker networks use). Any other address is refused.

Usage: httpd_bind.py --host ADDR [dt_httpd.py arguments...]
The dt_httpd.py next to this file's ../http/ is used, or the one in $DT_HTTPD_DIR.
"""

import ipaddress
import os
import sys

ALLOWED = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544: never routed beyond a test bench


def main():
    args = sys.argv[1:]
    if "--host" not in args or args.index("--host") + 1 >= len(args):
        sys.stderr.write("usage: httpd_bind.py --host ADDR [dt_httpd.py arguments...]\n")
        return 2
    i = args.index("--host")
    host = args[i + 1]
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        sys.stderr.write("httpd_bind: --host %r is not an IP address\n" % host)
        return 2
    if str(addr) != "0.0.0.0" and addr not in ALLOWED:
        sys.stderr.write("httpd_bind: --host must be 0.0.0.0 or in %s, not %s\n" % (ALLOWED, host))
        return 2

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.environ.get("DT_HTTPD_DIR") or os.path.join(here, "..", "http"))
    import dt_httpd

    class Server(dt_httpd.Server):
        # dt_httpd.main() checks and binds 127.0.0.1; the socket goes to the address asked for.
        def __init__(self, addr_port, *rest):
            super().__init__((host, addr_port[1]), *rest)

    dt_httpd.Server = Server
    sys.argv = [sys.argv[0]] + args[:i] + ["--host", "127.0.0.1"] + args[i + 2 :]
    return dt_httpd.main()


if __name__ == "__main__":
    sys.exit(main())
