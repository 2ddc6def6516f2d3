# SPDX-License-Identifier: MIT
"""The fixtures the other tests judge by are themselves right: the fault proxy
records each request with its own headers however many threads it serves
at once, and a registry never mistakes another server on its port for
itself."""
import concurrent.futures
import http.client
import socket
import sys
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

from fixtures import faultproxy, hostile, netutil, registry


class FaultProxyPerRequest(unittest.TestCase):
    def test_each_request_keeps_its_own_headers(self):
        upstream = hostile.HostileRegistry()
        self.addCleanup(upstream.stop)
        upstream.route(r"^/r/", hostile.answer(200, b"ok"))
        proxy = faultproxy.FaultProxy(upstream.host)
        self.addCleanup(proxy.stop)
        # a rule that must match only the requests that carry the header
        proxy.add(r"^/r/", "status", times=-1, require_header="X-Marked", status=418)
        old = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # threads change hands between any two steps: races show
        self.addCleanup(sys.setswitchinterval, old)

        def one(i):
            conn = http.client.HTTPConnection(proxy.host, timeout=30)
            headers = {"X-Request": str(i)}
            if i % 2:
                headers["X-Marked"] = "yes"
            conn.request("GET", "/r/%d" % i, headers=headers)
            status = conn.getresponse().status
            conn.close()
            return i, status

        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            answers = dict(pool.map(one, range(600)))
        # the rule saw each request's own headers ...
        self.assertEqual({i for i, s in answers.items() if s == 418}, {i for i in range(600) if i % 2})
        # ... and each request was recorded with them
        self.assertEqual(len(proxy.requests), 600)
        for method, path, headers in proxy.requests:
            self.assertEqual(path, "/r/" + headers["X-Request"])
            self.assertEqual("X-Marked" in headers, int(headers["X-Request"]) % 2 == 1)


class RegistryPort(unittest.TestCase):
    def test_a_stranger_on_the_port_is_not_taken_for_the_registry(self):
        class Stranger(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass
        stranger = ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
        threading.Thread(target=stranger.serve_forever, daemon=True).start()
        self.addCleanup(stranger.server_close)
        self.addCleanup(stranger.shutdown)
        taken = stranger.server_address[1]
        ports = iter([taken])
        real = netutil.free_port
        netutil.free_port = lambda: next(ports, None) or real()  # the first port offered is the stranger's
        self.addCleanup(setattr, netutil, "free_port", real)
        reg = registry.Registry()
        self.addCleanup(reg.stop)
        self.assertNotEqual(reg.port, taken)
        conn = http.client.HTTPConnection(reg.host, timeout=30)
        conn.request("GET", "/v2/")
        answer = conn.getresponse()
        self.assertEqual(answer.getheader("Docker-Distribution-Api-Version"), "registry/2.0")
        self.assertEqual(answer.status, 200)

    def test_a_refusing_port_refuses_and_cannot_be_taken(self):
        with netutil.RefusingPort() as hole:
            with socket.socket() as s:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", hole.port)), 0)
            with socket.socket() as s:
                with self.assertRaises(OSError):
                    s.bind(("127.0.0.1", hole.port))


if __name__ == "__main__":
    unittest.main()
