#!/usr/bin/env bash
# httpd_selftest.sh - the test HTTP server that the other end-to-end tests rely on behaves as documented.
set -euo pipefail
tests=${DTASK_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
exec "${DT_PYTHON:-python3}" "$tests/http/test_dt_httpd.py"
