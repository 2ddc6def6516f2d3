# SPDX-License-Identifier: MIT
"""limg-push and limg-copy end to end: the real registry (plain, TLS with basic
auth, bearer tokens), the fault proxy for broken and refused uploads, and
skopeo as the judge of what landed."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import faultproxy, hostile, images, registry
from fixtures.images import entry
import tool
from tool import ENV, example

SECRET = "pushing-Passw0rd"
reg = other = proxy = None


def setUpModule():
    global reg, other, proxy
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    other = registry.Registry()
    unittest.addModuleCleanup(other.stop)
    proxy = faultproxy.FaultProxy(other.host)
    unittest.addModuleCleanup(proxy.stop)


def skopeo_digest(ref, *opts):
    """The digest skopeo finds for ref (of the bytes it fetches)."""
    p = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", *opts, "docker://" + ref],
                       capture_output=True, env=ENV)
    if p.returncode != 0:
        raise AssertionError("skopeo inspect %s: %s" % (ref, p.stderr.decode()))
    return images.sha256(p.stdout)


def registry_has_manifest(r, repo, ref):
    """True on 200, False on 404 (MANIFEST_UNKNOWN); anything else is an error."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request("%s/v2/%s/manifests/%s" % (r.url, repo, ref), method="HEAD",
                                 headers={"Accept": ", ".join((images.OCI_MANIFEST, images.OCI_INDEX,
                                                               images.DOCKER_MANIFEST, images.DOCKER_LIST))})
    try:
        with urllib.request.urlopen(req, timeout=30):
            return True
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return False
        raise


def flip(path, offset):
    """Flips one bit of the byte at @offset of @path, in place."""
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 1]))


def layered_image(tag, n=3, size=300000):
    """An image of n layers of partly random data (about size bytes each)."""
    layers = [images.Layer({"%s/%d.bin" % (tag, i): images.pseudo_random(size, hash(tag) % 1000 + i),
                            "%s/%d.txt" % (tag, i): ("%s layer %d\n" % (tag, i)).encode() * 2000})
              for i in range(n)]
    return images.Image(layers)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-push-")
        self.store = os.path.join(self.tmp, "store")
        proxy.clear()

    def tearDown(self):
        try:
            tool.assert_stores_sound(self, self.tmp)
        finally:
            shutil.rmtree(self.tmp)

    def pull(self, ref, *opts, store=None):
        example("limg-pull", "-q", *opts, ref, store=store or self.store)

    def tag(self, src, dst):
        example("limg-tag", src, dst, store=self.store)

    def push(self, ref, *opts, check=True, env=None):
        return example("limg-push", *opts, ref, store=self.store, check=check, env=env)

    def uploaded(self):
        """Bytes sent in blob uploads (PUT and PATCH of upload URLs) through the proxy."""
        with proxy.lock:
            return sum(n for (m, p, _), n in zip(proxy.requests, proxy.body_sizes)
                       if m in ("PUT", "PATCH") and "/blobs/uploads/" in p)

    def registry_has_blob(self, r, repo, digest):
        """True on 200, False on 404; any other answer (or none) is an error, not a "no"."""
        import urllib.error
        import urllib.request
        req = urllib.request.Request("%s/v2/%s/blobs/%s" % (r.url, repo, digest), method="HEAD")
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                self.assertEqual(answer.status, 200)
                return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise

    def judged_by_skopeo(self, ref, digest):
        """skopeo, not libimage, reads @ref back: its manifest is @digest. The
        last check of a test (without skopeo the test is a skip, never a pass)."""
        if not shutil.which("skopeo"):
            self.skipTest("skopeo is not installed: what landed is unjudged (the rest was checked)")
        self.assertEqual(skopeo_digest(ref), digest)


class Push(Base):
    def test_push_prints_what_docker_prints_and_skopeo_agrees(self):
        img = layered_image("docker-like")
        reg.push("src/app", "v1", img)
        self.pull("%s/src/app:v1" % reg.host)
        dest = "%s/team/app:v1" % other.host
        self.tag("%s/src/app:v1" % reg.host, dest)
        out = self.push(dest).stdout.splitlines()
        self.assertEqual(out[0], "The push refers to repository [%s/team/app]" % other.host)
        for layer in img.layers:
            short = layer.blob.digest[7:19]
            self.assertIn(short + ": Preparing", out)
            self.assertIn(short + ": Pushed", out)
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (img.manifest.digest, img.manifest.size))
        # pushed again, unchanged: HEADs and one manifest check, no blob bytes
        through = "%s/team/app:v1" % proxy.host
        self.tag(dest, through)
        proxy.clear()
        out = self.push(through).stdout.splitlines()
        for layer in img.layers:
            self.assertIn(layer.blob.digest[7:19] + ": Layer already exists", out)
        methods = [m for m, _, _ in proxy.requests]
        self.assertEqual(set(methods) - {"HEAD"}, set(), methods)
        self.assertEqual(methods.count("HEAD"), len(img.layers) + 2)  # blobs, config, manifest
        self.assertEqual(proxy.bytes_sent(), 0)
        self.judged_by_skopeo(dest, img.manifest.digest)

    def test_mounted_from_the_repository_it_was_pulled_from(self):
        img = layered_image("mountable")
        other.push("base/image", "v1", img)
        self.pull("%s/base/image:v1" % proxy.host)
        dest = "%s/derived/image:v1" % proxy.host
        self.tag("%s/base/image:v1" % proxy.host, dest)
        proxy.clear()
        out = self.push(dest).stdout.splitlines()
        for layer in img.layers:
            self.assertIn(layer.blob.digest[7:19] + ": Mounted from base/image", out)
        self.assertEqual(self.uploaded(), 0, "blob bytes were uploaded")
        mounts = [p for m, p, _ in proxy.requests if m == "POST" and "mount=" in p]
        self.assertEqual(len(mounts), len(img.layers) + 1)
        self.assertTrue(all("from=base%2Fimage" in p or "from=base/image" in p for p in mounts), mounts)
        self.judged_by_skopeo("%s/derived/image:v1" % other.host, img.manifest.digest)

    def test_pull_push_pull_keeps_digests_of_a_whole_index(self):
        amd = layered_image("index-amd", 2)
        arm = images.Image(layered_image("index-arm", 2).layers, arch="arm64", variant="v8")
        index = images.Index([amd, arm])
        reg.push("multi/app", "v1", index)
        src = "%s/multi/app:v1" % reg.host
        self.pull(src, "--platform", "linux/amd64")
        dest = "%s/multi/copy:v1" % other.host
        self.tag(src, dest)
        # one platform of two is stored (a normal pull): that image goes under the tag, as Docker pushes it
        out = self.push(dest).stdout.splitlines()
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (amd.manifest.digest, amd.manifest.size))
        if shutil.which("skopeo"):  # without it the test ends a skip below (judged_by_skopeo), never a pass
            self.assertEqual(skopeo_digest(dest), amd.manifest.digest)
        self.pull(src, "--platform", "linux/arm64/v8")
        out = self.push(dest).stdout.splitlines()
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (index.manifest.digest, index.manifest.size))
        again = os.path.join(self.tmp, "again")
        self.pull(dest, "--platform", "linux/arm64/v8", store=again)
        row = json.loads(example("limg-images", "--format", "json", store=again).stdout.splitlines()[0])
        self.assertEqual(row["Digest"], index.manifest.digest)
        self.assertEqual(row["ID"], arm.config.digest[7:19])
        # one platform, by request: its image manifest under the tag
        single = "%s/multi/single:v1" % other.host
        self.tag(src, single)
        out = self.push(single, "--platform", "linux/amd64").stdout.splitlines()
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (amd.manifest.digest, amd.manifest.size))
        self.judged_by_skopeo(single, amd.manifest.digest)

    def test_uploads_survive_resets_refusals_and_cuts(self):
        img = layered_image("faulty", 3, 600000)
        reg.push("faulty/src", "v1", img)
        self.pull("%s/faulty/src:v1" % reg.host)
        dest = "%s/faulty/dst:v1" % proxy.host
        self.tag("%s/faulty/src:v1" % reg.host, dest)
        proxy.add(r"/blobs/uploads/$", "reset", times=1, method="POST")
        proxy.add(r"/blobs/uploads/$", "status", times=1, method="POST", status=503)
        proxy.add(r"/blobs/uploads/$", "status", times=1, method="POST", status=429, headers={"Retry-After": "1"})
        for layer in img.layers[:2]:  # cut halfway, each
            proxy.add(layer.blob.digest[7:], "cut_request", times=1, method="PUT", after=100000)
        proxy.add(r"/blobs/uploads/.+digest=", "status", times=1, method="PUT", status=500)
        self.push(dest, "--max-concurrent-uploads", "1")
        for layer in img.layers:
            self.assertTrue(self.registry_has_blob(other, "faulty/dst", layer.blob.digest))
        # after each cut the upload URL was asked how far it got
        statuses = [p for m, p, _ in proxy.requests if m == "GET" and "/blobs/uploads/" in p]
        self.assertGreaterEqual(len(statuses), 2)
        self.judged_by_skopeo("%s/faulty/dst:v1" % other.host, img.manifest.digest)

    def test_chunked_uploads_start_over_when_the_registry_drops_the_session(self):
        """docker-registry cancels an upload whose request broke (its _state no longer
        matches): the client asks, hears the session is gone, and starts over."""
        img = layered_image("chunked", 1, 3 << 20)
        reg.push("chunked/src", "v1", img)
        self.pull("%s/chunked/src:v1" % reg.host)
        dest = "%s/chunked/dst:v1" % proxy.host
        self.tag("%s/chunked/src:v1" % reg.host, dest)
        proxy.add(r"/blobs/uploads/", "cut_request", times=1, method="PATCH", skip=1, after=300000)  # the 2nd
        self.push(dest, "--chunk-size", str(1 << 20))
        methods = [m for m, p, _ in proxy.requests if "/blobs/uploads/" in p]
        layer = img.layers[0].blob
        self.assertGreaterEqual(methods.count("PATCH"), 5)  # 3 chunks, one cut, then again
        self.assertIn("GET", methods)
        self.assertEqual(methods.count("POST"), 3)  # the config, the layer, the layer again
        self.assertTrue(self.registry_has_blob(other, "chunked/dst", layer.digest))
        self.judged_by_skopeo("%s/chunked/dst:v1" % other.host, img.manifest.digest)

    def test_a_damaged_blob_in_the_store_is_never_pushed(self):
        """README: "Every byte verified: blobs against their digests as they arrive (and
        again when a store is read or saved)". A layer another program damaged in the
        store (one flipped byte, same size) is refused on its way out: the registry
        never commits it, and the tag is not set."""
        img = layered_image("damaged", 2)
        reg.push("damaged/src", "v1", img)
        self.pull("%s/damaged/src:v1" % reg.host)
        dest = "%s/damaged/dst:v1" % other.host
        self.tag("%s/damaged/src:v1" % reg.host, dest)
        layer = img.layers[1].blob
        path = os.path.join(self.store, "blobs", "sha256", layer.digest[7:])
        flip(path, layer.size // 2)
        try:
            p = self.push(dest, check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertRegex(p.stderr, "does not match|not what its digest says|hashes to")
            self.assertFalse(self.registry_has_blob(other, "damaged/dst", layer.digest))
            self.assertFalse(registry_has_manifest(other, "damaged/dst", "v1"))
        finally:
            flip(path, layer.size // 2)  # as it was: the store is sound again for tearDown

    def test_not_stored_and_bad_names(self):
        os.makedirs(self.store)
        example("limg-images", store=self.store)
        p = self.push("%s/nothing/here:v1" % other.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("An image does not exist locally with the tag: %s/nothing/here" % other.host, p.stderr)
        p = self.push("Bad Name", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid reference format", p.stderr)


class ResumedUploads(Base):
    """Against a registry that keeps what a broken upload sent (the spec allows it;
    docker-registry drops the session instead, and the pushes above start over):
    the upload goes on from the offset the upload URL reports, every byte sent once."""

    def setUp(self):
        super().setUp()
        self.hostile = hostile.HostileRegistry()
        self.addCleanup(self.hostile.stop)

    def push_with_cuts(self, cuts, *opts):
        img = layered_image("resumed", 1, 3 << 20)
        reg.push("resume/src", "v1", img)
        self.pull("%s/resume/src:v1" % reg.host)
        dest = "%s/resume/dst:v1" % self.hostile.host
        self.tag("%s/resume/src:v1" % reg.host, dest)
        state = hostile.accept_uploads(self.hostile, "resume/dst", cuts)
        self.push(dest, "--max-concurrent-uploads", "1", *opts)
        layer = img.layers[0].blob
        self.assertEqual(state["blobs"][layer.digest], layer.data)
        return layer, [(m, h, len(b)) for (m, p, h), (_, _, b) in zip(self.hostile.requests, self.hostile.bodies)
                       if "/blobs/uploads/" in p]

    def test_chunked_upload_goes_on_from_the_reported_offset(self):
        chunk = 1 << 20
        # the layer's second chunk (the small config goes in one PUT)
        layer, requests = self.push_with_cuts([("PATCH", 2, 300000)], "--chunk-size", str(chunk))
        methods = [m for m, _, _ in requests]
        self.assertIn("GET", methods)
        after = methods.index("GET") + 1
        # what came after asking starts where the registry was: a chunk and 300,000 bytes in
        self.assertTrue(requests[after][1].get("Content-Range", "").startswith("%d-" % (chunk + 300000)),
                        requests[after][1])
        sent = sum(n for m, _, n in requests[methods.index("GET"):])
        self.assertEqual(sent, layer.size - chunk - 300000)

    def test_monolithic_upload_goes_on_with_the_rest(self):
        layer, requests = self.push_with_cuts([("PUT", 2, 250000)])
        puts = [n for m, _, n in requests if m == "PUT"]
        self.assertEqual(puts[-1], layer.size - 250000)


class PushWithAuth(Base):
    @classmethod
    def setUpClass(cls):
        cls.basic = registry.Registry(tls=True, users={"bob": SECRET})
        cls.addClassCleanup(cls.basic.stop)
        cls.token = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
        cls.addClassCleanup(cls.token.stop)

    def config_dir(self, host, user):
        conf = os.path.join(self.tmp, "docker-" + user)
        os.makedirs(conf)
        auth = base64.b64encode(("%s:%s" % (user, SECRET)).encode()).decode()
        with open(os.path.join(conf, "config.json"), "w") as f:
            json.dump({"auths": {host: {"auth": auth}}}, f)
        return conf

    def test_tls_with_basic_auth(self):
        img = layered_image("tls-push", 2)
        reg.push("auth/src", "v1", img)
        self.pull("%s/auth/src:v1" % reg.host)
        dest = "%s/team/secure:v1" % self.basic.host
        self.tag("%s/auth/src:v1" % reg.host, dest)
        certs = os.path.join(self.tmp, "certs.d", self.basic.host)
        os.makedirs(certs)
        shutil.copy(self.basic.ca.cert_path, os.path.join(certs, "ca.crt"))
        cert_dir = os.path.join(self.tmp, "certs.d")
        p = self.push(dest, "--cert-dir", cert_dir, check=False)  # no credentials
        self.assertEqual(p.returncode, 1)
        env = dict(ENV, DOCKER_CONFIG=self.config_dir(self.basic.host, "bob"))
        out = self.push(dest, "--cert-dir", cert_dir, env=env).stdout.splitlines()
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (img.manifest.digest, img.manifest.size))

    def test_bearer_tokens_with_push_scope(self):
        img = layered_image("token-push", 2)
        reg.push("token/src", "v1", img)
        self.pull("%s/token/src:v1" % reg.host)
        dest = "%s/team/tokens:v1" % self.token.host
        self.tag("%s/token/src:v1" % reg.host, dest)
        env = dict(ENV, DOCKER_CONFIG=self.config_dir(self.token.host, "alice"))
        out = self.push(dest, env=env).stdout.splitlines()
        self.assertEqual(out[-1], "v1: digest: %s size: %d" % (img.manifest.digest, img.manifest.size))
        scopes = [s for _, q, _ in self.token.token_server.requests for s in q.get("scope", [])]
        self.assertIn("repository:team/tokens:pull,push", scopes)


class Copy(Base):
    def copy(self, src, dst, *opts, check=True):
        return example("limg-copy", *opts, src, dst, check=check)

    def test_copy_between_registries_streams_every_blob(self):
        amd = layered_image("copy-amd", 2)
        arm = images.Image(layered_image("copy-arm", 2).layers, arch="arm64")
        index = images.Index([amd, arm])
        reg.push("copy/src", "v1", index)
        out = self.copy("%s/copy/src:v1" % reg.host, "%s/copy/dst:v1" % proxy.host).stdout.strip()
        self.assertEqual(out, index.manifest.digest)
        for image in (amd, arm):
            for b in [image.config] + [l.blob for l in image.layers]:
                self.assertTrue(self.registry_has_blob(other, "copy/dst", b.digest), b.digest)
        blob_bytes = sum(b.size for i in (amd, arm) for b in [i.config] + [l.blob for l in i.layers])
        self.assertEqual(self.uploaded(), blob_bytes)
        # one platform, by request
        out = self.copy("%s/copy/src:v1" % reg.host, "%s/copy/one:v1" % other.host, "--platform",
                        "linux/arm64").stdout.strip()
        self.assertEqual(out, arm.manifest.digest)
        self.judged_by_skopeo("%s/copy/dst:v1" % other.host, index.manifest.digest)

    def test_copy_within_a_registry_mounts(self):
        img = layered_image("copy-mount", 2)
        other.push("mount/src", "v1", img)
        out = self.copy("%s/mount/src:v1" % proxy.host, "%s/mount/dst:v2" % proxy.host, "-v")
        self.assertEqual(out.stdout.strip(), img.manifest.digest)
        self.assertIn("mounted from mount/src", out.stderr)
        self.assertEqual(self.uploaded(), 0)

    def test_copy_survives_a_broken_source(self):
        img = layered_image("copy-broken", 2, 500000)
        other.push("broken/src", "v1", img)
        big = img.layers[0].blob
        proxy.add(big.digest, "cut", times=1, method="GET", after=200000)
        out = self.copy("%s/broken/src:v1" % proxy.host, "%s/broken/dst:v1" % reg.host).stdout.strip()
        self.assertEqual(out, img.manifest.digest)
        self.assertTrue(self.registry_has_blob(reg, "broken/dst", big.digest))

    def test_copy_refuses_a_blob_that_is_not_its_digest(self):
        img = layered_image("copy-corrupt", 1, 400000)
        other.push("corrupt/src", "v1", img)
        blob = img.layers[0].blob
        proxy.add(blob.digest, "corrupt", times=10, method="GET", offset=1000)
        p = self.copy("%s/corrupt/src:v1" % proxy.host, "%s/corrupt/dst:v1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("do not match the digest", p.stderr)
        self.assertFalse(self.registry_has_blob(reg, "corrupt/dst", blob.digest))
        # the tag was not set: asked over the HTTP API, and of skopeo
        self.assertFalse(registry_has_manifest(reg, "corrupt/dst", "v1"))
        if not shutil.which("skopeo"):
            self.skipTest("skopeo is not installed: the destination is unjudged by it (the rest was checked)")
        q = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                            "docker://%s/corrupt/dst:v1" % reg.host], capture_output=True, env=ENV)
        self.assertNotEqual(q.returncode, 0, "the tag was set")


if __name__ == "__main__":
    unittest.main()
