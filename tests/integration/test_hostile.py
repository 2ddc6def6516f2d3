# SPDX-License-Identifier: MIT
"""libimage against a registry that lies (fixtures/hostile.py): every answer
bounded, nothing ambiguous accepted, no untrusted text printed raw."""
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

from fixtures import hostile, images
from fixtures.hostile import answer, blob_handler, drip, endless, endless_headers
from tool import ENV, EXAMPLES, TOOLS, Failed, example, registry_tool

reg = None
ESC = "\x1b"


def setUpModule():
    global reg
    reg = hostile.HostileRegistry()
    unittest.addModuleCleanup(reg.stop)


def test_pull(store, ref, *opts, timeout=60):
    """limg-test-pull: (first line of stdout, stderr, seconds)."""
    start = time.monotonic()
    p = subprocess.run([os.path.join(TOOLS, "limg-test-pull")] + [str(o) for o in opts] + [store, ref],
                       capture_output=True, text=True, env=ENV, timeout=timeout)
    return p.stdout.strip(), p.stderr, time.monotonic() - start


def manifest_text(config, layers, media_type=images.OCI_MANIFEST):
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "config": config.descriptor(),
                       "layers": [l.descriptor() for l in layers]}).encode()


class Bounded(unittest.TestCase):
    """Whatever the registry sends, libimage reads a bounded amount, for a bounded time."""

    def setUp(self):
        self.store = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.store)

    def get(self, repo, ref, *opts):
        out = os.path.join(self.store, "manifest.out")
        return registry_tool(*(list(opts) + ["get", reg.host, repo, ref, out]), timeout=60)

    def test_endless_error_body_is_not_read(self):
        """README: "Bounds on everything: error bodies (64 KiB) ...". An error answer that
        never ends, written in 16 KiB pieces at a pace the client keeps up with: the
        connection is dropped after 64 KiB and a little in flight, not at the end."""
        reg.route(r"^/v2/b/endless/manifests/v1$", endless(404, chunk=b"x" * 16384, reg=reg, pace=0.005))
        start = time.monotonic()
        with self.assertRaises(Failed) as e:
            self.get("b/endless", "v1")
        self.assertEqual(e.exception.code, "LIMG_ENOTFOUND")
        self.assertLess(time.monotonic() - start, 10)
        sent = reg.sent.get("/v2/b/endless/manifests/v1", 0)
        self.assertGreaterEqual(sent, 64 << 10)
        self.assertLess(sent, (64 << 10) + (512 << 10), "%d bytes of an error answer were taken" % sent)

    def test_the_error_body_limit_is_64_kib(self):
        """README: "error bodies (64 KiB)", at the byte: a registry's error answer of
        exactly 64 KiB is read (its code reaches the caller), one byte more is cut
        short (and no longer JSON, so no code comes back)."""
        for n, code in ((64 << 10, "MANIFEST_UNKNOWN"), ((64 << 10) + 1, "")):
            head, tail = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"', b'"}]}'
            body = head + b"m" * (n - len(head) - len(tail)) + tail
            reg.route(r"^/v2/b/errbody%d/manifests/v1$" % n, answer(404, body, {"Content-Type": "application/json"}))
            with self.assertRaises(Failed) as e:
                self.get("b/errbody%d" % n, "v1")
            self.assertEqual((e.exception.code, e.exception.error["http_status"], e.exception.error["registry_code"]),
                             ("LIMG_ENOTFOUND", 404, code), n)

    def test_the_header_limit_is_256_kib(self):
        """README: "Bounds on everything: ... headers (256 KiB)", at the byte: an
        answer whose header block (status line to the blank line) is exactly
        256 KiB is taken, one byte more is refused (libcurl's own limit, 300 KiB,
        would take it)."""
        img = images.Image(images.sample_layers("hdrlimit"))
        for n, ok in ((256 << 10, True), ((256 << 10) + 1, False)):
            lines = [b"HTTP/1.1 200 OK\r\n", b"Content-Type: %s\r\n" % images.OCI_MANIFEST.encode(),
                     b"Docker-Content-Digest: %s\r\n" % img.manifest.digest.encode(),
                     b"Content-Length: %d\r\n" % img.manifest.size, b"Connection: close\r\n"]
            used = sum(map(len, lines)) + 2  # and the blank line
            i = 0
            while used < n:
                pad = b"X-Pad-%05d: " % i
                take = min(1000, n - used - len(pad) - 2)
                if take < 1:  # too little room for one more line: lengthen the previous one
                    lines[-1] = lines[-1][:-2] + b"y" * (n - used) + b"\r\n"
                    used = n
                    break
                lines.append(pad + b"y" * take + b"\r\n")
                used += len(lines[-1])
                i += 1
            raw = b"".join(lines) + b"\r\n"
            self.assertEqual(len(raw), n)

            def fn(h, m, raw=raw):
                h.close_connection = True
                h.wfile.write(raw + img.manifest.data)
            reg.route(r"^/v2/b/hdr%d/manifests/v1$" % n, fn)
            if ok:
                self.assertTrue(self.get("b/hdr%d" % n, "v1").startswith(img.manifest.digest))
            else:
                with self.assertRaises(Failed) as e:
                    self.get("b/hdr%d" % n, "v1")
                self.assertEqual(e.exception.code, "LIMG_ETOOBIG")
                self.assertIn("headers", e.exception.error["message"])

    def test_endless_redirect_body_is_not_read(self):
        img = images.Image(images.sample_layers("redir"))
        reg.serve_image("b/redir", "v1", img)
        reg.route(r"^/v2/b/redir/manifests/moved$", endless(302, {"Location": "/v2/b/redir/manifests/v1"}, reg=reg))
        out = self.get("b/redir", "moved")
        self.assertTrue(out.startswith(img.manifest.digest))
        self.assertLess(reg.sent.get("/v2/b/redir/manifests/moved", 0), 32 << 20)

    def test_token_servers_endless_401_body(self):
        realm = "%s/b-token" % reg.url
        reg.route(r"^/v2/b/tok/manifests/v1$", answer(401, b"", {"WWW-Authenticate": 'Bearer realm="%s",service="x"' % realm}))
        reg.route(r"^/b-token", endless(401, reg=reg))
        start = time.monotonic()
        with self.assertRaises(Failed) as e:
            self.get("b/tok", "v1")
        self.assertEqual(e.exception.code, "LIMG_EAUTH")
        self.assertLess(time.monotonic() - start, 10)

    def test_a_huge_token_answer_is_named_as_such(self):
        realm = "%s/big-token" % reg.url
        reg.route(r"^/v2/b/bigtok/manifests/v1$",
                  answer(401, b"", {"WWW-Authenticate": 'Bearer realm="%s",service="x"' % realm}))
        reg.route(r"^/big-token", answer(200, b'{"token":"' + b"t" * (50 << 20) + b'"}'))
        with self.assertRaises(Failed) as e:
            self.get("b/bigtok", "v1")
        self.assertEqual(e.exception.code, "LIMG_ETOOBIG")
        self.assertIn("token server", e.exception.error["message"])
        self.assertNotIn("manifest", e.exception.error["message"])

    def test_a_huge_manifest_is_named_as_such(self):
        reg.route(r"^/v2/b/bigman/manifests/v1$", answer(200, b"{" + b" " * (5 << 20) + b"}",
                                                        {"Content-Type": images.OCI_MANIFEST}))
        with self.assertRaises(Failed) as e:
            self.get("b/bigman", "v1")
        self.assertEqual(e.exception.code, "LIMG_ETOOBIG")
        self.assertIn("manifest for", e.exception.error["message"])

    def test_a_huge_config_is_refused(self):
        """README: "Bounds on everything: ... manifests and configs (4 MiB)". A config of
        5 MiB (valid JSON, one huge label) named by a well-formed manifest: refused
        with what it was, and not stored."""
        layer = images.Layer({"a": b"1"})
        img = images.Image([layer], labels={"padding": "p" * (5 << 20)})
        self.assertGreater(img.config.size, 4 << 20)
        reg.serve_image("b/bigconfig", "v1", img)
        line, err, _ = test_pull(self.store, "%s/b/bigconfig:v1" % reg.host)
        self.assertEqual(line, "rc=-12 LIMG_ETOOBIG", err)
        self.assertIn(str(4 << 20), err)
        blobs = os.path.join(self.store, "blobs", "sha256")
        self.assertNotIn(img.config.digest[7:], os.listdir(blobs) if os.path.isdir(blobs) else [])

    def test_endless_headers(self):
        reg.route(r"^/v2/b/headers/manifests/v1$", endless_headers())
        with self.assertRaises(Failed) as e:
            self.get("b/headers", "v1")
        self.assertEqual(e.exception.code, "LIMG_ETOOBIG")
        self.assertIn("headers", e.exception.error["message"])

    def test_a_drip_feed_meets_the_operation_deadline(self):
        img = images.Image(images.sample_layers("drip"))
        reg.route(r"^/v2/b/drip/manifests/v1$", drip(200, img.manifest.data, every=0.2,
                                                      headers={"Content-Type": images.OCI_MANIFEST}))
        start = time.monotonic()
        with self.assertRaises(Failed) as e:
            self.get("b/drip", "v1", "--operation-timeout", "2")
        self.assertEqual(e.exception.code, "LIMG_ETIMEOUT")
        self.assertLess(time.monotonic() - start, 8)

    def test_a_registry_ignoring_range_is_followed_from_zero_once(self):
        layer = images.Layer({"data.bin": images.pseudo_random(200000, 7)})
        reg.route(r"^/v2/b/norange/blobs/%s$" % layer.blob.digest,
                  blob_handler(reg, layer.blob.data, ranges=False, cut_after=50000))
        out = os.path.join(self.store, "blob.out")
        with self.assertRaises(Failed) as e:
            registry_tool("--attempts", "10", "--backoff-ms", "10", "blob", reg.host, "b/norange", layer.blob.digest,
                          layer.blob.size, out)
        self.assertEqual(e.exception.code, "LIMG_EPROTOCOL")
        self.assertIn("ignores Range", e.exception.error["message"])
        self.assertLessEqual(reg.count("/v2/b/norange/blobs/"), 3)

    def test_a_blob_complete_before_the_connection_broke_is_complete(self):
        layer = images.Layer({"data.bin": images.pseudo_random(100000, 8)})
        reg.route(r"^/v2/b/complete/blobs/%s$" % layer.blob.digest,
                  blob_handler(reg, layer.blob.data, claim_longer=1000))
        out = os.path.join(self.store, "blob.out")
        registry_tool("--backoff-ms", "10", "blob", reg.host, "b/complete", layer.blob.digest, layer.blob.size, out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), layer.blob.data)
        ranges = [h.get("Range") for m, p, h in reg.requests if p.startswith("/v2/b/complete/blobs/")]
        self.assertNotIn("bytes=%d-" % layer.blob.size, ranges)

    def test_a_descriptor_over_the_blob_limit_is_refused_before_download(self):
        layer = images.Layer({"a": b"small"})
        img = images.Image([layer])
        big = dict(layer.blob.descriptor(), size=100 << 30)
        doc = json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "config": img.config.descriptor(),
                          "layers": [big]}).encode()
        reg.serve_blob("b/huge", img.config)
        reg.serve_manifest("b/huge", "v1", doc, images.OCI_MANIFEST)
        line, err, _ = test_pull(self.store, "%s/b/huge:v1" % reg.host)
        self.assertEqual(line, "rc=-12 LIMG_ETOOBIG")
        self.assertIn("over the", err)
        self.assertEqual(reg.count("/v2/b/huge/blobs/%s" % layer.blob.digest), 0)
        self.assertEqual(reg.count("/v2/b/huge/blobs/"), 0)  # not even the config

    def test_a_gzip_bomb_stops_at_the_ceiling(self):
        """README: "Bounds on everything: ... layers unpacked (`max_layer_size`, against
        gzip bombs ...)". 16 MB of gzip that inflate to 16 GiB: the pull stops at the
        8 MiB ceiling as the bytes come, in far less time than inflating (and hashing)
        16 GiB takes here (8 s and more: the time bound fails if the ceiling is only
        checked at the end)."""
        bomb = gzip_bomb(16)
        layer = images.Layer({"x": b""})
        layer.tar, layer.diff_id = None, images.sha256(b"never reached")
        layer.blob = images.Blob(bomb, images.OCI_LAYER)
        img = images.Image([layer])
        reg.serve_image("b/bomb", "v1", img)
        line, err, took = test_pull(self.store, "%s/b/bomb:v1" % reg.host, "--max-layer-size", 8 << 20)
        self.assertEqual(line, "rc=-12 LIMG_ETOOBIG")
        self.assertIn("layer size limit", err)
        self.assertLess(took, 4, "the bomb took %.1f s: inflated past the ceiling?" % took)
        # and the store lists nothing half-done
        self.assertEqual(example("limg-images", store=self.store).stdout.count("\n"), 1)


def gzip_bomb(gib):
    """A gzip stream of @gib GiB of zeros, made without compressing them: one
    1 MiB block ending in a full flush (no back-reference leaves it) repeated.
    Its trailer's CRC is not computed (a reader must stop long before it)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    return b"\x1f\x8b\x08\x00\0\0\0\0\x00\x03" + block * (gib << 10) + end + struct.pack("<II", 0, 0)


class Verified(unittest.TestCase):
    """README: "Every byte verified: blobs against their digests as they arrive ...,
    manifests against the digest asked for or the one the registry claims."
    """

    def setUp(self):
        self.store = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.store)

    def tool(self, *args):
        return registry_tool(*args, timeout=120)

    def two_images(self, repo):
        a, b = images.Image(images.sample_layers(repo + "-a")), images.Image(images.sample_layers(repo + "-b"))
        reg.serve_image(repo, "v1", a)
        reg.serve_image(repo, "other", b)
        return a, b

    def test_a_manifest_asked_by_digest_is_that_digest(self):
        """GET or HEAD by digest: bytes (or a Docker-Content-Digest) of another manifest are refused."""
        a, b = self.two_images("v/bydigest")
        reg.route(r"^/v2/v/bydigest/manifests/%s$" % a.manifest.digest,
                  answer(200, b.manifest.data, {"Content-Type": images.OCI_MANIFEST,
                                                "Docker-Content-Digest": a.manifest.digest}))
        with self.assertRaises(Failed) as e:
            self.tool("get", reg.host, "v/bydigest", a.manifest.digest, os.path.join(self.store, "m"))
        self.assertEqual(e.exception.code, "LIMG_EDIGEST_MISMATCH")
        self.assertIn("hashes to %s" % b.manifest.digest, e.exception.error["message"])
        reg.route(r"^/v2/v/bydigest/manifests/%s$" % a.manifest.digest,
                  answer(200, a.manifest.data, {"Content-Type": images.OCI_MANIFEST,
                                                "Docker-Content-Digest": b.manifest.digest}), method="HEAD")
        with self.assertRaises(Failed) as e:
            self.tool("head", reg.host, "v/bydigest", a.manifest.digest)
        self.assertEqual(e.exception.code, "LIMG_EDIGEST_MISMATCH")
        # a pull by digest: refused, nothing of the other image kept or tagged
        line, err, _ = test_pull(self.store, "%s/v/bydigest@%s" % (reg.host, a.manifest.digest))
        self.assertEqual(line, "rc=-123 LIMG_EDIGEST_MISMATCH", err)
        self.assertFalse(os.listdir(os.path.join(self.store, "blobs", "sha256"))
                         if os.path.isdir(os.path.join(self.store, "blobs", "sha256")) else [])
        self.assertEqual(example("limg-images", "-a", store=self.store).stdout.count("\n"), 1)

    def test_a_manifest_is_the_digest_the_registry_claims(self):
        """GET by tag: the body must hash to the Docker-Content-Digest the registry sent."""
        a, b = self.two_images("v/claims")
        reg.route(r"^/v2/v/claims/manifests/v1$",
                  answer(200, a.manifest.data, {"Content-Type": images.OCI_MANIFEST,
                                                "Docker-Content-Digest": b.manifest.digest}))
        with self.assertRaises(Failed) as e:
            self.tool("get", reg.host, "v/claims", "v1", os.path.join(self.store, "m"))
        self.assertEqual(e.exception.code, "LIMG_EDIGEST_MISMATCH")
        self.assertIn("expected %s" % b.manifest.digest, e.exception.error["message"])
        line, err, _ = test_pull(self.store, "%s/v/claims:v1" % reg.host)
        self.assertEqual(line, "rc=-123 LIMG_EDIGEST_MISMATCH", err)
        self.assertEqual(example("limg-images", "-a", store=self.store).stdout.count("\n"), 1)

    def test_a_blob_longer_than_its_descriptor(self):
        """A blob that goes on past the size its descriptor gives is refused, whether
        the answer says so (Content-Length) or not (chunked, and endless)."""
        layer = images.Layer({"data.bin": images.pseudo_random(200000, 12)})
        blob = layer.blob

        def longer(h, m):
            body = blob.data + b"tail" * 25000
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        reg.route(r"^/v2/v/longer/blobs/%s$" % blob.digest, longer)
        reg.route(r"^/v2/v/endless/blobs/%s$" % blob.digest, endless(200, chunk=b"x" * 16384, reg=reg, pace=0.005))
        for repo in ("v/longer", "v/endless"):
            start = time.monotonic()
            with self.assertRaises(Failed) as e:
                self.tool("--attempts", 1, "blob", reg.host, repo, blob.digest, blob.size,
                          os.path.join(self.store, "b"))
            self.assertEqual(e.exception.code, "LIMG_EDIGEST_MISMATCH", repo)
            self.assertIn("more than the expected %d bytes" % blob.size, e.exception.error["message"])
            self.assertLess(time.monotonic() - start, 10)
        sent = reg.sent.get("/v2/v/endless/blobs/%s" % blob.digest, 0)
        self.assertLess(sent, blob.size + (512 << 10), "%d bytes of an endless blob were taken" % sent)
        # in a pull: refused, not stored
        img = images.Image([layer])
        reg.serve_image("v/pullonger", "v1", img)
        reg.route(r"^/v2/v/pullonger/blobs/%s$" % blob.digest, longer)
        line, err, _ = test_pull(self.store, "%s/v/pullonger:v1" % reg.host)
        self.assertEqual(line, "rc=-123 LIMG_EDIGEST_MISMATCH", err)
        self.assertNotIn(blob.digest[7:], os.listdir(os.path.join(self.store, "blobs", "sha256")))


class Unambiguous(unittest.TestCase):
    """A document two readers would read differently is refused."""

    def setUp(self):
        self.store = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.store)

    def pull_text(self, repo, text, media_type=images.OCI_MANIFEST, blobs=()):
        for b in blobs:
            reg.serve_blob(repo, b)
        reg.serve_manifest(repo, "v1", text, media_type)
        return test_pull(self.store, "%s/%s:v1" % (reg.host, repo))

    def test_duplicate_layers(self):
        a, b = images.Layer({"a": b"1"}), images.Layer({"b": b"2"})
        img = images.Image([a])
        for i, (k1, k2) in enumerate([("layers", "layers"), ("layers", "LAYERS"), ("config", "Config")]):
            first = '"%s":%s' % (k1, json.dumps([a.blob.descriptor()] if k1 != "config" else img.config.descriptor()))
            second = '"%s":%s' % (k2, json.dumps([b.blob.descriptor()] if k2 != "Config" else img.config.descriptor()))
            rest = '"config":%s' % json.dumps(img.config.descriptor()) if k1 != "config" else \
                '"layers":%s' % json.dumps([a.blob.descriptor()])
            text = ('{"schemaVersion":2,"mediaType":"%s",%s,%s,%s}' % (images.OCI_MANIFEST, rest, first, second)).encode()
            line, err, _ = self.pull_text("u/dup%d" % i, text, blobs=[img.config, a.blob, b.blob])
            self.assertEqual(line, "rc=-140 LIMG_EMANIFEST", err)
            self.assertIn("duplicate key", err)

    def test_duplicate_key_in_the_config(self):
        layer = images.Layer({"a": b"1"})
        img = images.Image([layer])
        text = img.config.data.decode().replace('"rootfs":', '"rootfs":{"type":"layers","diff_ids":[]},"rootfs":', 1)
        config = images.Blob(text.encode(), images.OCI_CONFIG)
        doc = manifest_text(config, [layer.blob])
        line, err, _ = self.pull_text("u/dupconfig", doc, blobs=[config, layer.blob])
        self.assertEqual(line, "rc=-140 LIMG_EMANIFEST", err)
        self.assertIn("duplicate key", err)

    def test_nul_in_a_string(self):
        layer = images.Layer({"a": b"1"})
        img = images.Image([layer])
        text = manifest_text(img.config, [layer.blob]).replace(b'"sha256:', b'"sha256:\\u0000', 1)
        line, err, _ = self.pull_text("u/nul", text, blobs=[img.config, layer.blob])
        self.assertEqual(line, "rc=-140 LIMG_EMANIFEST", err)
        self.assertIn("\\u0000", err)
        self.assertEqual(os.listdir(os.path.join(self.store, "blobs")), [])


class Printable(unittest.TestCase):
    """Text from a registry or a store never reaches a terminal raw."""

    def setUp(self):
        self.store = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.store)

    def pull(self, ref, *opts):
        p = example("limg-pull", *opts, ref, store=self.store, check=False)
        return p.returncode, p.stdout + p.stderr

    def test_media_type_with_escapes(self):
        layer = images.Layer({"a": b"1"})
        img = images.Image([layer])
        reg.serve_image("p/ctype", "v1", img)
        reg.route(r"^/v2/p/ctype/manifests/(v1|sha256:.*)$",
                  answer(200, img.manifest.data, {"Content-Type": "application/x\x1b]2;owned\x07",
                                                  "Docker-Content-Digest": img.manifest.digest}))
        rc, out = self.pull("%s/p/ctype:v1" % reg.host)
        self.assertNotEqual(rc, 0)
        self.assertNotIn(ESC, out)
        self.assertIn("\\x1b", out)

    def test_platforms_with_escapes(self):
        arm = images.Image(images.sample_layers("esc"), arch="arm64")
        arm.platform["os"] = "linux\x1b[2J"
        index = images.Index([arm])
        reg.serve_image("p/plat", "v1", index)
        rc, out = self.pull("%s/p/plat:v1" % reg.host, "--platform", "linux/riscv64")
        self.assertNotEqual(rc, 0)
        self.assertIn("no matching manifest", out)
        self.assertNotIn(ESC, out)

    def test_realm_with_escapes(self):
        reg.route(r"^/v2/p/realm/manifests/v1$",
                  answer(401, b"", {"WWW-Authenticate": 'Bearer realm="%s/t\x1b[31m",service="x"' % reg.url}))
        reg.route(r"^/t", answer(500, b"no"))
        rc, out = self.pull("%s/p/realm:v1" % reg.host)
        self.assertNotEqual(rc, 0)
        self.assertNotIn(ESC, out)

    def test_content_range_with_escapes(self):
        layer = images.Layer({"data.bin": images.pseudo_random(100000, 9)})

        def lying(h, m):
            if h.headers.get("Range"):
                h.send_response(206)
                h.send_header("Content-Range", "bytes \x1b[2J0-1/2")
                h.send_header("Content-Length", "1")
                h.end_headers()
                h.wfile.write(b"x")
            else:
                blob_handler(reg, layer.blob.data, cut_after=1000)(h, m)
        reg.route(r"^/v2/p/crange/blobs/%s$" % layer.blob.digest, lying)
        with self.assertRaises(Failed) as e:
            registry_tool("--backoff-ms", "10", "blob", reg.host, "p/crange", layer.blob.digest, layer.blob.size,
                          os.path.join(self.store, "out"))
        self.assertEqual(e.exception.code, "LIMG_EPROTOCOL")
        self.assertNotIn(ESC, e.exception.error["message"])

    def test_ref_name_with_newline_cannot_forge_a_row(self):
        img = images.Image(images.sample_layers("forge"))
        reg.serve_image("p/forge", "v1", img)
        self.assertEqual(self.pull("%s/p/forge:v1" % reg.host)[0], 0)
        path = os.path.join(self.store, "index.json")
        with open(path) as f:
            index = json.load(f)
        entry = dict(index["manifests"][0])
        entry["annotations"] = {"org.opencontainers.image.ref.name": "evil\nFAKE   ROW   \x1b[2J"}
        index["manifests"].append(entry)
        with open(path, "w") as f:
            json.dump(index, f)
        out = example("limg-images", store=self.store).stdout
        self.assertNotIn(ESC, out)
        self.assertEqual(len(out.splitlines()), 3)  # the header, two rows
        self.assertIn("evil\\x0aFAKE", out)


if __name__ == "__main__":
    unittest.main()
