# SPDX-License-Identifier: MIT
"""OCI layouts other tools wrote (skopeo, umoci): read as they are, by the names
those tools give (skopeo's oci:DIR:latest, umoci's --image DIR:latest), and never
written by a program that only reads."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import images, registry, tree
from tool import ENV, example

HAVE_SKOPEO = shutil.which("skopeo") is not None
HAVE_UMOCI = shutil.which("umoci") is not None
reg = None


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def skopeo(*args):
    return subprocess.run(["skopeo", "--insecure-policy"] + list(args), check=True, capture_output=True, text=True,
                          env=ENV).stdout


def fingerprint(root):
    """Every entry of a directory with its times and contents: any write shows."""
    snap = tree.snapshot(root, True)
    top = os.lstat(root)
    return snap, (top.st_mtime_ns, top.st_ctime_ns)


@unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
class OtherToolsLayouts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-layouts-")
        self.image = images.Image(images.sample_layers("layout"))
        reg.push("team/layout", "v1", self.image)
        self.layout = os.path.join(self.tmp, "layout")
        skopeo("copy", "--src-tls-verify=false", "docker://%s/team/layout:v1" % reg.host, "oci:%s:latest" % self.layout)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_ro(self, name, *args, check=True):
        return example(name, "--store", self.layout, *args, check=check)

    def test_reading_a_skopeo_layout_writes_nothing(self):
        before = fingerprint(self.layout)
        rows = self.run_ro("limg-images", "--format", "json").stdout.splitlines()
        self.assertEqual(len(rows), 1)
        row = json.loads(rows[0])
        # a bare tag: what skopeo and umoci call the image; no repository
        self.assertEqual((row["Repository"], row["Tag"], row["ID"]),
                         ("<none>", "latest", self.image.config.digest[7:19]))
        self.assertEqual(row["Size"], "%.3gkB" % (self.image.uncompressed_size / 1000))
        info = json.loads(self.run_ro("limg-inspect", "latest").stdout)[0]
        self.assertEqual(info["Id"], self.image.config.digest)
        self.assertEqual(info["RepoTags"], ["latest"])
        out = os.path.join(self.tmp, "rootfs")
        self.run_ro("limg-unpack", "latest", out)
        with open(os.path.join(out, "app", "layout.txt"), "rb") as f:
            self.assertEqual(f.read(), b"this is layout\n")
        archive = os.path.join(self.tmp, "saved.tar")
        self.run_ro("limg-save", "-o", archive, "latest")
        self.assertGreater(os.path.getsize(archive), 0)
        # by ID too
        self.run_ro("limg-inspect", self.image.config.digest[7:19])
        self.assertEqual(fingerprint(self.layout), before, "a read wrote to the layout")
        self.assertFalse(os.path.exists(os.path.join(self.layout, ".libimage")))
        # and skopeo still reads it as it wrote it
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:latest" % self.layout))["Digest"],
                         self.image.manifest.digest)

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_umoci_names_usable(self):
        # umoci writes a new config and manifest under its own name
        subprocess.run(["umoci", "config", "--image", "%s:latest" % self.layout, "--tag", "edited",
                        "--config.cmd", "/bin/true"], check=True, capture_output=True, env=ENV)
        before = fingerprint(self.layout)
        info = json.loads(self.run_ro("limg-inspect", "edited").stdout)[0]
        self.assertEqual(info["Config"]["Cmd"], ["/bin/true"])
        self.assertEqual(info["RepoTags"], ["edited"])
        tags = sorted(json.loads(r)["Tag"] for r in self.run_ro("limg-images", "--format", "json").stdout.splitlines())
        self.assertEqual(tags, ["edited", "latest"])
        self.assertEqual(fingerprint(self.layout), before, "a read wrote to the layout")
        # the same image as umoci unpacks it
        ours, theirs = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.run_ro("limg-unpack", "--bundle", "edited", ours)
        subprocess.run(["umoci", "unpack", "--image", "%s:edited" % self.layout, theirs], check=True,
                       capture_output=True, env=ENV)
        mine = tree.snapshot(os.path.join(ours, "rootfs"))
        for d in ("dev", "proc", "sys", "dev/pts", "dev/shm"):
            mine.pop(d, None)
        self.assertEqual(tree.differences(mine, tree.snapshot(os.path.join(theirs, "rootfs"))), [])

    def test_a_name_the_layout_lacks(self):
        p = self.run_ro("limg-inspect", "nope", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such image: nope", p.stderr)

    def test_mistyped_store_for_a_read(self):
        missing = os.path.join(self.tmp, "layuot")
        for args in (["limg-images"], ["limg-inspect", "latest"], ["limg-save", "-o", os.path.join(self.tmp, "x.tar"),
                                                                     "latest"],
                     ["limg-unpack", "latest", os.path.join(self.tmp, "out")]):
            with self.subTest(args[0]):
                p = example(args[0], "--store", missing, *args[1:], check=False)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertIn("no store at %s" % missing, p.stderr)
                self.assertFalse(os.path.exists(missing), "a read made a store")
        # a directory that holds no layout: the same, and nothing made in it
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        p = example("limg-images", "--store", empty, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no store at %s" % empty, p.stderr)
        self.assertEqual(os.listdir(empty), [])


if __name__ == "__main__":
    unittest.main()
