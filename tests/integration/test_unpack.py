# SPDX-License-Identifier: MIT
"""limg-unpack end to end: images served by the real registry, pulled, unpacked,
and compared entry by entry with what Debian's umoci makes of the same store."""
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
import time
import unittest

from fixtures import hostwatch, images, registry, tree
from fixtures.images import entry
import tool
from tool import ENV, example

reg = None
HAVE_UMOCI = shutil.which("umoci") is not None
ROOTLESS_XATTR = "user.rootlesscontainers"
BUNDLE_DIRS = ("dev", "proc", "sys", "dev/pts", "dev/shm")  # a bundle's rootfs has them; umoci does not make them


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def remove_tree(path):
    """rmtree that also gets through directories left without write or search permission."""
    def fix(func, p, exc):
        os.chmod(os.path.dirname(p), 0o700)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, 0o700)
        func(p)
    if os.path.lexists(path):
        for dirpath, dirnames, _ in os.walk(path):
            for d in dirnames:
                p = os.path.join(dirpath, d)
                if not os.path.islink(p):
                    os.chmod(p, 0o700)
        shutil.rmtree(path, onerror=fix)


def rootless_owner(value):
    """The (uid, gid) of umoci's user.rootlesscontainers protobuf (0 when absent)."""
    out, i = {1: 0, 2: 0}, 0
    while i < len(value):
        key = value[i]
        i += 1
        x = shift = 0
        while True:
            b = value[i]
            i += 1
            x |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out[key >> 3] = 0 if x == 0xFFFFFFFF else x
    return out[1], out[2]


class Unpack(unittest.TestCase):
    def setUp(self):
        self.started = time.time_ns()
        self.tmp = tempfile.mkdtemp(prefix="limg-unpack-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        remove_tree(self.tmp)

    def serve(self, name, image):
        """Pushes @image to the registry and pulls it into the store; returns its reference."""
        reg.push(name, "v1", image)
        ref = "%s/%s:v1" % (reg.host, name)
        example("limg-pull", "-q", ref, store=self.store)
        return ref

    def unpack(self, ref, dest, *opts, check=True):
        return example("limg-unpack", *opts, ref, dest, store=self.store, check=check)

    def umoci(self, ref, bundle, *opts):
        p = subprocess.run(["umoci", "unpack", *opts, "--image", "%s:%s" % (self.store, ref), bundle],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)

    def snapshot(self, root, skip=()):
        """The tree's facts; directories both tools made just now (implied by
        a deeper entry) compare equal, whatever the nanoseconds."""
        snap = tree.snapshot(root, True)
        for facts in snap.values():
            if facts.get("mtime", 0) >= self.started:
                facts["mtime"] = "made during the test"
        return snap

    def assertSameTree(self, ours, theirs, skip=()):
        a, b = self.snapshot(ours), self.snapshot(theirs)
        for path in skip:  # what we add on purpose
            if path not in b:
                a.pop(path, None)
        diff = tree.differences(a, b)
        self.assertEqual(diff, [], "ours vs umoci:\n" + "\n".join(diff))
        return a


def every_kind_image():
    """Two layers with each kind of entry an image can hold."""
    big = images.pseudo_random(300000, 5)
    first = images.Layer.of_entries([
        entry("bin", "dir"),
        entry("bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o4755),          # setuid
        entry("bin/group-tool", data=b"g", mode=0o2711, gid=50),                   # setgid
        entry("bin/tool-again", "hardlink", target="bin/tool"),
        entry("bin/abs-link", "hardlink", target="/bin/group-tool"),               # absolute, as kaniko writes
        entry("etc", "dir", mode=0o755),
        entry("etc/owned", data=b"owned\n", uid=1000, gid=2000, mode=0o640),
        entry("etc/nobody", data=b"n\n", uid=65534, gid=65534),
        entry("etc/empty", data=b""),
        entry("etc/big", data=big),
        entry("etc/xattrs", data=b"x", pax={"SCHILY.xattr.user.comment": "hello",
                                             "SCHILY.xattr.security.capability":
                                                 "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}),
        entry("etc/rel-link", "symlink", target="owned"),
        entry("etc/abs-link", "symlink", target="/etc/owned"),
        entry("etc/dangling", "symlink", target="/nowhere/at/all"),
        entry("dev", "dir"),
        entry("dev/null", "char", mode=0o666, device=(1, 3)),
        entry("dev/loop9", "block", mode=0o660, device=(7, 9), gid=6),
        entry("run", "dir", mode=0o755),
        entry("run/fifo", "fifo", mode=0o600),
        entry("tmp", "dir", mode=0o1777),
        entry("secret", "dir", mode=0o700, uid=1000),
        entry("secret/inside", data=b"s", mode=0o600, uid=1000),
        entry("locked", "dir", mode=0o000),
        entry("locked/file", data=b"l", mode=0o000),
        entry("long/" + "n" * 150 + "/" + "m" * 120, data=b"long name"),           # PAX path
        entry("long", "dir", mode=0o751),                                           # after its children
        entry("unicode-\u00e9\u00e8", data="\u00e9".encode()),
        entry("spaces and\ttabs", data=b"t"),
    ])
    second = images.Layer.of_entries([
        entry("etc/linked-from-below", "hardlink", target="etc/owned"),            # to a lower layer's file
        entry("etc/owned", data=b"replaced\n", uid=1000, gid=2000, mode=0o600),   # replaces; the link keeps the old
        entry("bin/tool", "symlink", target="group-tool"),                         # a file becomes a symlink
        entry("etc/rel-link", data=b"no longer a link\n"),                         # a symlink becomes a file
    ])
    return images.Image([first, second])


def whiteout_image():
    layers = [
        images.Layer.of_entries([
            entry("a", "dir"), entry("a/b", "dir"), entry("a/b/c", data=b"c"), entry("a/keep", data=b"k"),
            entry("d", "dir"), entry("d/e", data=b"e"), entry("d/sub", "dir"), entry("d/sub/f", data=b"f"),
            entry("g", data=b"g"), entry("h", "dir"), entry("h/i", data=b"i"),
        ]),
        images.Layer.of_entries([
            entry("a/.wh.b"),                        # a directory goes, with what it holds
            entry("d/.wh..wh..opq"),                 # opaque: d's lower contents go
            entry("d/new", data=b"new"),
            entry(".wh.g"),                          # a file goes
            entry("h/.wh.i"), entry("h/i2", data=b"i2"),
            entry("a/.wh.never-there"),              # a whiteout of nothing is fine
        ]),
        images.Layer.of_entries([
            entry("a/b", "dir"), entry("a/b/again", data=b"again"),   # made again above the whiteout
            entry("h/i", data=b"back"),
            entry(".wh.d"),                                           # and now all of d goes
            entry("x", "dir"), entry("x/y", data=b"y"), entry("x/.wh.y"),  # own entries survive own whiteouts
        ]),
    ]
    return images.Image(layers)


class LikeUmoci(Unpack):
    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_every_kind_of_entry_as_umoci(self):
        ref = self.serve("unpack/kinds", every_kind_image())
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours, "--bundle")
        self.umoci(ref, bundle)
        snap = self.assertSameTree(os.path.join(ours, "rootfs"), os.path.join(bundle, "rootfs"), BUNDLE_DIRS)
        # and what that means, beyond agreeing with umoci
        self.assertEqual(snap["etc/linked-from-below"]["sha256"], images.sha256(b"owned\n")[7:])
        self.assertEqual(snap["bin/tool-again"]["mode"], 0o4755)
        self.assertEqual(snap["bin/tool"]["target"], "group-tool")
        self.assertEqual(snap["etc/xattrs"]["xattrs"].get("user.comment"), b"hello")
        self.assertEqual(snap["locked"]["mode"], 0)
        self.assertEqual(snap["bin/abs-link"]["link_group"], "bin/abs-link")
        # owners, setgid bits and device nodes as the image says: only a privileged unpack can
        if os.geteuid() != 0:
            self.skipTest("the privileged unpack's owners and device nodes need root (the rest was checked)")
        self.assertEqual(snap["bin/group-tool"]["mode"], 0o2711)
        self.assertEqual(snap["etc/nobody"]["uid"], 65534)
        self.assertEqual(snap["dev/null"]["type"], stat.S_IFCHR)
        self.assertEqual(snap["dev/null"]["rdev"], (1, 3))

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_whiteouts_across_layers_as_umoci(self):
        ref = self.serve("unpack/whiteouts", whiteout_image())
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours)
        self.umoci(ref, bundle)
        snap = self.assertSameTree(ours, os.path.join(bundle, "rootfs"))
        self.assertEqual(sorted(snap), ["a", "a/b", "a/b/again", "a/keep", "h", "h/i", "h/i2", "x", "x/y"])

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_busybox_bundle_as_umoci(self):
        img = images.busybox_image()
        ref = self.serve("unpack/busybox", img)
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours, "--bundle")
        self.umoci(ref, bundle)
        self.assertSameTree(os.path.join(ours, "rootfs"), os.path.join(bundle, "rootfs"), BUNDLE_DIRS)
        for d in BUNDLE_DIRS:  # where the runtime mounts: real directories, always
            self.assertTrue(stat.S_ISDIR(os.lstat(os.path.join(ours, "rootfs", d)).st_mode), d)
        with open(os.path.join(ours, "config.json")) as f:
            mine = json.load(f)
        with open(os.path.join(bundle, "config.json")) as f:
            theirs = json.load(f)
        for key in ("args", "env", "cwd", "user", "capabilities", "rlimits", "noNewPrivileges"):
            self.assertEqual(mine["process"].get(key), theirs["process"].get(key), key)
        self.assertEqual(mine["root"]["path"], "rootfs")
        self.assertEqual([m["destination"] for m in mine["mounts"]], [m["destination"] for m in theirs["mounts"]])
        for key in ("maskedPaths", "readonlyPaths", "resources"):
            self.assertEqual(mine["linux"].get(key), theirs["linux"].get(key), key)
        # umoci 0.4.7 predates its cgroup namespace (umoci 0.5 and `runc spec` have it)
        spaces = lambda spec: {n["type"] for n in spec["linux"]["namespaces"]}
        self.assertEqual(spaces(mine) - spaces(theirs), {"cgroup"})
        for key, value in theirs["annotations"].items():
            if value:  # umoci 0.4.7 writes empty ones (an empty author); later versions leave them out
                self.assertEqual(mine["annotations"].get(key), value, key)
        self.assertEqual(stat.S_IMODE(os.stat(ours).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(ours, "config.json")).st_mode), 0o600)

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_rootless_as_umoci(self):
        """--rootless keeps what it cannot apply where umoci keeps it, in the same format."""
        ref = self.serve("unpack/kinds", every_kind_image())
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours, "--rootless")
        self.umoci(ref, bundle, "--rootless")
        a, b = self.snapshot(ours), self.snapshot(os.path.join(bundle, "rootfs"))
        self.assertEqual(sorted(a), sorted(b))
        for path in a:
            mine, theirs = dict(a[path]), dict(b[path])
            # file capabilities are for the privileged: a rootless unpack never grants them
            # (umoci run by root keeps them even with --rootless)
            theirs["xattrs"].pop("security.capability", None)
            self.assertEqual(mine, theirs, path)
        self.assertEqual(rootless_owner(a["etc/owned"]["xattrs"][ROOTLESS_XATTR]), (1000, 2000))
        self.assertEqual(a["dev/null"]["type"], stat.S_IFREG)  # no device nodes without privilege
        # 000 directories keep their mode, as umoci keeps it (it was 0700 here once)
        self.assertEqual(a["locked"]["mode"], 0)

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_opaque_whiteout_anywhere_in_its_layer_as_umoci(self):
        """umoci's MultiLevel case: the opaque marker after entries that re-declare a
        subdirectory still removes what lower layers put beneath it (a plain whiteout too)."""
        layers = [
            images.Layer.of_entries([
                entry("o", "dir"), entry("o/sub", "dir"), entry("o/sub/x", data=b"x"), entry("o/y", data=b"y"),
                entry("o/deep", "dir"), entry("o/deep/z", data=b"z"),
                entry("p", "dir"), entry("p/sub", "dir"), entry("p/sub/x", data=b"x"),
            ]),
            images.Layer.of_entries([
                entry("o", "dir"), entry("o/sub", "dir"), entry("o/sub/new", data=b"new"),
                entry("o/.wh..wh..opq"),                                  # last, not first
                entry("p/sub", "dir"), entry("p/sub/new", data=b"new"), entry("p/.wh.sub"),
            ]),
        ]
        ref = self.serve("unpack/opaque-late", images.Image(layers))
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours)
        self.umoci(ref, bundle)
        mine, theirs = self.snapshot(ours), self.snapshot(os.path.join(bundle, "rootfs"))
        for path in ("o/sub", "p/sub"):
            # umoci sets a directory's times at its entry, and its whiteout changes them later;
            # the layer's own times are kept here
            self.assertEqual(mine[path].pop("mtime"), 1700000000 * 10**9)
            theirs[path].pop("mtime")
        self.assertEqual(tree.differences(mine, theirs), [])
        self.assertEqual(sorted(mine), ["o", "o/sub", "o/sub/new", "p", "p/sub", "p/sub/new"])

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_root_entry_applies_to_the_root_as_umoci(self):
        """The layer's "./" entry gives the root its mode and owner, as umoci and podman do."""
        layer = images.Layer.of_entries([
            entry("./", "dir", mode=0o700, uid=1000, gid=1000, pax={"SCHILY.xattr.user.root": "r"}),
            entry("f", data=b"f"),
        ])
        ref = self.serve("unpack/root-entry", images.Image([layer]))
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours, "--bundle")
        self.umoci(ref, bundle)
        self.assertSameTree(os.path.join(ours, "rootfs"), os.path.join(bundle, "rootfs"), BUNDLE_DIRS)
        mine, theirs = os.lstat(os.path.join(ours, "rootfs")), os.lstat(os.path.join(bundle, "rootfs"))
        self.assertEqual(stat.S_IMODE(mine.st_mode), stat.S_IMODE(theirs.st_mode))
        self.assertEqual(stat.S_IMODE(mine.st_mode), 0o700)
        self.assertEqual(mine.st_mtime_ns, theirs.st_mtime_ns)
        self.assertEqual(os.getxattr(os.path.join(ours, "rootfs"), "user.root"), b"r")
        # a plain unpack: the directory asked for is the root
        plain = os.path.join(self.tmp, "plain")
        self.unpack(ref, plain)
        self.assertEqual(stat.S_IMODE(os.lstat(plain).st_mode), 0o700)
        # the owner last: only root can give the root another owner (a skip, never a pass, without it)
        if os.geteuid() != 0:
            self.skipTest("needs root: the root's owner is unchecked (the rest was checked)")
        self.assertEqual((mine.st_uid, mine.st_gid), (theirs.st_uid, theirs.st_gid))
        self.assertEqual((mine.st_uid, mine.st_gid), (1000, 1000))

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_hardlink_climbing_above_the_root_is_clamped_as_umoci(self):
        """umoci's "../../../link" case: ".." stops at the root, the link is made inside."""
        layer = images.Layer.of_entries([
            entry("link", data=b"target"),
            entry("sub", "dir"), entry("sub/deeper", "dir"),
            entry("sub/deeper/up", "hardlink", target="../../../link"),
            entry("sub/abs-up", "hardlink", target="/../../link"),
        ])
        ref = self.serve("unpack/hardlink-up", images.Image([layer]))
        ours, bundle = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.unpack(ref, ours)
        self.umoci(ref, bundle)
        snap = self.assertSameTree(ours, os.path.join(bundle, "rootfs"))
        self.assertEqual(snap["sub/deeper/up"]["link_group"], "link")
        self.assertEqual(snap["sub/abs-up"]["link_group"], "link")


def breakout_cases(victim):
    """containerd's TestBreakouts, moby's invalid symlink and hard link tests and
    umoci's scoping tests, as layers. victim is an absolute host directory holding
    "file"; "../victim" reaches it from the unpack directory. Each case: (name,
    layers, expected), expected either ("error", words) or ("ok", {path in the
    root: what it must be}) where what is "file", "dir", "absent", or a symlink
    target as ("symlink", target)."""
    V, R = victim, "../victim"
    inside = V.lstrip("/")  # where an absolute symlink to the victim lands: inside the root
    f, d, ln, hl = "file", "dir", "symlink", "hardlink"
    E = entry
    return [
        ("symlink_absolute", [[E("localetc", ln, target=V), E("localetc/written", data=b"w")]],
         ("ok", {inside + "/written": f})),
        ("symlink_absolute_next_layer", [[E("localetc", ln, target=V)], [E("localetc/written", data=b"w")]],
         ("ok", {inside + "/written": f})),
        ("symlink_relative_up", [[E("localetc", ln, target=R), E("localetc/written", data=b"w")]],
         ("ok", {"victim/written": f})),
        ("symlink_many_dotdots", [[E("a", ln, target="../../../../../../../.." + V), E("a/written", data=b"w")]],
         ("ok", {inside + "/written": f})),
        ("symlink_chain_absolute", [[E("dir1", ln, target=V), E("dir2", ln, target="/dir1"),
                                     E("dir2/written", data=b"w")]], ("ok", {inside + "/written": f})),
        ("symlink_chain_relative", [[E("dir1", ln, target=R), E("dir2", ln, target="dir1"),
                                     E("dir2/written", data=b"w")]], ("ok", {"victim/written": f})),
        ("symlink_to_slash", [[E("etc", ln, target="/"), E("etc/written", data=b"w")]],
         ("ok", {"written": f, "etc": ("symlink", "/")})),
        ("symlink_to_parent_of_root", [[E("up", ln, target=".."), E("up/written", data=b"w")]],
         ("ok", {"written": f})),
        ("symlink_to_victims_parent", [[E("l", ln, target=V + "/.."), E("l/written", data=b"w")]],
         ("ok", {os.path.dirname(inside) + "/written": f})),
        ("file_replaces_symlink", [[E("victimlink", ln, target=V + "/file")], [E("victimlink", data=b"mine")]],
         ("ok", {"victimlink": f})),
        ("dir_replaces_symlink", [[E("d", ln, target=V)], [E("d", d), E("d/x", data=b"x")]],
         ("ok", {"d": d, "d/x": f})),
        ("symlink_is_never_chmod_ed", [[E("l", ln, target=V + "/file", mode=0o777)], [E("l", ln, target=V + "/file")]],
         ("ok", {"l": ("symlink", V + "/file")})),
        ("dangling_symlink_made_inside", [[E("var", d), E("var/run", ln, target="/run")], [E("var/run/x", data=b"x")]],
         ("ok", {"run/x": f})),
        # ".." stops at the root (umoci, podman): the name is looked for inside
        ("hardlink_relative_out", [[E("link", hl, target=R + "/file")]], ("error", "not there")),
        ("hardlink_absolute_host_path", [[E("link", hl, target=V + "/file")]], ("error", "not there")),
        ("hardlink_down_and_out", [[E("dummy", d), E("link", hl, target="dummy/../../victim/file")]],
         ("error", "not there")),
        ("hardlink_up_to_a_copy_inside", [[E("victim", d), E("victim/file", data=b"inside"),
                                           E("link", hl, target="../../victim/file")]],
         ("ok", {"link": f, "victim/file": f})),
        ("hardlink_through_symlink", [[E("l", ln, target=V), E("link", hl, target="l/file")]],
         ("error", "not there")),
        ("hardlink_through_relative_symlink", [[E("l", ln, target=R), E("link", hl, target="l/file")]],
         ("error", "not there")),
        ("hardlink_to_symlink_stays_a_symlink", [[E("passwdlink", ln, target="../../../../victim/file"),
                                                  E("localpasswd", hl, target="passwdlink")],
                                                 [E("localpasswd", data=b"overwritten")]],
         ("ok", {"localpasswd": f, "passwdlink": ("symlink", "../../../../victim/file")})),
        ("whiteout_through_symlink", [[E("l", ln, target=V)], [E("l/.wh.file")]], ("ok", {"l": ("symlink", V)})),
        ("whiteout_through_relative_symlink", [[E("l", ln, target=R)], [E("l/.wh.file")]],
         ("ok", {"l": ("symlink", R)})),
        ("opaque_through_symlink", [[E("l", ln, target=V)], [E("l/.wh..wh..opq")]], ("ok", {"l": ("symlink", V)})),
        ("whiteout_name_out", [[E("../.wh.victim")]], ("error", "leads out of the root")),
        ("whiteout_of_dotdot", [[E("a", d), E("a/.wh..")]], ("error", "whiteout of nothing")),
        ("name_dotdot", [[E("../victim/written", data=b"w")]], ("error", "leads out of the root")),
        ("name_slash_dotdot", [[E("/../victim/written", data=b"w")]], ("error", "leads out of the root")),
        ("name_dot_dotdot", [[E("./a/../../victim/written", data=b"w")]], ("error", "leads out of the root")),
        ("root_as_symlink", [[E(".", ln, target=V)], [E("written", data=b"w")]], ("error", "root can only be")),
        ("root_as_symlink_slash", [[E("./", ln, target=V)]], ("error", "root can only be")),
        ("symlink_loop", [[E("a", ln, target="b"), E("b", ln, target="a"), E("a/x", data=b"x")]],
         ("error", "not one")),
        ("name_too_long", [[E("x" * 300, data=b"x")]], ("error", "too long")),
        ("path_too_long", [[E("/".join(["d" * 200] * 25), data=b"x")]], ("error", "too long")),
        ("pax_header_too_large", [[E("big", data=b"x", pax={"comment": "c" * (2 << 20)})]], ("error", "not a valid tar")),
        ("truncated_data", None, ("error", "")),
    ]


UNPACKERS = (("openat2", []), ("walk without openat2", ["limg-test-no-openat2"]))


class Breakouts(Unpack):
    """README: "Unpacking writes nothing outside the root, whatever a layer says:
    paths resolved beneath the root (`openat2` `RESOLVE_IN_ROOT`, or a walk with
    `O_NOFOLLOW`) ...". Each case is unpacked twice: with openat2, and as on a
    kernel without it (tests/tools/limg-test-no-openat2: the walk); each time
    with the whole host watched (fixtures/hostwatch.py: "/" an overlay whose
    upper directory catches any write, change or removal anywhere), beside the
    victim directory the cases aim at."""

    def truncated_layer(self):
        data = images.raw_tar([entry("a", data=b"a" * 5000)])[:1024 + 512]
        return images.Layer(None, tar=data)

    def unpack_watched(self, ref, root, wrapper):
        """limg-unpack of @ref into @root (through @wrapper); asserts the host outside
        this test's directory untouched. Unwatched where the host cannot be watched."""
        argv = [os.path.join(tool.TOOLS, w) for w in wrapper] + [
            os.path.join(tool.EXAMPLES, "limg-unpack"), "--store", self.store, ref, root]
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        if hostwatch.unavailable():
            return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        p, touched = hostwatch.run(argv, real=self.tmp, env=env)
        self.assertEqual(touched, [], "written outside the root and this test's directory")
        return p

    def test_breakout_corpus(self):
        victim = os.path.join(self.tmp, "victim")
        os.makedirs(victim)
        with open(os.path.join(victim, "file"), "w") as f:
            f.write("host data\n")
        os.chmod(os.path.join(victim, "file"), 0o644)
        before = tree.snapshot(victim, True)
        cases = breakout_cases(victim)
        self.assertEqual(len(cases), 35)  # README: "a 35-case breakout corpus"
        for name, layers, (outcome, want) in cases:
            built = [self.truncated_layer()] if layers is None else [images.Layer.of_entries(l) for l in layers]
            ref = self.serve("breakout/" + name.replace("_", "-"), images.Image(built))
            for how, wrapper in UNPACKERS:
                with self.subTest(name, resolver=how):
                    root = os.path.join(self.tmp, "out")
                    p = self.unpack_watched(ref, root, wrapper)
                    self.assertEqual(tree.snapshot(victim, True), before, "the victim changed")
                    self.assertEqual(sorted(os.listdir(self.tmp)), ["out", "store", "victim"] if p.returncode == 0
                                     else ["store", "victim"])
                    if outcome == "error":
                        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                        self.assertIn("Error: ", p.stderr)
                        self.assertIn(want, p.stderr)
                        self.assertFalse(os.path.exists(root), "a failed unpack leaves nothing")
                    else:
                        self.assertEqual(p.returncode, 0, p.stderr)
                        for path, what in want.items():
                            full = os.path.join(root, path)
                            st = os.lstat(full)
                            if what == "file":
                                self.assertTrue(stat.S_ISREG(st.st_mode), path)
                            elif what == "dir":
                                self.assertTrue(stat.S_ISDIR(st.st_mode), path)
                            else:
                                self.assertEqual(os.readlink(full), what[1], path)
                    remove_tree(root)
        why = hostwatch.unavailable()
        if why:
            self.skipTest("the corpus ran with the victim watched, not the whole host: " + why)

    def test_limits(self):
        many = images.Layer.of_entries([entry("f%d" % i, data=b"") for i in range(50)])
        ref = self.serve("limits/many", images.Image([many]))
        p = self.unpack(ref, os.path.join(self.tmp, "out"), "--max-entries", "10", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("more entries than the limit", p.stderr)
        self.unpack(ref, os.path.join(self.tmp, "out"), "--max-entries", "50")
        # a header that claims 10 GB (sparse files do, cheaply) stops at the size limit
        info, _ = entry("huge", data=b"")
        info.size = 10 << 30
        huge = images.Layer(None, tar=info.tobuf(tarfile.PAX_FORMAT) + b"\0" * 1024)
        ref = self.serve("limits/huge", images.Image([huge]))
        p = self.unpack(ref, os.path.join(self.tmp, "out2"), "--max-layer-size", str(1 << 30), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("layer size limit", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out2")))

    def test_xattrs_of_other_systems_are_dropped(self):
        layer = images.Layer.of_entries([entry("f", data=b"f", pax={
            "SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.security.selinux": "system_u:object_r:etc_t:s0",
            "SCHILY.xattr.user.kept": "k"})])
        ref = self.serve("xattrs/dropped", images.Image([layer]))
        out = os.path.join(self.tmp, "out")
        self.unpack(ref, out)
        keys = os.listxattr(os.path.join(out, "f"))
        self.assertIn("user.kept", keys)
        self.assertNotIn("trusted.overlay.opaque", keys)
        self.assertNotIn("security.selinux", keys)


NOBODY = 65534


def as_nobody():
    """A child that runs as uid/gid 65534, without groups."""
    def drop():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    return drop


def crun_run(bundle, name):
    """Runs the bundle with Debian's crun, worked around this machine's cgroups:
    a private mount namespace without the cgroup v1 unified mount, no cgroup
    manager, and no linux.resources."""
    with open(os.path.join(bundle, "config.json")) as f:
        spec = json.load(f)
    spec["linux"].pop("resources", None)
    spec["process"]["terminal"] = False
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(spec, f)
    script = ("umount /sys/fs/cgroup/unified 2>/dev/null; "
              "exec crun --cgroup-manager=disabled run --bundle \"$1\" \"$2\"")
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", bundle, name], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


class Runs(Unpack):
    @unittest.skipUnless(shutil.which("crun") and os.geteuid() == 0, "needs crun, as root")
    def test_busybox_bundle_runs_with_crun(self):
        img = images.busybox_image()
        img = images.Image(img.layers, cmd=["hello from", "libimage"],
                           settings={"Entrypoint": ["/bin/echo"], "WorkingDir": "/etc",
                                     "Env": ["GREETING=hi"]})
        ref = self.serve("run/busybox", img)
        bundle = os.path.join(self.tmp, "bundle")
        self.unpack(ref, bundle, "--bundle")
        with open(os.path.join(bundle, "config.json")) as f:
            spec = json.load(f)
        self.assertEqual(spec["process"]["args"], ["/bin/echo", "hello from", "libimage"])
        self.assertEqual(spec["process"]["cwd"], "/etc")
        self.assertIn("GREETING=hi", spec["process"]["env"])
        self.assertIn("HOME=/root", spec["process"]["env"])  # from the image's own /etc/passwd
        self.assertFalse(spec["process"]["terminal"])  # stdin is no terminal here
        p = crun_run(bundle, "limg-test-%d" % os.getpid())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello from libimage\n")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to become another user")
    def test_rootless_unpack_as_a_user(self):
        ref = self.serve("unpack/kinds", every_kind_image())
        os.chmod(self.tmp, 0o755)
        for dirpath, dirnames, filenames in os.walk(self.store):  # nobody reads the store
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        os.chown(home, NOBODY, NOBODY)
        out = os.path.join(home, "bundle")
        p = subprocess.run([os.path.join(tool.EXAMPLES, "limg-unpack"), "--store", self.store, "--bundle", ref, out],
                           capture_output=True, text=True, env=ENV, preexec_fn=as_nobody())
        self.assertEqual(p.returncode, 0, p.stderr)
        snap = tree.snapshot(os.path.join(out, "rootfs"))
        self.assertEqual({(f["uid"], f["gid"]) for f in snap.values()}, {(NOBODY, NOBODY)})
        self.assertEqual(rootless_owner(snap["etc/owned"]["xattrs"][ROOTLESS_XATTR]), (1000, 2000))
        self.assertEqual(rootless_owner(snap["secret"]["xattrs"][ROOTLESS_XATTR]), (1000, 0))
        self.assertEqual(snap["dev/null"]["type"], stat.S_IFREG)  # no device nodes without privilege
        self.assertEqual(snap["locked"]["mode"], 0)               # 000 directories keep their mode (umoci)
        self.assertEqual(snap["bin/group-tool"]["mode"], 0o2711)
        self.assertNotIn("security.capability", snap["etc/xattrs"]["xattrs"])
        with open(os.path.join(out, "config.json")) as f:
            spec = json.load(f)
        self.assertEqual(spec["linux"]["uidMappings"], [{"containerID": 0, "hostID": NOBODY, "size": 1}])
        self.assertIn({"type": "user"}, spec["linux"]["namespaces"])
        self.assertNotIn({"type": "network"}, spec["linux"]["namespaces"])
        self.assertNotIn("resources", spec["linux"])
        # and nobody can take it all away again (opening up the 000 directories first, as after umoci)
        p = subprocess.run(["sh", "-c", 'chmod -R u+rwX "$1" && rm -rf "$1"', "sh", out], capture_output=True,
                           text=True, preexec_fn=as_nobody())
        self.assertEqual(p.returncode, 0, p.stderr)


def many_entries_layer(dirs=100, files=1000):
    """dirs x files empty files: 100,100 entries by default."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for d in range(dirs):
            info = tarfile.TarInfo("d%03d" % d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
            for f in range(files):
                tar.addfile(tarfile.TarInfo("d%03d/f%04d" % (d, f)))
    return images.Layer(None, tar=out.getvalue(), level=1)


def scratch_dir(test):
    """A directory for 100,000 files: tmpfs when there is one (ext4 here spends
    seconds per 10,000 new inodes after big deletions, in the kernel), else tmp."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    d = tempfile.mkdtemp(prefix="limg-unpack-", dir=base)
    test.addCleanup(remove_tree, d)
    return d


def peak_rss_kb(argv, env):
    """Runs argv in a fresh python, which reports its only child's peak RSS."""
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)")
    p = subprocess.run(["/usr/bin/python3", "-c", code] + argv, capture_output=True, text=True, env=env)
    return int(p.stdout.strip().splitlines()[-1])


class Verified(Unpack):
    """Every byte is checked: the blob's digest by the store, the stream's diff_id by the unpack."""

    def test_diff_id_mismatch_leaves_nothing(self):
        good = images.Layer.of_entries([entry("a", data=b"a")])
        img = images.Image([good])
        cfg = dict(img.config_json)
        cfg["rootfs"] = {"type": "layers", "diff_ids": [images.sha256(b"something else")]}
        img.config = images.Blob(json.dumps(cfg).encode(), images.OCI_CONFIG)
        img.manifest = images.Blob(json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                                               "config": img.config.descriptor(),
                                               "layers": [good.blob.descriptor()]}).encode(), images.OCI_MANIFEST)
        reg.push("verify/diffid", "v1", img)
        ref = "%s/verify/diffid:v1" % reg.host
        example("limg-pull", "-q", "--no-diff-ids", ref, store=self.store)  # stored without the check
        out = os.path.join(self.tmp, "out")
        p = self.unpack(ref, out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unpacks to %s, but the image config says" % good.diff_id, p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_not_a_tar(self):
        junk = images.Layer(None, tar=images.pseudo_random(70000, 3))
        reg.push("verify/junk", "v1", images.Image([junk]))
        ref = "%s/verify/junk:v1" % reg.host
        example("limg-pull", "-q", ref, store=self.store)
        out = os.path.join(self.tmp, "out")
        p = self.unpack(ref, out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a valid tar", p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_tampered_blob_in_the_store(self):
        layer = images.Layer({"etc/data": images.pseudo_random(200000, 8)})
        ref = self.serve("verify/tampered", images.Image([layer]))
        path = os.path.join(self.store, "blobs", "sha256", layer.blob.digest[7:])
        with open(path, "r+b") as f:  # another program flips a byte of the stored layer
            f.seek(layer.blob.size // 2)
            b = f.read(1)
            f.seek(layer.blob.size // 2)
            f.write(bytes([b[0] ^ 1]))
        out = os.path.join(self.tmp, "out")
        p = self.unpack(ref, out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertFalse(os.path.exists(out))
        self.assertRegex(p.stderr, "digest|CRC|deflate|corrupt")

    def test_zstd_and_plain_layers(self):
        layers = [images.Layer({"z/data": images.pseudo_random(100000, 2)}, images.OCI_LAYER_ZSTD),
                  images.Layer({"p/plain": b"plain\n" * 100}, images.OCI_LAYER_TAR),
                  images.Layer({"g/gz": b"gz\n" * 100})]
        ref = self.serve("verify/mixed", images.Image(layers))
        out = os.path.join(self.tmp, "out")
        self.unpack(ref, out)
        with open(os.path.join(out, "z/data"), "rb") as f:
            self.assertEqual(f.read(), images.pseudo_random(100000, 2))
        self.assertTrue(os.path.isfile(os.path.join(out, "p/plain")))
        self.assertTrue(os.path.isfile(os.path.join(out, "g/gz")))

    def test_hundred_thousand_entries_in_bounded_memory(self):
        ref = self.serve("scale/many", images.Image([many_entries_layer()]))
        out = os.path.join(scratch_dir(self), "out")
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        rss = peak_rss_kb([os.path.join(tool.EXAMPLES, "limg-unpack"), ref, out], env)
        self.assertGreater(rss, 0, "the unpack failed")
        self.assertEqual(sum(len(files) for _, _, files in os.walk(out)), 100000)
        if not tool.SANITIZER:  # (a sanitizer's shadow memory is no measure)
            self.assertLess(rss, 32 * 1024, "peak RSS %d KiB for 100,100 entries" % rss)

    def test_interrupted_unpack_leaves_nothing(self):
        """Ctrl-C in the middle of an unpack: cancelled, and no half-made root left.
        The interruption lands at a known moment, never racing the unpack: a shim
        (tests/tools/stop-at-mkdir.c) holds limg-unpack still right after the second
        of sixty directories is made; the test sees the lease held, then sends SIGINT."""
        ref = self.serve("scale/interrupt", images.Image([many_entries_layer(60, 1000)]))
        out = os.path.join(scratch_dir(self), "out")
        env = dict(ENV, LIBIMAGE_STORE=self.store, LIMG_STOP_AT_MKDIR="d001",
                   LD_PRELOAD=os.path.join(tool.TOOLS, "stop-at-mkdir.so"))
        if "address" in tool.SANITIZER:  # the shim comes before ASan's runtime in the list
            env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
        p = subprocess.Popen([os.path.join(tool.EXAMPLES, "limg-unpack"), ref, out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        try:
            _, status = os.waitpid(p.pid, os.WUNTRACED)  # held still right after d001 is made
            if not os.WIFSTOPPED(status):
                p.returncode = os.waitstatus_to_exitcode(status)
                self.fail("limg-unpack ended (%d) before d001: %s" % (p.returncode, p.stderr.read()))
            leases = os.path.join(self.store, ".libimage", "leases")
            running = os.listdir(leases)
            p.send_signal(signal.SIGINT)  # pending while stopped, delivered as it goes on
            p.send_signal(signal.SIGCONT)
            _, err = p.communicate(timeout=120)
        finally:
            if p.returncode is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("cancelled", err)
        self.assertFalse(os.path.exists(out))
        # what it read was leased against a gc beside it, and the lease went with it
        self.assertTrue(running, "no lease while unpacking from our own store")
        self.assertEqual(os.listdir(leases), [])


class Bundles(Unpack):
    """README: "Unpacking writes nothing outside the root, whatever a layer says: ...
    no working directory under `/proc`, image labels that runtimes act on kept out
    of annotations, real directories for `/dev`, `/proc`, `/sys`."
    """

    def bundle(self, name, settings=None, labels=None):
        img = images.Image(images.busybox_image().layers, settings=settings or {}, labels=labels or {})
        ref = self.serve("bundles/" + name, img)
        out = os.path.join(self.tmp, name)
        return out, self.unpack(ref, out, "--bundle", check=False)

    def test_no_working_directory_under_proc(self):
        for i, wd in enumerate(("/proc", "/proc/self/cwd", "proc/1/root", "/tmp/../proc/self", "//proc/./sys/")):
            out, p = self.bundle("proc%d" % i, {"WorkingDir": wd})
            self.assertEqual(p.returncode, 1, (wd, p.stdout))
            self.assertRegex(p.stderr, r"leads to /proc\b.*, where it could reach the host", wd)
            self.assertFalse(os.path.exists(out), "a refused bundle leaves nothing")
        # a name that only starts like it is fine
        out, p = self.bundle("procfs", {"WorkingDir": "/procfs/data"})
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "config.json")) as f:
            self.assertEqual(json.load(f)["process"]["cwd"], "/procfs/data")

    def test_labels_runtimes_act_on_are_no_annotations(self):
        acted_on = {"run.oci.hooks.prestart": "/bin/evil", "run.oci.keep_original_groups": "1",
                    "module.wasm.image/variant": "compat", "io.kubernetes.cri-o.Devices": "/dev/sda",
                    "io.katacontainers.config.hypervisor.path": "/evil", "io.containerd.runc.v2.x": "y",
                    "org.systemd.property.ExecStartPre": "/evil", "io.podman.annotations.seccomp": "unconfined",
                    "io.github.containers.x": "y"}
        facts = {"org.opencontainers.image.title": "kept", "com.example.team": "web"}
        out, p = self.bundle("labels", labels=dict(acted_on, **facts,
                                                     **{"org.opencontainers.image.architecture": "s390x"}))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "config.json")) as f:
            annotations = json.load(f)["annotations"]
        for key in acted_on:
            self.assertNotIn(key, annotations)
        for key, value in facts.items():
            self.assertEqual(annotations.get(key), value)
        # and a label cannot pose as one of the image's facts
        self.assertEqual(annotations["org.opencontainers.image.architecture"], "amd64")
        for d in ("dev", "proc", "sys", "dev/pts", "dev/shm"):
            st = os.lstat(os.path.join(out, "rootfs", d))
            self.assertTrue(stat.S_ISDIR(st.st_mode), d)

    def test_runtime_mount_points_are_real_directories(self):
        """An image whose /proc is a symlink out of the root: the bundle's rootfs still
        has a real directory there, which the runtime mounts over."""
        layer = images.Layer.of_entries([entry("proc", "symlink", target="/etc"), entry("sys", "symlink",
                                                                                      target="../../..")])
        img = images.Image(images.busybox_image().layers + [layer])
        ref = self.serve("bundles/symlinked", img)
        out = os.path.join(self.tmp, "symlinked")
        p = self.unpack(ref, out, "--bundle", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        for d in ("proc", "sys"):
            self.assertTrue(stat.S_ISDIR(os.lstat(os.path.join(out, "rootfs", d)).st_mode), d)


class Programs(Unpack):
    def test_dir_must_be_absent_or_empty(self):
        ref = self.serve("unpack/small", images.busybox_image())
        dest = os.path.join(self.tmp, "full")
        os.makedirs(dest)
        with open(os.path.join(dest, "mine"), "w") as f:
            f.write("keep me")
        p = self.unpack(ref, dest, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not empty", p.stderr)
        self.assertEqual(os.listdir(dest), ["mine"])  # nothing of ours, nothing of theirs lost
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.unpack(ref, empty)
        self.assertTrue(os.path.isfile(os.path.join(empty, "bin/busybox")))

    def test_no_such_image(self):
        os.makedirs(self.store)
        example("limg-images", store=self.store)  # an empty store
        dest = os.path.join(self.tmp, "out")
        p = self.unpack("nothing/here:v1", dest, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip(), "Error: No such image: nothing/here:v1")
        self.assertFalse(os.path.exists(dest))

    def test_help_and_bad_arguments(self):
        p = example("limg-unpack", "--help")
        self.assertIn("Usage:  limg-unpack [OPTIONS] IMAGE DIR", p.stdout)
        p = example("limg-unpack", "only-one", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("requires exactly 2 arguments", p.stderr)
        p = example("limg-unpack", "--uid-map", "0:1000", "a", "b", check=False)
        self.assertIn("invalid id map", p.stderr)


if __name__ == "__main__":
    unittest.main()
