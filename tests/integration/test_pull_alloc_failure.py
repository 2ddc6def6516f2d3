# SPDX-License-Identifier: MIT
"""Allocation failure at every allocation site of a pull from a real
registry (Debian's docker-registry), through the context's allocator:
tests/unit/test_alloc_failure.c's `pull` mode fails each site once and
asserts LIMG_ENOMEM (or success without that block), a consistent store and
no block alive afterwards."""
import os
import re
import subprocess
import unittest

from fixtures import images, registry
from tool import ENV, TOOLS

reg = None
IMAGE = images.Image(images.sample_layers("allocfail"))


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    reg.push("team/alloc", "v1", IMAGE)


class AllocationFailure(unittest.TestCase):
    def test_every_site_of_a_pull(self):
        tool = os.path.join(TOOLS, "test_alloc_failure")
        p = subprocess.run([tool, "pull", "%s/team/alloc:v1" % reg.host], capture_output=True, text=True,
                           env=ENV, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # the pull allocates through the context's allocator, in many places
        m = re.search(r"image pulled: (\d+) allocation sites failed, (\d+) runs returned LIMG_ENOMEM", p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        print(m.group(0))
        self.assertGreater(int(m.group(1)), 100)  # the pull allocates through the context's allocator
        self.assertGreater(int(m.group(2)), 50)


if __name__ == "__main__":
    unittest.main()
