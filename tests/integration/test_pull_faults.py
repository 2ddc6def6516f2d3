# SPDX-License-Identifier: MIT
"""Pulls through random faults, as a busy network and a flaky registry make
them: resets, 5xx, 429, answers cut short, bytes flipped in transit, Range
ignored; each fault once, so the registry still serves the right bytes, and
then every pull must succeed (bytes that fail verification are fetched
again from the start), with the image intact."""
import os
import random
import shutil
import tempfile
import unittest

from fixtures import faultproxy, images, registry
from tool import assert_stores_sound, example

PULLS = 40


class RandomFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry()
        cls.addClassCleanup(cls.reg.stop)
        cls.proxy = faultproxy.FaultProxy(cls.reg.host)
        cls.addClassCleanup(cls.proxy.stop)
        layers = [images.Layer({"f/%d.bin" % i: images.pseudo_random(150000 + 50000 * i, 40 + i)}, level=1)
                  for i in range(3)]
        layers.append(images.Layer({"big.bin": images.pseudo_random(3 << 20, 49)}, level=1))  # pulled as ranges
        cls.img = images.Image(layers)
        cls.reg.push("faults/app", "v1", cls.img)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-pull-faults-")
        self.proxy.clear()

    def tearDown(self):
        try:
            assert_stores_sound(self, self.tmp)  # whatever the faults did, the store is sound
        finally:
            shutil.rmtree(self.tmp)

    def faults(self, rng):
        img = self.img
        targets = [(r"/manifests/v1$", len(img.manifest.data)), (r"/manifests/" + img.manifest.digest, img.manifest.size),
                   (img.config.digest, img.config.size)] + [(l.blob.digest, l.blob.size) for l in img.layers]
        chosen = []
        for _ in range(rng.randint(1, 3)):
            pattern, size = rng.choice(targets)
            kind = rng.choice(["reset", "500", "503", "429", "cut", "corrupt", "corrupt", "ignore_range"])
            if kind == "reset":
                self.proxy.add(pattern, "reset", method="GET")
            elif kind in ("500", "503"):
                self.proxy.add(pattern, "status", method="GET", status=int(kind))
            elif kind == "429":
                self.proxy.add(pattern, "status", method="GET", status=429, headers={"Retry-After": "0"})
            elif kind == "cut":
                self.proxy.add(pattern, "cut", method="GET", after=rng.randrange(0, max(1, size // 2)))
            elif kind == "corrupt":
                # the offset within whichever answer carries it (a range of the big layer starts at 0 too)
                self.proxy.add(pattern, "corrupt", method="GET", offset=rng.randrange(0, min(size, 1 << 20)))
            else:
                self.proxy.add(pattern, "ignore_range", method="GET")
            chosen.append((kind, pattern[-20:]))
        return chosen

    def test_every_pull_through_random_faults_succeeds(self):
        seed = int(os.environ.get("LIMG_FAULT_SEED", "2024"))
        rng = random.Random(seed)
        failed = []
        for n in range(PULLS):
            self.proxy.clear()
            chosen = self.faults(rng)
            store = os.path.join(self.tmp, "s%d" % n)
            p = example("limg-pull", "-q", "--range-threshold", "2000000", "--range-chunk", "1048576",
                        "%s/faults/app:v1" % self.proxy.host, store=store, check=False, timeout=120)
            if p.returncode != 0:
                failed.append((n, chosen, p.stderr.strip()))
                continue
            out = example("limg-images", "--digests", "--format", "json", store=store).stdout
            if self.img.manifest.digest not in out:
                failed.append((n, chosen, "wrong image: " + out))
            shutil.rmtree(store)
        self.assertEqual(failed, [], "seed %d" % seed)


if __name__ == "__main__":
    unittest.main()
