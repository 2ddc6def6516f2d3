# SPDX-License-Identifier: MIT
"""Runtime bundles from hostile image configs: the working directory and
every volume resolved inside the root filesystem, symlinks followed as the
runtime will follow them, before they are checked (a "w -> /proc/self/fd/7"
working directory is /proc, CVE-2024-21626's way out); volumes that are
empty, relative, climb with "..", hold newlines or land in /proc or /sys
are refused with the volume named (escaped)."""
import json
import os
import shutil
import tempfile
import unittest

from fixtures import archives, images
from tool import example


class HostileConfigs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-bundle-hostile-")
        self.store = os.path.join(self.tmp, "store")
        self.n = 0

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def bundle(self, settings, files=None, check=False):
        """An image of @files with @settings in its config, loaded and unpacked as a bundle."""
        self.n += 1
        base = {"bin/sh": (b"#!/bin/sh\n", 0o755), "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n",
                "srv/app/README": b"app\n", "var/data/.keep": b""}
        base.update(files or {})
        img = images.Image([images.Layer(base)], settings=settings)
        ref = "hostile/bundle:v%d" % self.n
        path = os.path.join(self.tmp, "img-%d.tar" % self.n)
        with open(path, "wb") as f:
            f.write(archives.tar_of(archives.oci_members(img, [ref])))
        example("limg-load", "-q", "-i", path, store=self.store)
        out = os.path.join(self.tmp, "bundle-%d" % self.n)
        p = example("limg-unpack", "--bundle", ref, out, store=self.store, check=check)
        spec = None
        if p.returncode == 0:
            with open(os.path.join(out, "config.json")) as f:
                spec = json.load(f)
        return p, spec

    def refused(self, settings, why, files=None):
        p, _ = self.bundle(settings, files)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(why, p.stderr)
        body = p.stderr.rstrip("\n")
        self.assertEqual([c for c in body if ord(c) < 0x20], [], repr(p.stderr))

    def test_a_working_directory_that_links_into_proc_is_refused(self):
        for target in ("/proc/self/fd/7", "../proc/self/cwd", "proc"):
            self.refused({"WorkingDir": "/w"}, "leads to /proc", {"w": images.Symlink(target)})
        # through a chain of links, and a link in the middle of the path
        self.refused({"WorkingDir": "/a/fd/7"}, "leads to /proc/self/fd/7",
                     {"a": images.Symlink("b"), "b": images.Symlink("/proc/self")})
        self.refused({"WorkingDir": "/s"}, "leads to /sys", {"s": images.Symlink("/sys/kernel")})
        self.refused({"WorkingDir": "/loop"}, "cannot be resolved",
                     {"loop": images.Symlink("loop2"), "loop2": images.Symlink("loop")})

    def test_a_working_directory_is_given_as_the_runtime_will_reach_it(self):
        _, spec = self.bundle({"WorkingDir": "/app/../app"}, {"app": images.Symlink("srv/app")}, check=True)
        self.assertEqual(spec["process"]["cwd"], "/srv/app")
        _, spec = self.bundle({"WorkingDir": "/new/dir"}, check=True)  # absent: the runtime makes it
        self.assertEqual(spec["process"]["cwd"], "/new/dir")

    def test_bad_volumes_are_refused(self):
        for volume, why in (("", "is not an absolute path"), ("data", "is not an absolute path"),
                            ("/data/../../etc", "climbs"), ("/data\n/etc", "holds control characters"),
                            ("/proc/sys", "leads to /proc/sys"), ("/sys/fs/cgroup", "leads to /sys"),
                            ("/", "is the root itself")):
            self.refused({"Volumes": {volume: {}}}, why)
        self.refused({"Volumes": {"/v": {}}}, "leads to /proc/sys", {"v": images.Symlink("/proc/sys")})

    def test_volumes_are_mounted_where_they_lead(self):
        _, spec = self.bundle({"Volumes": {"/data": {}, "/cache": {}}}, {"data": images.Symlink("var/data")},
                              check=True)
        tmpfs = sorted(m["destination"] for m in spec["mounts"] if m["source"] == "none")
        self.assertEqual(tmpfs, ["/cache", "/var/data"])


if __name__ == "__main__":
    unittest.main()
