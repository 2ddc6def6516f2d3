# SPDX-License-Identifier: MIT
"""limg_pull_unpack end to end: a root filesystem made while its layers
download (limg-pull --unpack, limg-unpack --pull), in one pass. The unpack
tests of test_unpack run again through it (the image never stored before the
unpack), trees compared with umoci's; then what only the fused path has: a
diff_id that does not match in the last layer, kills and resumes, layers
discarded once unpacked, two processes at once."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from fixtures import faultproxy, images, ocilayout, registry, tree
from fixtures.images import entry
import test_unpack as base
import tool
from tool import ENV, EXAMPLES, example

INCOMPLETE = "user.libimage.incomplete"
reg = proxy = None


def setUpModule():
    global reg, proxy
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    base.reg = reg  # the unpack tests below push to this registry
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)


class ThroughTheFusedPath:
    """test_unpack's tests with the image pulled by the unpack itself: serve()
    only pushes, and limg-unpack --pull makes the root as the layers come."""

    def serve(self, name, image):
        reg.push(name, "v1", image)
        return "%s/%s:v1" % (reg.host, name)

    def tearDown(self):
        # what the fused pull left in the store, judged by fsck and by a checker of its own
        assert_store_sound(self, self.store)
        super().tearDown()

    def unpack(self, ref, dest, *opts, check=True):
        return example("limg-unpack", "--pull", *opts, ref, dest, store=self.store, check=check)


class FusedLikeUmoci(ThroughTheFusedPath, base.LikeUmoci):
    pass


class FusedBreakouts(ThroughTheFusedPath, base.Breakouts):
    def unpack_watched(self, ref, root, wrapper):
        """test_unpack's, through limg-unpack --pull into a store made afresh for
        each run: every case, through each resolver, is pulled and applied in one
        pass (never found already stored), the host watched as there."""
        if os.path.isdir(self.store):
            assert_store_sound(self, self.store)
            base.remove_tree(self.store)
        argv = [os.path.join(tool.TOOLS, w) for w in wrapper] + [
            os.path.join(EXAMPLES, "limg-unpack"), "--store", self.store, "--pull", ref, root]
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        if base.hostwatch.unavailable():
            return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        p, touched = base.hostwatch.run(argv, real=self.tmp, env=env)
        self.assertEqual(touched, [], "written outside the root and this test's directory")
        return p


class FusedVerified(ThroughTheFusedPath, base.Verified):
    # a blob tampered with in the store needs the image stored first: the
    # fused path's own case is Fused.test_a_blob_that_does_not_verify_leaves_nothing
    test_tampered_blob_in_the_store = None

    def test_hundred_thousand_entries_in_bounded_memory(self):
        ref = self.serve("scale/many", images.Image([base.many_entries_layer()]))
        out = os.path.join(base.scratch_dir(self), "out")
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        rss = base.peak_rss_kb([os.path.join(EXAMPLES, "limg-unpack"), "--pull", ref, out], env)
        self.assertGreater(rss, 0, "the pull and unpack failed")
        self.assertEqual(sum(len(files) for _, _, files in os.walk(out)), 100000)
        if not tool.SANITIZER:  # (a sanitizer's shadow memory is no measure)
            self.assertLess(rss, 32 * 1024, "peak RSS %d KiB for 100,100 entries" % rss)

    def test_interrupted_unpack_leaves_nothing(self):
        """Ctrl-C in the middle of a pull and unpack: cancelled, no half-made root
        left. As in test_unpack, the shim (tests/tools/stop-at-mkdir.c) holds
        limg-unpack still right after the second of sixty directories is made,
        then SIGINT lands there: never racing the work."""
        ref = self.serve("scale/interrupt", images.Image([base.many_entries_layer(60, 1000)]))
        out = os.path.join(base.scratch_dir(self), "out")
        env = dict(ENV, LIBIMAGE_STORE=self.store, LIMG_STOP_AT_MKDIR="d001",
                   LD_PRELOAD=os.path.join(tool.TOOLS, "stop-at-mkdir.so"))
        if "address" in tool.SANITIZER:  # the shim comes before ASan's runtime in the list
            env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
        p = subprocess.Popen([os.path.join(EXAMPLES, "limg-unpack"), "--pull", ref, out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        try:
            _, status = os.waitpid(p.pid, os.WUNTRACED)  # held still right after d001 is made
            if not os.WIFSTOPPED(status):
                p.returncode = os.waitstatus_to_exitcode(status)
                self.fail("limg-unpack --pull ended (%d) before d001: %s" % (p.returncode, p.stderr.read()))
            self.assertTrue(marked(out), "a root being made is marked incomplete")
            p.send_signal(signal.SIGINT)  # pending while stopped, delivered as it goes on
            p.send_signal(signal.SIGCONT)
            _, err = p.communicate(timeout=120)
        finally:
            if p.returncode is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("cancelled", err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(os.listdir(os.path.join(self.store, ".libimage", "leases")), [])
        tool.assert_sound(self, self.store)


class FusedRuns(ThroughTheFusedPath, base.Runs):
    @unittest.skipUnless(os.geteuid() == 0, "needs root to become another user")
    def test_rootless_unpack_as_a_user(self):
        """A user pulls into a store of their own and unpacks rootless, in one pass."""
        ref = self.serve("unpack/kinds", base.every_kind_image())
        os.chmod(self.tmp, 0o755)
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        os.chown(home, base.NOBODY, base.NOBODY)
        out = os.path.join(home, "bundle")
        p = subprocess.run([os.path.join(EXAMPLES, "limg-unpack"), "--store", os.path.join(home, "store"), "--pull",
                            "--bundle", ref, out], capture_output=True, text=True, env=ENV,
                           preexec_fn=base.as_nobody())
        self.assertEqual(p.returncode, 0, p.stderr)
        snap = tree.snapshot(os.path.join(out, "rootfs"))
        self.assertEqual({(f["uid"], f["gid"]) for f in snap.values()}, {(base.NOBODY, base.NOBODY)})
        self.assertEqual(base.rootless_owner(snap["etc/owned"]["xattrs"][base.ROOTLESS_XATTR]), (1000, 2000))
        self.assertEqual(snap["dev/null"]["type"], base.stat.S_IFREG)
        self.assertEqual(snap["locked"]["mode"], 0)
        self.assertFalse(marked(out))
        p = subprocess.run(["sh", "-c", 'chmod -R u+rwX "$1" && rm -rf "$1"', "sh", out], capture_output=True,
                           text=True, preexec_fn=base.as_nobody())
        self.assertEqual(p.returncode, 0, p.stderr)


def assert_store_sound(test, store, discarded=()):
    """tool.assert_sound for a store a test may never have made, where the layer
    blobs in @discarded may be absent: those --discard-layers removed on purpose
    (the image is then incomplete, not damaged, as fsck says too)."""
    if not os.path.isdir(store):
        return
    if not discarded:
        return tool.assert_sound(test, store)
    p = subprocess.run([os.path.join(tool.TOOLS, "limg-test-fsck"), store], capture_output=True, text=True, env=ENV,
                       timeout=300)
    test.assertEqual(p.returncode, 0, "limg_store_fsck: " + p.stdout + p.stderr)
    problems = [t for t in ocilayout.problems(store)
                if not any(t.endswith("%s is not in the store" % d) for d in discarded)]
    test.assertEqual(problems, [], "the OCI layout of %s" % store)


def marked(path):
    try:
        os.getxattr(path, INCOMPLETE)
        return True
    except OSError:
        return False


def wrong_last_diff_id_image():
    """Two good layers; the config's diff_id of the last one is not what it unpacks to."""
    first = images.Layer.of_entries([entry("etc", "dir"), entry("etc/first", data=b"first\n")])
    last = images.Layer.of_entries([entry("etc/last", data=b"last\n")])
    img = images.Image([first, last])
    cfg = dict(img.config_json)
    cfg["rootfs"] = {"type": "layers", "diff_ids": [first.diff_id, images.sha256(b"something else")]}
    img.config = images.Blob(json.dumps(cfg).encode(), images.OCI_CONFIG)
    img.manifest = images.Blob(json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                                           "config": img.config.descriptor(),
                                           "layers": [first.blob.descriptor(), last.blob.descriptor()]}).encode(),
                               images.OCI_MANIFEST)
    return img, last


class Fused(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-fused-")
        self.store = os.path.join(self.tmp, "store")
        self.discarded = ()  # layer blobs a test discarded on purpose
        proxy.clear()

    def tearDown(self):
        assert_store_sound(self, self.store, self.discarded)
        base.remove_tree(self.tmp)

    def pull_unpack(self, ref, dest, *opts, check=True):
        return example("limg-pull", "--unpack", dest, *opts, ref, store=self.store, check=check)

    def images(self):
        return example("limg-images", "--no-trunc", store=self.store).stdout

    def blobs(self):
        d = os.path.join(self.store, "blobs", "sha256")
        return {"sha256:" + n for n in os.listdir(d)} if os.path.isdir(d) else set()

    def test_one_pass_makes_the_tree_limg_unpack_makes(self):
        img = base.every_kind_image()
        reg.push("fused/kinds", "v1", img)
        ref = "%s/fused/kinds:v1" % reg.host
        ours = os.path.join(self.tmp, "fused")
        p = self.pull_unpack(ref, ours, "--bundle")
        self.assertIn("Unpacked", p.stdout)
        self.assertFalse(marked(ours))
        # stored whole, as limg-pull stores it: then the two-pass path from the store agrees
        self.assertEqual(self.blobs(), {b.digest for b in img.blobs()})
        two = os.path.join(self.tmp, "two-pass")
        example("limg-unpack", "--bundle", ref, two, store=self.store)
        a, b = tree.snapshot(os.path.join(ours, "rootfs"), True), tree.snapshot(os.path.join(two, "rootfs"), True)
        for facts in list(a.values()) + list(b.values()):
            facts.pop("mtime", None) if facts.get("type") == 0o040000 else None
        self.assertEqual(tree.differences(a, b), [])
        with open(os.path.join(ours, "config.json")) as f, open(os.path.join(two, "config.json")) as g:
            self.assertEqual(json.load(f), json.load(g))
        # an image already stored: nothing downloaded, made from the store
        again = os.path.join(self.tmp, "again")
        p = self.pull_unpack(ref, again)
        self.assertIn("Image is up to date", p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(again, "etc/big")))

    def test_diff_id_mismatch_in_the_last_layer_leaves_no_finished_root(self):
        img, last = wrong_last_diff_id_image()
        reg.push("fused/diffid", "v1", img)
        ref = "%s/fused/diffid:v1" % reg.host
        out = os.path.join(self.tmp, "out")
        p = self.pull_unpack(ref, out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unpacks to %s, but the image config says" % last.diff_id, p.stderr)
        self.assertFalse(os.path.exists(out))       # removed, the default
        self.assertNotIn("fused/diffid", self.images())  # and the image is not stored as pulled
        # the caller's choice: left for a look, marked
        kept = os.path.join(self.tmp, "kept")
        p = self.pull_unpack(ref, kept, "--keep-failed", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(marked(kept))
        self.assertTrue(os.path.isfile(os.path.join(kept, "etc/first")))
        # and an unpack into it starts it over (here it fails again, the same way, and what
        # it made goes: the directory it did not make stays, empty)
        p = self.pull_unpack(ref, kept, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unpacks to %s, but the image config says" % last.diff_id, p.stderr)
        self.assertEqual(os.listdir(kept), [])
        self.assertFalse(marked(kept))

    def test_layers_discarded_once_unpacked(self):
        img = images.Image(images.sample_layers("discard", size=200 << 10))
        reg.push("fused/discard", "v1", img)
        ref = "%s/fused/discard:v1" % reg.host
        out = os.path.join(self.tmp, "out")
        self.pull_unpack(ref, out, "--discard-layers")
        self.assertFalse(marked(out))
        self.assertEqual(self.blobs(), {img.config.digest, img.manifest.digest})
        assert_store_sound(self, self.store, [layer.blob.digest for layer in img.layers])
        listed = [line for line in self.images().splitlines() if "fused/discard" in line]
        self.assertEqual(len(listed), 1)
        # incomplete, not damaged: unpack says why, fsck finds nothing wrong (above), a pull makes it whole
        p = example("limg-unpack", ref, os.path.join(self.tmp, "again"), store=self.store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("discarded once it was unpacked", p.stderr)
        example("limg-pull", "-q", ref, store=self.store)
        self.assertEqual(self.blobs(), {b.digest for b in img.blobs()})
        example("limg-unpack", ref, os.path.join(self.tmp, "again"), store=self.store)

    def test_discard_keeps_what_another_image_needs(self):
        layers = images.sample_layers("shared", size=100 << 10)
        base_img = images.Image(layers[:1])
        top = images.Image(layers)
        reg.push("fused/base", "v1", base_img)
        reg.push("fused/top", "v1", top)
        example("limg-pull", "-q", "%s/fused/base:v1" % reg.host, store=self.store)
        self.pull_unpack("%s/fused/top:v1" % reg.host, os.path.join(self.tmp, "top"), "--discard-layers")
        self.assertIn(layers[0].blob.digest, self.blobs())      # the base image holds it
        for layer in layers[1:]:
            self.assertNotIn(layer.blob.digest, self.blobs())  # this pull brought it: gone
        self.discarded = [layer.blob.digest for layer in layers[1:]]
        example("limg-unpack", "%s/fused/base:v1" % reg.host, os.path.join(self.tmp, "base"), store=self.store)

    def test_kill_then_resume(self):
        """Killed mid-download: the root says it is incomplete, and the next run
        resumes the download and makes the root again."""
        big = images.Layer({"big.bin": images.pseudo_random(12 << 20, 3)}, level=1)
        small = images.Layer.of_entries([entry("etc", "dir"), entry("etc/small", data=b"small\n")])
        img = images.Image([small, big])
        reg.push("fused/big", "v1", img)
        proxy.add("/blobs/", "slow", times=-1, rate=3 << 20)
        ref = "%s/fused/big:v1" % proxy.host
        out = os.path.join(self.tmp, "out")
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        proc = subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "--range-threshold", "-1", "--unpack", out,
                                 ref], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        partial = os.path.join(self.store, ".libimage", "ingest", "sha256-" + big.blob.digest[7:])
        deadline = time.time() + 30
        while time.time() < deadline and (not os.path.exists(partial) or os.path.getsize(partial) < (3 << 20)
                                          or not os.path.exists(os.path.join(out, "big.bin"))):
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kept = os.path.getsize(partial)
        self.assertGreater(kept, 0)
        self.assertTrue(marked(out), "a killed unpack must leave a root that says it is not finished")
        self.assertTrue(os.path.isfile(os.path.join(out, "etc/small")))  # the first layer was applied meanwhile
        proxy.clear()
        self.pull_unpack(ref, out, "--range-threshold", "-1")
        ranges = [h.get("Range") for m, p, h in proxy.requests if big.blob.digest in p]
        self.assertTrue(any(r and r.startswith("bytes=") and int(r[6:-1]) >= kept - (1 << 20) for r in ranges),
                        "the second run should resume, asked with %s" % ranges)
        self.assertFalse(marked(out))
        with open(os.path.join(out, "big.bin"), "rb") as f:
            self.assertEqual(f.read(), images.pseudo_random(12 << 20, 3))
        self.assertFalse(os.path.exists(partial))

    def test_ranged_download_followed_as_it_comes(self):
        """A layer fetched as parallel byte ranges is applied in order as its ranges land."""
        big = images.Layer({"ranged.bin": images.pseudo_random(6 << 20, 4)}, level=1)
        img = images.Image([big])
        reg.push("fused/ranged", "v1", img)
        out = os.path.join(self.tmp, "out")
        self.pull_unpack("%s/fused/ranged:v1" % reg.host, out, "--range-threshold", str(1 << 20),
                         "--range-chunk", str(1 << 20))
        with open(os.path.join(out, "ranged.bin"), "rb") as f:
            self.assertEqual(f.read(), images.pseudo_random(6 << 20, 4))
        self.assertIn(big.blob.digest, self.blobs())

    def test_a_blob_that_does_not_verify_leaves_nothing(self):
        layer = images.Layer({"data": images.pseudo_random(300 << 10, 6)})
        img = images.Image([layer])
        reg.push("fused/corrupt", "v1", img)
        proxy.add("/blobs/" + layer.blob.digest, "corrupt", times=-1, offset=150000)
        out = os.path.join(self.tmp, "out")
        p = self.pull_unpack("%s/fused/corrupt:v1" % proxy.host, out, "--range-threshold", "-1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertFalse(os.path.exists(out))
        self.assertNotIn(layer.blob.digest, self.blobs())

    def test_bytes_flipped_once_in_transit(self):
        """The pull fetches a layer that did not verify again; what the unpack
        applied of the dropped bytes cannot be taken back, so either it had
        applied none and the root is made, or the run fails and leaves no
        root; run again, it is made. Never a root of the wrong bytes."""
        layer = images.Layer({"data": images.pseudo_random(300 << 10, 7)})
        img = images.Image([layer])
        reg.push("fused/flipped", "v1", img)
        proxy.add("/blobs/" + layer.blob.digest, "corrupt", times=1, offset=200000)
        ref = "%s/fused/flipped:v1" % proxy.host
        out = os.path.join(self.tmp, "out")
        p = self.pull_unpack(ref, out, "--range-threshold", "-1", check=False)
        if p.returncode != 0:
            self.assertIn("started over after its first bytes were applied", p.stderr)
            self.assertFalse(os.path.exists(out))
            self.pull_unpack(ref, out, "--range-threshold", "-1")
        self.assertFalse(marked(out))
        with open(os.path.join(out, "data"), "rb") as f:
            self.assertEqual(f.read(), images.pseudo_random(300 << 10, 7))

    def test_two_processes_at_once(self):
        img = images.Image(images.sample_layers("twice", size=2 << 20))
        reg.push("fused/twice", "v1", img)
        proxy.add("/blobs/", "slow", times=-1, rate=16 << 20)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        outs = [os.path.join(self.tmp, "out%d" % i) for i in range(2)]
        procs = [subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "--unpack", o,
                                   "%s/fused/twice:v1" % proxy.host], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for o in outs]
        for p in procs:
            _, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.blobs(), {b.digest for b in img.blobs()})
        a, b = tree.snapshot(outs[0], True), tree.snapshot(outs[1], True)
        self.assertEqual(sorted(a), sorted(b))
        self.assertEqual(os.listdir(os.path.join(self.store, ".libimage", "leases")), [])

    def test_bad_arguments(self):
        p = example("limg-pull", "--bundle", "x/y:1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("go with --unpack", p.stderr)
        p = example("limg-pull", "--unpack", os.path.join(self.tmp, "o"), "--no-diff-ids", "x/y:1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--no-diff-ids cannot go with --unpack", p.stderr)
        p = example("limg-pull", "--unpack", os.path.join(self.tmp, "o"), "-a", "x/y", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--unpack cannot go with --all-tags", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "o")))
        # habits' flag parser: docker's words and status for a flag neither program knows
        for prog in ("limg-pull", "limg-unpack"):
            p = example(prog, "--unpak", "x", check=False)
            self.assertEqual((p.returncode, p.stderr), (125, "unknown flag: --unpak\nSee '%s --help'.\n" % prog))
        # a directory that is not ours: refused before anything is downloaded
        img = images.Image([images.Layer({"f": b"f"})])
        reg.push("fused/full", "v1", img)
        full = os.path.join(self.tmp, "full")
        os.makedirs(full)
        with open(os.path.join(full, "mine"), "w") as f:
            f.write("keep me")
        p = self.pull_unpack("%s/fused/full:v1" % proxy.host, full, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not empty", p.stderr)
        self.assertEqual(os.listdir(full), ["mine"])
        self.assertEqual([r for r in proxy.requests if "/blobs/" in r[1] and img.layers[0].blob.digest in r[1]], [])


if __name__ == "__main__":
    unittest.main()
