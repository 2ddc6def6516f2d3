# SPDX-License-Identifier: MIT
"""The registry client against the real registry, plain and behind a fault-injecting proxy."""
import json
import os
import shutil
import tempfile
import time
import unittest

from fixtures import faultproxy, images, registry
from tool import Failed, registry_tool

reg = proxy = None
IMG = INDEX = BIG = None


def setUpModule():
    global reg, proxy, IMG, INDEX, BIG
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)  # also when the rest of the set-up fails
    IMG = images.Image(images.sample_layers("plain"))
    reg.push("library/sample", "v1", IMG)
    INDEX = images.Index([images.Image(images.sample_layers("amd"), arch="amd64", docker=True),
                          images.Image(images.sample_layers("arm"), arch="arm64", variant="v8", docker=True)],
                         docker=True)
    reg.push("library/multi", "latest", INDEX)
    BIG = images.Image([images.Layer({"big.bin": images.pseudo_random(3 << 20, 7)})])
    reg.push("team/big", "v1", BIG)
    for i in range(7):
        reg.push_manifest("library/sample", "t%d" % i, IMG.manifest)
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)


class Plain(unittest.TestCase):
    def setUp(self):
        proxy.clear()
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def test_ping_settles_on_http_for_loopback(self):
        self.assertEqual(registry_tool("ping", reg.host).strip(), "http://" + reg.host)

    def test_head_resolves_with_one_request(self):
        line = registry_tool("head", proxy.host, "library/sample", "v1").split()
        self.assertEqual(line[0], IMG.manifest.digest)
        self.assertEqual(line[1], images.OCI_MANIFEST)
        self.assertEqual(int(line[2]), IMG.manifest.size)
        methods = [m for m, p, h in proxy.requests if "/manifests/" in p]
        self.assertEqual(methods, ["HEAD"])
        self.assertIn(images.DOCKER_LIST, proxy.requests[-1][2]["Accept"])
        self.assertIn(images.OCI_INDEX, proxy.requests[-1][2]["Accept"])

    def test_get_by_tag_and_digest(self):
        for ref in ("v1", IMG.manifest.digest):
            line = registry_tool("get", reg.host, "library/sample", ref, self.out("m")).split()
            self.assertEqual(line[0], IMG.manifest.digest)
            with open(self.out("m"), "rb") as f:
                self.assertEqual(f.read(), IMG.manifest.data)

    def test_index_media_type(self):
        line = registry_tool("get", reg.host, "library/multi", "latest", self.out("i")).split()
        self.assertEqual(line, [INDEX.manifest.digest, images.DOCKER_LIST, str(INDEX.manifest.size)])

    def test_unknown_manifest_maps_to_not_found(self):
        with self.assertRaises(Failed) as e:
            registry_tool("head", reg.host, "library/sample", "nosuch")
        err = e.exception.error
        self.assertEqual(err["code"], "LIMG_ENOTFOUND")
        self.assertEqual(err["http_status"], 404)
        self.assertEqual(err["registry_code"], "MANIFEST_UNKNOWN")
        self.assertIn("manifest unknown", err["message"])
        with self.assertRaises(Failed) as e:
            registry_tool("head", reg.host, "library/nosuchrepo", "v1")
        self.assertIn(e.exception.error["registry_code"], ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))

    def test_wrong_digest_refused(self):
        wrong = "sha256:" + "0" * 64
        with self.assertRaises(Failed) as e:
            registry_tool("get", reg.host, "library/sample", wrong, self.out("m"))
        self.assertEqual(e.exception.code, "LIMG_ENOTFOUND")

    def test_blob_fetch_verified(self):
        layer = BIG.layers[0].blob
        registry_tool("blob", reg.host, "team/big", layer.digest, layer.size, self.out("b"))
        with open(self.out("b"), "rb") as f:
            self.assertEqual(f.read(), layer.data)
        with self.assertRaises(Failed) as e:
            registry_tool("blob", reg.host, "team/big", "sha256:" + "1" * 64, 10, self.out("x"))
        self.assertEqual(e.exception.code, "LIMG_ENOTFOUND")
        self.assertEqual(e.exception.error["registry_code"], "BLOB_UNKNOWN")

    def test_tags(self):
        tags = registry_tool("tags", reg.host, "library/sample").split()
        self.assertEqual(sorted(tags), sorted(["v1"] + ["t%d" % i for i in range(7)]))

    def test_tags_pagination_follows_link(self):
        # registry 2.8 does not page tags; the proxy plays a registry that does
        proxy.add(r"/tags/list\?n=3$", "status", status=200, headers={
            "Content-Type": "application/json",
            "Link": '</v2/library/sample/tags/list?n=3&last=c>; rel="next"'},
            body='{"name":"library/sample","tags":["a","b","c"]}')
        proxy.add(r"/tags/list\?n=3&last=c$", "status", status=200, headers={"Content-Type": "application/json"},
                  body='{"name":"library/sample","tags":["d"]}')
        self.assertEqual(registry_tool("tags", proxy.host, "library/sample", 3).split(), ["a", "b", "c", "d"])
        self.assertEqual(len(proxy.requests), 2)

    def test_pagination_link_to_another_host_refused(self):
        proxy.add(r"/tags/list", "status", status=200, headers={
            "Content-Type": "application/json",
            "Link": '<http://127.0.0.1:1/v2/library/sample/tags/list?last=c>; rel="next"'},
            body='{"name":"library/sample","tags":["a"]}')
        with self.assertRaises(Failed) as e:
            registry_tool("tags", proxy.host, "library/sample")
        self.assertEqual(e.exception.code, "LIMG_EPROTOCOL")

    def test_catalog_pages(self):
        self.assertEqual(sorted(registry_tool("catalog", proxy.host, 2).split()),
                         ["library/multi", "library/sample", "team/big"])
        self.assertEqual(len([p for m, p, h in proxy.requests if "_catalog" in p]), 2)

    def test_bad_names_refused_before_any_request(self):
        for repo in ("../etc", "Upper/case", "a//b"):
            with self.assertRaises(Failed) as e:
                registry_tool("head", proxy.host, repo, "v1")
            self.assertEqual(e.exception.code, "LIMG_EREF_FORMAT")
        with self.assertRaises(Failed) as e:
            registry_tool("head", proxy.host, "library/sample", "bad/tag")
        self.assertEqual(e.exception.code, "LIMG_EREF_TAG")
        self.assertEqual(proxy.requests, [])


class Faults(unittest.TestCase):
    def setUp(self):
        proxy.clear()
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.layer = BIG.layers[0].blob

    def fetch(self, *opts):
        out = os.path.join(self.tmp, "b")
        registry_tool(*(list(opts) + ["blob", proxy.host, "team/big", self.layer.digest, self.layer.size, out]))
        with open(out, "rb") as f:
            return f.read()

    def blob_requests(self):
        return [(m, h) for m, p, h in proxy.requests if "/blobs/" in p]

    def test_reset_is_retried(self):
        proxy.add("/manifests/", "reset", times=2)
        line = registry_tool("--backoff-ms", 10, "head", proxy.host, "library/sample", "v1").split()
        self.assertEqual(line[0], IMG.manifest.digest)
        self.assertEqual(len([p for m, p, h in proxy.requests if "/manifests/" in p]), 3)

    def test_503_is_retried(self):
        proxy.add("/manifests/", "status", times=2, status=503)
        registry_tool("--backoff-ms", 10, "head", proxy.host, "library/sample", "v1")
        self.assertEqual(len(proxy.requests), 3)

    def test_429_honours_retry_after(self):
        proxy.add("/manifests/", "status", times=1, status=429, headers={"Retry-After": "1"},
                  body='{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
        start = time.time()
        registry_tool("--backoff-ms", 10, "head", proxy.host, "library/sample", "v1")
        self.assertGreaterEqual(time.time() - start, 0.9)

    def test_429_beyond_bound_fails_with_details(self):
        proxy.add("/manifests/", "status", times=1, status=429, headers={"Retry-After": "120"},
                  body='{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
        with self.assertRaises(Failed) as e:
            registry_tool("--retry-after-max", 5, "get", proxy.host, "library/sample", "v1", os.path.join(self.tmp, "m"))
        err = e.exception.error
        self.assertEqual(err["code"], "LIMG_ERATELIMIT")
        self.assertEqual(err["http_status"], 429)
        self.assertEqual(err["registry_code"], "TOOMANYREQUESTS")
        self.assertEqual(err["retry_after"], 120)
        self.assertIn("slow down", err["message"])

    def test_retries_are_bounded(self):
        proxy.add("/manifests/", "status", times=-1, status=503)
        with self.assertRaises(Failed) as e:
            registry_tool("--attempts", 3, "--backoff-ms", 10, "get", proxy.host, "library/sample", "v1",
                          os.path.join(self.tmp, "m"))
        self.assertEqual(e.exception.code, "LIMG_EHTTP")
        self.assertEqual(e.exception.error["http_status"], 503)
        self.assertEqual(len(proxy.requests), 3)

    def test_cut_body_resumes_with_range(self):
        proxy.add("/blobs/", "cut", times=2, after=1 << 20)
        self.assertEqual(self.fetch("--backoff-ms", 10), self.layer.data)
        reqs = self.blob_requests()
        self.assertEqual(len(reqs), 3)
        self.assertNotIn("Range", reqs[0][1])
        self.assertEqual(reqs[1][1]["Range"], "bytes=%d-" % (1 << 20))
        self.assertEqual(reqs[2][1]["Range"], "bytes=%d-" % (2 << 20))

    def test_resume_when_server_ignores_range(self):
        proxy.add("/blobs/", "cut", times=1, after=1 << 20)
        proxy.add("/blobs/", "ignore_range", times=1)
        self.assertEqual(self.fetch("--backoff-ms", 10), self.layer.data)

    def test_corrupted_bytes_caught(self):
        proxy.add("/blobs/", "corrupt", times=1, offset=12345)
        with self.assertRaises(Failed) as e:
            self.fetch()
        self.assertEqual(e.exception.code, "LIMG_EDIGEST_MISMATCH")

    def test_stalled_body_times_out(self):
        proxy.add("/blobs/", "slow", times=-1, rate=0.5)
        start = time.time()
        with self.assertRaises(Failed) as e:
            self.fetch("--low-speed-time", 1, "--attempts", 1)
        self.assertEqual(e.exception.code, "LIMG_ETIMEOUT")
        self.assertLess(time.time() - start, 10)

    def test_oversized_manifest_refused(self):
        proxy.add("/manifests/", "status", times=-1, status=200,
                  headers={"Content-Type": images.OCI_MANIFEST}, body=" " * (5 << 20))
        with self.assertRaises(Failed) as e:
            registry_tool("get", proxy.host, "library/sample", "v1", os.path.join(self.tmp, "m"))
        self.assertEqual(e.exception.code, "LIMG_ETOOBIG")
        self.assertIn("4194304", e.exception.error["message"])

    def test_redirect_loop_refused(self):
        proxy.add("/blobs/", "redirect", times=-1, target=lambda path: "http://%s%s" % (proxy.host, path))
        with self.assertRaises(Failed) as e:
            self.fetch()
        self.assertEqual(e.exception.code, "LIMG_EREDIRECT")


class Redirects(unittest.TestCase):
    """A blob redirected to another origin must not take the Authorization along."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(token=True)
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("redir", size=200000))
        cls.reg.push("team/app", "v1", cls.img)
        cls.proxy = faultproxy.FaultProxy(cls.reg.host)
        cls.addClassCleanup(cls.proxy.stop)
        cls.blobs = faultproxy.BlobHost({b.digest: b.data for b in cls.img.blobs()})
        cls.addClassCleanup(cls.blobs.stop)


    def scratch(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        return os.path.join(tmp, "blob")

    def test_authorization_stays_home(self):
        layer = self.img.layers[1].blob
        self.proxy.clear()
        self.proxy.add("/blobs/", "redirect", times=1, require_header="Authorization",
                       target=lambda path: self.blobs.url(path.rsplit("/", 1)[-1]))
        out = self.scratch()
        registry_tool("blob", self.proxy.host, "team/app", layer.digest, layer.size, out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), layer.data)
        sent = [h for m, p, h in self.proxy.requests if "/blobs/" in p]
        self.assertTrue(any(h.get("Authorization", "").startswith("Bearer ") for h in sent),
                        "the registry request should carry the token")
        self.assertEqual(len(self.blobs.requests), 1)
        self.assertNotIn("Authorization", self.blobs.requests[0][1])

    def test_resume_asks_the_registry_again(self):
        """After a cut on the redirected download, the retry goes back to the registry URL."""
        layer = self.img.layers[1].blob
        self.proxy.clear()
        self.proxy.add("/blobs/", "redirect", times=-1, require_header="Authorization",
                       target=lambda path: self.blobs.url(path.rsplit("/", 1)[-1]))
        cut = faultproxy.FaultProxy("127.0.0.1:%d" % self.blobs.port)
        try:
            cut.add("/blobs/", "cut", times=1, after=50000)
            self.proxy.rules[0].params["target"] = lambda path: "http://%s/blobs/%s" % (cut.host, path.rsplit("/", 1)[-1])
            out = self.scratch()
            registry_tool("--backoff-ms", 10, "blob", self.proxy.host, "team/app", layer.digest, layer.size, out)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), layer.data)
            # anonymous try (401), with the token (redirected), and again after the cut
            self.assertEqual(len([1 for m, p, h in self.proxy.requests if "/blobs/" in p]), 3)
            self.assertEqual(cut.requests[1][2].get("Range"), "bytes=50000-")
        finally:
            cut.stop()


if __name__ == "__main__":
    unittest.main()
