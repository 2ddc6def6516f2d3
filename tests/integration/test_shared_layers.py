# SPDX-License-Identifier: MIT
"""Unpacked layers shared between images (limg_snapshot_prepare, limg-unpack
--shared): each layer applied once into the store, keyed by its chain ID; a
root is an overlay of those snapshots (mounted here in a private mount
namespace, as a runtime would) or a copy of them. Trees are compared with
what umoci unpack makes of the same image; the breakout corpus runs through
the snapshot path with the host watched; gc, rmi and fsck judge the
snapshots."""
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

from fixtures import hostwatch, images, registry, tree
from fixtures.images import entry
import test_unpack as base
import tool
from tool import ENV, EXAMPLES, TOOLS, example

reg = None
HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    base.reg = reg


def why_not():
    if os.geteuid() != 0:
        return "shared layers need root (their whiteouts are device nodes; the test mounts overlays)"
    if not shutil.which("unshare"):
        return "unshare (util-linux) is needed"
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            return "the kernel has no overlayfs"
    return None


# Runs in a private mount namespace: mounts the overlays, then the steps.
IN_NAMESPACE = r'''
import os, pickle, subprocess, sys
sys.path.insert(0, sys.argv[1])
from fixtures import tree
with open(sys.argv[2], "rb") as f:
    spec = pickle.load(f)
for target, options in spec["mounts"]:
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, target], check=True)
out = []
for step in spec["steps"]:
    if step[0] == "tree":
        out.append(tree.snapshot(step[1], True))
    elif step[0] == "write":
        with open(step[1], "w") as f:
            f.write(step[2])
        out.append(None)
    elif step[0] == "remove":
        os.unlink(step[1])
        out.append(None)
    elif step[0] == "read":
        try:
            with open(step[1]) as f:
                out.append(f.read())
        except FileNotFoundError:
            out.append(None)
with open(sys.argv[3], "wb") as f:
    pickle.dump(out, f)
'''


def snapshots_dir(store):
    return os.path.join(store, ".libimage", "snapshots")


def snapshot_names(store):
    d = snapshots_dir(store)
    return sorted(n for n in os.listdir(d) if len(n) == 64) if os.path.isdir(d) else []


def chain_ids(image):
    """The OCI ChainIDs of @image's layers, hex."""
    out, chain = [], None
    for layer in image.layers:
        chain = layer.diff_id if chain is None else images.sha256(("%s %s" % (chain, layer.diff_id)).encode())
        out.append(chain.split(":")[1])
    return out


def fsck(store, gc=False):
    p = subprocess.run([os.path.join(TOOLS, "limg-test-fsck"), store] + (["--gc"] if gc else []),
                       capture_output=True, text=True, env=ENV, timeout=300)
    return p.returncode, p.stdout + p.stderr


@unittest.skipIf(why_not(), why_not())
class Shared(base.Unpack):
    def prepare(self, ref, dest, *opts, check=True):
        """limg-unpack --shared --no-mount: (type, source, target, options)."""
        p = example("limg-unpack", "--shared", "--no-mount", *opts, ref, dest, store=self.store, check=check)
        return p.stdout.splitlines() if p.returncode == 0 else p

    def copy(self, ref, dest, check=True):
        return example("limg-unpack", "--shared", "--copy", ref, dest, store=self.store, check=check)

    def in_namespace(self, mounts, steps):
        """Mounts the overlays (target, options) in a private mount namespace and runs the
        steps there: ("tree", path) -> its snapshot, ("write", path, text), ("remove", path),
        ("read", path) -> text or None."""
        spec, out = os.path.join(self.tmp, "spec"), os.path.join(self.tmp, "result")
        with open(spec, "wb") as f:
            pickle.dump({"mounts": mounts, "steps": steps}, f)
        p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", IN_NAMESPACE, HERE,
                            spec, out], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "rb") as f:
            result = pickle.load(f)
        os.unlink(spec)
        os.unlink(out)
        return result

    def normalized(self, snap):
        for facts in snap.values():
            if facts.get("mtime", 0) >= self.started:
                facts["mtime"] = "made during the test"
        return snap

    def overlay_tree(self, ref, dest):
        kind, source, target, options = self.prepare(ref, dest)
        self.assertEqual((kind, source, target), ("overlay", "overlay", os.path.join(os.path.realpath(dest), "rootfs")))
        snap = self.normalized(self.in_namespace([(target, options)], [("tree", target)])[0])
        # overlayfs counts a lower file's links as its layer holds them: a link a later
        # layer hid still counts (containerd's and podman's roots show the same), so a
        # "group" with one visible member is no group
        groups = {}
        for facts in snap.values():
            if "link_group" in facts:
                groups[facts["link_group"]] = groups.get(facts["link_group"], 0) + 1
        for facts in snap.values():
            if groups.get(facts.get("link_group")) == 1:
                del facts["link_group"]
        return snap

    def assertLikeUmoci(self, ref, ours, umoci_dir, own_times=()):
        theirs = self.snapshot(os.path.join(umoci_dir, "rootfs"))
        for path in own_times:
            # umoci changes a directory's times when its opaque whiteout empties it; the
            # layers' times are kept here, as limg-unpack keeps them (test_unpack)
            self.assertEqual(ours[path].pop("mtime"), 1700000000 * 10**9)
            theirs[path].pop("mtime")
        diff = tree.differences(ours, theirs)
        self.assertEqual(diff, [], "ours vs umoci:\n" + "\n".join(diff))


def base_image():
    return [
        images.Layer.of_entries([
            entry("etc", "dir"), entry("etc/os-release", data=b"base\n"), entry("etc/passwd", data=b"root:x:0:0\n"),
            entry("usr", "dir"), entry("usr/lib", "dir"), entry("usr/lib/libc.so", data=b"libc" * 1000),
            entry("lib", "symlink", target="usr/lib"),
            entry("var", "dir"), entry("var/cache", "dir"), entry("var/cache/a", data=b"a"),
        ]),
        images.Layer.of_entries([
            entry("etc/hostname", data=b"base-host\n"), entry("usr/bin", "dir"), entry("usr/bin/sh", data=b"sh", mode=0o755),
        ]),
    ]


def derived_image(base_layers, tag):
    own = images.Layer.of_entries([
        entry("app", "dir"), entry("app/" + tag, data=tag.encode()),
        entry("lib/" + tag + ".so", data=b"through the symlink of a lower layer"),
        entry("var/.wh.cache"), entry("etc/.wh.hostname"),
    ])
    return images.Image(base_layers + [own])


def opaque_first_image():
    return images.Image([
        images.Layer.of_entries([entry("d", "dir"), entry("d/sub", "dir", mode=0o700, uid=1000),
                                 entry("d/sub/x", data=b"x")]),
        images.Layer.of_entries([entry("d/.wh..wh..opq"), entry("d/sub/new", data=b"new")]),
    ])


@unittest.skipUnless(base.HAVE_UMOCI, "umoci is not installed")
class OverlayLikeUmoci(Shared):
    """The overlay of the snapshots, mounted, shows the tree umoci unpack makes."""

    def check(self, name, image, own_times=()):
        ref = self.serve(name, image)
        ours = self.overlay_tree(ref, os.path.join(self.tmp, "ours"))
        self.umoci(ref, os.path.join(self.tmp, "umoci"))
        self.assertLikeUmoci(ref, ours, os.path.join(self.tmp, "umoci"), own_times)
        return ref, ours

    def test_every_kind_of_entry(self):
        _, ours = self.check("shared/kinds", base.every_kind_image())
        self.assertEqual(ours["etc/linked-from-below"]["sha256"], images.sha256(b"owned\n")[7:])
        self.assertEqual(ours["dev/null"]["type"], stat.S_IFCHR)

    def test_whiteouts_and_opaque_directories_across_layers(self):
        _, ours = self.check("shared/whiteouts", base.whiteout_image())
        self.assertEqual(sorted(ours), ["a", "a/b", "a/b/again", "a/keep", "h", "h/i", "h/i2", "x", "x/y"])

    def test_opaque_marker_late_in_its_layer(self):
        layers = [
            images.Layer.of_entries([
                entry("o", "dir"), entry("o/sub", "dir"), entry("o/sub/x", data=b"x"), entry("o/y", data=b"y"),
                entry("p", "dir"), entry("p/sub", "dir"), entry("p/sub/x", data=b"x"),
            ]),
            images.Layer.of_entries([
                entry("o", "dir"), entry("o/sub", "dir"), entry("o/sub/new", data=b"new"), entry("o/.wh..wh..opq"),
                entry("p/sub", "dir"), entry("p/sub/new", data=b"new"), entry("p/.wh.sub"),
            ]),
        ]
        ref = self.serve("shared/opaque-late", images.Image(layers))
        ours = self.overlay_tree(ref, os.path.join(self.tmp, "ours"))
        self.assertEqual(sorted(ours), ["o", "o/sub", "o/sub/new", "p", "p/sub", "p/sub/new"])

    def test_busybox(self):
        self.check("shared/busybox", images.busybox_image())

    def test_directory_made_again_beneath_an_opaque_one(self):
        """The opaque marker first: what is made beneath it is new, nothing of the
        lower directory it hides is copied up (not its owner, not its mode)."""
        self.check("shared/opaque-first", opaque_first_image(), own_times=("d",))

    def test_root_entry_and_writes_through_lower_symlinks(self):
        img = derived_image(base_image(), "one")
        _, ours = self.check("shared/derived", img)
        self.assertIn("usr/lib/one.so", ours)          # lib -> usr/lib, a symlink of a lower layer, followed
        self.assertEqual(ours["lib"]["type"], stat.S_IFLNK)
        self.assertNotIn("var/cache", ours)
        self.assertNotIn("etc/hostname", ours)


@unittest.skipUnless(base.HAVE_UMOCI, "umoci is not installed")
class CopyLikeUmoci(Shared):
    """Where no overlay is mounted: a copy of the snapshots, the same tree."""

    def check(self, name, image, own_times=()):
        ref = self.serve(name, image)
        self.copy(ref, os.path.join(self.tmp, "ours"))
        ours = self.snapshot(os.path.join(self.tmp, "ours", "rootfs"))
        self.umoci(ref, os.path.join(self.tmp, "umoci"))
        self.assertLikeUmoci(ref, ours, os.path.join(self.tmp, "umoci"), own_times)
        return ours

    def test_every_kind_of_entry(self):
        self.check("copy/kinds", base.every_kind_image())

    def test_whiteouts(self):
        self.check("copy/whiteouts", base.whiteout_image())

    def test_directory_made_again_beneath_an_opaque_one(self):
        ours = self.check("copy/opaque-first", opaque_first_image(), own_times=("d",))
        self.assertEqual((ours["d/sub"]["uid"], ours["d/sub"]["mode"]), (0, 0o755))

    def test_derived(self):
        ours = self.check("copy/derived", derived_image(base_image(), "one"))
        self.assertIn("usr/lib/one.so", ours)

    def test_a_write_into_the_copy_reaches_no_snapshot(self):
        ref = self.serve("copy/write", derived_image(base_image(), "one"))
        self.copy(ref, os.path.join(self.tmp, "a"))
        with open(os.path.join(self.tmp, "a", "rootfs", "etc", "passwd"), "a") as f:
            f.write("intruder\n")
        self.assertEqual(fsck(self.store), (0, ""))
        self.copy(ref, os.path.join(self.tmp, "b"))
        with open(os.path.join(self.tmp, "b", "rootfs", "etc", "passwd")) as f:
            self.assertEqual(f.read(), "root:x:0:0\n")


@unittest.skipIf(why_not(), why_not())
class Rootless(Shared):
    """Without privileges: the snapshots are the user's, whiteouts 0/0 devices (which the
    kernel lets anyone make), opaque directories marked user.overlay.opaque, owners in
    user.rootlesscontainers; the user mounts the overlay with "userxattr" in a user namespace
    of their own, and sees what limg-unpack's own rootless root shows in the same namespace."""

    def give_to_nobody(self):
        os.chmod(self.tmp, 0o755)
        for dirpath, dirnames, filenames in os.walk(self.store):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in filenames]:
                os.lchown(name, base.NOBODY, base.NOBODY)
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        os.chown(self.home, base.NOBODY, base.NOBODY)

    def as_nobody(self, *argv, check=True):
        p = subprocess.run(list(argv), capture_output=True, text=True, env=ENV, timeout=300,
                           preexec_fn=base.as_nobody())
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def unpack_as_nobody(self, *opts, check=True):
        return self.as_nobody(os.path.join(EXAMPLES, "limg-unpack"), "--store", self.store, *opts, check=check)

    def in_user_namespace(self, mounts, steps):
        spec, out = os.path.join(self.home, "spec"), os.path.join(self.home, "result")
        with open(spec, "wb") as f:
            pickle.dump({"mounts": mounts, "steps": steps}, f)
        os.chown(spec, base.NOBODY, base.NOBODY)
        self.as_nobody("unshare", "-Urm", "--propagation", "private", sys.executable, "-c", IN_NAMESPACE, HERE,
                       spec, out)
        with open(out, "rb") as f:
            return pickle.load(f)

    def check(self, name, image):
        ref = self.serve(name, image)
        self.give_to_nobody()
        shared, plain = os.path.join(self.home, "shared"), os.path.join(self.home, "plain")
        kind, source, target, options = self.unpack_as_nobody("--shared", "--no-mount", ref, shared).stdout.split("\n")[:4]
        self.assertEqual((kind, source), ("overlay", "overlay"))
        self.assertTrue(options.endswith(",userxattr"), options)
        self.unpack_as_nobody(ref, plain)  # limg_unpack's own rootless root (test_unpack: like umoci's)
        ours, theirs = self.in_user_namespace([(target, options)], [("tree", target), ("tree", plain)])
        ours, theirs = self.normalized(ours), self.normalized(theirs)
        for snap in (ours, theirs):  # overlayfs counts links as each layer holds them (overlay_tree)
            for facts in snap.values():
                facts.pop("link_group", None)
        diff = tree.differences(ours, theirs)
        self.assertEqual(diff, [], "shared vs plain rootless:\n" + "\n".join(diff))
        for c in chain_ids(image):
            with open(os.path.join(snapshots_dir(self.store), c, "snapshot")) as f:
                self.assertTrue(f.read().endswith("\nform rootless\n"))
            self.assertEqual(os.stat(os.path.join(snapshots_dir(self.store), c, "fs")).st_uid, base.NOBODY)
        # the copy kind, outside any namespace: the same tree as the plain root
        self.unpack_as_nobody("--shared", "--copy", ref, os.path.join(self.home, "copy"))
        copied = self.snapshot(os.path.join(self.home, "copy", "rootfs"))
        plain_outside = self.snapshot(plain)
        for snap in (copied, plain_outside):
            for facts in snap.values():
                facts.pop("link_group", None)
        diff = tree.differences(copied, plain_outside)
        self.assertEqual(diff, [], "copy vs plain rootless:\n" + "\n".join(diff))
        self.assertEqual(fsck(self.store), (0, ""))
        return ref, ours

    def test_whiteouts_and_opaque_directories_across_layers(self):
        _, ours = self.check("rootless/whiteouts", base.whiteout_image())
        self.assertEqual(sorted(ours), ["a", "a/b", "a/b/again", "a/keep", "h", "h/i", "h/i2", "x", "x/y"])

    def test_directory_made_again_beneath_an_opaque_one(self):
        self.check("rootless/opaque-first", opaque_first_image())

    def test_derived_through_lower_symlinks(self):
        _, ours = self.check("rootless/derived", derived_image(base_image(), "one"))
        self.assertIn("usr/lib/one.so", ours)
        self.assertNotIn("var/cache", ours)

    def test_busybox(self):
        self.check("rootless/busybox", images.busybox_image())

    def test_owners_and_read_only_directories(self):
        img = images.Image([
            images.Layer.of_entries([entry("ro", "dir", mode=0o555), entry("ro/f", data=b"f", uid=1000, gid=2000),
                                     entry("etc", "dir"), entry("etc/shadow", data=b"s", mode=0o640, gid=42)]),
            images.Layer.of_entries([entry("ro/g", data=b"g")]),  # beneath a lower 0555 directory
        ])
        _, ours = self.check("rootless/owners", img)
        self.assertEqual(ours["ro"]["mode"], 0o555)
        self.assertEqual(ours["ro/g"]["sha256"], images.sha256(b"g")[7:])

    def test_a_directory_its_owner_cannot_list_is_refused_cleanly(self):
        ref = self.serve("rootless/locked", images.Image([
            images.Layer.of_entries([entry("locked", "dir", mode=0), entry("f", data=b"f")])]))
        self.give_to_nobody()
        p = self.unpack_as_nobody("--shared", "--copy", ref, os.path.join(self.home, "r"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("locked has a mode its owner cannot list", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "r")))
        self.assertEqual([n for n in os.listdir(snapshots_dir(self.store)) if n.startswith("tmp-")], [])
        self.assertEqual(snapshot_names(self.store), [])
        self.unpack_as_nobody(ref, os.path.join(self.home, "plain"))  # a root of its own still works

    def test_root_and_users_do_not_share_snapshots(self):
        ref = self.serve("rootless/mixed", images.Image(base_image()))
        self.give_to_nobody()
        self.unpack_as_nobody("--shared", "--copy", ref, os.path.join(self.home, "r"))
        p = self.copy(ref, os.path.join(self.tmp, "as-root"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("was made without privileges", p.stderr)


class Sharing(Shared):
    def test_pull_of_an_image_not_stored_then_shared(self):
        one = derived_image(base_image(), "one")
        reg.push("sharing/pulled", "v1", one)
        ref = "%s/sharing/pulled:v1" % reg.host
        p = example("limg-unpack", "--shared", "--copy", ref, os.path.join(self.tmp, "r0"), store=self.store,
                    check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such image", p.stderr)
        example("limg-unpack", "--shared", "--copy", "--pull", ref, os.path.join(self.tmp, "r1"), store=self.store)
        self.assertEqual(snapshot_names(self.store), sorted(chain_ids(one)))
        with open(os.path.join(self.tmp, "r1", "rootfs", "app", "one")) as f:
            self.assertEqual(f.read(), "one")
        self.assertEqual(fsck(self.store), (0, ""))

    def test_second_image_applies_only_its_own_layer(self):
        layers = base_image()
        one, two = derived_image(layers, "one"), derived_image(layers, "two")
        ref1, ref2 = self.serve("sharing/one", one), self.serve("sharing/two", two)
        self.copy(ref1, os.path.join(self.tmp, "r1"))
        chains1, chains2 = chain_ids(one), chain_ids(two)
        self.assertEqual(snapshot_names(self.store), sorted(chains1))
        seen = {c: os.stat(os.path.join(snapshots_dir(self.store), c, "snapshot")) for c in chains1}
        p = example("limg-unpack", "--shared", "--copy", ref2, os.path.join(self.tmp, "r2"),
                    store=self.store)
        self.assertEqual(snapshot_names(self.store), sorted(set(chains1) | set(chains2)))
        for c in chains1[:2]:  # the base's snapshots: used, not made again
            now = os.stat(os.path.join(snapshots_dir(self.store), c, "snapshot"))
            self.assertEqual((now.st_ino, now.st_mtime_ns), (seen[c].st_ino, seen[c].st_mtime_ns))
        self.assertEqual(chains1[:2], chains2[:2])
        with open(os.path.join(self.tmp, "r2", "rootfs", "app", "two")) as f:
            self.assertEqual(f.read(), "two")
        self.assertEqual(fsck(self.store), (0, ""))

    # Through the binding, in the plain build only: the binding loads the library into
    # Python, which a sanitizer's runtime would have to come before (so the sanitizer
    # stages do not define it, rather than skip it).
    if not tool.SANITIZER:
        def test_progress_says_which_layers_were_there(self):
            """Through the Python binding: the events of the second image on the base."""
            sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
            os.environ.setdefault("LIBIMAGE_LIBRARY", os.path.join(tool.BUILD, "libimage.so.1"))
            import libimage
            from libimage.types import Event
            layers = base_image()
            ref1 = self.serve("events/one", derived_image(layers, "one"))
            ref2 = self.serve("events/two", derived_image(layers, "two"))
            with libimage.Store(self.store) as st:
                events = []
                keep = lambda p: events.append(p.event) if p.event in (Event.EXISTS, Event.LAYER_DONE) else None
                self.assertIsNone(st.snapshot_prepare(ref1, os.path.join(self.tmp, "r1"), copy=True, progress=keep))
                self.assertEqual(events, [Event.LAYER_DONE] * 3)
                events.clear()
                m = st.snapshot_prepare(ref2, os.path.join(self.tmp, "r2"), progress=keep)
                self.assertEqual(events, [Event.EXISTS, Event.EXISTS, Event.LAYER_DONE])
                self.assertEqual((m["type"], m["source"]), ("overlay", "overlay"))
                self.assertEqual(m["target"], os.path.join(os.path.realpath(self.tmp), "r2", "rootfs"))
                self.assertTrue(m["options"].startswith("lowerdir="))
                self.assertEqual(st.snapshot_fsck(), [])
                self.assertEqual(st.snapshot_gc(), [])
                with self.assertRaises(libimage.LibimageError) as e:
                    st.snapshot_prepare(ref2, os.path.join(self.tmp, "r2"))
                self.assertIn("not empty", str(e.exception))

    def test_writes_stay_in_their_root(self):
        layers = base_image()
        ref1, ref2 = self.serve("write/one", derived_image(layers, "one")), self.serve("write/two", derived_image(layers, "two"))
        m1 = self.prepare(ref1, os.path.join(self.tmp, "r1"))
        m2 = self.prepare(ref2, os.path.join(self.tmp, "r2"))
        a, b = m1[2], m2[2]
        out = self.in_namespace([(m1[2], m1[3]), (m2[2], m2[3])], [
            ("write", a + "/etc/passwd", "changed in one\n"),
            ("remove", a + "/etc/os-release"),
            ("write", a + "/usr/lib/new", "new\n"),
            ("read", b + "/etc/passwd"), ("read", b + "/etc/os-release"), ("read", b + "/usr/lib/new"),
            ("read", a + "/etc/passwd"), ("read", a + "/etc/os-release"),
        ])
        self.assertEqual(out[3:], ["root:x:0:0\n", "base\n", None, "changed in one\n", None])
        # the writes are in r1's upper directory, nowhere else
        with open(os.path.join(self.tmp, "r1", "upper", "etc", "passwd")) as f:
            self.assertEqual(f.read(), "changed in one\n")
        self.assertEqual(os.listdir(os.path.join(self.tmp, "r2", "upper")), [])
        self.assertEqual(fsck(self.store), (0, ""))

    def test_two_processes_prepare_the_same_image_at_once(self):
        img = derived_image(base_image(), "one")
        ref = self.serve("race/one", img)
        procs = [subprocess.Popen([os.path.join(EXAMPLES, "limg-unpack"), "--shared", "--copy", ref,
                                   os.path.join(self.tmp, "r%d" % i)], env=dict(ENV, LIBIMAGE_STORE=self.store),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(snapshot_names(self.store), sorted(chain_ids(img)))
        self.assertEqual([n for n in os.listdir(snapshots_dir(self.store)) if n.startswith("tmp-")], [])
        first = self.snapshot(os.path.join(self.tmp, "r0", "rootfs"))
        for i in range(1, 4):
            self.assertEqual(self.snapshot(os.path.join(self.tmp, "r%d" % i, "rootfs")), first)
        self.assertEqual(fsck(self.store), (0, ""))

    def test_rmi_and_gc_release_snapshots_no_image_or_root_needs(self):
        layers = base_image()
        one, two = derived_image(layers, "one"), derived_image(layers, "two")
        ref1, ref2 = self.serve("gc/one", one), self.serve("gc/two", two)
        self.copy(ref1, os.path.join(self.tmp, "r1"))
        self.prepare(ref2, os.path.join(self.tmp, "r2"))
        every = sorted(set(chain_ids(one)) | set(chain_ids(two)))
        self.assertEqual(snapshot_names(self.store), every)
        # both images removed: their roots still stand, so their snapshots stay
        example("limg-rmi", ref1, ref2, store=self.store)
        self.assertEqual(fsck(self.store, gc=True), (0, ""))
        self.assertEqual(snapshot_names(self.store), every)
        # one root gone: what only it used goes; the base stays for the other
        base.remove_tree(os.path.join(self.tmp, "r1"))
        self.assertEqual(fsck(self.store, gc=True), (0, ""))
        self.assertEqual(snapshot_names(self.store), sorted(chain_ids(two)))
        base.remove_tree(os.path.join(self.tmp, "r2"))
        example("limg-image-prune", "-f", store=self.store)
        self.assertEqual(snapshot_names(self.store), [])
        self.assertEqual(os.listdir(os.path.join(snapshots_dir(self.store), "roots")), [])

    def test_gc_keeps_what_stored_images_reach(self):
        img = derived_image(base_image(), "one")
        ref = self.serve("gc/kept", img)
        self.copy(ref, os.path.join(self.tmp, "r"))
        base.remove_tree(os.path.join(self.tmp, "r"))
        self.assertEqual(fsck(self.store, gc=True), (0, ""))
        self.assertEqual(snapshot_names(self.store), sorted(chain_ids(img)))

    def test_tampered_snapshots_are_caught_by_fsck(self):
        img = derived_image(base_image(), "one")
        ref = self.serve("fsck/one", img)
        self.copy(ref, os.path.join(self.tmp, "r"))
        chains = chain_ids(img)
        d = snapshots_dir(self.store)
        self.assertEqual(fsck(self.store), (0, ""))
        # a file changed in the base snapshot
        with open(os.path.join(d, chains[0], "fs", "etc", "passwd"), "a") as f:
            f.write("evil\n")
        rc, out = fsck(self.store)
        self.assertEqual(rc, 1)
        self.assertIn("snapshot %s" % chains[0], out)
        self.assertIn("changed after it was made", out)
        # a marker rewritten, a stray directory, an unfinished one
        with open(os.path.join(d, chains[1], "snapshot")) as f:
            marker = f.read()
        with open(os.path.join(d, chains[1], "snapshot"), "w") as f:
            f.write("libimage snapshot 1\nchain sha256:%s\n" % ("0" * 64))
        os.mkdir(os.path.join(d, "not-ours"))
        os.mkdir(os.path.join(d, "tmp-AbC123"))  # as a killed prepare leaves it
        rc, out = fsck(self.store)
        self.assertIn("snapshot %s" % chains[1], out)
        self.assertIn("not libimage's", out)
        self.assertIn("never finished", out)
        # preparing over a snapshot whose marker is damaged says so rather than use it
        p = self.copy(ref, os.path.join(self.tmp, "again"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("damaged", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "again")))
        # a snapshot whose parent is gone
        with open(os.path.join(d, chains[1], "snapshot"), "w") as f:
            f.write(marker)
        base.remove_tree(os.path.join(d, chains[0]))
        rc, out = fsck(self.store)
        self.assertIn("the snapshot below it is missing", out)

    def test_bad_inputs(self):
        ref = self.serve("bad/one", derived_image(base_image(), "one"))
        os.makedirs(os.path.join(self.tmp, "full"))
        open(os.path.join(self.tmp, "full", "x"), "w").close()
        p = self.copy(ref, os.path.join(self.tmp, "full"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not empty", p.stderr)
        self.assertEqual(os.listdir(os.path.join(self.tmp, "full")), ["x"])
        p = self.copy(reg.host + "/bad/none:v1", os.path.join(self.tmp, "none"), check=False)
        self.assertIn("No such image", p.stderr)
        p = example("limg-unpack", "--shared", "--bundle", ref, os.path.join(self.tmp, "b"), store=self.store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--shared goes with none of --bundle", p.stderr)
        # a layer blob damaged in the store: no snapshot of it, no root, nothing half made
        img = derived_image(base_image(), "damaged")
        ref = self.serve("bad/damaged", img)
        blob = os.path.join(self.store, "blobs", "sha256", img.layers[-1].blob.digest.split(":")[1])
        with open(blob, "r+b") as f:
            f.seek(20)
            b = f.read(1)
            f.seek(20)
            f.write(bytes([b[0] ^ 0xFF]))
        p = self.copy(ref, os.path.join(self.tmp, "d"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "d")))
        self.assertEqual(snapshot_names(self.store), sorted(chain_ids(img)[:2]))  # the base's, sound
        self.assertEqual([n for n in os.listdir(snapshots_dir(self.store)) if n.startswith("tmp-")], [])


@unittest.skipIf(why_not(), why_not())
class SharedBreakouts(base.Breakouts):
    """test_unpack's breakout corpus through the snapshot path (limg-unpack
    --shared --copy, then the overlay's snapshots as they were made), the
    whole host watched: nothing written outside the test's directory."""

    def unpack_watched(self, ref, root, wrapper):
        # a store of its own for each run: every layer applied afresh as a snapshot
        if os.path.isdir(self.store):
            rc, out = fsck(self.store, gc=True)
            self.assertEqual((rc, out), (0, ""))
            base.remove_tree(self.store)
        stage = os.path.join(self.tmp, "stage")
        argv = [os.path.join(TOOLS, w) for w in wrapper] + [
            os.path.join(EXAMPLES, "limg-unpack"), "--store", self.store, "--shared", "--copy", ref, stage]
        example("limg-pull", "-q", ref, store=self.store)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        if hostwatch.unavailable():
            p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        else:
            p, touched = hostwatch.run(argv, real=self.tmp, env=env)
            self.assertEqual(touched, [], "written outside the root and this test's directory")
        if p.returncode == 0:
            os.rename(os.path.join(stage, "rootfs"), root)
            base.remove_tree(stage)
        return p

    # the plain unpack's own tests, not the snapshot path's
    test_limits = None
    test_xattrs_of_other_systems_are_dropped = None


if __name__ == "__main__":
    unittest.main()
