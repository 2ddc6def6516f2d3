# SPDX-License-Identifier: MIT
"""A tag change cut at every write and flush of index.json and its journal
(tests/tools/crash-at-io.c): as a killed process leaves the files (what was
written stays), as a power cut leaves them (what was not flushed is lost) and
as a torn power cut (of that, every other sector reached the disk), then the
machine "restarted" (another boot id). After the next opening the store holds
the old tag set or the new one, never anything else: index.json a valid OCI
index that json and our listing agree on, and the change works when tried
again."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from fixtures import archives, images
from tool import ENV, EXAMPLES, SANITIZER, TOOLS, assert_sound, example

SHIM = os.path.join(TOOLS, "crash-at-io.so")
BOOT_A = "11111111-2222-3333-4444-555555555555"
BOOT_B = "66666666-7777-8888-9999-000000000000"
REF = "org.opencontainers.image.ref.name"


def tags_in(store):
    """index.json read by json alone: {reference: digest}; it must be a valid OCI index."""
    with open(os.path.join(store, "index.json")) as f:
        doc = json.load(f)
    assert doc["schemaVersion"] == 2, doc.get("schemaVersion")
    out = {}
    for e in doc["manifests"]:
        assert isinstance(e["digest"], str) and isinstance(e["size"], int) and isinstance(e["mediaType"], str), e
        ref = e.get("annotations", {}).get(REF)
        if ref:
            assert ref not in out, "%s twice" % ref
            out[ref] = e["digest"]
    return out


def listed(store):
    """What limg-images (a read-only open) lists: its repository:tag names."""
    p = example("limg-images", "--format", "json", store=store)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    return {"%s:%s" % (r["Repository"], r["Tag"]) for r in rows if r["Tag"] != "<none>"}


class CrashAtEveryStep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="limg-crash-base-")
        cls.addClassCleanup(shutil.rmtree, cls.base)
        cls.store = os.path.join(cls.base, "store")
        # two images, the first with 40 tags (slots on several pages of index.json)
        for name, tags in (("a", ["team/a:v%d" % i for i in range(40)]), ("b", ["team/b:1"])):
            image = images.Image(images.sample_layers(name))
            members, _ = archives.legacy_members(image, tags)
            path = os.path.join(cls.base, name + ".tar")
            with open(path, "wb") as f:
                f.write(archives.tar_of(members))
            example("limg-load", "-q", "-i", path, store=cls.store)
        cls.before = tags_in(cls.store)
        assert len(cls.before) == 41, cls.before

    def run_tag(self, store, src, dst, **env):
        e = dict(ENV, LD_PRELOAD=SHIM, LIBIMAGE_STORE=store, **env)
        if "address" in SANITIZER:  # the shim comes before ASan's runtime in the list
            e["ASAN_OPTIONS"] = (e.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
        return subprocess.run([os.path.join(EXAMPLES, "limg-tag"), src, dst], capture_output=True, text=True,
                              env=e, timeout=120)

    def cut_everywhere(self, src, dst, mode):
        old = dict(self.before)
        new = dict(old)
        new["docker.io/" + dst] = old["docker.io/" + src]
        steps, outcomes = 0, {"old": 0, "new": 0}
        while True:
            steps += 1
            self.assertLess(steps, 200)
            work = tempfile.mkdtemp(prefix="limg-crash-")
            try:
                store = os.path.join(work, "store")
                shutil.copytree(self.store, store, symlinks=True)
                p = self.run_tag(store, src, dst, LIMG_CRASH_AT=str(steps), LIMG_CRASH_MODE=mode,
                                 LIMG_FAKE_BOOT_ID=BOOT_A)
                if p.returncode == 0:
                    self.assertEqual(tags_in(store), new)
                    break
                self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
                if mode == "process":
                    # what others read meanwhile, without our lock: a valid document, old or new
                    self.assertIn(tags_in(store), (old, new), "step %d" % steps)
                # the next opening (after a restart, for a power cut) finishes or drops the change
                boot = BOOT_A if mode == "process" else BOOT_B
                p = self.run_tag(store, "team/b:1", "team/b:1", LIMG_FAKE_BOOT_ID=boot)
                self.assertEqual(p.returncode, 0, p.stderr)
                now = tags_in(store)
                self.assertIn(now, (old, new), "%s, cut at step %d" % (mode, steps))
                outcomes["new" if now == new else "old"] += 1
                self.assertEqual(listed(store), {r[len("docker.io/"):] for r in now})
                # and the change, tried again, works
                p = self.run_tag(store, src, dst, LIMG_FAKE_BOOT_ID=boot)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(tags_in(store), new)
                assert_sound(self, store)
            finally:
                shutil.rmtree(work)
        # cut before the journal was flushed: the old set; after: the new one
        self.assertGreaterEqual(steps, 4)
        self.assertGreater(outcomes["old"], 0)
        self.assertGreater(outcomes["new"], 0)

    def test_new_tag_killed(self):
        self.cut_everywhere("team/a:v3", "team/c:new", "process")

    def test_new_tag_power_cut(self):
        self.cut_everywhere("team/a:v3", "team/c:new", "power")

    def test_new_tag_torn_power_cut(self):
        self.cut_everywhere("team/a:v3", "team/c:new", "torn")

    def test_moved_tag_power_cut(self):
        self.cut_everywhere("team/b:1", "team/a:v0", "power")

    def test_moved_tag_torn_power_cut(self):
        self.cut_everywhere("team/b:1", "team/a:v0", "torn")


if __name__ == "__main__":
    unittest.main()
