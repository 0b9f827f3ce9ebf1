#!/usr/bin/env python3
"""test_dt_httpd.py - the test HTTP server answers each route as documented, over kept-alive connections."""

import gzip
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dt_httpd  # noqa: E402


class HttpdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = os.path.join(cls.tmp.name, "site")
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("<html>home</html>\n")
        with open(os.path.join(root, "docs", "index.html"), "w") as f:
            f.write("<html>docs</html>\n")
        with open(os.path.join(cls.tmp.name, "secret.txt"), "w") as f:
            f.write("outside the root\n")
        port_file = os.path.join(cls.tmp.name, "port")
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "dt_httpd.py"), "--port", "0", "--port-file", port_file,
             "--root", root, "--quiet"]
        )
        for _ in range(100):
            if os.path.exists(port_file):
                break
            if cls.proc.poll() is not None:
                raise RuntimeError("dt_httpd.py exited at start")
            time.sleep(0.1)
        with open(port_file) as f:
            cls.port = int(f.read())

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.tmp.cleanup()

    def setUp(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def tearDown(self):
        self.conn.close()

    def get(self, path, method="GET"):
        self.conn.request(method, path)
        r = self.conn.getresponse()
        body = r.read()
        self.assertIsNotNone(r.getheader("Content-Length"), path)
        if method == "GET":
            self.assertEqual(int(r.getheader("Content-Length")), len(body), path)
        return r, body

    def test_routes_answer_what_expected_body_predicts(self):
        for path in ["/size/0", "/size/1", "/size/100000", "/page/0", "/page/57", "/page/999",
                     "/status/200", "/status/404", "/status/503", "/status/204", "/robots.txt",
                     "/slow/10", "/fail/x"]:
            r, body = self.get(path)
            status, want = dt_httpd.expected_body(path)
            self.assertEqual((r.status, body), (status, want), path)

    def test_binary_and_gzip_bodies_are_what_expected_body_predicts(self):
        for path in ["/bin/0", "/bin/1", "/bin/300000", "/gzip/0", "/gzip/100000"]:
            r, body = self.get(path)
            self.assertEqual((r.status, body), dt_httpd.expected_body(path), path)
        body = self.get("/bin/1000")[1]
        self.assertTrue(all(c in body for c in b"\0\r\n"))
        r, body = self.get("/gzip/5000")
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(body), dt_httpd.size_chunk(0, 5000))

    def test_chunked_sends_the_body_in_chunks(self):
        for n in (0, 1, 70000):
            self.conn.request("GET", "/chunked/%d" % n)
            r = self.conn.getresponse()
            self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            self.assertIsNone(r.getheader("Content-Length"))
            self.assertEqual(r.read(), dt_httpd.expected_body("/chunked/%d" % n)[1])
        self.assertEqual(dt_httpd.chunk_sizes(70000), [1, 10, 1000, 7, 65536, 333, 1, 10, 1000, 7, 2095])

    def test_gzipchunked_sends_the_gzip_body_in_chunks(self):
        for n in (0, 200000):
            self.conn.request("GET", "/gzipchunked/%d" % n)
            r = self.conn.getresponse()
            self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            self.assertEqual(r.getheader("Content-Encoding"), "gzip")
            body = r.read()
            self.assertEqual(body, dt_httpd.expected_body("/gzipchunked/%d" % n)[1])
            self.assertEqual(gzip.decompress(body), dt_httpd.size_chunk(0, n))

    def test_close_ends_the_body_with_the_connection(self):
        self.conn.request("GET", "/close/100000")
        r = self.conn.getresponse()
        self.assertIsNone(r.getheader("Content-Length"))
        self.assertIsNone(r.getheader("Transfer-Encoding"))
        self.assertEqual(r.read(), dt_httpd.expected_body("/close/100000")[1])
        self.assertTrue(r.isclosed())

    def test_early_sends_103_before_the_answer(self):
        # http.client skips interim answers; a raw socket sees both heads.
        import socket
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /early/10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        self.assertTrue(data.startswith(b"HTTP/1.1 103 "))
        self.assertIn(b"\r\n\r\nHTTP/1.1 200 ", data)
        self.assertTrue(data.endswith(b"\r\n\r\n" + dt_httpd.expected_body("/early/10")[1]))

    def test_cut_closes_the_connection_mid_body(self):
        self.conn.request("GET", "/cut/10000")
        r = self.conn.getresponse()
        self.assertEqual(int(r.getheader("Content-Length")), 10000)
        with self.assertRaises(http.client.IncompleteRead) as e:
            r.read()
        self.assertEqual(e.exception.partial, dt_httpd.expected_body("/cut/10000")[1])
        self.assertEqual(len(e.exception.partial), 5000)

    def test_stall_sends_half_then_waits_for_the_client_to_leave(self):
        self.conn.request("GET", "/stall/10000")
        r = self.conn.getresponse()
        self.assertEqual(int(r.getheader("Content-Length")), 10000)
        self.assertEqual(r.read(5000), dt_httpd.expected_body("/stall/10000")[1])
        self.conn.sock.settimeout(0.3)
        with self.assertRaises(OSError):  # nothing more comes (a timeout)
            r.read(1)

    def test_page_size_depends_only_on_k(self):
        for k in (0, 1, 100, 101, 5000):
            self.assertEqual(len(dt_httpd.page_body(k)), dt_httpd.page_size(k))
            _, body = self.get("/page/%d" % k)
            self.assertEqual(len(body), dt_httpd.page_size(k))
            self.assertIn(b'href="/page/', body)

    def test_connection_is_kept_alive(self):
        self.get("/page/1")
        sock = self.conn.sock
        for path in ("/size/10", "/status/404", "/redirect/1", "/page/2"):
            self.get(path)
            self.assertIs(self.conn.sock, sock, "reconnected after " + path)

    def test_redirect_chain_ends_in_done(self):
        r, _ = self.get("/redirect/3")
        self.assertEqual((r.status, r.getheader("Location")), (302, "/redirect/2"))
        r, body = self.get("/redirect/0")
        self.assertEqual((r.status, body), (200, b"done"))

    def test_flaky_key_fails_n_times_then_succeeds(self):
        got = [self.get("/flaky/k1/2")[0].status for _ in range(4)]
        self.assertEqual(got, [503, 503, 200, 200])
        self.assertEqual(self.get("/flaky/k2/0")[0].status, 200)

    def test_hits_counts_requests_per_path(self):
        for _ in range(3):
            self.get("/size/7")
        hits = json.loads(self.get("/hits")[1])
        self.assertEqual(hits["/size/7"], 3)
        self.assertNotIn("/hits", hits)

    def test_size_is_capped_and_head_has_no_body(self):
        r, body = self.get("/size/99999999999", method="HEAD")
        self.assertEqual((r.status, int(r.getheader("Content-Length")), body),
                         (200, dt_httpd.SIZE_MAX, b""))

    def test_slow_waits_before_answering(self):
        t0 = time.monotonic()
        r, _ = self.get("/slow/300")
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    def test_static_files_come_from_root_only(self):
        r, body = self.get("/")
        self.assertEqual((r.status, body), (200, b"<html>home</html>\n"))
        self.assertTrue(r.getheader("Content-Type").startswith("text/html"))
        self.assertEqual(self.get("/docs/")[1], b"<html>docs</html>\n")
        self.assertEqual(self.get("/../secret.txt")[0].status, 404)
        self.assertEqual(self.get("/%2e%2e/secret.txt")[0].status, 404)
        self.assertEqual(self.get("/missing.html")[0].status, 404)

    def test_bad_numbers_are_not_found(self):
        for path in ("/size/-1", "/size/abc", "/page/", "/status/99", "/status/600", "/status/101",
                     "/redirect/1000", "/slow/9999999"):
            self.assertEqual(self.get(path)[0].status, 404, path)

    def test_binds_loopback_only(self):
        p = subprocess.run([sys.executable, os.path.join(HERE, "dt_httpd.py"), "--host", "0.0.0.0"],
                           capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
