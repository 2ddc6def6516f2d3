# SPDX-License-Identifier: MIT
"""Many processes on one store: leases keep a pull's blobs from a concurrent
rmi, and processes setting tags at once lose no change; what is left is always
sound: sound as limg_store_fsck says and as fixtures/ocilayout.py (no libimage
code) says. (Byte ranges in parallel and pulls stopped mid-way, the threads of
one process, are test_ranges.py.)"""
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from fixtures import images, registry
from tool import ENV, EXAMPLES, assert_sound, example

reg = None
IMAGES = 6


def setUpModule():
    global reg
    # cleanups run even when the rest of the set-up fails
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    # six images over one shared base layer (and a shared second one for half)
    base = images.Layer({"bin/base": images.pseudo_random(300000, 1)})
    mid = images.Layer({"lib/mid": images.pseudo_random(200000, 2)})
    for i in range(IMAGES):
        own = images.Layer({"app/%d" % i: images.pseudo_random(50000, 10 + i)})
        layers = [base, mid, own] if i % 2 else [base, own]
        reg.push("team/app%d" % i, "v1", images.Image(layers, created="2024-02-%02dT00:00:00Z" % (i + 1)))


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


if __name__ == "__main__":
    unittest.main()
