#!/usr/bin/env python3
"""report.py - turns bench/run's per-run records into the report: the machine, one Markdown table
(median and min-max of the runs), the ratios, the goals met or not, and the same as JSON.

  report.py --records FILE --json OUT [--notes FILE] [--meta KEY=VALUE]...

FILE has one tab-separated line per measured value: section, system, setting, metric, value.
--notes has one line each that a reader of the table must know (a peer left out, a crawler that
missed pages); they are printed under the table and kept in the JSON.
"""

import argparse
import json
import statistics
import sys
from collections import OrderedDict

SECTION_TITLE = {
    "noop": "no-op roundtrip",
    "latency": "latency, one task at a time",
    "queue": "queue scale",
    "jobs": "many small jobs",
    "fetch": "real fetching (nginx)",
    "save": "keep what is fetched (nginx)",
    "crawl": "crawl a linked site (nginx)",
    "exec": "exec: a process per task",
    "stdio": "a Python function per task",
    "delay": "delayed tasks: lateness after their due time",
}
SYSTEM_LABEL = {
    "zmq-pushpull": "raw ZeroMQ PUSH/PULL (C)",
    "zmq-broker": "raw ZeroMQ LB broker, credit 16 (C)",
    "dtask-memory": "dtask --memory",
    "dtask-data": "dtask --data",
    "beanstalkd-memory": "beanstalkd (C client)",
    "beanstalkd-binlog": "beanstalkd -b binlog (C client)",
    "origin": "origin (Python BaseManager)",
    "wrk": "wrk (Lua: cycles through the pages)",
    "zmq-broker-client": "raw ZeroMQ LB broker + client process (C)",
    "wget2": "wget2 -r",
    "scrapy": "Scrapy CrawlSpider (Python)",
    "dtask-list": "dtask --memory, the pages as a URL list (list, not crawl)",
    "dtask-crawl": "dtask crawl from the home page, master + 2 workers",
    "dtask-seen-set": "dtask crawl's seen set (bench/seen_set)",
    "xargs": "xargs -n 1",
    "parallel": "GNU parallel",
    "celery": "Celery + Redis (Python)",
    "dtask": "dtask",
    "dtask-nosave": "dtask --memory, nothing kept",
    "dtask-nosave-data": "dtask --data, nothing kept",
    "dtask-warc-worker": "dtask, WARC at the worker (--warc-dir)",
    "dtask-save-warc": "dtask submit --save warc (WARC at the master)",
}
METRIC_UNIT = {
    "tasks_per_s": "tasks/s",
    "p50_us": "p50 µs",
    "p99_us": "p99 µs",
    "p999_us": "p99.9 µs",
    "submit_per_s": "submit tasks/s",
    "drain_per_s": "drain tasks/s",
    "rss_bytes_per_task": "master RSS bytes/task",
    "jobs_per_s": "jobs/s",
    "lateness_p50_ms": "p50 ms after due",
    "lateness_p99_ms": "p99 ms after due",
    "rss_mb_waiting": "master RSS MiB while they wait",
    "rss_mb_growth": "master RSS growth MiB",
    "rss_mb_after_drain": "master RSS MiB after drain",
    "pages_per_s": "pages/s",
    "req_per_s": "requests/s",
    "pages": "distinct pages fetched",
    "worker_cpu_ms_per_1k": "worker CPU ms / 1,000 pages",
    "warc_bytes_per_page": "WARC bytes/page",
    "master_cpu_ms_per_1k": "master CPU ms / 1,000 pages",
    "master_rss_mb_start": "master RSS MiB before",
    "master_rss_mb_half": "master RSS MiB halfway",
    "master_rss_mb_end": "master RSS MiB after",
    "master_rss_mb_growth_2nd_half": "master RSS growth MiB, 2nd half",
    "bytes_per_url": "RAM bytes per seen URL",
}
BOUNDED_MIB = 64  # durable mode's RSS counts as bounded when queueing Q_BIG tasks grows it by less


def fmt(v, metric):
    if v is None:
        return "—"
    if metric.endswith("_per_s") or metric == "pages":
        return "{:,.0f}".format(v)
    return "{:,.1f}".format(v)


def load(path):
    groups = OrderedDict()
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or parts[4] == "":
                continue
            key = tuple(parts[:4])
            groups.setdefault(key, []).append(float(parts[4]))
    rows = []
    for (section, system, setting, metric), vals in groups.items():
        rows.append(
            {
                "section": section,
                "system": system,
                "setting": setting,
                "metric": metric,
                "median": statistics.median(vals),
                "min": min(vals),
                "max": max(vals),
                "runs": vals,
            }
        )
    return rows


def med(rows, section, system, setting, metric):
    for r in rows:
        if (r["section"], r["system"], r["setting"], r["metric"]) == (section, system, setting, metric):
            return r["median"]
    return None


def ratio(a, b):
    return a / b if a is not None and b else None


def ratios(rows):
    out = []
    for w in ("W=1", "W=4"):
        bs = [med(rows, "noop", s, w, "tasks_per_s") for s in ("beanstalkd-memory", "beanstalkd-binlog")]
        bs = [b for b in bs if b is not None]
        best_bs = max(bs) if bs else None
        for d in ("dtask-memory", "dtask-data"):
            v = med(rows, "noop", d, w, "tasks_per_s")
            if v is None:
                continue
            out.append(
                {
                    "name": "%s %s" % (d, w),
                    "vs_zmq_broker": ratio(v, med(rows, "noop", "zmq-broker", w, "tasks_per_s")),
                    "vs_origin": ratio(v, med(rows, "noop", "origin", w, "tasks_per_s")),
                    "vs_beanstalkd_best": ratio(v, best_bs),
                }
            )
    return out


# The fetch that keeps nothing that each way of keeping pages is measured against: the same master
# (`--save warc` needs --data; --warc-dir works with either, and the fetch section's row is --memory).
SAVE_BASE = {"dtask-save-warc": "dtask-nosave-data"}


def save_ratios(rows):
    """Each way of keeping pages against the same fetch keeping nothing (section save): pages/s,
    worker CPU and master CPU per page."""
    out = []
    for r in rows:
        if r["section"] != "save" or r["system"].startswith("dtask-nosave") or r["metric"] != "pages_per_s":
            continue
        setting, base = r["setting"], SAVE_BASE.get(r["system"], "dtask-nosave")
        out.append(
            {
                "name": r["system"],
                "base": base,
                "setting": setting,
                "pages_per_s": ratio(r["median"], med(rows, "save", base, setting, "pages_per_s")),
                "worker_cpu": ratio(
                    med(rows, "save", r["system"], setting, "worker_cpu_ms_per_1k"),
                    med(rows, "save", base, setting, "worker_cpu_ms_per_1k"),
                ),
                "master_cpu": ratio(
                    med(rows, "save", r["system"], setting, "master_cpu_ms_per_1k"),
                    med(rows, "save", base, setting, "master_cpu_ms_per_1k"),
                ),
            }
        )
    return out


def goals(rows, meta):
    g = []

    def add(name, value, target, met, why):
        g.append({"goal": name, "measured": value, "target": target, "met": met, "detail": why})

    qb, qs = "Q=%s" % meta.get("q_big"), "Q=%s" % meta.get("q_small")
    url = float(meta.get("url_bytes", 60))

    r = ratio(med(rows, "noop", "dtask-memory", "W=4", "tasks_per_s"), med(rows, "noop", "zmq-broker", "W=4", "tasks_per_s"))
    add("no-op W=4 in memory vs raw ZeroMQ LB broker", r, ">= 1.0x", None if r is None else r >= 1.0, "dtask-memory / zmq-broker tasks/s")
    r = ratio(med(rows, "noop", "dtask-data", "W=4", "tasks_per_s"), med(rows, "noop", "dtask-memory", "W=4", "tasks_per_s"))
    add("durable vs in memory (no-op W=4)", r, ">= 0.5x", None if r is None else r >= 0.5, "dtask-data / dtask-memory tasks/s")
    dp50 = med(rows, "latency", "dtask-memory", "W=1", "p50_us")
    bp50 = med(rows, "latency", "zmq-broker-client", "W=1", "p50_us")
    dp99 = med(rows, "latency", "dtask-memory", "W=1", "p99_us")
    r = ratio(dp50, bp50)
    add("latency p50 vs raw broker roundtrip", r, "<= 1.5x", None if r is None else r <= 1.5, "dtask-memory p50 / zmq-broker-client p50 (same hops)")
    r = ratio(dp99, dp50)
    add("latency p99 vs dtask p50", r, "<= 3x", None if r is None else r <= 3.0, "dtask-memory p99 / p50")
    for store in ("memory", "data"):
        r = ratio(med(rows, "queue", "dtask-" + store, qb, "drain_per_s"), med(rows, "queue", "dtask-" + store, qs, "drain_per_s"))
        add("drain rate %s vs %s (%s)" % (qb, qs, store), r, ">= 0.8x", None if r is None else r >= 0.8, "drain tasks/s at %s / at %s" % (qb, qs))
    b = med(rows, "queue", "dtask-memory", qb, "rss_bytes_per_task")
    v = None if b is None else b - url
    add("master memory per queued task beyond the URL (memory)", v, "<= 200 B", None if v is None else v <= 200, "RSS growth / %s minus %d-byte URL" % (qb, url))
    b = med(rows, "queue", "dtask-data", qb, "rss_bytes_per_task")
    grow = None if b is None else b * float(meta.get("q_big", 0)) / 1048576
    add("master memory bounded (durable)", grow, "< %d MiB growth at %s" % (BOUNDED_MIB, qb), None if grow is None else grow < BOUNDED_MIB, "RSS growth MiB while queueing %s" % qb)
    best = None
    for r in rows:
        if r["section"] == "fetch" and r["system"] == "dtask-memory":
            conns = r["setting"].split("conns=")[-1]
            w = med(rows, "fetch", "wrk", "conns=" + conns, "req_per_s")
            x = ratio(r["median"], w)
            if x is not None and (best is None or x > best[0]):
                best = (x, r["setting"])
    add("real fetching vs wrk (best dtask setting)", None if best is None else best[0], ">= 0.7x",
        None if best is None else best[0] >= 0.7, "" if best is None else "dtask pages/s / wrk requests/s, %s" % best[1])
    sv = [x for x in save_ratios(rows) if x["name"] == "dtask-save-warc"]
    r = sv[0]["pages_per_s"] if sv else None
    add("fetch with --save warc vs the same fetch without", r, ">= 0.8x", None if r is None else r >= 0.8,
        "dtask-save-warc / dtask-nosave-data pages/s")
    return g


def fmt_ratio(r):
    return "—" if r is None else ("%.2f×" % r if r < 10 else "%.0f×" % r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--meta", action="append", default=[])
    ap.add_argument("--notes")
    a = ap.parse_args()
    notes = []
    if a.notes:
        with open(a.notes) as f:
            notes = [line.rstrip("\n") for line in f if line.strip()]
    meta = OrderedDict(kv.split("=", 1) for kv in a.meta)
    rows = load(a.records)
    rat = ratios(rows)
    srat = save_ratios(rows)
    gl = goals(rows, meta)
    p = print
    p("## dtask benchmarks (%s)" % meta.get("date", "?"))
    p()
    p("Machine: %s cores, %s, %s GiB, %s. dtask build %s; libzmq %s, beanstalkd %s, nginx %s, wrk %s, Python %s."
      % (meta.get("nproc"), meta.get("cpu"), meta.get("mem_gib"), meta.get("kernel"), meta.get("dtask_build"),
         meta.get("libzmq"), meta.get("beanstalkd"), meta.get("nginx"), meta.get("wrk"), meta.get("python")))
    p("Next rows' peers: wget2 %s, Scrapy %s, GNU parallel %s, Celery %s, Redis %s."
      % tuple(meta.get(k) or "—" for k in ("wget2", "scrapy", "parallel", "celery", "redis")))
    p("Command: `%s` (%s runs each; no-op N=%s, latency %s round trips, queue %s and %s, %s pages; "
      "crawl %s pages, exec %s and stdio %s tasks; took %s s)."
      % (meta.get("command"), meta.get("runs"), meta.get("n_noop"), meta.get("n_latency"), meta.get("q_big"),
         meta.get("q_small"), meta.get("pages"), meta.get("crawl_pages"), meta.get("exec_n"),
         meta.get("stdio_n"), meta.get("elapsed_s")))
    p()
    p("| benchmark | system | setting | metric | median | min–max | runs |")
    p("|---|---|---|---|---:|---:|---:|")
    for r in rows:
        p("| %s | %s | %s | %s | %s | %s–%s | %d |" % (
            SECTION_TITLE.get(r["section"], r["section"]), SYSTEM_LABEL.get(r["system"], r["system"]), r["setting"],
            METRIC_UNIT.get(r["metric"], r["metric"]), fmt(r["median"], r["metric"]), fmt(r["min"], r["metric"]),
            fmt(r["max"], r["metric"]), len(r["runs"])))
    if notes:
        p()
        for n in notes:
            p("- %s" % n)
    if rat:
        p()
        p("| no-op ratio (medians) | vs raw ZeroMQ LB broker | vs origin | vs beanstalkd's best |")
        p("|---|---:|---:|---:|")
        for r in rat:
            p("| %s | %s | %s | %s |" % (r["name"], fmt_ratio(r["vs_zmq_broker"]), fmt_ratio(r["vs_origin"]), fmt_ratio(r["vs_beanstalkd_best"])))
    if srat:
        p()
        p("| keeping pages (medians) | setting | against | pages/s | worker CPU | master CPU |")
        p("|---|---|---|---:|---:|---:|")
        for r in srat:
            p("| %s | %s | %s | %s | %s | %s |" % (SYSTEM_LABEL.get(r["name"], r["name"]), r["setting"],
                                                   SYSTEM_LABEL.get(r["base"], r["base"]), fmt_ratio(r["pages_per_s"]),
                                                   fmt_ratio(r["worker_cpu"]), fmt_ratio(r["master_cpu"])))
    p()
    p("| goal | target | measured | met |")
    p("|---|---|---:|---|")
    for x in gl:
        m = x["measured"]
        shown = "—" if m is None else ("%.2f×" % m if x["target"].endswith("x") else "%.1f" % m)
        p("| %s | %s | %s | %s |" % (x["goal"], x["target"], shown,
                                    "not measured" if x["met"] is None else ("met" if x["met"] else "NOT met")))
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "results": rows, "notes": notes, "ratios": rat, "save_ratios": srat,
                   "goals": gl}, f, indent=1)
        f.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
