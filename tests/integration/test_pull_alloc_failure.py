# SPDX-License-Identifier: MIT
"""Allocation failure at every allocation site of a pull, a fused pull and
unpack, and a sync to a store from a real registry (Debian's
docker-registry), through the context's allocator: tests/unit/
test_alloc_failure.c's `pull` mode fails each site once and asserts
LIMG_ENOMEM (or success without that block), consistent stores and no block
alive afterwards."""
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
    @classmethod
    def setUpClass(cls):
        tool = os.path.join(TOOLS, "test_alloc_failure")
        p = subprocess.run([tool, "pull", "%s/team/alloc:v1" % reg.host], capture_output=True, text=True,
                           env=ENV, timeout=1200)
        cls.rc, cls.out = p.returncode, p.stdout + p.stderr

    def sites(self, what):
        """(sites failed, runs that returned LIMG_ENOMEM) of one operation."""
        self.assertEqual(self.rc, 0, self.out)
        m = re.search(r"%s: (\d+) allocation sites failed, (\d+) runs returned LIMG_ENOMEM" % what, self.out)
        self.assertIsNotNone(m, self.out)
        print(m.group(0))
        return int(m.group(1)), int(m.group(2))

    # each allocates through the context's allocator, in many places (its
    # worker threads too), and most failures end the call with LIMG_ENOMEM
    def test_every_site_of_a_pull(self):
        sites, enomem = self.sites("image pulled")
        self.assertGreater(sites, 100)
        self.assertGreater(enomem, 50)

    def test_every_site_of_a_fused_pull_and_unpack(self):
        sites, enomem = self.sites("image pulled and unpacked")
        self.assertGreater(sites, 100)
        self.assertGreater(enomem, 50)

    def test_every_site_of_a_sync_to_a_store(self):
        sites, enomem = self.sites("image synced to a store")
        self.assertGreater(sites, 100)
        self.assertGreater(enomem, 50)


if __name__ == "__main__":
    unittest.main()
