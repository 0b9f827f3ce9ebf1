#!/usr/bin/env python3
"""crawl_spider.py - the Scrapy peer of the crawl benchmark (bench/run): a CrawlSpider that follows
every link from the start URL and keeps nothing but a count.

  crawl_spider.py --start URL [--concurrency C]

Scrapy as a crawl is usually configured for speed against a site one owns: C concurrent requests
(default 32, all to the one host: CONCURRENT_REQUESTS_PER_DOMAIN too, whose default of 8 would cap
it), robots.txt not fetched, no download delay, no AutoThrottle, no telnet console, LOG_LEVEL
WARNING. Scrapy's own duplicate filter drops links already seen; links are followed at any depth.
At the end it prints `distinct=` (distinct URLs answered with HTTP 200: the site's pages it
fetched), then from Scrapy's stats `pages=` (responses with HTTP 200: one more than distinct, since
Scrapy's start request bypasses its duplicate filter and "/" is fetched again when a page links to
it), `responses=` (all responses), `requests=` (requests sent) and `elapsed_ms=` (Scrapy's own
clock, from the engine's start to its end; bench/run times the whole process itself).
"""

import argparse

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class SiteSpider(CrawlSpider):
    name = "bench"
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, start=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start]
        self.seen = set()

    def parse_start_url(self, response):
        return self.parse_page(response)

    def parse_page(self, response):
        if response.status == 200:
            self.seen.add(response.url)
        return ()

    def closed(self, reason):
        st = self.crawler.stats
        elapsed = st.get_value("elapsed_time_seconds") or 0
        print("reason=%s" % reason)
        print("distinct=%d" % len(self.seen))
        print("pages=%d" % (st.get_value("downloader/response_status_count/200") or 0))
        print("responses=%d" % (st.get_value("downloader/response_count") or 0))
        print("requests=%d" % (st.get_value("downloader/request_count") or 0))
        print("elapsed_ms=%.3f" % (elapsed * 1000), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", required=True)
    ap.add_argument("--concurrency", type=int, default=32)
    a = ap.parse_args()
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": a.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": a.concurrency,
            "CONCURRENT_REQUESTS_PER_IP": 0,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_DELAY": 0,
            "RANDOMIZE_DOWNLOAD_DELAY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            # What `scrapy startproject` writes for a new project (and what silences the warning
            # that the older default is deprecated).
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        }
    )
    process.crawl(SiteSpider, start=a.start)
    process.start()


if __name__ == "__main__":
    main()
