# SPDX-License-Identifier: MIT
"""limg_pull end to end against the real registry, through the example programs."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from fixtures import faultproxy, images, registry
import tool
from tool import ENV, EXAMPLES, example

reg = proxy = None


def setUpModule():
    global reg, proxy
    reg = registry.Registry(allow_urls=True)
    unittest.addModuleCleanup(reg.stop)  # also when the rest of the set-up fails
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)


def _human(n):
    """go-units HumanSize with 3 significant digits, as limg-images prints SIZE."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return ("%.3g%s" % (n, unit))
        n /= 1000.0
    return "%.3gTB" % n


def blobs_in(store):
    d = os.path.join(store, "blobs", "sha256")
    return set("sha256:" + f for f in os.listdir(d)) if os.path.isdir(d) else set()


class Pull(unittest.TestCase):
    def setUp(self):
        self.store = tempfile.mkdtemp()
        proxy.clear()

    def tearDown(self):
        try:
            tool.assert_stores_sound(self, self.store)  # whatever the test did, the store is sound
        finally:
            shutil.rmtree(self.store)

    def pull(self, ref, *opts, check=True, host=None):
        return example("limg-pull", *opts, "%s/%s" % (host or reg.host, ref), store=self.store, check=check)

    def images(self, *opts):
        return example("limg-images", *opts, store=self.store).stdout

    def test_docker_style_output_and_store(self):
        img = images.Image(images.sample_layers("out"), docker=True)
        reg.push("library/out", "v1", img)
        out = self.pull("library/out:v1").stdout.splitlines()
        self.assertEqual(out[0], "v1: Pulling from library/out")
        for layer in img.layers:
            short = layer.blob.digest[7:19]
            self.assertIn(short + ": Pulling fs layer", out)
            self.assertIn(short + ": Download complete", out)
            self.assertIn(short + ": Pull complete", out)
        self.assertEqual(out[-3], "Digest: " + img.manifest.digest)
        self.assertEqual(out[-2], "Status: Downloaded newer image for %s/library/out:v1" % reg.host)
        self.assertEqual(out[-1], "%s/library/out:v1" % reg.host)
        self.assertEqual(blobs_in(self.store), {b.digest for b in img.blobs()})
        rows = self.images().splitlines()
        self.assertEqual(rows[0].split(), ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"])
        self.assertEqual(rows[1].split()[:3], ["%s/library/out" % reg.host, "v1", img.config.digest[7:19]])

    def test_zstd_and_plain_layers_are_verified(self):
        """zstd layers have their diff_ids checked and their sizes known, as gzip ones."""
        layers = [images.Layer({"z/data.bin": images.pseudo_random(300000, 21), "z/text": b"zstd " * 50000},
                               images.OCI_LAYER_ZSTD),
                  images.Layer({"p/plain.txt": b"plain tar\n" * 1000}, images.OCI_LAYER_TAR),
                  images.Layer({"g/gz.txt": b"gzip\n" * 1000})]
        img = images.Image(layers)
        reg.push("team/zstd", "v1", img)
        self.pull("team/zstd:v1")
        row = self.images("--format", "json").splitlines()[0]
        size = json.loads(row)["Size"]
        self.assertEqual(size, _human(img.uncompressed_size))
        facts = {}
        for name in os.listdir(os.path.join(self.store, ".libimage", "layers")):
            with open(os.path.join(self.store, ".libimage", "layers", name)) as f:
                facts[name.replace("-", ":", 1)] = f.read().split()
        for l in layers:
            self.assertEqual(facts[l.blob.digest], [l.diff_id, str(l.uncompressed_size)])

    def test_zstd_layer_with_a_wrong_diff_id_is_refused(self):
        good = images.Layer({"z/data": b"right " * 20000}, images.OCI_LAYER_ZSTD)
        other = images.Layer({"z/data": b"wrong " * 20000}, images.OCI_LAYER_ZSTD)
        lie = images.Image([other])  # its config names the other layer's diff_id
        lie.layers = [good]          # while the manifest serves this one
        manifest = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "config": lie.config.descriptor(),
                    "layers": [good.blob.descriptor()]}
        lie.manifest = images.Blob(json.dumps(manifest).encode(), images.OCI_MANIFEST)
        reg.push("team/zstdlie", "v1", lie)
        p = self.pull("team/zstdlie:v1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unpacks to", p.stderr)
        self.assertNotIn("zstdlie", self.images())

    def test_readme_quickstart(self):
        img = images.Image(images.sample_layers("quick"))
        reg.push("library/quick", "v1", img)
        p = subprocess.run([os.path.join(EXAMPLES, "quickstart"), self.store, "%s/library/quick:v1" % reg.host],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "%s/library/quick:v1 is image %s\n" % (reg.host, img.config.digest))

    def test_default_tag_message(self):
        img = images.Image(images.sample_layers("deflt"))
        reg.push("library/deflt", "latest", img)
        out = self.pull("library/deflt").stdout.splitlines()
        self.assertEqual(out[0], "Using default tag: latest")
        self.assertEqual(out[-1], "%s/library/deflt:latest" % reg.host)

    def test_repull_costs_one_request(self):
        img = images.Image(images.sample_layers("again"))
        reg.push("library/again", "v1", img)
        self.pull("library/again:v1", host=proxy.host)
        proxy.clear()
        out = self.pull("library/again:v1", host=proxy.host).stdout
        self.assertIn("Status: Image is up to date for", out)
        self.assertEqual([(m, p) for m, p, h in proxy.requests], [("HEAD", "/v2/library/again/manifests/v1")])

    def test_cold_pull_gets_the_manifest_once_and_a_changed_tag_heads_first(self):
        first = images.Image(images.sample_layers("cold"))
        reg.push("library/cold", "v1", first)
        proxy.clear()
        self.pull("library/cold:v1", host=proxy.host)
        manifests = [(m, p) for m, p, h in proxy.requests if "/manifests/" in p]
        # a tag the store lacks: its GET is the manifest (no HEAD, no second GET by digest)
        self.assertEqual(manifests, [("GET", "/v2/library/cold/manifests/v1")])
        second = images.Image(images.sample_layers("cold2"))
        reg.push("library/cold", "v1", second)
        proxy.clear()
        out = self.pull("library/cold:v1", host=proxy.host).stdout
        self.assertIn("Downloaded newer image for", out)
        manifests = [(m, p) for m, p, h in proxy.requests if "/manifests/" in p]
        # a tag it has: HEAD first (one request when unchanged), then the new manifest by digest
        self.assertEqual(manifests, [("HEAD", "/v2/library/cold/manifests/v1"),
                                     ("GET", "/v2/library/cold/manifests/" + second.manifest.digest)])
        self.assertIn(second.config.digest.split(":")[1][:12], self.images())

    def test_multi_platform_index(self):
        amd = images.Image(images.sample_layers("idx-amd"), arch="amd64")
        arm = images.Image(images.sample_layers("idx-arm"), arch="arm64", variant="v8")
        win = images.Image([images.Layer({"Files/win.txt": b"windows"})], arch="amd64", os_name="windows",
                           os_version="10.0.17763.5000")
        index = images.Index([amd, arm, win])
        reg.push("library/multi", "latest", index)
        out = self.pull("library/multi:latest", "--platform", "linux/arm64").stdout
        self.assertIn("Digest: " + index.manifest.digest, out)
        have = blobs_in(self.store)
        self.assertTrue({b.digest for b in arm.blobs()} <= have)
        self.assertNotIn(amd.layers[1].blob.digest, have)
        self.assertIn(index.manifest.digest, have)
        # the host's platform next: the amd64 image, sharing the base layer ("Already exists")
        out = self.pull("library/multi:latest", "--platform", "linux/amd64").stdout
        self.assertIn(amd.layers[0].blob.digest[7:19] + ": Already exists", out)
        self.assertIn(amd.layers[1].blob.digest[7:19] + ": Pull complete", out)
        out = self.pull("library/multi:latest", "--platform", "windows(10.0.17763.1)/amd64").stdout
        self.assertIn(win.layers[0].blob.digest[7:19] + ": Pull complete", out)
        p = self.pull("library/multi:latest", "--platform", "linux/s390x", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no matching manifest for linux/s390x", p.stderr)
        info = json.loads(example("limg-inspect", "--platform", "linux/arm64", "%s/library/multi" % reg.host,
                                  store=self.store).stdout)[0]
        self.assertEqual(info["Id"], arm.config.digest)
        self.assertEqual(info["Architecture"], "arm64")
        self.assertEqual(info["Variant"], "v8")
        self.assertEqual(info["RootFS"]["Layers"], [l.diff_id for l in arm.layers])

    def test_shared_layers_already_exist(self):
        a = images.Image(images.sample_layers("share-a"))
        b = images.Image(images.sample_layers("share-b"))
        reg.push("team/a", "v1", a)
        reg.push("team/b", "v1", b)
        self.pull("team/a:v1")
        out = self.pull("team/b:v1").stdout
        self.assertIn(b.layers[0].blob.digest[7:19] + ": Already exists", out)
        self.assertNotIn(b.layers[0].blob.digest[7:19] + ": Pulling fs layer", out)

    def test_pull_by_digest(self):
        img = images.Image(images.sample_layers("bydigest"), docker=True)
        reg.push("team/bydigest", "v1", img)
        out = self.pull("team/bydigest@" + img.manifest.digest).stdout.splitlines()
        self.assertEqual(out[-1], "%s/team/bydigest@%s" % (reg.host, img.manifest.digest))
        rows = self.images("-a").splitlines()
        self.assertEqual(rows[1].split()[:3], ["%s/team/bydigest" % reg.host, "<none>", img.config.digest[7:19]])
        out = self.pull("team/bydigest@" + img.manifest.digest).stdout
        self.assertIn("Image is up to date", out)

    def test_wrong_diff_id_refused_and_tag_unchanged(self):
        good = images.Image(images.sample_layers("diffid"))
        reg.push("team/diffid", "v1", good)
        self.pull("team/diffid:v1")
        bad = images.Image(images.sample_layers("diffid2"))
        bad.config_json["rootfs"]["diff_ids"][1] = "sha256:" + "ab" * 32
        bad = images.Image(bad.layers)  # rebuilt below with the wrong diff_id
        cfg = dict(bad.config_json)
        cfg["rootfs"] = {"type": "layers", "diff_ids": [bad.layers[0].diff_id, "sha256:" + "ab" * 32]}
        bad.config = images.Blob(json.dumps(cfg, sort_keys=True).encode(), images.OCI_CONFIG)
        bad.manifest = images.Blob(json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                                               "config": bad.config.descriptor(),
                                               "layers": [l.blob.descriptor() for l in bad.layers]},
                                              sort_keys=True).encode(), images.OCI_MANIFEST)
        reg.push("team/diffid", "v1", bad)
        p = self.pull("team/diffid:v1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unpacks to", p.stderr)
        self.assertIn(good.config.digest[7:19], self.images())  # the tag still names the good image

    def test_corrupt_layer_leaves_nothing_under_blobs(self):
        img = images.Image(images.sample_layers("corrupt", size=300000))
        reg.push("team/corrupt", "v1", img)
        proxy.add(img.layers[1].blob.digest, "corrupt", times=-1, offset=1000)
        p = self.pull("team/corrupt:v1", host=proxy.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not match", p.stderr)
        self.assertNotIn(img.layers[1].blob.digest, blobs_in(self.store))
        self.assertNotIn(img.manifest.digest, blobs_in(self.store))
        self.assertNotIn("team/corrupt", self.images())

    def test_foreign_layers_from_the_registry(self):
        """As Docker and podman: a foreign layer the registry has comes from it (test_foreign has the rest)."""
        base = images.Layer({"base.txt": b"foreign base"}, images.DOCKER_FOREIGN)
        img = images.Image([base, images.Layer({"app.txt": b"app"}, images.DOCKER_LAYER)], docker=True,
                           urls=["https://example.invalid/base.tar.gz"])
        reg.push("team/foreign", "v1", img)
        out = self.pull("team/foreign:v1", host=proxy.host).stdout
        self.assertIn("Status: Downloaded newer image", out)
        self.assertIn(base.blob.digest, blobs_in(self.store))
        self.assertIn(("GET", "/v2/team/foreign/blobs/" + base.blob.digest),
                      [(m, p) for m, p, h in proxy.requests])

    def test_schema1_refused(self):
        proxy.add("/manifests/", "status", times=-1, status=200, headers={
            "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"},
            body='{"schemaVersion":1,"fsLayers":[]}')
        p = self.pull("team/old:v1", host=proxy.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("schema 1", p.stderr)

    def test_unknown_tag_reads_like_docker(self):
        img = images.Image(images.sample_layers("known"))
        reg.push("library/known", "v1", img)
        p = self.pull("library/known:nosuch", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip(), "Error response from daemon: manifest for %s/library/known:nosuch not found: "
                                           "manifest unknown: manifest unknown" % reg.host)

    def test_skopeo_reads_pulled_store(self):
        if not shutil.which("skopeo"):
            self.skipTest("skopeo not installed")
        img = images.Image(images.sample_layers("skopeo"))
        reg.push("team/skopeo", "v1", img)
        self.pull("team/skopeo:v1")
        info = json.loads(subprocess.run(["skopeo", "inspect", "oci:%s:%s/team/skopeo:v1" % (self.store, reg.host)],
                                         check=True, capture_output=True, text=True).stdout)
        self.assertEqual(info["Digest"], img.manifest.digest)
        self.assertEqual(info["Layers"], [l.blob.digest for l in img.layers])

    def test_tag_rmi_and_gc(self):
        a = images.Image(images.sample_layers("rmi-a"))
        b = images.Image(images.sample_layers("rmi-b"))
        reg.push("team/rmi", "a", a)
        reg.push("team/rmi", "b", b)
        self.pull("team/rmi:a")
        self.pull("team/rmi:b")
        example("limg-tag", "%s/team/rmi:a" % reg.host, "mine:one", store=self.store)
        example("limg-tag", a.config.digest[7:15], "other/repo:two", store=self.store)
        rows = self.images().splitlines()
        self.assertEqual(len(rows), 5)
        self.assertEqual(sum(a.config.digest[7:19] in r for r in rows), 3)
        # an ID with tags in several repositories needs -f
        p = example("limg-rmi", a.config.digest[7:19], store=self.store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("must be forced", p.stderr)
        out = example("limg-rmi", "mine:one", store=self.store).stdout
        self.assertEqual(out, "Untagged: mine:one\n")
        out = example("limg-rmi", "-f", a.config.digest[7:19], store=self.store).stdout.splitlines()
        self.assertEqual(sorted(out[:2]), ["Untagged: %s/team/rmi:a" % reg.host, "Untagged: other/repo:two"])
        self.assertEqual(out[2], "Deleted: " + a.config.digest)
        have = blobs_in(self.store)
        self.assertNotIn(a.layers[1].blob.digest, have)       # only a used it
        self.assertIn(a.layers[0].blob.digest, have)          # b shares it
        self.assertTrue({x.digest for x in b.blobs()} <= have)
        p = example("limg-rmi", "nosuch:tag", store=self.store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such image", p.stderr)

    def test_interrupt_cancels_cleanly(self):
        big = images.Image([images.Layer({"big.bin": images.pseudo_random(12 << 20, 4)}, level=1)])
        reg.push("team/cancel", "v1", big)
        proxy.add("/blobs/", "slow", times=-1, rate=2 << 20)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        proc = subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "%s/team/cancel:v1" % proxy.host], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        partial = os.path.join(self.store, ".libimage", "ingest", "sha256-" + big.layers[0].blob.digest[7:])
        deadline = time.time() + 30
        while time.time() < deadline and (not os.path.exists(partial) or os.path.getsize(partial) < (1 << 20)):
            time.sleep(0.05)
        start = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        self.assertLess(time.time() - start, 3, "cancellation should be prompt")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cancelled", err)
        self.assertNotIn(big.layers[0].blob.digest, blobs_in(self.store))
        self.assertNotIn("team/cancel", self.images())
        self.assertGreater(os.path.getsize(partial), 0)  # kept, to be resumed
        proxy.clear()
        self.assertIn("Downloaded newer image", self.pull("team/cancel:v1").stdout)

    def test_terminal_progress_bar(self):
        if not shutil.which("script"):
            self.skipTest("script (util-linux) not installed")
        img = images.Image([images.Layer({"tty.bin": images.pseudo_random(3 << 20, 5)}, level=1)])
        reg.push("team/tty", "v1", img)
        proxy.add("/blobs/", "slow", times=-1, rate=8 << 20)
        cmd = "%s --store %s %s/team/tty:v1" % (os.path.join(EXAMPLES, "limg-pull"), self.store, proxy.host)
        out = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=ENV,
                             timeout=60).stdout
        self.assertIn("\x1b[", out)                      # redrawn in place
        self.assertRegex(out, r"Downloading \[=*>? *\] +[0-9.]+[kM]B/3\.1[0-9]*MB")
        self.assertIn("Pull complete", out)

    def test_two_processes_pull_the_same_image(self):
        img = images.Image(images.sample_layers("twice", size=4 << 20))
        reg.push("team/twice", "v1", img)
        proxy.add("/blobs/", "slow", times=-1, rate=16 << 20)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        procs = [subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "%s/team/twice:v1" % proxy.host], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(blobs_in(self.store), {b.digest for b in img.blobs()})
        self.assertEqual(os.listdir(os.path.join(self.store, ".libimage", "tmp")), [])
        self.assertEqual(len(self.images().splitlines()), 2)

    def test_kill_and_resume(self):
        """One stream (ranged downloads resume range by range: test_ranges.Ranged)."""
        big = images.Image([images.Layer({"big.bin": images.pseudo_random(24 << 20, 3)}, level=1)])
        reg.push("team/big", "v1", big)
        proxy.add("/blobs/", "slow", times=-1, rate=4 << 20)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        proc = subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "--range-threshold", "-1",
                                 "%s/team/big:v1" % proxy.host], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        partial = os.path.join(self.store, ".libimage", "ingest", "sha256-" + big.layers[0].blob.digest[7:])
        deadline = time.time() + 30
        while time.time() < deadline and (not os.path.exists(partial) or os.path.getsize(partial) < (4 << 20)):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kept = os.path.getsize(partial)
        self.assertGreater(kept, 0)
        proxy.clear()
        self.pull("team/big:v1", "--range-threshold", "-1", host=proxy.host)
        ranges = [h.get("Range") for m, p, h in proxy.requests if big.layers[0].blob.digest in p]
        self.assertTrue(any(r and r.startswith("bytes=") and int(r[6:-1]) >= kept - (1 << 20) for r in ranges),
                        "the second pull should resume, asked with %s" % ranges)
        self.assertIn(big.layers[0].blob.digest, blobs_in(self.store))
        self.assertFalse(os.path.exists(partial))


if __name__ == "__main__":
    unittest.main()
