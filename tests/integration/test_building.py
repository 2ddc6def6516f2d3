# SPDX-License-Identifier: MIT
"""Building images without a daemon, end to end: limg-append, limg-mutate,
limg-flatten, limg-rebase and limg-build on a store; judged by umoci and
limg-unpack (the same tree as the source directory), crun (it runs),
podman and skopeo (pushed, it runs and shows its config), and by
reproducibility (the same digests on other days, in other directory orders).
"""
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import unittest

from fixtures import images, registry, tree
import tool
from tool import ENV, example
from test_unpack import crun_run, every_kind_image, remove_tree

reg = None
HAVE_UMOCI = shutil.which("umoci") is not None
HAVE_FAKETIME = shutil.which("faketime") is not None
ROOT = os.geteuid() == 0
BUSYBOX = "/bin/busybox"
EPOCH = 1700000000
EPOCH_TEXT = "2023-11-14T22:13:20Z"


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def write(path, data=b"", mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def rich_tree(root, reverse=False):
    """A directory with every kind of entry a layer keeps, made in one order or the other."""
    def owned():
        write(os.path.join(root, "etc/owned"), b"owned\n", 0o640)
        os.chown(os.path.join(root, "etc/owned"), 1000, 2000)

    def tool_and_link():
        write(os.path.join(root, "bin/tool"), b"#!/bin/sh\necho tool\n", 0o4755)
        os.link(os.path.join(root, "bin/tool"), os.path.join(root, "bin/tool-again"))

    def fifo_and_links():
        # other names of a FIFO and of a symlink: hard links too, as GNU tar writes them
        os.mkfifo(os.path.join(root, "run-fifo"), 0o600)
        os.link(os.path.join(root, "run-fifo"), os.path.join(root, "run-fifo-again"))
        os.symlink("owned", os.path.join(root, "etc/linked-symlink"))
        os.link(os.path.join(root, "etc/linked-symlink"), os.path.join(root, "etc/linked-symlink-again"),
                follow_symlinks=False)

    def sticky_tmp():
        os.makedirs(os.path.join(root, "tmp"))
        os.chmod(os.path.join(root, "tmp"), 0o1777)
    steps = [
        tool_and_link,
        lambda: write(os.path.join(root, "bin/group"), b"g", 0o2711),
        owned,
        lambda: write(os.path.join(root, "etc/big"), images.pseudo_random(700000, 9)),
        lambda: write(os.path.join(root, "etc/empty")),
        lambda: os.symlink("owned", os.path.join(root, "etc/rel-link")),
        lambda: os.symlink("/nowhere/at/all", os.path.join(root, "etc/dangling")),
        lambda: os.symlink("loop-b", os.path.join(root, "etc/loop-a")),       # a symlink loop
        lambda: os.symlink("loop-a", os.path.join(root, "etc/loop-b")),
        lambda: os.symlink(".", os.path.join(root, "etc/self")),              # a directory loop, as a link
        lambda: os.makedirs(os.path.join(root, "empty-dir")),
        sticky_tmp,
        lambda: write(os.path.join(root, "long", "n" * 150, "m" * 120), b"long name"),     # PAX path
        lambda: write(os.path.join(root, "unicode-\u00e9\u00e8"), "\u00e9".encode()),
        lambda: write(os.path.join(root, "spaces and\ttabs"), b"t"),
        fifo_and_links,
    ]
    for step in (reversed(steps) if reverse else steps):
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        step()
    os.symlink("x" * 200, os.path.join(root, "etc/long-target"))                  # PAX linkpath
    with open(os.path.join(root, "etc/xattrs"), "wb") as f:
        f.write(b"x")
    os.setxattr(os.path.join(root, "etc/xattrs"), "user.comment", b"hello")
    if ROOT:
        os.mknod(os.path.join(root, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.link(os.path.join(root, "null"), os.path.join(root, "null-again"))
        # a file capability (cap_net_bind_service+ep), as setcap writes it
        os.setxattr(os.path.join(root, "bin/group"), "security.capability",
                    b"\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")


class BuildCase(unittest.TestCase):
    """A store of the test's own and the programs to build on it."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-build-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        # every store a test leaves is judged by a checker that shares no code with libimage
        try:
            tool.assert_stores_sound(self, self.tmp)
        finally:
            remove_tree(self.tmp)

    def run_tool(self, name, *args, env=None, check=True, prefix=()):
        e = dict(env or ENV, LIBIMAGE_STORE=self.store)
        if env is None:
            e.pop("SOURCE_DATE_EPOCH", None)
        if prefix and prefix[0] == "faketime" and "address" in tool.SANITIZER:
            # libfaketime is preloaded before the ASan runtime: harmless, but ASan refuses to start
            e["ASAN_OPTIONS"] = ":".join(filter(None, (e.get("ASAN_OPTIONS"), "verify_asan_link_order=0")))
        p = subprocess.run([*prefix, os.path.join(tool.EXAMPLES, name), *map(str, args)], capture_output=True,
                           text=True, env=e, timeout=300)
        if check and p.returncode:
            raise AssertionError("%s %s (%d): %s" % (name, " ".join(map(str, args)), p.returncode, p.stderr))
        return p

    def digest_of(self, printed):
        return printed.strip().rsplit("@", 1)[-1]

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def blob(self, digest):
        return os.path.join(self.store, "blobs", "sha256", digest.split(":", 1)[1])

    def manifest(self, digest):
        with open(self.blob(digest)) as f:
            return json.load(f)

    def config(self, digest):
        with open(self.blob(self.manifest(digest)["config"]["digest"])) as f:
            return json.load(f)

    def tagged(self, ref):
        """The digest a tag of the store points at (ref as index.json names it, or familiar)."""
        first = ref.split("/")[0]
        if "/" not in ref:
            ref = "docker.io/library/" + ref
        elif "." not in first and ":" not in first and first != "localhost":
            ref = "docker.io/" + ref
        with open(os.path.join(self.store, "index.json")) as f:
            for m in json.load(f)["manifests"]:
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
                    return m["digest"]
        raise AssertionError("no tag " + ref)

    def unpack(self, image, dest, *opts):
        self.run_tool("limg-unpack", *opts, image, dest)

    def assertSameTree(self, a, b, skip=()):
        sa, sb = tree.snapshot(a), tree.snapshot(b)
        for path in skip:
            sa.pop(path, None)
            sb.pop(path, None)
        diff = tree.differences(sa, sb)
        self.assertEqual(diff, [], "\n".join(diff))


class Build(BuildCase):
    # -- reproducible --------------------------------------------------------------

    @unittest.skipUnless(HAVE_FAKETIME, "needs faketime")
    def test_same_inputs_same_digests_on_other_days_in_other_orders(self):
        one, two = self.path("one"), self.path("two")
        rich_tree(one)
        rich_tree(two, reverse=True)
        os.utime(os.path.join(one, "etc/owned"), (1, 1))                     # other times on disk
        digests = set()
        for src, day in ((one, "2021-03-04 05:06:07"), (two, "2034-11-12 13:14:15")):
            p = self.run_tool("limg-append", "-b", "scratch", "--dir", src, "--keep-owner", "-t", "repro:1",
                              prefix=("faketime", day))
            digests.add(self.digest_of(p.stdout))
        self.assertEqual(len(digests), 1, digests)
        # and through the description, with SOURCE_DATE_EPOCH: again one digest
        spec = self.path("spec.json")
        with open(spec, "w") as f:
            json.dump({"layers": [{"dir": "one", "owner": "keep"}], "config": {"Cmd": ["/bin/tool"]}}, f)
        env = dict(ENV, SOURCE_DATE_EPOCH=str(EPOCH))
        a = self.run_tool("limg-build", spec, env=env, prefix=("faketime", "2022-01-01 00:00:00")).stdout
        with open(spec, "w") as f:
            json.dump({"layers": [{"dir": "two", "owner": "keep"}], "config": {"Cmd": ["/bin/tool"]}}, f)
        b = self.run_tool("limg-build", spec, env=env, prefix=("faketime", "2030-01-01 00:00:00")).stdout
        self.assertEqual(a, b)

    def test_source_date_epoch_is_every_time(self):
        src = self.path("src")
        rich_tree(src)
        env = dict(ENV, SOURCE_DATE_EPOCH=str(EPOCH))
        d = self.digest_of(self.run_tool("limg-append", "-b", "scratch", "--dir", src, "--dir", src, "--prefix",
                                         "/copy", env=env).stdout)
        cfg = self.config(d)
        self.assertEqual(cfg["created"], EPOCH_TEXT)
        self.assertEqual([h["created"] for h in cfg["history"]], [EPOCH_TEXT, EPOCH_TEXT])
        for layer in self.manifest(d)["layers"]:
            with tarfile.open(self.blob(layer["digest"])) as t:
                members = t.getmembers()
                self.assertGreater(len(members), 20)
                self.assertEqual({m.mtime for m in members}, {EPOCH})
                self.assertEqual({(m.uid, m.gid, m.uname, m.gname) for m in members}, {(0, 0, "", "")})
                names = [m.name for m in members]
                self.assertEqual(names, sorted(names, key=lambda n: n.split("/")))  # each directory, then its contents

    # -- the same tree as the source ----------------------------------------------------

    @unittest.skipUnless(HAVE_UMOCI and ROOT, "needs umoci, as root")
    def test_unpacks_to_the_source_tree_under_umoci_and_limg_unpack(self):
        src = self.path("src")
        rich_tree(src)
        self.run_tool("limg-append", "-b", "scratch", "--dir", src, "--keep-owner", "-t", "tree:1")
        ours = self.path("ours")
        self.unpack("tree:1", ours)
        self.assertSameTree(src, ours)
        bundle = self.path("umoci")
        p = subprocess.run(["umoci", "unpack", "--image", "%s:docker.io/library/tree:1" % self.store, bundle],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertSameTree(src, os.path.join(bundle, "rootfs"))
        # the tree's facts group hard links of regular files only: the other kinds, one by one
        for root in (ours, os.path.join(bundle, "rootfs")):
            for a, b in (("run-fifo", "run-fifo-again"), ("etc/linked-symlink", "etc/linked-symlink-again"),
                         ("null", "null-again")):
                sa, sb = os.lstat(os.path.join(root, a)), os.lstat(os.path.join(root, b))
                self.assertEqual((sa.st_ino, sa.st_nlink), (sb.st_ino, 2), (root, a, b))

    @unittest.skipUnless(shutil.which("crun") and ROOT and os.path.exists(BUSYBOX), "needs crun and busybox, as root")
    def test_crun_runs_it(self):
        src = self.path("src")
        write(os.path.join(src, "bin/busybox"), read_file(BUSYBOX), 0o755)
        os.symlink("busybox", os.path.join(src, "bin/sh"))
        write(os.path.join(src, "etc/greeting"), b"built without a daemon\n")
        self.run_tool("limg-append", "-b", "scratch", "--dir", src, "-t", "run:1")
        self.run_tool("limg-mutate", "run:1", "--entrypoint", "/bin/sh,-c", "--cmd", "cat greeting; echo $WHO",
                      "--workdir", "/etc", "--env", "WHO=crun", "-t", "run:2")
        bundle = self.path("bundle")
        self.unpack("run:2", bundle, "--bundle")
        p = crun_run(bundle, "limg-build-%d" % os.getpid())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "built without a daemon\ncrun\n")

    @unittest.skipUnless(shutil.which("podman") and shutil.which("skopeo") and ROOT and os.path.exists(BUSYBOX),
                         "needs podman and skopeo, as root")
    def test_pushed_podman_runs_it_and_skopeo_shows_its_config(self):
        src = self.path("src")
        write(os.path.join(src, "bin/busybox"), read_file(BUSYBOX), 0o755)
        os.symlink("busybox", os.path.join(src, "bin/sh"))
        write(os.path.join(src, "app/hello"), b"hello from a built image\n")
        ref = "%s/build/podman:1" % reg.host
        spec = self.path("spec.json")
        with open(spec, "w") as f:
            json.dump({"layers": [{"dir": "src", "created_by": "COPY src /"}],
                       "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["cat /app/hello; id -u"],
                                  "Env": ["MODE=test"], "Labels": {"org.example.kind": "test"}, "User": "1234",
                                  "WorkingDir": "/app", "ExposedPorts": ["8080/tcp"], "Volumes": ["/data"],
                                  "StopSignal": "SIGINT",
                                  "Healthcheck": {"Test": ["CMD", "/bin/true"], "Interval": "30s", "Retries": 3}},
                       "annotations": {"org.opencontainers.image.source": "https://example.com/app"},
                       "tag": ref}, f)
        self.run_tool("limg-build", spec)
        self.run_tool("limg-push", "-q", ref)
        p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--config", "docker://" + ref],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        cfg = json.loads(p.stdout)["config"]
        self.assertEqual(cfg["Entrypoint"], ["/bin/sh", "-c"])
        self.assertEqual(cfg["Cmd"], ["cat /app/hello; id -u"])
        self.assertEqual(cfg["Env"], ["MODE=test"])
        self.assertEqual(cfg["Labels"], {"org.example.kind": "test"})
        self.assertEqual(cfg["User"], "1234")
        self.assertEqual(cfg["WorkingDir"], "/app")
        self.assertEqual(cfg["ExposedPorts"], {"8080/tcp": {}})
        self.assertEqual(cfg["Volumes"], {"/data": {}})
        self.assertEqual(cfg["StopSignal"], "SIGINT")
        # the OCI config has no Healthcheck field: skopeo shows it in the raw config
        raw_cfg = json.loads(subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "--config",
                                             "docker://" + ref], capture_output=True, text=True, env=ENV).stdout)
        self.assertEqual(raw_cfg["config"]["Healthcheck"],
                         {"Test": ["CMD", "/bin/true"], "Interval": 30000000000, "Retries": 3})
        raw = json.loads(subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref],
                                        capture_output=True, text=True, env=ENV).stdout)
        self.assertEqual(raw["annotations"]["org.opencontainers.image.source"], "https://example.com/app")
        root = self.path("podman")
        os.makedirs(root)
        auth = self.path("auth.json")
        with open(auth, "w") as f:
            f.write("{}")
        # this machine's cgroups: a private mount namespace without the v1 "unified" mount, no cgroups
        script = ('umount /sys/fs/cgroup/unified 2>/dev/null; exec podman --root "$1/r" --runroot "$1/rr" '
                  '--storage-driver vfs --cgroup-manager=cgroupfs run --rm --cgroups=disabled '
                  '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --tls-verify=false "$2"')
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", root, ref], capture_output=True, text=True,
                           env=dict(ENV, REGISTRY_AUTH_FILE=auth), timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello from a built image\n1234\n")

    # -- crane's verbs -----------------------------------------------------------------

    def serve(self, name, image):
        reg.push(name, "v1", image)
        ref = "%s/%s:v1" % (reg.host, name)
        self.run_tool("limg-pull", "-q", ref)
        return ref

    @unittest.skipUnless(ROOT, "needs root (devices and owners of the images)")
    def test_flatten_gives_what_unpacking_gives(self):
        cases = [("build/kinds", every_kind_image)]
        if not tool.SANITIZER:
            # 160 MB of this machine's files: checked once, in the plain build (the suite reruns it under
            # two sanitizers, where the small image exercises the same code)
            cases.insert(0, ("build/realistic", lambda: images.realistic_image(os.path.join(tool.BUILD, "bench-cache"))))
        for name, make in cases:
            image = make()
            ref = self.serve(name, image)
            d = self.digest_of(self.run_tool("limg-flatten", ref, "-t", name + ":flat").stdout)
            m, cfg = self.manifest(d), self.config(d)
            self.assertEqual(len(m["layers"]), 1)
            self.assertEqual(len(cfg["rootfs"]["diff_ids"]), 1)
            self.assertEqual(len(cfg["history"]), 1)
            old = self.config(self.tagged(ref))
            self.assertEqual(json.loads(cfg["history"][0]["comment"]), old.get("history", []))
            a, b = self.path(name.replace("/", "-") + "-image"), self.path(name.replace("/", "-") + "-flat")
            self.unpack(ref, a)
            self.unpack(name + ":flat", b)
            self.assertSameTree(a, b)

    def test_flatten_of_a_layer_naming_a_path_twice_keeps_the_last(self):
        E = images.entry
        image = images.Image([
            images.Layer.of_entries([E("etc", "dir"), E("etc/x", data=b"first"), E("etc/y", data=b"y"),
                                     E("etc/x", data=b"second", mode=0o600), E("etc", "dir", mode=0o750)]),
            images.Layer.of_entries([E("etc/z", data=b"z")]),
        ])
        ref = self.serve("build/twice", image)
        self.run_tool("limg-flatten", ref, "-t", "twice:flat")
        a, b = self.path("twice-image"), self.path("twice-flat")
        self.unpack(ref, a)
        self.unpack("twice:flat", b)
        self.assertEqual(read_file(os.path.join(b, "etc", "x")), b"second")
        self.assertEqual(stat.S_IMODE(os.lstat(os.path.join(b, "etc")).st_mode), 0o750)
        self.assertSameTree(a, b)
        # a directory that becomes a file in the same layer would take its children along: refused
        bad = images.Image([images.Layer.of_entries([E("d", "dir"), E("d/c", data=b"c"), E("d", data=b"file")])])
        p = self.run_tool("limg-flatten", self.serve("build/dir-then-file", bad), "-t", "bad:flat", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("names d twice, once as a directory", p.stderr)

    def test_flatten_of_an_index_keeps_its_stored_platforms(self):
        amd = images.Image(images.sample_layers("flat-amd", seed=3), arch="amd64")
        arm = images.Image(images.sample_layers("flat-arm", seed=4), arch="arm64", variant="v8")
        reg.push("build/multi", "v1", images.Index([amd, arm]))
        ref = "%s/build/multi:v1" % reg.host
        self.run_tool("limg-pull", "-q", "--platform", "linux/amd64", ref)
        d = self.digest_of(self.run_tool("limg-flatten", ref, "-t", "multi:flat").stdout)
        index = self.manifest(d)
        self.assertIn(index["mediaType"], ("application/vnd.oci.image.index.v1+json",
                                           "application/vnd.docker.distribution.manifest.list.v2+json"))
        self.assertEqual([e["platform"]["architecture"] for e in index["manifests"]], ["amd64"])
        child = index["manifests"][0]["digest"]
        self.assertEqual(len(self.manifest(child)["layers"]), 1)
        self.run_tool("limg-unpack", "--platform", "linux/amd64", "multi:flat", self.path("flat"))

    def test_rebase_is_building_on_the_new_base(self):
        for n, text in (("1", b"one\n"), ("2", b"two\n")):
            write(self.path("base" + n, "etc/os-release"), text)
            self.run_tool("limg-append", "-b", "scratch", "--dir", self.path("base" + n), "-t", "base:" + n)
        write(self.path("app", "app/run"), b"#!/bin/sh\n", 0o755)
        self.run_tool("limg-append", "-b", "base:1", "--dir", self.path("app"), "-t", "app:on1")
        built = self.digest_of(self.run_tool("limg-append", "-b", "base:2", "--dir", self.path("app"),
                                             "-t", "app:on2").stdout)
        rebased = self.digest_of(self.run_tool("limg-rebase", "app:on1", "--old-base", "base:1", "--new-base",
                                               "base:2", "-t", "app:rebased").stdout)
        self.assertEqual(rebased, built)
        self.assertEqual(self.manifest(rebased)["annotations"]["org.opencontainers.image.base.name"],
                         "docker.io/library/base:2")
        self.unpack("app:rebased", self.path("r"))
        self.unpack("app:on2", self.path("b"))
        self.assertSameTree(self.path("r"), self.path("b"))
        # not on that base: refused, nothing tagged
        p = self.run_tool("limg-rebase", "app:on1", "--old-base", "base:2", "--new-base", "base:1", "-t", "app:bad",
                          check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not based on base:2", p.stderr)
        self.assertEqual(self.run_tool("limg-images", "-q", "app:bad").stdout, "")

    @unittest.skipUnless(ROOT, "needs root (owners of the image)")
    def test_diff_is_umoci_repack(self):
        ref = self.serve("build/kinds", every_kind_image())
        rootfs = self.path("rootfs")
        self.unpack(ref, rootfs)
        # left alone: a layer with nothing in it
        d = self.digest_of(self.run_tool("limg-append", "-b", ref, "--diff", rootfs).stdout)
        with tarfile.open(self.blob(self.manifest(d)["layers"][-1]["digest"])) as t:
            self.assertEqual(t.getnames(), [])
        # changed: the layer makes the image's tree the directory
        with open(os.path.join(rootfs, "etc/owned"), "ab") as f:
            f.write(b"more\n")
        shutil.rmtree(os.path.join(rootfs, "secret"))
        os.remove(os.path.join(rootfs, "etc/big"))
        os.chmod(os.path.join(rootfs, "etc"), 0o700)
        os.chown(os.path.join(rootfs, "etc/nobody"), 1, 1)
        write(os.path.join(rootfs, "new/dir/file"), b"new\n")
        os.setxattr(os.path.join(rootfs, "etc/empty"), "user.added", b"1")
        d = self.digest_of(self.run_tool("limg-append", "-b", ref, "--diff", rootfs, "-t", "repacked:1").stdout)
        with tarfile.open(self.blob(self.manifest(d)["layers"][-1]["digest"])) as t:
            names = set(t.getnames())
        self.assertIn("etc/.wh.big", names)
        self.assertIn(".wh.secret", names)
        self.assertNotIn("bin/tool", names)  # unchanged: not in the layer
        self.unpack("repacked:1", self.path("again"))
        self.assertSameTree(rootfs, self.path("again"))

    def test_mutate_sets_and_keeps(self):
        write(self.path("src", "f"), b"f")
        self.run_tool("limg-append", "-b", "scratch", "--dir", self.path("src"), "-t", "m:1")
        self.run_tool("limg-mutate", "m:1", "--entrypoint", "a,b", "--cmd", "", "--env", "A=1", "--env", "B=2",
                      "--label", "x=y", "--user", "u", "--workdir", "/w", "--expose", "53/udp", "--volume", "/v",
                      "--stop-signal", "SIGQUIT", "--set-platform", "linux/arm64", "--annotation", "k=v", "-t", "m:2")
        d = self.tagged("m:2")
        cfg = self.config(d)
        c = cfg["config"]
        self.assertEqual((c["Entrypoint"], c["Cmd"], c["Env"], c["Labels"], c["User"], c["WorkingDir"]),
                         (["a", "b"], [], ["A=1", "B=2"], {"x": "y"}, "u", "/w"))
        self.assertEqual((c["ExposedPorts"], c["Volumes"], c["StopSignal"]), ({"53/udp": {}}, {"/v": {}}, "SIGQUIT"))
        self.assertEqual((cfg["architecture"], cfg["variant"]), ("arm64", "v8"))
        self.assertEqual(self.manifest(d)["annotations"], {"k": "v"})
        self.assertEqual(cfg["rootfs"], self.config(self.tagged("m:1"))["rootfs"])
        p = self.run_tool("limg-mutate", "nothing:here", "--user", "x", check=False)
        self.assertEqual((p.returncode, p.stderr), (1, "Error response from daemon: No such image: nothing:here\n"))
        p = self.run_tool("limg-mutate", "m:1", "--expose", "99999", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid port", p.stderr)

    def test_flags_read_as_the_other_programs(self):
        # docker's answers (examples/common.c) for arguments, unknown flags and required flags
        p = self.run_tool("limg-flatten", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith('"limg-flatten" requires exactly 1 argument.\n'
                                            "See 'limg-flatten --help'.\n\nUsage:  limg-flatten [OPTIONS] IMAGE\n"),
                        p.stderr)
        p = self.run_tool("limg-mutate", "a", "b", check=False)
        self.assertTrue(p.stderr.startswith('"limg-mutate" requires exactly 1 argument.\n'), p.stderr)
        p = self.run_tool("limg-append", "-b", "scratch", "--dir", self.tmp, "extra", check=False)
        self.assertTrue(p.stderr.startswith('"limg-append" accepts no arguments.\n'), p.stderr)
        p = self.run_tool("limg-append", "--dir", self.tmp, check=False)
        self.assertEqual((p.returncode, p.stderr), (1, 'Error: required flag(s) "base" not set (-b scratch for none)\n'
                                                       "See 'limg-append --help'.\n"))
        p = self.run_tool("limg-rebase", "x", "--old-base", "y", check=False)
        self.assertEqual((p.returncode, p.stderr), (1, 'Error: required flag(s) "new-base" not set\n'
                                                       "See 'limg-rebase --help'.\n"))
        os.mkdir(self.path("src"))
        self.run_tool("limg-append", "-b", "scratch", "--dir", self.path("src"), "-t", "y:1")
        p = self.run_tool("limg-rebase", "x", "--old-base", "y:1", "--new-base", "y:1", check=False)
        self.assertEqual((p.returncode, p.stderr), (1, "Error response from daemon: No such image: x:latest\n"))
        p = self.run_tool("limg-build", "--bogus", "f.json", check=False)
        self.assertEqual((p.returncode, p.stderr), (125, "unknown flag: --bogus\nSee 'limg-build --help'.\n"))
        self.assertEqual(self.run_tool("limg-append", "--help").stdout.splitlines()[0],
                         "Usage:  limg-append [OPTIONS] -b BASE (-f LAYER.tar | --dir DIR [--prefix PATH] | --diff DIR)...")

    # -- bad inputs -------------------------------------------------------------------

    def blobs(self):
        d = os.path.join(self.store, "blobs", "sha256")
        return set(os.listdir(d)) if os.path.isdir(d) else set()

    @unittest.skipUnless(ROOT, "needs root to bind-mount")
    def test_a_directory_mounted_inside_itself_is_refused(self):
        src = self.path("src")
        write(os.path.join(src, "f"), b"f")
        os.makedirs(os.path.join(src, "sub"))
        self.run_tool("limg-images")  # the store exists
        before = self.blobs()
        script = 'mount --bind "$1" "$1/sub" && exec "$2" -b scratch --dir "$1"'
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", src, os.path.join(tool.EXAMPLES, "limg-append")],
                           capture_output=True, text=True, env=dict(ENV, LIBIMAGE_STORE=self.store), timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("a directory found inside itself", p.stderr)
        self.assertEqual(self.blobs(), before)

    @unittest.skipUnless(ROOT, "needs root to become another user")
    def test_an_unreadable_file_is_named_and_nothing_is_stored(self):
        src = self.path("src")
        write(os.path.join(src, "readable"), b"r")
        write(os.path.join(src, "secret"), b"s", 0o600)
        os.chmod(self.tmp, 0o777)
        os.makedirs(self.store)
        os.chown(self.store, 65534, 65534)

        def nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        p = subprocess.run([os.path.join(tool.EXAMPLES, "limg-append"), "-b", "scratch", "--dir", src],
                           capture_output=True, text=True, env=dict(ENV, LIBIMAGE_STORE=self.store, HOME=self.tmp),
                           preexec_fn=nobody, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s/secret: cannot read: Permission denied" % src, p.stderr)
        self.assertEqual(self.blobs(), set())

    def test_paths_over_the_limit_are_refused(self):
        src = self.path("src")
        fd = os.open(self.tmp, os.O_RDONLY)
        os.mkdir("src", dir_fd=fd)
        for _ in range(17):  # 17 names of 255 bytes: past 4095, made beneath descriptors
            nxt = os.open("src" if _ == 0 else "d" * 255, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            os.mkdir("d" * 255, dir_fd=fd)
        os.close(fd)
        p = self.run_tool("limg-append", "-b", "scratch", "--dir", src, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("a path in the image would be longer than 4095 bytes: " + src, p.stderr)
        self.assertEqual(self.blobs(), set())
        # removed beneath descriptors too (rmtree's paths would be too long)
        fd = os.open(src, os.O_RDONLY)
        depth = 0
        while True:
            try:
                nxt = os.open("d" * 255, os.O_RDONLY, dir_fd=fd)
            except FileNotFoundError:
                break
            os.close(fd)
            fd, depth = nxt, depth + 1
        for _ in range(depth):
            parent = os.open("..", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir("d" * 255, dir_fd=fd)
        os.close(fd)

    def test_a_hundred_thousand_entries_in_flat_memory(self):
        def tree_of(root, dirs, files):
            for d in range(dirs):
                sub = os.path.join(root, "d%03d" % d)
                os.makedirs(sub)
                for f in range(files):
                    open(os.path.join(sub, "f%04d" % f), "wb").close()

        def peak(root):
            p = subprocess.run([os.path.join(tool.TOOLS, "peak_rss"), os.path.join(tool.EXAMPLES, "limg-append"),
                                "-b", "scratch", "--dir", root], capture_output=True, text=True,
                               env=dict(ENV, LIBIMAGE_STORE=self.store), timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            return int(p.stderr.split("peak_rss_kib ")[1].split()[0])
        # on a tmpfs when there is one: 100,000 files on this disk take a minute to make
        base = tempfile.mkdtemp(prefix="limg-build-", dir="/dev/shm" if os.path.isdir("/dev/shm") else self.tmp)
        try:
            small, big = os.path.join(base, "small"), os.path.join(base, "big")
            tree_of(small, 10, 100)      # 1,010 entries
            tree_of(big, 100, 1000)      # 100,100 entries
            a, b = peak(small), peak(big)
        finally:
            shutil.rmtree(base)
        # what grows is one directory's names (1,000 here), not the tree (under a sanitizer the
        # layers are still written, but its shadow memory is no measure)
        if not tool.SANITIZER:
            self.assertLess(b - a, 4 * 1024,
                            "peak RSS %d KiB for 1,010 entries, %d KiB for 100,100" % (a, b))

    def test_a_tar_that_is_no_tar_is_refused(self):
        bad = self.path("bad.tar")
        write(bad, b"this is not a tar file\n" * 40)
        p = self.run_tool("limg-append", "-b", "scratch", "-f", bad, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a valid tar", p.stderr)
        # and a good one, gzipped, is stored as it is
        good = self.path("good.tar.gz")
        write(good, images.gzip_bytes(images.tar_bytes({"a": b"a"}), 9))
        d = self.digest_of(self.run_tool("limg-append", "-b", "scratch", "-f", good).stdout)
        layer = self.manifest(d)["layers"][0]
        with open(good, "rb") as f:
            self.assertEqual(layer["digest"], images.sha256(f.read()))

    def test_a_bad_spec_says_where(self):
        spec = self.path("spec.json")
        for text, message in (('{"layers": [{"dir": "x", "prefix": 3}]}', "layers[0].prefix: not a string"),
                              ('{"config": {"Entrypont": []}}', 'config: unknown key "Entrypont"'),
                              ('{"base": "a", "base": "b"}', "not valid JSON"),
                              ('{"layers": [{"dir": "missing"}]}', "no such directory")):
            with open(spec, "w") as f:
                f.write(text)
            p = self.run_tool("limg-build", spec, check=False)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(message, p.stderr)



@unittest.skipUnless(ROOT, "needs root to give the base's directory another owner")
class BaseDirectories(BuildCase):
    """The directories a layer writes above its files (its prefix's, its whiteouts') are the
    base's own, as in the layers docker builds: a private directory of the base stays private."""

    def setUp(self):
        super().setUp()
        src = self.path("base")
        write(os.path.join(src, "secret", "f"), b"f")
        write(os.path.join(src, "usr", "lib", "libc.so"), b"c")
        os.symlink("usr/lib", os.path.join(src, "lib"))
        os.chmod(os.path.join(src, "secret"), 0o700)
        os.chown(os.path.join(src, "secret"), 1000, 1000)
        os.utime(os.path.join(src, "secret"), (EPOCH - 5, EPOCH - 5))
        self.run_tool("limg-append", "-b", "scratch", "--dir", src, "--keep-owner", "--times", "keep", "-t", "sec:1")
        self.app = self.path("app")
        write(os.path.join(self.app, "x"), b"x")

    def layer_entries(self, digest):
        """The top layer of image @digest: {name: TarInfo}."""
        layer = self.manifest(digest)["layers"][-1]["digest"]
        with tarfile.open(self.blob(layer)) as t:
            return {m.name.rstrip("/"): m for m in t.getmembers()}

    def assertSecretKept(self, root):
        st = os.lstat(os.path.join(root, "secret"))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o700, 1000, 1000))

    def unpacked_both_ways(self, image):
        self.unpack(image, self.path("ours"))
        roots = [self.path("ours")]
        if HAVE_UMOCI:
            p = subprocess.run(["umoci", "unpack", "--image", "%s:%s" % (self.store, image), self.path("umoci")],
                               capture_output=True, text=True, env=ENV)
            self.assertEqual(p.returncode, 0, p.stderr)
            roots.append(self.path("umoci", "rootfs"))
        return roots

    def test_a_prefix_beneath_a_private_directory_keeps_it_private(self):
        p = self.run_tool("limg-append", "-b", "sec:1", "--dir", self.app, "--prefix", "/secret/sub", "-t", "sec:2")
        entries = self.layer_entries(self.digest_of(p.stdout))
        self.assertEqual((entries["secret"].mode, entries["secret"].uid, entries["secret"].mtime),
                         (0o700, 1000, EPOCH - 5))
        for root in self.unpacked_both_ways("docker.io/library/sec:2"):
            self.assertSecretKept(root)
            self.assertEqual(read_file(os.path.join(root, "secret", "sub", "x")), b"x")

    def test_a_whiteout_beneath_a_private_directory_keeps_it_private(self):
        spec = self.path("spec.json")
        with open(spec, "w") as f:
            json.dump({"base": "sec:1", "layers": [{"dir": "app", "prefix": "/srv", "removed": ["/secret/f"]}]}, f)
        p = self.run_tool("limg-build", spec, "-t", "sec:3")
        entries = self.layer_entries(self.tagged("sec:3"))
        self.assertIn("secret/.wh.f", entries)
        self.assertEqual((entries["secret"].mode, entries["secret"].uid), (0o700, 1000), p.stdout)
        for root in self.unpacked_both_ways("docker.io/library/sec:3"):
            self.assertSecretKept(root)
            self.assertFalse(os.path.lexists(os.path.join(root, "secret", "f")))

    def test_a_prefix_through_a_symlink_of_the_base_is_refused(self):
        p = self.run_tool("limg-append", "-b", "sec:1", "--dir", self.app, "--prefix", "/lib/plugins", "-t", "sec:4",
                          check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("/lib is a symlink in the base sec:1", p.stderr)
        with self.assertRaises(AssertionError):
            self.tagged("sec:4")

    def test_from_scratch_the_parents_are_made_0755(self):
        p = self.run_tool("limg-append", "-b", "scratch", "--dir", self.app, "--prefix", "/secret/sub", "-t", "new:1")
        entries = self.layer_entries(self.digest_of(p.stdout))
        self.assertEqual((entries["secret"].mode, entries["secret"].uid), (0o755, 0))


if __name__ == "__main__":
    unittest.main()
