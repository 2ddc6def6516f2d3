# SPDX-License-Identifier: MIT
"""One pull's threads: a big blob as parallel bounded Range requests, and a
pull stopped mid-way by a callback or by closing the store from another
thread; what is left is always resumable and sound: sound as limg_store_fsck
says and as fixtures/ocilayout.py (no libimage code) says."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from fixtures import faultproxy, images, registry
from tool import ENV, EXAMPLES, TOOLS, assert_sound

reg = proxy = None
BIG_SIZE = 0  # of team/big's one layer, set when it is pushed
BIG_DIGEST = ""  # its digest


def setUpModule():
    global reg, proxy, BIG_SIZE, BIG_DIGEST
    # cleanups run even when the rest of the set-up fails
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)
    big = images.Layer({"big.bin": images.pseudo_random(24 << 20, 99)}, level=1)
    reg.push("team/big", "v1", images.Image([big]))
    BIG_SIZE = big.blob.size
    BIG_DIGEST = big.blob.digest


def run(*args, timeout=120):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=timeout)


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
        p = run(os.path.join(TOOLS, "limg-test-pull"), "--close-after", 2 << 20, self.store,
                "%s/team/big:v1" % proxy.host)
        self.assertEqual(p.stdout.split()[0], "rc=-7", p.stdout + p.stderr)  # LIMG_ECANCELLED
        self.assertIn("store was closed", p.stderr)
        proxy.clear()
        p = run(os.path.join(EXAMPLES, "limg-pull"), "--store", self.store, "%s/team/big:v1" % reg.host)
        self.assertEqual(p.returncode, 0, p.stderr)
        assert_sound(self, self.store)


if __name__ == "__main__":
    unittest.main()
