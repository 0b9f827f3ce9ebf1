#!/usr/bin/env python3
"""dashboard_check.py - drives headless Chromium through dtask-master's dashboard for e2e_dashboard.sh.

  dashboard_check.py URL SYNC_DIR SHOT_DIR -- DTASK_CLI_ARGV...

Talks with the shell test through files in SYNC_DIR, every wait bounded:
  1. loads URL, waits for the page to show the queued job; writes SYNC_DIR/ready;
  2. waits for SYNC_DIR/paused (the shell froze the job mid-way with SIGSTOP of its only worker):
     every number on the page must come to equal `dtask status --json` read at the same moment, with
     the job unfinished, and the chart must gain points while it watches (the ring grows every
     second); saves SHOT_DIR/e2e_dashboard-mid.png; writes SYNC_DIR/checked;
  3. waits for SYNC_DIR/ended (the job is over): every number on the page must equal the one in
     `dtask status --json` (run with DTASK_CLI_ARGV) read at the same moment, and every worker the CLI
     lists must be in the table; saves SHOT_DIR/e2e_dashboard-end.png.
Exits 0 on success, 1 with a reason on stderr.
"""
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

STEP_TIMEOUT_S = 90  # the longest any one wait may take, even on a loaded machine
COUNTERS = ["submitted", "pending", "inflight", "delayed", "done", "failed", "retried",
            "duplicates", "late", "invalid"]


def log(msg):
    print("[dashboard_check +%.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


def wait_until(what, fn, timeout=STEP_TIMEOUT_S):
    """Calls fn every 0.2 s until it returns a true value, which is returned; fails after timeout."""
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise SystemExit("dashboard_check: timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(0.2)


def page_numbers(driver):
    """The counters the page shows, as ints (None for one not shown yet)."""
    # One script reads every value at once: the page redraws every second,
    # and an element looked up in one call may be gone by the next.
    texts = driver.execute_script(
        "return arguments[0].map(function (k) {"
        " var e = document.getElementById('v-' + k); return e ? e.textContent : ''; });",
        COUNTERS + ["workers"])
    out = {}
    for k, text in zip(COUNTERS + ["workers"], texts):
        text = text.replace(",", "").strip()
        out[k] = int(text) if text.isdigit() else None
    return out


def chart_points(driver):
    return int(driver.find_element("id", "chart").get_attribute("data-points") or 0)


def cli_status(cli):
    out = subprocess.run(cli + ["--timeout", "5", "status", "--json"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    d = json.loads(out)
    d["workers_list"] = d["workers"]
    d["workers"] = len(d["workers"])
    return d


def wait_file(path):
    wait_until("the test to write " + os.path.basename(path), lambda: os.path.exists(path))
    with open(path) as f:
        return f.read().strip()


def main():
    url, sync, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    assert sys.argv[4] == "--"
    cli = sys.argv[5:]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--user-data-dir=" + os.path.join(sync, "chromium-profile"),
                 "--window-size=1280,900"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver",
                      log_path=os.path.join(sync, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    try:
        driver.set_page_load_timeout(STEP_TIMEOUT_S)
        driver.get(url)
        log("loaded " + driver.title)
        assert driver.title == "dtask master", driver.title
        wait_until("the page to show the queued job",
                   lambda: (page_numbers(driver)["submitted"] or 0) > 0)
        open(os.path.join(sync, "ready"), "w").close()

        wait_file(os.path.join(sync, "paused"))
        last = {}

        def same():
            # The job is frozen (its worker stopped) or over, so the two reads can only differ
            # while the page has not caught up yet, or while a result sent before the stop is
            # still on its way: re-read both until they agree.
            cli_now = cli_status(cli)
            page = page_numbers(driver)
            last["cli"], last["page"] = cli_now, page
            return all(page[k] == cli_now[k] for k in COUNTERS + ["workers"])

        try:
            wait_until("the page to match dtask status --json mid-job", same, timeout=60)
        except SystemExit:
            log("page %s, cli %s" % (last.get("page"), last.get("cli")))
            raise
        shown = last["page"]
        assert 0 < shown["done"] < shown["submitted"], shown
        before = chart_points(driver)
        wait_until("the chart to gain points (it has %d)" % before,
                   lambda: chart_points(driver) >= before + 2)
        log("mid-job: page shows %s; chart %d -> %d points" % (shown, before, chart_points(driver)))
        driver.save_screenshot(os.path.join(shots, "e2e_dashboard-mid.png"))
        open(os.path.join(sync, "checked"), "w").close()

        wait_file(os.path.join(sync, "ended"))
        try:
            wait_until("the page to match dtask status --json", same, timeout=30)
        except SystemExit:
            log("page %s, cli %s" % (last.get("page"), last.get("cli")))
            raise
        names = driver.execute_script(
            "return Array.from(document.querySelectorAll('#workers tr td:first-child'),"
            " function (td) { return td.textContent; });")
        for w in last["cli"]["workers_list"]:
            assert w["name"] in names, (w["name"], names)
        log("end: page matches the CLI: %s; workers %s" % (last["page"], names))
        driver.save_screenshot(os.path.join(shots, "e2e_dashboard-end.png"))
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
    return 0


T0 = time.monotonic()
if __name__ == "__main__":
    sys.exit(main())
