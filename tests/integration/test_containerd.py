# SPDX-License-Identifier: MIT
"""containerd as the oracle (Debian's 1.6, a daemon of the test's own on a
private socket): the root filesystem libimage makes of an image, fused
(limg-pull --unpack) and from the store (limg-unpack), is the tree containerd's
overlayfs snapshotter shows for it; archives go both ways (ctr images export
into limg-load, limg-save into ctr images import) with every digest kept.

Where containerd 1.6 itself differs from umoci, podman and moby the images
avoid the case rather than bless either: a hard link's own header mode and
owner (containerd applies them to the shared inode), a link to a lower
layer's file and a whiteout of an entry of the same layer (it refuses both).
Directories' times are not compared: through overlayfs a directory that a
later layer changed shows the time of that change, not the layer's."""
import json
import os
import stat
import tempfile
import unittest

from fixtures import containerd, images, registry, tree
from fixtures.images import entry
import test_unpack
from tool import example

reg = None
ctd = None


def setUpModule():
    global reg, ctd
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    if containerd.AVAILABLE and os.geteuid() == 0:
        ctd = containerd.Containerd()
        unittest.addModuleCleanup(ctd.stop)


def layered_image():
    """Three layers: each kind of entry, then whiteouts and an opaque directory, then entries made again."""
    big = images.pseudo_random(300000, 9)
    return images.Image([
        images.Layer.of_entries([
            entry("bin", "dir"),
            entry("bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o4755),
            entry("bin/group-tool", data=b"g", mode=0o2711, gid=50),
            entry("bin/tool-again", "hardlink", target="bin/tool", mode=0o4755),
            entry("etc", "dir", mode=0o755),
            entry("etc/owned", data=b"owned\n", uid=1000, gid=2000, mode=0o640),
            entry("etc/big", data=big),
            entry("etc/xattrs", data=b"x", pax={"SCHILY.xattr.user.comment": "hello"}),
            entry("etc/rel-link", "symlink", target="owned"),
            entry("etc/abs-link", "symlink", target="/etc/owned"),
            entry("dev", "dir"),
            entry("dev/null", "char", mode=0o666, device=(1, 3)),
            entry("run", "dir"),
            entry("run/fifo", "fifo", mode=0o600),
            entry("tmp", "dir", mode=0o1777),
            entry("secret", "dir", mode=0o700, uid=1000),
            entry("secret/inside", data=b"s", mode=0o600, uid=1000),
            entry("long/" + "n" * 150 + "/" + "m" * 120, data=b"long name"),
            entry("unicode-\u00e9", data="\u00e9".encode()),
            entry("a", "dir"), entry("a/b", "dir"), entry("a/b/c", data=b"c"), entry("a/keep", data=b"k"),
            entry("d", "dir"), entry("d/e", data=b"e"), entry("d/sub", "dir"), entry("d/sub/f", data=b"f"),
            entry("g", data=b"g"), entry("h", "dir"), entry("h/i", data=b"i"),
        ]),
        images.Layer.of_entries([
            entry("a/.wh.b"),
            entry("d/.wh..wh..opq"),
            entry("d/new", data=b"new"),
            entry(".wh.g"),
            entry("h/.wh.i"), entry("h/i2", data=b"i2"),
            entry("etc/owned", data=b"replaced\n", uid=1000, gid=2000, mode=0o600),
            entry("bin/group-tool", "symlink", target="tool"),
        ]),
        images.Layer.of_entries([
            entry("a/b", "dir"), entry("a/b/again", data=b"again"),
            entry("h/i", data=b"back"),
            entry("d/.wh.new"),
            entry("etc/rel-link", data=b"no longer a link\n"),
        ]),
    ])


class LikeContainerd(test_unpack.Unpack):
    def setUp(self):
        if ctd is None:
            self.skipTest("needs containerd and root (Debian's containerd package)")
        super().setUp()

    def mounted(self, ref):
        """The image as containerd's overlayfs snapshotter shows it, mounted (in the daemon's directory)."""
        mnt = tempfile.mkdtemp(prefix="mnt-", dir=ctd.tmp)
        ctd.ctr("images", "mount", "--snapshotter", "overlayfs", ref, mnt)
        self.addCleanup(os.rmdir, mnt)
        self.addCleanup(ctd.ctr, "images", "unmount", "--rm", mnt)
        return mnt

    def assertSameAsContainerd(self, ours, theirs):
        a, b = self.snapshot(ours), self.snapshot(theirs)
        for snap in (a, b):
            for facts in snap.values():
                if facts["type"] == stat.S_IFDIR:
                    facts.pop("mtime", None)
        diff = tree.differences(a, b)
        self.assertEqual(diff, [], "%s vs containerd:\n%s" % (os.path.basename(ours), "\n".join(diff)))

    def test_root_filesystem_as_containerd_makes_it(self):
        image = layered_image()
        reg.push("ctd/layered", "v1", image)
        ref = "%s/ctd/layered:v1" % reg.host
        ctd.ctr("images", "pull", "--plain-http", "--snapshotter", "overlayfs", ref)
        theirs = self.mounted(ref)
        fused = os.path.join(self.tmp, "fused")
        example("limg-pull", "-q", "--unpack", fused, ref, store=self.store)
        stored = os.path.join(self.tmp, "stored")
        self.unpack(ref, stored)
        for ours in (fused, stored):
            self.assertSameAsContainerd(ours, theirs)
        # and what that means, beyond agreeing with containerd
        snap = self.snapshot(fused)
        self.assertNotIn("a/b/c", snap)
        self.assertNotIn("d/e", snap)
        self.assertNotIn("d/new", snap)
        self.assertEqual(snap["h/i"]["sha256"], images.sha256(b"back")[7:])
        self.assertEqual(snap["bin/tool-again"]["link_group"], "bin/tool")
        self.assertEqual(snap["bin/tool"]["mode"], 0o4755)
        self.assertEqual(snap["etc/owned"]["mode"], 0o600)

    def test_archives_both_ways_keep_every_digest(self):
        image = layered_image()
        reg.push("ctd/archive", "v1", image)
        ref = "%s/ctd/archive:v1" % reg.host
        ctd.ctr("images", "pull", "--plain-http", ref)
        # containerd's export (an OCI layout with Docker's manifest.json) into libimage
        exported = os.path.join(self.tmp, "from-containerd.tar")
        ctd.ctr("images", "export", exported, ref)
        store = os.path.join(self.tmp, "loaded")
        p = example("limg-load", "-i", exported, store=store)
        self.assertIn("Loaded image: %s" % ref, p.stdout)
        rows = json.loads("[%s]" % ",".join(example("limg-images", "--digests", "--format", "json",
                                                       store=store).stdout.split("\n")[:-1]))
        self.assertEqual([r["Digest"] for r in rows], [image.manifest.digest], rows)
        ours = os.path.join(self.tmp, "from-export")
        example("limg-unpack", ref, ours, store=store)
        # libimage's save into containerd: the same manifest, and a root containerd makes of it as ours
        saved = os.path.join(self.tmp, "from-libimage.tar")
        example("limg-save", "-o", saved, ref, store=store)
        ctd.ctr("images", "rm", ref)
        ctd.ctr("images", "import", saved)
        listed = ctd.ctr("images", "ls").stdout.splitlines()
        self.assertTrue(any(line.split()[:1] == [ref] and image.manifest.digest in line for line in listed),
                        "\n".join(listed))
        self.assertSameAsContainerd(ours, self.mounted(ref))


if __name__ == "__main__":
    unittest.main()
