# SPDX-License-Identifier: MIT
"""limg-tag racing limg-rmi of its source, in separate processes over one
store: the tag is either set (and the image it names stays whole) or refused
with Docker's "No such image" (subject IMAGE), never another error; the
store stays sound (fsck)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import archives, images
from tool import ENV, EXAMPLES, TOOLS, assert_stores_sound, example

ROUNDS = 60


class TagRace(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-tag-race-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        try:
            assert_stores_sound(self, self.tmp)  # tag beside rmi leaves a sound store
        finally:
            shutil.rmtree(self.tmp)

    def test_tag_racing_rmi_says_no_such_image(self):
        img = images.Image(images.sample_layers("race", size=200000))
        path = os.path.join(self.tmp, "race.tar")
        with open(path, "wb") as f:
            f.write(archives.tar_of(archives.oci_members(img, ["race/app:v1"])))
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        outcomes = {"tagged": 0, "no such image": 0}
        others = []
        for n in range(ROUNDS):
            example("limg-load", "-q", "-i", path, store=self.store)
            # by name and by ID, alternately; the rmi started first half the time
            source = "race/app:v1" if n % 2 else img.config.digest[7:19]
            rmi = [os.path.join(EXAMPLES, "limg-rmi"), "-f", "race/app:v1"]
            tag = [os.path.join(EXAMPLES, "limg-tag"), source, "race/copy:v%d" % n]
            first, second = (rmi, tag) if n % 4 < 2 else (tag, rmi)
            a = subprocess.Popen(first, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            b = subprocess.Popen(second, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            done = {tuple(first): a.communicate(timeout=60), tuple(second): b.communicate(timeout=60)}
            t = a if first is tag else b
            err = done[tuple(tag)][1]
            if t.returncode == 0:
                outcomes["tagged"] += 1
                # the image it names is whole: it unpacks, every layer checked
                example("limg-unpack", "race/copy:v%d" % n, os.path.join(self.tmp, "root%d" % n), store=self.store)
                shutil.rmtree(os.path.join(self.tmp, "root%d" % n))
                example("limg-rmi", "-f", "race/copy:v%d" % n, store=self.store)
            elif "No such image: %s" % source in err:
                outcomes["no such image"] += 1
            else:
                others.append((n, err.strip()))
            example("limg-rmi", "-f", "race/app:v1", store=self.store, check=False)
        self.assertEqual(others, [], outcomes)
        p = subprocess.run([os.path.join(TOOLS, "limg-test-fsck"), self.store], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
