# SPDX-License-Identifier: MIT
"""The fixtures the other tests judge by are themselves right: the fault proxy
records each request with its own headers however many threads it serves
at once, and a registry never mistakes another server on its port for
itself, and the OCI layout checker that judges stores without libimage
finds every kind of damage."""
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fixtures import faultproxy, hostile, images, netutil, ocilayout, registry


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


class LayoutChecker(unittest.TestCase):
    """fixtures/ocilayout.py: sound is sound, and each kind of damage is found."""

    def setUp(self):
        self.store = tempfile.mkdtemp(prefix="limg-layout-")
        self.addCleanup(shutil.rmtree, self.store)
        amd = images.Image(images.sample_layers("judge-amd"))
        arm = images.Image(images.sample_layers("judge-arm"), arch="arm64")
        self.index = images.Index([amd, arm])
        self.img = amd
        # one platform of the index pulled, as a pull leaves it; and a tagged image
        images.write_blobs(self.store, [self.index.manifest] + amd.blobs())
        with open(os.path.join(self.store, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.write_index([
            dict(self.index.manifest.descriptor(),
                 annotations={"org.opencontainers.image.ref.name": "127.0.0.1:5000/team/multi:v1"}),
            dict(amd.manifest.descriptor(),
                 annotations={"org.opencontainers.image.ref.name": "docker.io/library/app@" + amd.manifest.digest})])

    def write_index(self, manifests):
        with open(os.path.join(self.store, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": ocilayout.OCI_INDEX, "manifests": manifests}, f)

    def blob(self, b):
        return os.path.join(self.store, "blobs", "sha256", b.digest[7:])

    def damaged(self, expect):
        found = ocilayout.problems(self.store)
        self.assertTrue(any(expect in p for p in found), found)

    def test_sound(self):
        self.assertEqual(ocilayout.problems(self.store), [])

    def test_a_flipped_byte(self):
        layer = self.img.layers[1].blob
        with open(self.blob(layer), "r+b") as f:
            f.seek(10)
            b = f.read(1)
            f.seek(10)
            f.write(bytes([b[0] ^ 1]))
        self.damaged("do not hash to its name")

    def test_a_missing_layer_and_config(self):
        os.remove(self.blob(self.img.layers[0].blob))
        self.damaged("%s is not in the store" % self.img.layers[0].blob.digest)
        os.remove(self.blob(self.img.config))
        self.damaged("%s is not in the store" % self.img.config.digest)

    def test_a_wrong_size(self):
        with open(os.path.join(self.store, "index.json")) as f:
            index = json.load(f)
        index["manifests"][1]["size"] += 1
        self.write_index(index["manifests"])
        self.damaged("the descriptor says")

    def test_a_bad_layout_file_and_index(self):
        with open(os.path.join(self.store, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "2.0.0"}, f)
        self.damaged("oci-layout")
        with open(os.path.join(self.store, "index.json"), "w") as f:
            f.write('{"schemaVersion": 2, "manifests": {}}')
        self.damaged("manifests is not an array")

    def test_a_bad_ref_name_and_descriptor(self):
        self.write_index([dict(self.img.manifest.descriptor(),
                               annotations={"org.opencontainers.image.ref.name": "bad name//x"}),
                          dict(self.img.manifest.descriptor(), digest="sha256:XYZ")])
        self.damaged("does not follow the spec's grammar")
        self.damaged("digest 'sha256:XYZ'")

    def test_stray_files_under_blobs(self):
        os.symlink(self.blob(self.img.config), os.path.join(self.store, "blobs", "sha256", "a" * 64))
        self.damaged("not a regular file")
        with open(os.path.join(self.store, "blobs", "sha256", "tmp-123"), "w") as f:
            f.write("x")
        self.damaged("not a sha256 digest")

    def test_a_config_that_does_not_fit_its_layers(self):
        cfg = dict(self.img.config_json)
        cfg["rootfs"] = {"type": "layers", "diff_ids": cfg["rootfs"]["diff_ids"][:1]}
        config = images.Blob(json.dumps(cfg).encode(), images.OCI_CONFIG)
        manifest = images.Blob(json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                                           "config": config.descriptor(),
                                           "layers": [l.blob.descriptor() for l in self.img.layers]}).encode(),
                               images.OCI_MANIFEST)
        images.write_blobs(self.store, [config, manifest])
        self.write_index([manifest.descriptor()])
        self.damaged("1 diff_ids for 2 layers")


if __name__ == "__main__":
    unittest.main()
