# SPDX-License-Identifier: MIT
"""Many processes on one store, and operations stopped mid-way: leases keep
a pull's blobs from a concurrent rmi, a callback or a close stops a pull
cleanly, and what is left is always resumable and sound: sound as
limg_store_fsck says and as fixtures/ocilayout.py (no libimage code) says."""
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from fixtures import faultproxy, images, registry
from tool import ENV, EXAMPLES, TOOLS, assert_sound, example

reg = proxy = None
IMAGES = 6
BIG_SIZE = 0  # of team/big's one layer, set when it is pushed
BIG_DIGEST = ""  # its digest


def setUpModule():
    global reg, proxy
    # cleanups run even when the rest of the set-up fails
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)
    # six images over one shared base layer (and a shared second one for half)
    base = images.Layer({"bin/base": images.pseudo_random(300000, 1)})
    mid = images.Layer({"lib/mid": images.pseudo_random(200000, 2)})
    for i in range(IMAGES):
        own = images.Layer({"app/%d" % i: images.pseudo_random(50000, 10 + i)})
        layers = [base, mid, own] if i % 2 else [base, own]
        reg.push("team/app%d" % i, "v1", images.Image(layers, created="2024-02-%02dT00:00:00Z" % (i + 1)))
    global BIG_SIZE, BIG_DIGEST
    big = images.Layer({"big.bin": images.pseudo_random(24 << 20, 99)}, level=1)
    reg.push("team/big", "v1", images.Image([big]))
    BIG_SIZE = big.blob.size
    BIG_DIGEST = big.blob.digest


def run(*args, timeout=120):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=timeout)


class RmiBesidePulls(unittest.TestCase):
    def test_no_broken_tags(self):
        """Pullers and removers racing on images that share layers."""
        store = tempfile.mkdtemp()
        stop = time.monotonic() + 12
        counts = {"pull": 0, "pull_failed": 0, "rmi": 0}
        failures = []
        lock = threading.Lock()

        def puller(seed):
            rnd = random.Random(seed)
            while time.monotonic() < stop:
                ref = "%s/team/app%d:v1" % (reg.host, rnd.randrange(IMAGES))
                p = run(os.path.join(EXAMPLES, "limg-pull"), "-q", "--store", store, ref)
                with lock:
                    counts["pull"] += 1
                    if p.returncode:
                        counts["pull_failed"] += 1
                        failures.append(p.stderr)

        def remover(seed):
            rnd = random.Random(seed)
            while time.monotonic() < stop:
                run(os.path.join(EXAMPLES, "limg-rmi"), "--store", store, "%s/team/app%d:v1" % (reg.host,
                                                                                                 rnd.randrange(IMAGES)))
                with lock:
                    counts["rmi"] += 1

        try:
            threads = [threading.Thread(target=puller, args=(i,)) for i in range(4)]
            threads += [threading.Thread(target=remover, args=(100 + i,)) for i in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            # every tag left points at a whole image
            listing = example("limg-images", "--format", "json", store=store).stdout.splitlines()
            broken = 0
            for row in map(json.loads, listing):
                ref = "%s:%s" % (row["Repository"], row["Tag"])
                if example("limg-inspect", ref, store=store, check=False).returncode != 0:
                    broken += 1
            self.assertEqual(broken, 0)
            assert_sound(self, store)
            self.assertGreater(counts["pull"], 20)
            self.assertGreater(counts["rmi"], 20)
            print("\n  %d pulls, %d rmi, %d tags left, 0 broken" % (counts["pull"], counts["rmi"], len(listing)))
        finally:
            shutil.rmtree(store)


class TagsAtScale(unittest.TestCase):
    def test_interleaved_tag_sets_at_100k_tags(self):
        """Processes setting and moving tags at once in an index of 100,000
        tags another program wrote: no change lost, index.json whole."""
        store = tempfile.mkdtemp()
        try:
            example("limg-pull", "-q", "%s/team/app0:v1" % reg.host, store=store)
            example("limg-pull", "-q", "%s/team/app1:v1" % reg.host, store=store)
            with open(os.path.join(store, "index.json")) as f:
                pulled = json.load(f)["manifests"]
            digests = sorted(e["digest"] for e in pulled)
            entries = list(pulled)
            for i in range(100000):
                e = dict(pulled[i % 2])
                e["annotations"] = dict(e["annotations"], **{"org.opencontainers.image.ref.name":
                                                             "docker.io/many/app%d:v%d" % (i % 3000, i)})
                entries.append(e)
            with open(os.path.join(store, "index.json.new"), "w") as f:
                json.dump({"schemaVersion": 2, "manifests": entries}, f, separators=(",", ":"))
            os.rename(os.path.join(store, "index.json.new"), os.path.join(store, "index.json"))
            failures = []
            lock = threading.Lock()
            src = ["%s/team/app%d:v1" % (reg.host, i) for i in range(2)]

            def tagger(n):
                for k in range(8):
                    # a tag of its own, then one they all move
                    for dst in ("proc%d/app:v%d" % (n, k), "shared/app:latest"):
                        p = run(os.path.join(EXAMPLES, "limg-tag"), "--store", store, src[(n + k) % 2], dst)
                        if p.returncode:
                            with lock:
                                failures.append(p.stderr)

            def looker():
                for k in range(3):
                    p = run(os.path.join(EXAMPLES, "limg-images"), "--store", store, "--format", "json", "many/app7")
                    if p.returncode or len(p.stdout.splitlines()) != 34:  # i = 7, 3007, ... 99007
                        with lock:
                            failures.append("lookup: %d rows, %s" % (len(p.stdout.splitlines()), p.stderr))

            threads = [threading.Thread(target=tagger, args=(n,)) for n in range(4)] + [threading.Thread(target=looker)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            with open(os.path.join(store, "index.json")) as f:
                seen = json.load(f)["manifests"]
            refs = [e["annotations"]["org.opencontainers.image.ref.name"] for e in seen]
            self.assertEqual(len(refs), len(set(refs)))  # each reference once
            self.assertEqual(len(refs), 2 + 100000 + 4 * 8 + 1)
            by_ref = {e["annotations"]["org.opencontainers.image.ref.name"]: e["digest"] for e in seen}
            for n in range(4):
                for k in range(8):
                    self.assertIn(by_ref["docker.io/proc%d/app:v%d" % (n, k)], digests)
            self.assertEqual(by_ref["docker.io/many/app999:v99999"], pulled[99999 % 2]["digest"])
            self.assertIn(by_ref["docker.io/shared/app:latest"], digests)
            assert_sound(self, store)
        finally:
            shutil.rmtree(store)


RANGED = ("--range-threshold", 1 << 20, "--range-chunk", 1 << 20, "--range-parallel", 3)


class Ranged(unittest.TestCase):
    """A big blob as parallel bounded Range requests: written at their offsets,
    hashed in order, resumed range by range, one stream where Range is not served."""

    def setUp(self):
        self.store = tempfile.mkdtemp()
        proxy.clear()

    def tearDown(self):
        shutil.rmtree(self.store)

    def pull(self, *opts, check=True):
        p = run(os.path.join(EXAMPLES, "limg-pull"), "-q", "--store", self.store, *RANGED, *opts,
                "%s/team/big:v1" % proxy.host)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def ranges(self):
        return [h.get("Range") for m, path, h in proxy.requests if "/blobs/" in path and m == "GET"]

    def test_bounded_ranges_in_parallel(self):
        self.pull()
        ranges = [r for r in self.ranges() if r]
        self.assertGreaterEqual(len(ranges), 20)  # 24 MiB in 1 MiB chunks
        for r in ranges:
            start, end = map(int, r[len("bytes="):].split("-"))  # bounded: never "bytes=N-"
            self.assertEqual(start >> 20, end >> 20)  # within one chunk
        assert_sound(self, self.store)

    def test_default_chunks_share_the_blob_evenly(self):
        # no --range-chunk: two chunks per connection (4-32 MiB, in whole 64 KiB), so that the
        # connections finish together instead of a fixed size leaving some idle at the end
        p = run(os.path.join(EXAMPLES, "limg-pull"), "-q", "--store", self.store, "--range-threshold", 1 << 20,
                "--range-parallel", 2, "%s/team/big:v1" % proxy.host)
        self.assertEqual(p.returncode, 0, p.stderr)
        chunk = (-(-BIG_SIZE // 4) + 0xffff) // 0x10000 * 0x10000  # a quarter, rounded up to 64 KiB
        expected = ["bytes=%d-%d" % (at, min(at + chunk, BIG_SIZE) - 1) for at in range(0, BIG_SIZE, chunk)]
        self.assertEqual(len(expected), 4)
        self.assertEqual(sorted(r for r in self.ranges() if r), sorted(expected))
        assert_sound(self, self.store)

    def test_registry_ignoring_range_gets_one_stream(self):
        proxy.add(r"/blobs/", "ignore_range", times=-1)
        self.pull()
        big = [r for m, path, h in proxy.requests if "/blobs/" in path for r in [h.get("Range")]]
        # one probe answered with the whole blob (aborted at once), then the single stream
        self.assertLessEqual(len([r for r in big if r]), 1)
        assert_sound(self, self.store)

    def test_killed_pull_resumes_each_range(self):
        proxy.add(r"/blobs/", "slow", times=-1, rate=6 << 20)
        p = subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "-q", "--store", self.store] +
                             [str(a) for a in RANGED] + ["%s/team/big:v1" % proxy.host], env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ingest = os.path.join(self.store, ".libimage", "ingest")

        def finished_ranges():
            try:
                for f in os.listdir(ingest):
                    if f.endswith(".ranges"):
                        with open(os.path.join(ingest, f)) as r:
                            return len(r.read().splitlines()[1:])
            except FileNotFoundError:
                pass
            return 0

        # killed once a range is done (not after a fixed time: a loaded machine starts late)
        deadline = time.monotonic() + 60
        while finished_ranges() == 0 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        p.kill()
        p.wait()
        sidecars = [f for f in os.listdir(ingest) if f.endswith(".ranges")]
        self.assertEqual(len(sidecars), 1)
        with open(os.path.join(ingest, sidecars[0])) as f:
            done = [int(l) for l in f.read().splitlines()[1:]]
        self.assertGreater(len(done), 0)
        first = set(self.ranges())
        proxy.clear()
        self.pull()
        again = [r for r in self.ranges() if r]
        for k in done:  # what was finished is not asked for again
            self.assertNotIn("bytes=%d-%d" % (k << 20, ((k + 1) << 20) - 1), again)
        chunks = -(-BIG_SIZE // (1 << 20))
        self.assertLessEqual(len(again), chunks - len(done))
        self.assertTrue(first)
        assert_sound(self, self.store)
        self.assertEqual([f for f in os.listdir(ingest) if f.endswith(".ranges")], [])

    def big_gets(self):
        return [h.get("Range") for m, path, h in proxy.requests
                if m == "GET" and path.endswith("/blobs/" + BIG_DIGEST)]

    def test_a_corrupted_range_is_caught(self):
        # a byte flipped in one range: caught when the ranges are put together, the blob
        # fetched again from the start as one stream, the pull succeeds with the right bytes
        proxy.add(r"/blobs/", "corrupt", times=1, offset=1000, require_header="Range")
        self.pull()
        gets = self.big_gets()
        self.assertTrue([r for r in gets if r])
        self.assertEqual(gets[-1], None)  # the last one is the whole blob, from byte 0
        assert_sound(self, self.store)

    def test_a_registry_serving_wrong_bytes_fails_the_pull(self):
        # every answer for the blob damaged: asked again a bounded number of times, then refused
        proxy.add(r"/blobs/" + BIG_DIGEST, "corrupt", times=-1, offset=1000)
        p = self.pull(check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not match its digest", p.stderr)
        # the ranges once, then one stream and two more from the start (LIMG__REFETCH_MAX)
        self.assertEqual(len([r for r in self.big_gets() if r is None]), 3)
        assert_sound(self, self.store)
        proxy.clear()
        self.pull()
        assert_sound(self, self.store)


class Stopped(unittest.TestCase):
    def setUp(self):
        self.store = tempfile.mkdtemp()
        proxy.clear()

    def tearDown(self):
        shutil.rmtree(self.store)

    def test_progress_callback_stops_mid_download(self):
        """errors.h's rule: a negative answer stops the pull with that value, a
        positive one with LIMG_EUSER (the message says which value); the
        partial download resumes, and nothing is duplicated."""
        proxy.add(r"/blobs/", "slow", times=-1, rate=8 << 20)
        ref = "%s/team/big:v1" % proxy.host
        for value in (1, 7, -42):
            start = time.monotonic()
            p = run(os.path.join(TOOLS, "limg-test-pull"), "--stop-after", 2 << 20, "--stop-value", value,
                    self.store, ref)
            if value > 0:
                self.assertEqual(p.stdout.split()[:2], ["rc=-8", "LIMG_EUSER"], p.stderr)
                self.assertIn("returned %d" % value, p.stderr)
            else:
                self.assertEqual(p.stdout.split()[0], "rc=%d" % value, p.stderr)
            self.assertLess(time.monotonic() - start, 5)  # promptly, not at the end of the blob
            assert_sound(self, self.store)
        proxy.clear()
        p = run(os.path.join(EXAMPLES, "limg-pull"), "--store", self.store, ref.replace(proxy.host, reg.host))
        self.assertEqual(p.returncode, 0, p.stderr)
        assert_sound(self, self.store)

    def test_close_during_pull(self):
        """Closing the store from another thread stops the pull; no crash."""
        proxy.add(r"/blobs/", "slow", times=-1, rate=4 << 20)
        p = run(os.path.join(TOOLS, "limg-test-pull"), "--close-after-ms", 500, self.store,
                "%s/team/big:v1" % proxy.host)
        self.assertEqual(p.stdout.split()[0], "rc=-7", p.stdout + p.stderr)  # LIMG_ECANCELLED
        self.assertIn("store was closed", p.stderr)
        proxy.clear()
        p = run(os.path.join(EXAMPLES, "limg-pull"), "--store", self.store, "%s/team/big:v1" % reg.host)
        self.assertEqual(p.returncode, 0, p.stderr)
        assert_sound(self, self.store)


if __name__ == "__main__":
    unittest.main()
