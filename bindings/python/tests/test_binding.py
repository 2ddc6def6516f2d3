# SPDX-License-Identifier: MIT
"""The Python binding against the real registry fixtures: every method, every
exception class, callbacks that raise, cancel by token and by SIGINT, threads,
close during a pull, memory, sessions with credentials per registry, the
error details (subject, object, HTTP status, registry code), archives as
bytes and file objects, `docker image inspect`'s attrs and history, loading
the library, and `pip install` into a fresh virtual environment."""
import base64
import ctypes
import gc
import hashlib
import io
import json
import os
import pathlib
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
ROOT = os.path.abspath(os.path.join(PKG, "..", ".."))
sys.path.insert(0, PKG)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import libimage  # noqa: E402
from libimage import _ffi  # noqa: E402
from fixtures import faultproxy, images, registry  # noqa: E402

BUILD = os.environ.get("LIMG_BUILD_DIR", os.path.join(ROOT, "build"))
SECRET = "python-Passw0rd"
reg = slow = None


SETTINGS = {"Entrypoint": ["/bin/hello"], "WorkingDir": "/srv", "User": "1000:1000", "StopSignal": "SIGQUIT",
            "ExposedPorts": {"8080/tcp": {}}, "Volumes": {"/data": {}},
            "Healthcheck": {"Test": ["CMD", "/bin/hello"], "Interval": 30000000000}}
HISTORY = [{"created": "2024-01-15T10:00:00Z", "created_by": "/bin/sh -c #(nop) ADD base", "author": "py-tests"},
           {"created": "2024-01-15T10:00:01Z", "created_by": "/bin/sh -c #(nop) ENV A=1", "empty_layer": True},
           {"created": "2024-01-15T10:00:02Z", "created_by": "/bin/sh -c #(nop) ADD app", "comment": "the app"}]


def with_history(img, history):
    """The image with another config history (config and manifest made again)."""
    cfg = dict(img.config_json, history=history)
    img.config_json = cfg
    img.config = images.Blob(json.dumps(cfg, sort_keys=True).encode(), img.config.media_type)
    manifest = json.loads(img.manifest.data)
    manifest["config"] = img.config.descriptor()
    img.manifest = images.Blob(json.dumps(manifest, sort_keys=True).encode(), img.manifest.media_type)
    return img


def setUpModule():
    global reg, slow
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    slow = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(slow.stop)
    reg.push("py/busybox", "v1", images.busybox_image())
    reg.push("py/app", "v1", images.Image(images.sample_layers("py-app"), labels={"tier": "app"}))
    reg.push("py/big", "v1", images.Image(images.sample_layers("py-big", size=3 << 20)))
    reg.push("py/index", "v1", images.Index([images.Image(images.sample_layers("py-index"))]))
    reg.push("py/settings", "v1", with_history(images.Image(images.sample_layers("py-settings"), labels={"a": "1"},
                                                            settings=SETTINGS, author="py-tests"), HISTORY))
    reg.push("py/multi", "a", images.Image(images.sample_layers("py-multi-a")))
    reg.push("py/multi", "b", images.Image(images.sample_layers("py-multi-b")))


def ref(name):
    return "%s/%s" % (reg.host, name)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-py-")
        self.store = libimage.Store(os.path.join(self.tmp, "store"))

    def tearDown(self):
        self.store.close()
        subprocess.run(["rm", "-rf", self.tmp])


def c_layouts(tmp):
    """The C compiler's layout of every struct _ffi declares: a C program made
    from _ffi.STRUCTS (so a field whose name C does not have fails to
    compile), built against include/ in @tmp."""
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <libimage/libimage.h>", "int main(void)", "{",
             '\tprintf("{");']
    for i, (name, cls) in enumerate(sorted(_ffi.STRUCTS.items())):
        fields = ", ".join('\\"%s\\": [%%zu, %%zu]' % f for f, _ in cls._fields_)
        args = ", ".join("offsetof(%s, %s), sizeof(((%s *)0)->%s)" % (name, f, name, f) for f, _ in cls._fields_)
        lines.append('\tprintf("%s\\"%s\\": {\\"sizeof\\": %%zu, \\"fields\\": {%s}}", sizeof(%s), %s);'
                     % (", " if i else "", name, fields, name, args))
    lines += ['\tprintf("}\\n");', "\treturn 0;", "}"]
    src, exe = os.path.join(tmp, "layouts.c"), os.path.join(tmp, "layouts")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    cc = shlex.split(os.environ.get("CC") or shutil.which("cc") or "gcc")
    p = subprocess.run(cc + ["-std=c99", "-Wall", "-Werror", "-I", os.path.join(ROOT, "include"), "-o", exe, src],
                       capture_output=True, text=True)
    if p.returncode:
        raise AssertionError("the layouts program does not compile (a field _ffi names that C has not?):\n"
                             + p.stderr)
    return json.loads(subprocess.run([exe], capture_output=True, text=True, check=True).stdout)


class Layouts(unittest.TestCase):
    def test_ctypes_structs_are_the_c_structs(self):
        with tempfile.TemporaryDirectory(prefix="py-layouts-") as tmp:
            c = c_layouts(tmp)
        ours = _ffi.STRUCTS
        for name in ("limg_buf", "limg_endpoint", "limg_registry_opts", "limg_store_opts", "limg_pull_opts",
                     "limg_pull_callbacks", "limg_images_iterator_opts", "limg_images_remove_opts",
                     "limg_store_gc_opts", "limg_tag_iterator_opts", "limg_push_opts", "limg_copy_opts",
                     "limg_archive_save_opts", "limg_archive_load_opts", "limg_id_map", "limg_unpack_opts",
                     "limg_registry_fetch_opts", "limg_registry_callbacks", "limg_archive_load_callbacks"):
            self.assertIn(name, ours)
        for name, cls in ours.items():
            self.assertEqual(ctypes.sizeof(cls), c[name]["sizeof"], name)
            for field, (offset, size) in c[name]["fields"].items():
                got = getattr(cls, field)
                self.assertEqual((got.offset, got.size), (offset, size), "%s.%s" % (name, field))
            if name not in ("limg_buf", "limg_id_map"):  # options and callbacks carry their size first
                self.assertEqual(cls._fields_[0][0], "size", name)
            if name.endswith("_callbacks"):  # ... and one payload last
                self.assertEqual(cls._fields_[-1][0], "payload", name)

    def test_the_layout_tool_agrees(self):
        """tests/tools/limg-test-layouts (the C side's own dump, shared with the
        Go binding) says the same for every struct both know."""
        tool = os.path.join(BUILD, "tests", "limg-test-layouts")
        if not os.access(tool, os.X_OK):
            self.skipTest("limg-test-layouts is not built")
        c = json.loads(subprocess.run([tool], capture_output=True, text=True, check=True).stdout)
        both = set(c) & set(_ffi.STRUCTS)
        self.assertIn("limg_pull_opts", both)
        for name in sorted(both):
            cls = _ffi.STRUCTS[name]
            self.assertEqual(ctypes.sizeof(cls), c[name]["sizeof"], name)
            self.assertEqual(set(c[name]["fields"]), {f for f, _ in cls._fields_}, name)
            for field, (offset, size) in c[name]["fields"].items():
                got = getattr(cls, field)
                self.assertEqual((got.offset, got.size), (offset, size), "%s.%s" % (name, field))


class References(unittest.TestCase):
    def test_docker_reading(self):
        r = libimage.Reference.parse("redis")
        self.assertEqual(str(r), "docker.io/library/redis:latest")
        self.assertEqual((r.domain, r.path, r.tag, r.digest), ("docker.io", "library/redis", "latest", None))
        self.assertEqual(r.familiar, "redis:latest")
        self.assertEqual(libimage.Reference.parse("redis", "normalized").tag, None)
        self.assertEqual(libimage.Reference.parse(b"ghcr.io/o/r:1").domain, "ghcr.io")
        self.assertTrue(libimage.Reference.parse("redis:7").familiar_match("redis"))

    def test_bad_input(self):
        with self.assertRaises(libimage.InvalidReferenceError) as e:
            libimage.Reference.parse("Redis")
        self.assertIsInstance(e.exception, ValueError)
        self.assertEqual(e.exception.name, "LIMG_EREF_UPPERCASE")
        self.assertEqual(e.exception.code, _ffi.CODES["LIMG_EREF_UPPERCASE"])
        self.assertIn("must be lowercase", str(e.exception))
        with self.assertRaises(libimage.InvalidReferenceError):
            libimage.Reference.parse("redis", mode="canonical")
        with self.assertRaises(ValueError):
            libimage.Reference.parse("alpine\x00:evil")
        with self.assertRaises(TypeError):
            libimage.Reference.parse(None)
        with self.assertRaises(TypeError):
            libimage.Reference.parse(42)
        with self.assertRaises(ValueError):
            libimage.Reference.parse("redis", mode="sloppy")

    def test_version_and_platform(self):
        self.assertRegex(libimage.version(), r"^\d+\.\d+\.\d+$")
        self.assertTrue(libimage.version().startswith("1."))
        self.assertRegex(libimage.platform(), r"^linux/")


class Images(Base):
    def test_pull_get_images(self):
        events = []
        img = self.store.pull(ref("py/app:v1"), progress=events.append)
        self.assertIsInstance(img, libimage.Image)
        self.assertTrue(img.id.startswith("sha256:"))
        self.assertEqual(img.short_id, img.id[7:19])
        self.assertEqual(img.tags, [ref("py/app:v1")])
        self.assertFalse(img.up_to_date)
        self.assertEqual(img.config.labels, {"tier": "app"})
        self.assertEqual(img.config.cmd, ["sh"])
        self.assertEqual(len(img.layers), 2)
        self.assertTrue(all(l.diff_id and l.diff_id.startswith("sha256:") for l in img.layers))
        self.assertEqual(img.attrs["Os"], "linux")
        self.assertEqual(json.loads(img.config_bytes)["os"], "linux")  # the config as stored
        self.assertEqual(img.created.tzinfo is not None, True)
        self.assertIn(libimage.PullEvent.COMPLETE, {e.event for e in events})
        self.assertIn(libimage.BlobKind.LAYER, {e.kind for e in events})
        again = self.store.pull(ref("py/app:v1"))
        self.assertTrue(again.up_to_date)
        rows = self.store.images()
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row.repository, row.tag, row.image_id), (ref("py/app"), "v1", img.id))
        self.assertIsNotNone(row.created.tzinfo)
        self.assertGreater(row.size, 0)
        self.assertEqual(self.store.get(img.short_id).id, img.id)  # an ID prefix
        self.assertEqual(self.store.get(ref("py/app:v1")).digest, img.digest)

    def test_filters_are_the_c_librarys(self):
        self.store.pull(ref("py/app:v1"))
        self.store.pull(ref("py/busybox:v1"))
        self.assertEqual(len(self.store.images(filters={"label": "tier=app"})), 1)
        self.assertEqual(len(self.store.images(filters=["label!=tier"])), 1)
        self.assertEqual([r.tag for r in self.store.images(filters={"reference": "*/py/busybox"})], ["v1"])
        self.assertEqual(self.store.images(filters={"dangling": True}), [])
        with self.assertRaises(libimage.LibimageError) as e:
            self.store.images(filters=["color=blue"])
        self.assertIn("invalid filter", str(e.exception))
        with self.assertRaises(TypeError):
            self.store.images(filters="label=x")

    def test_tag_untag_remove(self):
        img = self.store.pull(ref("py/app:v1"))
        self.store.tag(ref("py/app:v1"), "mine:py")
        self.assertEqual(sorted(r.tag for r in self.store.images()), ["py", "v1"])
        with self.assertRaises(libimage.ConflictError):
            self.store.remove(img.short_id)  # tags in two repositories
        with self.assertRaises(ValueError):
            self.store.remove("mine:py\x00-but-not-this")
        self.assertEqual(len(self.store.images()), 2)  # nothing was cut at the NUL and removed
        self.store.untag("mine:py")
        self.assertEqual([r.tag for r in self.store.images()], ["v1"])
        self.store.tag(ref("py/app:v1"), "mine:py")
        steps = self.store.remove(img.id, force=True)
        self.assertEqual([str(s) for s in steps if s.event == libimage.RemoveEvent.DELETED], ["Deleted: " + img.id])
        self.assertEqual({s.event for s in steps}, {libimage.RemoveEvent.UNTAGGED, libimage.RemoveEvent.DELETED})
        with self.assertRaises(libimage.NotFoundError) as e:
            self.store.get(img.id)
        self.assertEqual(e.exception.name, "LIMG_ENOTFOUND")
        self.assertEqual(self.store.gc(), [])

    def test_fsck_finds_a_damaged_blob(self):
        img = self.store.pull(ref("py/app:v1"))
        self.assertEqual(self.store.fsck(), [])
        blob = os.path.join(self.store.path, "blobs", "sha256", img.layers[1].digest[7:])
        os.chmod(blob, 0o644)
        with open(blob, "r+b") as f:
            f.write(b"\0\0\0\0")
        problems = self.store.fsck()
        self.assertEqual([p.subject for p in problems], [img.layers[1].digest])

    def test_paths_and_types(self):
        with libimage.Store(pathlib.Path(self.tmp) / "other") as s:
            self.assertEqual(s.images(), [])
        with self.assertRaises(TypeError):
            libimage.Store(42)
        with self.assertRaises(ValueError):
            libimage.Store("/tmp/x\x00y")
        with self.assertRaises(TypeError):
            self.store.get(None)
        with self.assertRaises(libimage.NotFoundError):
            self.store.pull(ref("py/nothing:v1"))
        with self.assertRaises(libimage.PlatformError):
            self.store.pull(ref("py/index:v1"), platform="linux/s390x")


class Callbacks(Base):
    def test_raising_at_every_event_stops_and_is_raised(self):
        class Stop(Exception):
            pass
        seen = set()
        for event in (libimage.PullEvent.WAITING, libimage.PullEvent.DOWNLOADING, libimage.PullEvent.DOWNLOADED,
                      libimage.PullEvent.COMPLETE):
            def progress(ev, event=event):
                seen.add(ev.event)
                if ev.event == event:
                    raise Stop(event)
            # a store of its own for each event: a layer that finished beside an earlier stop
            # (a busy machine lets one) would have no event to stop at in a shared one
            with libimage.Store(os.path.join(self.tmp, "store-%d" % int(event))) as store:
                with self.assertRaises(Stop) as e:
                    store.pull(ref("py/big:v1"), progress=progress)
                self.assertEqual(e.exception.args[0], event)
                # what was left is consistent, and resumes
                img = store.pull(ref("py/big:v1"))
                self.assertEqual(store.fsck(), [])
                self.assertEqual(store.get(img.id).id, img.id)
        self.assertTrue(seen)

    def test_return_values_mean_nothing(self):
        img = self.store.pull(ref("py/app:v1"), progress=lambda ev: True)
        self.assertTrue(img.id.startswith("sha256:"))

    def test_keyboard_interrupt_in_a_callback_is_not_swallowed(self):
        def progress(ev):
            raise KeyboardInterrupt
        with self.assertRaises(KeyboardInterrupt):
            self.store.pull(ref("py/app:v1"), progress=progress)

    def test_credentials_callback_raising(self):
        tls = registry.Registry(tls=True, users={"bob": SECRET})
        self.addCleanup(tls.stop)
        tls.push("py/secure", "v1", images.Image(images.sample_layers("py-secure")))

        def creds(host):
            raise RuntimeError("no keyring")
        cfg = libimage.RegistryConfig(credentials=creds, ca_file=tls.ca.cert_path)
        with self.assertRaises(RuntimeError):
            self.store.pull("%s/py/secure:v1" % tls.host, registry=cfg)


class Cancellation(Base):
    def test_cancel_from_another_thread(self):
        slow.clear()
        slow.add(r"/blobs/sha256:", "slow", times=-1, method="GET", rate=200000)
        token = libimage.Cancel()
        threading.Timer(0.5, token.cancel).start()
        start = time.monotonic()
        with self.assertRaises(libimage.CancelledError):
            self.store.pull("%s/py/big:v1" % slow.host, cancel=token)
        self.assertLess(time.monotonic() - start, 5)
        self.assertTrue(token.cancelled)
        slow.clear()

    def test_ctrl_c_cancels_promptly(self):
        slow.clear()
        slow.add(r"/blobs/sha256:", "slow", times=-1, method="GET", rate=100000)
        code = ("import sys, libimage\n"
                "s = libimage.Store(sys.argv[1])\n"
                "try:\n"
                "    s.pull(sys.argv[2], progress=lambda e: print('started', flush=True))\n"
                "except KeyboardInterrupt:\n"
                "    print('interrupted', flush=True)\n"
                "    print(len(s.fsck()), flush=True)\n"
                "    sys.exit(3)\n")
        env = dict(os.environ, PYTHONPATH=PKG)
        p = subprocess.Popen([sys.executable, "-c", code, os.path.join(self.tmp, "sigint"), "%s/py/big:v1" % slow.host],
                             stdout=subprocess.PIPE, text=True, env=env)
        self.assertEqual(p.stdout.readline().strip(), "started")
        time.sleep(0.3)
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        self.assertLess(time.monotonic() - sent, 3, "Ctrl-C took too long")
        self.assertEqual(p.returncode, 3)
        self.assertIn("interrupted", out)
        self.assertEqual(out.strip().splitlines()[-1], "0")  # fsck: nothing damaged
        slow.clear()


class Threads(Base):
    def test_threads_pulling_tagging_removing(self):
        failures = []

        def work(i):
            try:
                for _ in range(3):
                    self.store.pull(ref("py/app:v1" if i % 2 else "py/busybox:v1"))
                    self.store.tag(ref("py/app:v1") if i % 2 else ref("py/busybox:v1"), "t%d:x" % i)
                    self.store.images()
                    self.store.untag("t%d:x" % i)
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append(repr(e))
        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(self.store.fsck(), [])

    def test_close_during_a_pull(self):
        slow.clear()
        slow.add(r"/blobs/sha256:", "slow", times=-1, method="GET", rate=200000)
        box = {}

        def pull():
            try:
                self.store.pull("%s/py/big:v1" % slow.host)
            except Exception as e:  # noqa: BLE001 - checked below
                box["error"] = e
        t = threading.Thread(target=pull)
        t.start()
        time.sleep(0.5)
        self.store.close()
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertIsInstance(box.get("error"), libimage.CancelledError)
        with self.assertRaises(libimage.LibimageError) as e:
            self.store.images()
        self.assertIn("closed", str(e.exception))
        slow.clear()
        with libimage.Store(os.path.join(self.tmp, "store")) as again:  # and the store is whole
            self.assertEqual(again.fsck(), [])


class Registries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tls = registry.Registry(tls=True, users={"bob": SECRET})
        cls.addClassCleanup(cls.tls.stop)
        cls.img = images.Image(images.sample_layers("py-tls"))
        cls.tls.push("team/secure", "v1", cls.img)

    def test_plain_registry(self):
        with libimage.Registry(reg.host) as r:
            self.assertEqual(r.tags("py/app"), ["v1"])
            self.assertIn("py/app", r.catalog())
            m = r.manifest("py/app:v1")
            self.assertEqual(m.json()["schemaVersion"], 2)
            self.assertEqual(r.head("py/app:v1").digest, m.digest)
            layer = m.json()["layers"][0]
            data = r.blob("py/app", layer["digest"], layer["size"])
            self.assertEqual(len(data), layer["size"])
            with self.assertRaises(libimage.NotFoundError):
                r.manifest("py/app:nope")
        # paced: one request in flight at a time, ten a second
        with libimage.Registry(reg.host, libimage.RegistryConfig(max_connections=1,
                                                                 max_requests_per_second=10)) as r:
            self.assertEqual(r.tags("py/app"), ["v1"])
        with self.assertRaises(libimage.InvalidArgumentError):
            libimage.Registry(reg.host, libimage.RegistryConfig(max_connections=-1))

    def test_credentials_and_ca(self):
        with self.assertRaises(libimage.TLSError):  # (loopback is trusted without TLS checks unless told not to)
            libimage.Registry(self.tls.host, libimage.RegistryConfig(insecure=False)).tags("team/secure")
        cfg = libimage.RegistryConfig(ca_file=self.tls.ca.cert_path, docker_config_dir="")
        with self.assertRaises(libimage.AuthError) as e:
            libimage.Registry(self.tls.host, cfg).tags("team/secure")
        self.assertIn("requires a user name and password", str(e.exception))
        for creds in ({self.tls.host: ("bob", SECRET)}, lambda host: ("bob", SECRET)):
            cfg = libimage.RegistryConfig(ca_file=self.tls.ca.cert_path, credentials=creds)
            with libimage.Registry(self.tls.host, cfg) as r:
                self.assertEqual(r.tags("team/secure"), ["v1"])
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump({"auths": {self.tls.host: {"auth": base64.b64encode(b"bob:" + SECRET.encode()).decode()}}},
                          f)
            cfg = libimage.RegistryConfig(ca_file=self.tls.ca.cert_path, docker_config_dir=d)
            with libimage.Store(os.path.join(d, "store")) as s:
                self.assertEqual(s.pull("%s/team/secure:v1" % self.tls.host, registry=cfg).id, self.img.config.digest)


class OtherDirection(Base):
    def test_push_copy_save_load_unpack(self):
        self.store.pull(ref("py/busybox:v1"))
        self.store.tag(ref("py/busybox:v1"), ref("py/pushed:v2"))
        events = []
        digest = self.store.push(ref("py/pushed:v2"), progress=events.append)
        self.assertTrue(digest.startswith("sha256:"))
        self.assertIn(libimage.PushEvent.MANIFEST, {e.event for e in events})
        self.assertEqual(libimage.copy(ref("py/pushed:v2"), ref("py/copied:v3")), digest)
        archive = os.path.join(self.tmp, "saved.tar")
        self.store.save(ref("py/busybox:v1"), archive)
        buf = io.BytesIO()
        with open(os.path.join(self.tmp, "saved2.tar"), "wb") as f:
            self.store.save([ref("py/busybox:v1")], f)
        with libimage.Store(os.path.join(self.tmp, "loaded")) as other:
            loaded = other.load(archive)
            self.assertEqual([l.reference for l in loaded], [ref("py/busybox:v1")])
            with open(os.path.join(self.tmp, "saved2.tar"), "rb") as f:
                self.assertEqual(len(other.load(f)), 1)
            root = os.path.join(self.tmp, "root")
            ev = []
            other.unpack(ref("py/busybox:v1"), root, progress=ev.append)
            self.assertTrue(os.path.isfile(os.path.join(root, "bin", "busybox")))
            self.assertIn(libimage.UnpackEvent.LAYER_DONE, {e.event for e in ev})
            bundle = pathlib.Path(self.tmp) / "bundle"
            other.unpack(ref("py/busybox:v1"), bundle, bundle=True)
            self.assertTrue((bundle / "config.json").is_file())
        del buf


class PullUnpack(Base):
    def test_pull_unpack_in_one_pass(self):
        root = os.path.join(self.tmp, "root")
        ev = []
        img = self.store.pull_unpack(ref("py/busybox:v1"), root, progress=ev.append)
        self.assertEqual(img.id, self.store.get(ref("py/busybox:v1")).id)
        self.assertGreater(img.bytes_downloaded, 0)
        self.assertTrue(os.path.isfile(os.path.join(root, "bin", "busybox")))
        self.assertRaises(OSError, os.getxattr, root, "user.libimage.incomplete")
        self.assertIn(libimage.UnpackEvent.LAYER_DONE, {e.event for e in ev})
        # stored whole: the two-pass path agrees
        other = os.path.join(self.tmp, "other")
        self.store.unpack(ref("py/busybox:v1"), other)
        self.assertEqual(sorted(os.listdir(root)), sorted(os.listdir(other)))
        bundle = pathlib.Path(self.tmp) / "bundle"
        again = self.store.pull_unpack(ref("py/busybox:v1"), bundle, bundle=True)
        self.assertTrue(again.up_to_date)
        self.assertTrue((bundle / "config.json").is_file())

    def test_discard_layers_and_failures(self):
        root = os.path.join(self.tmp, "root")
        self.store.pull_unpack(ref("py/app:v1"), root, discard_layers=True)
        self.assertTrue(os.listdir(root))
        # the image is stored, its layers not: unpack says why
        with self.assertRaises(libimage.NotFoundError) as e:
            self.store.unpack(ref("py/app:v1"), os.path.join(self.tmp, "again"))
        self.assertIn("discarded once it was unpacked", str(e.exception))
        self.store.gc()  # a gc keeps knowing why they are missing
        with self.assertRaises(libimage.NotFoundError) as e:
            self.store.unpack(ref("py/app:v1"), os.path.join(self.tmp, "again"))
        self.assertIn("discarded once it was unpacked", str(e.exception))
        full = os.path.join(self.tmp, "full")
        os.makedirs(full)
        open(os.path.join(full, "mine"), "w").close()
        with self.assertRaises(libimage.ExistsError):
            self.store.pull_unpack(ref("py/busybox:v1"), full)
        self.assertEqual(os.listdir(full), ["mine"])


class Memory(Base):
    def test_memory_stays_flat(self):
        self.store.pull(ref("py/app:v1"))

        def rounds(n):
            for _ in range(n):
                libimage.Reference.parse("ghcr.io/org/app:1")
                self.store.images()
                self.store.get(ref("py/app:v1"))
                try:
                    self.store.get("nothing-here")
                except libimage.NotFoundError:
                    pass
        rounds(300)
        gc.collect()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rounds(3000)
        gc.collect()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.assertLess(after - before, 8 * 1024, "peak RSS grew by %d KiB over 3000 rounds" % (after - before))


class ErrorDetails(Base):
    """What a failure was about and what the registry said reach Python."""

    def test_a_missing_tag_is_404_manifest_unknown(self):
        with self.assertRaises(libimage.NotFoundError) as e:
            self.store.pull(ref("py/app:nope"))
        x = e.exception
        self.assertEqual((x.name, x.code), ("LIMG_ENOTFOUND", _ffi.CODES["LIMG_ENOTFOUND"]))
        self.assertEqual((x.http_status, x.registry_code, x.subject), (404, "MANIFEST_UNKNOWN", "MANIFEST"))
        self.assertIn("nope", x.object)
        self.assertNotIsInstance(x, libimage.ImageNotFoundError)
        with libimage.Registry(reg.host) as r:
            with self.assertRaises(libimage.NotFoundError) as e:
                r.manifest("py/app:nope")
            self.assertEqual((e.exception.http_status, e.exception.registry_code), (404, "MANIFEST_UNKNOWN"))
            with self.assertRaises(libimage.NotFoundError) as e:
                r.tags("py/never-pushed")
            self.assertEqual((e.exception.http_status, e.exception.subject), (404, "REPOSITORY"))
            self.assertEqual(e.exception.registry_code, "NAME_UNKNOWN")

    def test_no_such_image_names_it(self):
        with self.assertRaises(libimage.ImageNotFoundError) as e:
            self.store.get("nothing-here")
        x = e.exception
        self.assertIsInstance(x, libimage.NotFoundError)
        self.assertEqual((x.subject, x.object, x.http_status, x.registry_code, x.retry_after),
                         ("IMAGE", "nothing-here", 0, "", None))
        self.assertIn("nothing-here", repr(x))

    def test_no_store_there(self):
        missing = os.path.join(self.tmp, "missing")
        with self.assertRaises(libimage.NotFoundError) as e:
            libimage.Store(missing, create=False)
        self.assertEqual((e.exception.subject, e.exception.object), ("STORE", missing))
        self.assertFalse(os.path.exists(missing))  # reading made nothing
        with libimage.Store(missing) as s:  # creating does
            self.assertEqual(s.images(), [])
        with libimage.Store(missing, create=False) as s:
            self.assertEqual(s.images(), [])

    def test_read_only_store_changes_nothing(self):
        self.store.pull(ref("py/app:v1"))
        path = self.store.path
        self.store.close()

        def state():
            return sorted((os.path.relpath(os.path.join(d, n), path), os.lstat(os.path.join(d, n)).st_mtime_ns)
                          for d, dirs, files in os.walk(path) for n in dirs + files)
        before = state()
        with libimage.Store(path, read_only=True) as s:
            self.assertEqual([r.repository for r in s.images()], [ref("py/app")])
            with self.assertRaises(libimage.InvalidArgumentError) as e:
                s.tag(ref("py/app:v1"), "mine:ro")
            self.assertEqual(e.exception.subject, "STORE")
        self.assertEqual(state(), before)  # nothing created, changed or cached
        missing = os.path.join(self.tmp, "missing")
        with self.assertRaises(libimage.NotFoundError) as e:
            libimage.Store(missing, read_only=True)
        self.assertEqual(e.exception.subject, "STORE")
        self.assertFalse(os.path.exists(missing))

    def test_default_path_is_the_librarys(self):
        from unittest import mock
        env = {k: v for k, v in os.environ.items() if k not in ("LIBIMAGE_STORE", "XDG_DATA_HOME", "HOME")}
        with mock.patch.dict(os.environ, env, clear=True):
            with self.assertRaises(libimage.NotFoundError) as e:
                libimage.Store.default_path()
            self.assertEqual(e.exception.subject, "STORE")
            os.environ["HOME"] = "/home/someone"
            self.assertEqual(libimage.Store.default_path(), "/home/someone/.local/share/libimage")
            os.environ["XDG_DATA_HOME"] = "/xdg"
            self.assertEqual(libimage.Store.default_path(), "/xdg/libimage")
            os.environ["LIBIMAGE_STORE"] = os.path.join(self.tmp, "default")
            self.assertEqual(libimage.Store.default_path(), os.path.join(self.tmp, "default"))
            with libimage.Store.default() as s:
                self.assertEqual(s.path, os.path.join(self.tmp, "default"))

    def test_codes_and_subjects_come_from_the_library(self):
        from libimage import errors
        for name in list(errors.BY_NAME) + [n for n, _ in errors.BY_SUBJECT]:
            self.assertIn(name, _ffi.CODES)
        for name, code in _ffi.CODES.items():
            self.assertEqual(_ffi.lib.limg_error_name(code).decode(), name)
            self.assertLessEqual(code, 0)
        subjects = {_ffi.subject_name(v) for v in _ffi.SUBJECT_NAMES}
        for _, subject in errors.BY_SUBJECT:
            self.assertIn(subject, subjects)
        self.assertTrue({"IMAGE", "TAG", "BLOB", "MANIFEST", "REPOSITORY", "REGISTRY", "CREDENTIALS", "CERTIFICATE",
                         "STORE"} <= subjects)
        self.assertIsNone(_ffi.subject_name(0))
        for prefix, _ in errors.BY_PREFIX:
            self.assertTrue(any(n.startswith(prefix) for n in _ffi.CODES), prefix)

    def test_no_error_number_is_copied_from_c(self):
        """The package spells no negative number but -1 (an unknown size, no
        descriptor) and its own callback codes (below -10000, errors.h)."""
        pkg = os.path.join(PKG, "libimage")
        for name in sorted(os.listdir(pkg)):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(pkg, name), "rb") as f:
                tokens = [t for t in tokenize.tokenize(f.readline) if t.type not in (tokenize.NL, tokenize.COMMENT)]
            for a, b in zip(tokens, tokens[1:]):
                if a.type == tokenize.OP and a.string == "-" and b.type == tokenize.NUMBER:
                    self.assertIn(b.string, ("1", "10001"), "%s:%d: -%s" % (name, b.start[0], b.string))


class UnknownValues(unittest.TestCase):
    def test_unknown_events_and_kinds_never_raise_in_a_callback(self):
        got = []
        calls = _ffi.Calls()
        progress = _ffi._progress(calls, libimage.types.progress_of(got.append))
        # called through the C thunk, as a newer library would call it
        self.assertEqual(progress(b"sha256:" + b"a" * 64, 77, 999, 1, 2, b"x", None), 0)
        self.assertEqual(progress(None, 1, 3, 5, 10, None, None), 0)
        calls.check(0)
        self.assertEqual((got[0].kind, got[0].event, got[0].detail), (77, 999, "x"))
        self.assertNotIsInstance(got[0].event, libimage.Event)
        self.assertIs(got[1].event, libimage.Event.DOWNLOADING)
        self.assertIs(got[1].kind, libimage.BlobKind.LAYER)
        self.assertEqual(libimage.types.enum_of(libimage.RemoveEvent, 9), 9)

    def test_the_events_of_0x_keep_their_names(self):
        self.assertIs(libimage.PushEvent.MANIFEST, libimage.Event.MANIFEST_PUT)
        self.assertIs(libimage.UnpackEvent.LAYER, libimage.Event.LAYER_START)
        self.assertIs(libimage.PullProgress, libimage.Progress)


class Inspect(Base):
    def test_attrs_are_docker_image_inspect(self):
        img = self.store.pull(ref("py/settings:v1"))
        a = img.attrs
        self.assertEqual(a["Id"], img.id)
        self.assertEqual(a["RepoTags"], [ref("py/settings:v1")])
        self.assertEqual(a["RepoDigests"], ["%s@%s" % (ref("py/settings"), img.digest)])
        self.assertEqual((a["Created"], a["Architecture"], a["Os"], a["Author"]),
                         ("2024-01-15T10:00:00Z", "amd64", "linux", "py-tests"))
        c = a["Config"]
        self.assertEqual(c["Env"], ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        self.assertEqual((c["Cmd"], c["Entrypoint"]), (["sh"], ["/bin/hello"]))
        self.assertEqual((c["WorkingDir"], c["User"], c["StopSignal"]), ("/srv", "1000:1000", "SIGQUIT"))
        self.assertEqual(c["Labels"], {"a": "1"})
        self.assertEqual((c["ExposedPorts"], c["Volumes"]), ({"8080/tcp": {}}, {"/data": {}}))
        self.assertEqual(c["Healthcheck"]["Test"], ["CMD", "/bin/hello"])  # what the accessors do not cover
        self.assertEqual(a["RootFS"], {"Type": "layers", "Layers": [l.diff_id for l in img.layers]})
        self.assertEqual(a["Size"], img.size)
        self.assertGreater(img.size, 0)
        self.assertEqual((img.config.entrypoint, img.config.working_dir, img.config.stop_signal),
                         (["/bin/hello"], "/srv", "SIGQUIT"))
        self.assertEqual(img.labels, {"a": "1"})
        self.assertEqual(img.repo_digests, a["RepoDigests"])
        plain = self.store.pull(ref("py/app:v1")).attrs["Config"]
        self.assertIsNone(plain["Entrypoint"])  # as docker shows an absent one

    def test_history_is_docker_history(self):
        img = self.store.pull(ref("py/settings:v1"))
        h = img.history()
        self.assertEqual([e["CreatedBy"] for e in h], ["/bin/sh -c #(nop) ADD app", "/bin/sh -c #(nop) ENV A=1",
                                                       "/bin/sh -c #(nop) ADD base"])
        self.assertEqual([e["Id"] for e in h], [img.id, "<missing>", "<missing>"])
        self.assertEqual((h[0]["Tags"], h[1]["Tags"]), ([ref("py/settings:v1")], None))
        # SIZE is what the layer unpacks to, as docker history shows it (and limg-history)
        self.assertEqual((h[0]["Comment"], h[0]["Layer"], h[0]["Size"]),
                         ("the app", img.layers[1].digest, img.layers[1].uncompressed_size))
        self.assertGreater(img.layers[1].uncompressed_size, img.layers[1].size)  # a tar of text, gzipped
        self.assertEqual((h[1]["EmptyLayer"], h[1]["Size"], h[1]["Layer"]), (True, 0, None))
        self.assertEqual((h[2]["Author"], h[2]["Layer"], h[2]["Created"]), ("py-tests", img.layers[0].digest,
                                                                             1705312800))

    def test_image_tag_save_reload(self):
        img = self.store.pull(ref("py/app:v1"))
        self.assertTrue(img.tag("mine/app", "v2"))
        self.assertTrue(img.tag("mine/other"))
        self.assertEqual(self.store.get("mine/app:v2").id, img.id)
        self.assertEqual(sorted(img.reload().tags), sorted([ref("py/app:v1"), "mine/app:v2", "mine/other:latest"]))
        data = img.save()
        with libimage.Store(os.path.join(self.tmp, "other")) as other:
            self.assertEqual([l.image_id for l in other.load(data)], [img.id])

    def test_pull_all_tags(self):
        pulled = self.store.pull(ref("py/multi"), all_tags=True)
        self.assertEqual(sorted(t for i in pulled for t in i.tags), [ref("py/multi:a"), ref("py/multi:b")])
        self.assertEqual(len({i.id for i in pulled}), 2)
        with self.assertRaises(ValueError):
            self.store.pull(ref("py/multi:a"), all_tags=True)
        self.assertEqual(self.store.pull(ref("py/multi"), "b").tags, [ref("py/multi:b")])


class Archives(Base):
    def setUp(self):
        super().setUp()
        self.img = self.store.pull(ref("py/busybox:v1"))
        self.other = libimage.Store(os.path.join(self.tmp, "other"))
        self.addCleanup(self.other.close)

    def test_bytes_both_ways(self):
        events = []
        data = self.store.save(ref("py/busybox:v1"), progress=events.append)
        self.assertIsInstance(data, bytes)
        self.assertIn(libimage.Event.WRITING, {e.event for e in events})
        import tarfile
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            self.assertTrue({"index.json", "manifest.json", "oci-layout"} <= set(t.getnames()))
        for source in (data, bytearray(data), memoryview(data)):
            ev = []
            loaded = self.other.load(source, progress=ev.append)
            self.assertEqual([(l.reference, l.image_id) for l in loaded], [(ref("py/busybox:v1"), self.img.id)])
            self.assertLessEqual({e.event for e in ev}, {libimage.Event.READING})  # (one per 4 MiB read)
        self.assertEqual(self.other.get(ref("py/busybox:v1")).id, self.img.id)
        self.assertEqual(self.other.fsck(), [])

    def test_file_objects_without_fileno(self):
        buf = io.BytesIO()
        self.assertRaises(io.UnsupportedOperation, buf.fileno)
        self.store.save([ref("py/busybox:v1")], buf)
        data = self.store.save(ref("py/busybox:v1"))
        self.assertEqual(buf.getvalue(), data)  # the tar writer is reproducible
        buf.seek(0)
        self.assertEqual([l.image_id for l in self.other.load(buf)], [self.img.id])

        class Reader:  # only read(): no fileno, no readinto
            def __init__(self, data):
                self.data, self.at, self.calls = data, 0, 0

            def read(self, n):
                self.calls += 1
                chunk = self.data[self.at:self.at + min(n, 1000)]  # short reads too
                self.at += len(chunk)
                return chunk
        r = Reader(data)
        self.assertEqual(len(self.other.load(r)), 1)
        self.assertGreater(r.calls, len(data) // 1000)

        class Writer:
            def __init__(self):
                self.parts = []

            def write(self, b):
                self.parts.append(bytes(b))
                return len(b)
        w = Writer()
        self.store.save(ref("py/busybox:v1"), w)
        self.assertEqual(b"".join(w.parts), data)

    def test_file_objects_with_fileno_and_paths(self):
        path = os.path.join(self.tmp, "a.tar")
        with open(path, "wb") as f:
            f.write(b"")
            self.store.save(ref("py/busybox:v1"), f)
            f.write(b"")  # the file object follows the descriptor
            self.assertEqual(f.tell(), os.path.getsize(path))
        with open(path, "rb") as f:
            f.read(1)
            f.seek(0)  # (buffered ahead, but loaded from where the file object is)
            self.assertEqual(len(self.other.load(f)), 1)
        self.assertEqual(len(self.other.load(pathlib.Path(path))), 1)

    def test_what_goes_wrong(self):
        with self.assertRaises(libimage.LibimageError) as e:
            self.other.load(b"this is no tar archive" * 100)
        self.assertIn(e.exception.name, ("LIMG_ECORRUPT", "LIMG_EUNSUPPORTED"))
        with self.assertRaises(TypeError):  # text, not bytes
            self.other.load(io.StringIO("text"))

        class Full:
            def write(self, b):
                raise OSError(28, "No space left on device")
        with self.assertRaises(OSError) as e:
            self.store.save(ref("py/busybox:v1"), Full())
        self.assertEqual(e.exception.errno, 28)
        with self.assertRaises(libimage.ImageNotFoundError):
            self.store.save("nothing-here")


class Building(Base):
    """Images built from Python: a directory in a few lines, files, tars, the
    config a Dockerfile sets, reproducible digests, and crane's verbs."""

    def tree(self, name="src"):
        root = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(root, "bin"))
        with open(os.path.join(root, "bin", "run"), "wb") as f:
            f.write(b"#!/bin/sh\necho run\n")
        os.chmod(os.path.join(root, "bin", "run"), 0o755)
        os.symlink("run", os.path.join(root, "bin", "start"))
        return root

    def test_an_image_from_a_directory_in_a_few_lines(self):
        src = self.tree()
        with self.store.build(created=1700000000) as b:
            layer = b.add_dir(src, prefix="/app")
            b.config(entrypoint=["/app/bin/run"], env={"MODE": "prod"}, labels={"tier": "web"}, expose=["8080"],
                     volumes=["/data"], user="1000", workdir="/app", stop_signal="SIGTERM",
                     healthcheck={"test": ["CMD", "/app/bin/run"], "interval": 30, "retries": 3})
            b.annotate("org.opencontainers.image.source", "https://example.com")
            digest = b.commit("py/built:1")
        self.assertTrue(digest.startswith("sha256:"))
        self.assertIsInstance(layer, libimage.BuiltLayer)
        self.assertEqual(layer.compression, "gzip")
        img = self.store.get("py/built:1")
        self.assertEqual(img.attrs["Created"], "2023-11-14T22:13:20Z")
        cfg = img.attrs["Config"]
        self.assertEqual(cfg["Entrypoint"], ["/app/bin/run"])
        self.assertEqual(cfg["Env"], ["MODE=prod"])
        self.assertEqual(cfg["Labels"], {"tier": "web"})
        self.assertEqual(cfg["ExposedPorts"], {"8080/tcp": {}})
        self.assertEqual(cfg["Healthcheck"], {"Test": ["CMD", "/app/bin/run"], "Interval": 30000000000, "Retries": 3})
        self.assertEqual(img.attrs["RootFS"]["Layers"], [layer.diff_id])
        # the same inputs in another store: the same digest
        other = libimage.Store(os.path.join(self.tmp, "other"))
        try:
            with other.build(created=1700000000) as b:
                b.add_dir(self.tree("again"), prefix="/app")
                b.config(entrypoint=["/app/bin/run"], env={"MODE": "prod"}, labels={"tier": "web"},
                         expose=["8080"], volumes=["/data"], user="1000", workdir="/app", stop_signal="SIGTERM",
                         healthcheck={"test": ["CMD", "/app/bin/run"], "interval": 30, "retries": 3})
                b.annotate("org.opencontainers.image.source", "https://example.com")
                self.assertEqual(b.commit(), digest)
        finally:
            other.close()
        out = os.path.join(self.tmp, "out")
        self.store.unpack("py/built:1", out)
        self.assertEqual(os.readlink(os.path.join(out, "app", "bin", "start")), "run")

    def test_a_layer_on_a_base_keeps_the_base_directories_above_it(self):
        with self.store.build() as b:
            b.add_files([libimage.File("/secret", type="dir", mode=0o700, uid=1000, gid=1000),
                         libimage.File("/secret/f", data=b"f", uid=1000, gid=1000)])
            b.commit("py/private:1")
        with self.store.build("py/private:1") as b:
            b.add_dir(self.tree(), prefix="/secret/app", removed=["/secret/f"])
            b.config(shell=["/bin/bash", "-c"], onbuild=["RUN make"])
            b.commit("py/private:2")
        cfg = self.store.get("py/private:2").attrs["Config"]
        self.assertEqual((cfg["Shell"], cfg["OnBuild"]), (["/bin/bash", "-c"], ["RUN make"]))
        out = os.path.join(self.tmp, "private")
        self.store.unpack("py/private:2", out)
        st = os.lstat(os.path.join(out, "secret"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        if os.geteuid() == 0:
            self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))
        self.assertFalse(os.path.lexists(os.path.join(out, "secret", "f")))

    def test_an_index_of_several_platforms(self):
        def built(platform, fmt, tag):
            with self.store.build(platform=platform, format=fmt, created=0) as b:
                b.add_files({"/etc/arch": platform.encode()})
                return b.commit(tag)
        amd = built("linux/amd64", "docker", "py/multi:amd64")
        arm = built("linux/arm64/v8", "docker", "py/multi:arm64")
        s390 = built("linux/s390x", "oci", "py/multi:s390x")
        layout = os.path.join(self.tmp, "store")

        def stored(digest):
            with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1])) as f:
                return json.load(f)
        # every image Docker's: a Docker manifest list (format auto)
        both = stored(self.store.index(["py/multi:amd64", "py/multi:arm64"], "py/multi:list"))
        self.assertEqual(both["mediaType"], "application/vnd.docker.distribution.manifest.list.v2+json")
        self.assertEqual([(m["digest"], m["platform"]) for m in both["manifests"]],
                         [(amd, {"architecture": "amd64", "os": "linux"}),
                          (arm, {"architecture": "arm64", "os": "linux", "variant": "v8"})])
        # one of them OCI: an OCI index, which the store resolves per platform
        three = stored(self.store.index(["py/multi:amd64", "py/multi:arm64", s390], "py/multi:all"))
        self.assertEqual(three["mediaType"], "application/vnd.oci.image.index.v1+json")
        self.assertEqual([m["digest"] for m in three["manifests"]], [amd, arm, s390])
        self.assertEqual(self.store.get("py/multi:all", platform="linux/s390x").attrs["Architecture"], "s390x")
        # refused: Docker's list of an OCI image, two images of one platform, an index inside
        with self.assertRaises(libimage.ConflictError) as e:
            self.store.index(["py/multi:amd64", s390], format="docker")
        self.assertIn("OCI media types", str(e.exception))
        with self.assertRaises(libimage.ConflictError):
            self.store.index(["py/multi:amd64", amd])
        with self.assertRaises(libimage.InvalidArgumentError):
            self.store.index(["py/multi:all"])

    def test_files_tars_blobs_and_history(self):
        tar = os.path.join(self.tmp, "layer.tar.gz")
        with open(tar, "wb") as f:
            f.write(images.gzip_bytes(images.tar_bytes({"from-tar": b"t"}), 6))
        with self.store.build("scratch", format="docker") as b:
            files = b.add_files({"/etc/motd": b"hello\n", "/bin/tool": libimage.File("", data=b"x", mode=0o755)},
                                compression="none")
            self.assertEqual(files.compression, "none")
            from_tar = b.add_tar(tar, created_by="ADD layer.tar.gz")
            with open(tar, "rb") as f:
                self.assertEqual(from_tar.digest, "sha256:" + images.sha256(f.read()).split(":")[-1])
            b.add_blob(files.digest)
            b.history("ENV A=1")
            digest = b.commit("py/files:1")
        img = self.store.get("py/files:1")
        self.assertEqual(len(img.layers), 3)
        steps = [h["CreatedBy"] for h in img.history()]
        self.assertIn("ADD layer.tar.gz", steps)
        self.assertIn("ENV A=1", steps)
        self.assertEqual(img.attrs["RootFS"]["Layers"][0], img.attrs["RootFS"]["Layers"][2])
        self.assertTrue(digest.startswith("sha256:"))

    def test_verbs_and_specs(self):
        self.store.pull(ref("py/busybox:v1"))
        src = self.tree()
        with self.store.build(ref("py/busybox:v1")) as b:
            b.add_dir(src, prefix="/app")
            b.commit("py/on-busybox:1")
        flat = self.store.flatten("py/on-busybox:1", "py/on-busybox:flat")
        self.assertEqual(len(self.store.get("py/on-busybox:flat").layers), 1)
        self.assertNotEqual(flat, self.store.get("py/on-busybox:1").digest)
        spec = os.path.join(self.tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"layers": [{"dir": "src", "prefix": "/app"}], "config": {"Cmd": ["/app/bin/run"]}}, f)
        told = []
        d = self.store.build_spec(spec, tag="py/spec:1", created=0, progress=lambda *a: told.append(a))
        self.assertTrue(told, "no progress from the spec's layer")
        self.assertEqual(self.store.build_spec(spec, created=0), d)
        with self.assertRaises(libimage.InvalidArgumentError) as e:
            self.store.build_spec({"layers": [{"dir": "src", "prefx": "/x"}]}, directory=self.tmp)
        self.assertIn('unknown key "prefx"', str(e.exception))
        self.assertEqual(e.exception.subject, "FILE")
        with self.assertRaises(libimage.ConflictError) as e:
            self.store.rebase("py/on-busybox:1", "py/spec:1", ref("py/busybox:v1"))
        self.assertEqual(e.exception.subject, "IMAGE")
        index = self.store.index(["py/on-busybox:1"], "py/index:1")
        self.assertTrue(index.startswith("sha256:"))
        with self.assertRaises(libimage.ImageNotFoundError):
            self.store.build("no/such:image")

    def test_bad_input_is_refused_clearly(self):
        with self.store.build() as b:
            with self.assertRaises(libimage.NotFoundError) as e:
                b.add_dir(os.path.join(self.tmp, "missing"))
            self.assertEqual(e.exception.subject, "FILE")
            with self.assertRaises(libimage.InvalidArgumentError):
                b.config(expose=["not-a-port"])
            with self.assertRaises(ValueError):
                b.add_dir(self.tmp, compression="lzma")
            with self.assertRaises(libimage.InvalidArgumentError):
                b.add_dir(self.tree(), removed=["/../etc"])


class Sessions(Base):
    """One session, several registries, each with its own settings and credentials."""
    SECRET2 = "token-Passw0rd"

    @classmethod
    def setUpClass(cls):
        cls.basic = registry.Registry(tls=True, users={"bob": SECRET})
        cls.addClassCleanup(cls.basic.stop)
        cls.token = registry.Registry(token=True, users={"alice": cls.SECRET2}, anonymous_pull=False)
        cls.addClassCleanup(cls.token.stop)
        cls.basic_img = images.Image(images.sample_layers("py-basic"))
        cls.token_img = images.Image(images.sample_layers("py-token"))
        cls.basic.push("py/basic", "v1", cls.basic_img)
        cls.token.push("py/token", "v1", cls.token_img)

    def settings(self):
        return {self.basic.host: libimage.RegistryConfig(ca_file=self.basic.ca.cert_path)}

    def test_credentials_per_host(self):
        creds = {self.basic.host: ("bob", SECRET), self.token.host: ("alice", self.SECRET2)}
        with libimage.Session(credentials=creds, registries=self.settings()) as s:
            a = self.store.pull("%s/py/basic:v1" % self.basic.host, session=s)
            b = self.store.pull("%s/py/token:v1" % self.token.host, session=s)
            self.assertEqual((a.id, b.id), (self.basic_img.config.digest, self.token_img.config.digest))
            self.assertEqual(s.registry(self.token.host).tags("py/token"), ["v1"])
            with s.registry(self.basic.host) as r:
                self.assertEqual(r.tags("py/basic"), ["v1"])
                self.assertTrue(r.base_url.startswith("https://"))
            # one session for both sides of a copy, each with its own settings
            digest = libimage.copy("%s/py/basic:v1" % self.basic.host, "%s/py/copied:v1" % self.token.host,
                                   session=s)
            self.assertEqual(s.registry(self.token.host).head("py/copied:v1").digest, digest)
            # and a push
            self.store.tag("%s/py/basic:v1" % self.basic.host, "%s/py/pushed:v1" % self.token.host)
            self.assertEqual(self.store.push("%s/py/pushed:v1" % self.token.host, session=s), a.digest)

    def test_callable_credentials_and_passthrough(self):
        asked = []

        def creds(host):
            asked.append(host)
            return ("bob", SECRET) if host == self.basic.host else None  # others: config.json
        d = tempfile.mkdtemp(prefix="py-docker-config-", dir=self.tmp)
        with open(os.path.join(d, "config.json"), "w") as f:
            auth = base64.b64encode(("alice:" + self.SECRET2).encode()).decode()
            json.dump({"auths": {self.token.host: {"auth": auth}}}, f)
        cfg = libimage.RegistryConfig(docker_config_dir=d)
        with libimage.Session(cfg, registries=self.settings(), credentials=creds) as s:
            self.store.pull("%s/py/basic:v1" % self.basic.host, session=s)
            self.store.pull("%s/py/token:v1" % self.token.host, session=s)
        self.assertEqual(set(asked), {self.basic.host, self.token.host})
        with libimage.Session(libimage.RegistryConfig(docker_config_dir=""), credentials=creds) as s:
            with self.assertRaises(libimage.AuthError) as e:  # no config.json: anonymous, and refused
                self.store.pull("%s/py/token:v1" % self.token.host, session=s)
            self.assertEqual(e.exception.http_status, 401)

    def test_refused_credentials(self):
        with libimage.Session(credentials={self.basic.host: ("bob", "not-" + SECRET)},
                              registries=self.settings()) as s:
            with self.assertRaises(libimage.AuthError) as e:
                self.store.pull("%s/py/basic:v1" % self.basic.host, session=s)
        x = e.exception
        self.assertEqual((x.subject, x.http_status), ("CREDENTIALS", 401))
        self.assertEqual(x.object, self.basic.host)
        self.assertNotIn(SECRET, str(x) + repr(x))

    def test_login_and_logout(self):
        """docker login: checked with the registry first, then kept in config.json (docker logout removes it)."""
        config_dir = os.path.join(self.tmp, "docker")
        cfg = libimage.RegistryConfig(ca_file=self.basic.ca.cert_path)
        with self.assertRaises(libimage.AuthError) as e:
            libimage.login("bob", "not-" + SECRET, registry=self.basic.host, config=cfg, config_dir=config_dir)
        self.assertEqual(e.exception.subject, "CREDENTIALS")
        self.assertFalse(os.path.exists(os.path.join(config_dir, "config.json")))  # nothing kept
        answer = libimage.login("bob", SECRET, registry=self.basic.host, config=cfg, config_dir=config_dir)
        path = os.path.join(config_dir, "config.json")
        self.assertEqual(answer, {"Status": "Login Succeeded", "Location": path})
        with open(path) as f:
            self.assertEqual(json.load(f)["auths"][self.basic.host]["auth"],
                             base64.b64encode(("bob:" + SECRET).encode()).decode())
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # a pull then finds them in config.json
        with libimage.Session(libimage.RegistryConfig(docker_config_dir=config_dir), registries={
                self.basic.host: libimage.RegistryConfig(ca_file=self.basic.ca.cert_path,
                                                         docker_config_dir=config_dir)}) as s:
            self.store.pull("%s/py/basic:v1" % self.basic.host, session=s)
        # tokens: a registry handle checks the credentials it has
        with libimage.Registry(self.token.host, libimage.RegistryConfig(
                credentials={self.token.host: ("alice", self.SECRET2)})) as r:
            r.login()
        with libimage.Registry(self.token.host, libimage.RegistryConfig(
                credentials={self.token.host: ("alice", "wrong")})) as r:
            with self.assertRaises(libimage.AuthError):
                r.login()
        libimage.logout(self.basic.host, config_dir=config_dir)
        with open(path) as f:
            self.assertEqual(json.load(f), {"auths": {}})
        self.assertIsNotNone(libimage.store_credentials("docker.io", "hub", "pw", config_dir))
        with open(path) as f:
            self.assertIn("https://index.docker.io/v1/", json.load(f)["auths"])
        libimage.erase_credentials("index.docker.io", config_dir)
        with open(path) as f:
            self.assertEqual(json.load(f), {"auths": {}})
        with self.assertRaises(libimage.InvalidArgumentError):
            libimage.store_credentials(self.basic.host, "a:b", "pw", config_dir)

    def test_per_registry_tls(self):
        with libimage.Session(registries={self.basic.host: libimage.RegistryConfig(insecure=False)}) as s:
            with self.assertRaises(libimage.TLSError) as e:
                s.registry(self.basic.host).tags("py/basic")
            self.assertEqual(e.exception.subject, "CERTIFICATE")
            self.assertIn(self.basic.host, e.exception.object)
            with self.assertRaises(libimage.ExistsError):  # in use already: too late to change
                s.configure(self.basic.host, libimage.RegistryConfig(ca_file=self.basic.ca.cert_path))
            self.assertEqual(s.registry(reg.host).tags("py/app"), ["v1"])  # the others keep the defaults

    def test_credentials_raising_in_a_session(self):
        def creds(host):
            raise RuntimeError("no keyring")
        with libimage.Session(credentials=creds, registries=self.settings()) as s:
            with self.assertRaises(RuntimeError):
                self.store.pull("%s/py/basic:v1" % self.basic.host, session=s)
            with self.assertRaises(RuntimeError):
                s.registry(self.basic.host).tags("py/basic")

    def test_threads_share_a_session_and_close_is_safe(self):
        creds = {self.basic.host: ("bob", SECRET)}
        s = libimage.Session(credentials=creds, registries=self.settings())
        failures = []

        def work(i):
            try:
                with libimage.Store(os.path.join(self.tmp, "s%d" % i)) as st:
                    st.pull("%s/py/basic:v1" % self.basic.host if i % 2 else ref("py/app:v1"), session=s)
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append(repr(e))
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        r = s.registry(self.basic.host)
        s.close()
        self.assertEqual(r.tags("py/basic"), ["v1"])  # a registry outlives its session
        r.close()
        with self.assertRaises(libimage.LibimageError) as e:
            self.store.pull(ref("py/app:v1"), session=s)
        self.assertIn("closed", str(e.exception))
        with self.assertRaises(TypeError):
            self.store.pull(ref("py/app:v1"), session=s, registry=libimage.RegistryConfig())


class Signatures(Base):
    """Policy, verify, sign and referrers: what libimage signs verifies with
    the independent verifier (fixtures/cosign.py), and the other way round."""

    def setUp(self):
        super().setUp()
        from fixtures import cosign
        self.cosign = cosign
        self.key = cosign.new_ec_key()
        self.regd = os.path.join(self.tmp, "registries.d")
        os.makedirs(self.regd)
        with open(os.path.join(self.regd, "on.yaml"), "w") as f:
            f.write("default-docker:\n  use-sigstore-attachments: true\n")
        self.pub = os.path.join(self.tmp, "key.pub")
        with open(self.pub, "wb") as f:
            f.write(cosign.public_pem(self.key))
        self.repo = "py/signed-" + self._testMethodName.replace("_", "-")
        self.img = images.Image(images.sample_layers(self.repo))
        reg.push(self.repo, "v1", self.img)

    def policy(self, identity="matchRepository"):
        doc = {"default": [{"type": "reject"}], "transports": {"docker": {reg.host: [
            {"type": "sigstoreSigned", "keyPath": self.pub, "signedIdentity": {"type": identity}}]}}}
        return libimage.Policy(text=json.dumps(doc), registries_d=self.regd)

    def test_verify_and_pull_with_a_policy(self):
        with self.policy() as policy:
            with self.assertRaises(libimage.RejectedError) as e:
                policy.verify(ref(self.repo + ":v1"))
            self.assertEqual(e.exception.subject, "POLICY")
            self.assertFalse(e.exception.verdict.accepted)
            self.assertEqual(e.exception.verdict.scope, reg.host)
            self.assertIn("no signature exists", e.exception.verdict.requirements[0].reason)
            with self.assertRaises(libimage.RejectedError):
                self.store.pull(ref(self.repo), "v1", policy=policy)
            self.assertEqual(self.store.images(), [])
            self.cosign.sign(reg, self.repo, self.img.manifest.digest, ref(self.repo), self.key)
            v = policy.verify(ref(self.repo + ":v1"))
            self.assertTrue(v.accepted)
            self.assertEqual([r.type for r in v.requirements], ["sigstoreSigned"])
            self.assertIn("signed by %s" % self.pub, v.requirements[0].reason)
            img = self.store.pull(ref(self.repo), "v1", policy=policy, referrers=True)
            self.assertEqual(img.id, self.img.config.digest)
            # the signature kept beside the image: checked with no registry
            self.assertTrue(policy.verify(ref(self.repo + ":v1"), store=self.store).accepted)

    def test_sign_push_and_referrers(self):
        pem = self.cosign.private_pem(self.key)
        with libimage.Signer(pem) as signer:
            self.assertEqual(signer.public_key.encode(), self.cosign.public_pem(self.key))
            self.store.pull(ref(self.repo), "v1")
            digest = self.store.push(ref(self.repo + ":v1"), sign=signer)
            docs = self.cosign.verified_payloads(reg, self.repo, digest, self.key.public_key())
            self.assertEqual([d["critical"]["identity"]["docker-reference"] for d in docs], [ref(self.repo + ":v1")])
            self.assertEqual(libimage.sign(ref(self.repo + ":v1"), signer, format="bundle"), digest)
            with self.assertRaises(ValueError):
                libimage.sign(ref(self.repo + ":v1"), signer, format="gpg")
        with libimage.Registry(reg.host) as r:
            found = r.referrers(self.repo + ":v1")
            self.assertEqual([f["artifact_type"] for f in found], ["application/vnd.dev.sigstore.bundle.v0.3+json"])
            sbom = os.path.join(self.tmp, "sbom.json")
            with open(sbom, "w") as f:
                f.write("{}")
            d = r.attach(self.repo + ":v1", "application/spdx+json", [sbom], annotations={"k": "v"})
            self.assertEqual(len(r.referrers(self.repo + ":v1")), 2)
            self.assertEqual([f["digest"] for f in r.referrers(self.repo + ":v1",
                                                               artifact_type="application/spdx+json")], [d])
        with self.policy() as policy:
            v = policy.verify(ref(self.repo + ":v1"))
            self.assertIn("sig layer 1", v.requirements[0].reason)

    def test_sync_with_referrers_and_a_policy(self):
        unsigned = "py/unsigned-sync"
        reg.push(unsigned, "v1", images.Image(images.sample_layers(unsigned)))
        self.cosign.sign(reg, self.repo, self.img.manifest.digest, ref(self.repo), self.key)
        lst = libimage.SyncList().add(ref(self.repo), tags=["v1"]).add(ref(unsigned), tags=["v1"])
        with self.policy() as policy:
            report = libimage.sync(lst, reg.host + "/pysync", referrers=True, policy=policy)
        self.assertFalse(report.ok)
        self.assertEqual([(i.source, i.error) for i in report.failed], [(ref(unsigned) + ":v1", "LIMG_EREJECTED")])
        self.assertEqual([i.digest for i in report.copied], [self.img.manifest.digest])
        mirrored = "pysync/" + self.repo.split("/")[1]
        docs = self.cosign.verified_payloads(reg, mirrored, self.img.manifest.digest, self.key.public_key())
        self.assertEqual(len(docs), 1)
        # without the policy the refused one goes too; the signed one is up to date, its signature there
        again = libimage.sync(lst, reg.host + "/pysync", referrers=True)
        self.assertEqual(([i.source for i in again.copied], len(again.up_to_date)), ([ref(unsigned) + ":v1"], 1))

    def test_keys_and_offline_checks(self):
        payload = libimage.Signer.payload(self.img.manifest.digest, ref(self.repo))
        with libimage.Key(self.cosign.public_pem(self.key)) as k:
            self.assertEqual(k.algorithm, "ecdsa-p256")
            sig = base64.b64encode(self.cosign.sign_bytes(self.key, payload)).decode()
            k.verify(payload, sig)
            with self.assertRaises(libimage.SignatureError):
                k.verify(payload + b" ", sig)
        sigs = libimage.Signatures()
        sigs.add_simple(payload, sig, "mine")
        with self.policy() as policy:
            self.assertTrue(policy.check(ref(self.repo + ":v1"), self.img.manifest.digest, sigs).accepted)
            with self.assertRaises(libimage.RejectedError) as e:
                policy.check(ref("other:v1"), self.img.manifest.digest, sigs)
            self.assertIn("matchRepository", e.exception.verdict.requirements[0].reason)
        with self.assertRaises(libimage.CorruptError):
            libimage.Policy(text='{"default": []}', registries_d="")
        with self.assertRaises(libimage.UnsupportedError):
            libimage.Key.load(os.path.join(ROOT, "tests", "data", "sign", "ed25519-public.pem"))
        with self.assertRaises(libimage.CorruptError):
            libimage.Signer.load(os.path.join(ROOT, "tests", "data", "sign", "cosign.key"), passphrase="wrong")
        with libimage.Signer.load(os.path.join(ROOT, "tests", "data", "sign", "cosign.key"),
                                  passphrase="test-passphrase") as s:
            self.assertIn("BEGIN PUBLIC KEY", s.public_key)

    def test_copy_with_policy_signing_and_referrers(self):
        self.cosign.sign(reg, self.repo, self.img.manifest.digest, ref(self.repo), self.key)
        with self.policy() as policy, libimage.Signer(self.cosign.private_pem(self.key)) as signer:
            libimage.copy(ref(self.repo + ":v1"), ref(self.repo + "-copy:v1"), policy=policy, sign=signer,
                          sign_format="bundle", referrers=True)
            self.assertEqual(len(self.cosign.verified_payloads(reg, self.repo + "-copy", self.img.manifest.digest,
                                                               self.key.public_key())), 1)
            with libimage.Registry(reg.host) as r:
                self.assertEqual(len(r.referrers(self.repo + "-copy:v1")), 1)
            with self.assertRaises(libimage.RejectedError):
                libimage.copy(ref("py/app:v1"), ref(self.repo + "-nope:v1"), policy=policy)


class Cancels(Base):
    def test_cancel_is_a_context_manager(self):
        with libimage.Cancel() as c:
            self.assertFalse(c.cancelled)
            c.cancel()
            self.assertTrue(c.cancelled)
            with self.assertRaises(libimage.CancelledError):
                self.store.pull(ref("py/app:v1"), cancel=c)
        self.assertTrue(c.closed)
        c.cancel()  # nothing to stop
        self.assertFalse(c.cancelled)
        with self.assertRaises(libimage.LibimageError):
            self.store.pull(ref("py/app:v1"), cancel=c)
        c.close()

    def test_only_a_closed_token_is_quiet(self):
        """cancel() and cancelled pass over a closed token, and over nothing else."""
        from unittest import mock
        with libimage.Cancel() as c:
            with mock.patch.object(_ffi, "cancel_request", side_effect=RuntimeError("broken")):
                with self.assertRaisesRegex(RuntimeError, "broken"):
                    c.cancel()
            with mock.patch.object(_ffi, "cancel_requested", side_effect=ctypes.ArgumentError("broken")):
                with self.assertRaises(ctypes.ArgumentError):
                    _ = c.cancelled
            self.assertFalse(c.cancelled)
        with mock.patch.object(_ffi, "cancel_request", side_effect=RuntimeError("never called")):
            c.cancel()  # closed: nothing to stop, nothing called
        self.assertFalse(c.cancelled)


class Sync(unittest.TestCase):
    """libimage.sync: a list from skopeo's YAML and one built by hand, to a
    registry and to a store, a re-sync that moves nothing, failures in the
    report, callbacks, and errors of the list."""

    @classmethod
    def setUpClass(cls):
        cls.dest = registry.Registry()

    @classmethod
    def tearDownClass(cls):
        cls.dest.stop()

    def test_yaml_list_to_a_registry_then_nothing_moves(self):
        text = "%s:\n  images:\n    py/multi: []\n    py/app: ['v1']\n  tls-verify: false\n" % reg.host
        seen = []
        with libimage.SyncList.parse(text, "py.yaml") as lst:
            report = libimage.sync(lst, self.dest.host + "/m", on_image=seen.append)
            self.assertTrue(report.ok)
            self.assertEqual(sorted(i.destination for i in report.copied),
                             [self.dest.host + "/m/app:v1", self.dest.host + "/m/multi:a",
                              self.dest.host + "/m/multi:b"])
            self.assertIn(libimage.SyncStatus.RUNNING, [i.status for i in seen])
            for i in report.copied:
                self.assertTrue(i.digest.startswith("sha256:"))
                self.assertEqual(i.reason, "new tag")
            again = libimage.sync(lst, self.dest.host + "/m")
        self.assertEqual(len(again.up_to_date), 3)
        self.assertEqual(again.requests[reg.host]["manifest_get"], 0)
        self.assertEqual(again.requests[reg.host]["blob_get"], 0)
        self.assertEqual(again.requests[self.dest.host]["blob_upload"], 0)
        self.assertEqual(json.loads(again.json)["up_to_date"], 3)

    def test_failures_are_in_the_report_not_raised(self):
        lst = libimage.SyncList().add(ref("py/app"), tags=["v1", "missing"])
        report = libimage.sync(lst, self.dest.host + "/f")
        self.assertFalse(report.ok)
        self.assertEqual([i.error for i in report.failed], ["LIMG_ENOTFOUND"])
        self.assertEqual(len(report.copied), 1)

    def test_to_a_store_and_back(self):
        store = os.path.join(tempfile.mkdtemp(prefix="limg-py-sync-"), "store")
        try:
            lst = libimage.SyncList().add(ref("py/app"), semver=">=0")  # "v1" is a version
            report = libimage.sync(lst, store, to_store=True)
            self.assertEqual([i.source for i in report.copied], [ref("py/app") + ":v1"])
            back = libimage.sync(libimage.SyncList().add_store(store), self.dest.host + "/back")
            self.assertEqual(back.copied[0].digest, report.copied[0].digest)
        finally:
            shutil.rmtree(os.path.dirname(store))

    def test_to_a_directory_as_skopeo_lays_it_out(self):
        out = os.path.join(tempfile.mkdtemp(prefix="limg-py-sync-"), "dir")
        try:
            lst = libimage.SyncList().add(ref("py/app"), tags=["v1"])
            report = libimage.sync(lst, out, to_dir=True)
            self.assertEqual([i.destination for i in report.copied], [os.path.join(out, "app:v1")])
            with open(os.path.join(out, "app:v1", "manifest.json"), "rb") as f:
                self.assertEqual("sha256:" + hashlib.sha256(f.read()).hexdigest(), report.copied[0].digest)
            with open(os.path.join(out, "app:v1", "version")) as f:
                self.assertEqual(f.read(), "Directory Transport Version: 1.1\n")
            self.assertEqual(len(libimage.sync(lst, out, to_dir=True).up_to_date), 1)
            with self.assertRaises(ValueError):
                libimage.sync(lst, out, to_store=True, to_dir=True)
            # and from it to a registry, named as skopeo sync --src dir names it
            back = libimage.sync(libimage.SyncList().add_dir(out), self.dest.host + "/fromdir")
            self.assertEqual([(i.destination, i.digest) for i in back.copied],
                             [(self.dest.host + "/fromdir/app:v1", report.copied[0].digest)])
        finally:
            shutil.rmtree(os.path.dirname(out))

    def test_bad_lists_raise(self):
        with self.assertRaises(libimage.CorruptError) as cm:
            libimage.SyncList.parse("a:\n  b: &x 1\n", "bad.yaml")
        self.assertIn("bad.yaml:2", str(cm.exception))
        with self.assertRaises(libimage.InvalidArgumentError):
            libimage.SyncList.parse("r.io:\n  imagez: {}\n", "bad.yaml")
        with self.assertRaises(libimage.InvalidReferenceError):
            libimage.SyncList().add(ref("py/app"), tag_regex="(?i)x")
        with self.assertRaises(libimage.InvalidReferenceError):
            libimage.sync(libimage.SyncList(), "/not a registry")


class Loading(unittest.TestCase):
    """The library is $LIBIMAGE_LIBRARY, else the SONAME on the loader's path;
    a missing one or one of another major version is refused at import."""
    CODE = ("import sys\n"
            "try:\n"
            "    import libimage\n"
            "except ImportError as e:\n"
            "    print('ImportError:', e)\n"
            "    sys.exit(3)\n"
            "print(libimage.version())\n")

    def built(self):
        lib = os.environ.get("LIBIMAGE_LIBRARY") or os.path.join(BUILD, "libimage.so.1")
        if not os.path.exists(lib):
            self.skipTest("no built library")
        return lib

    def run_import(self, **env):
        e = {k: v for k, v in os.environ.items() if k not in ("LIBIMAGE_LIBRARY", "LD_LIBRARY_PATH")}
        e.update(env, PYTHONPATH=PKG)
        return subprocess.run([sys.executable, "-c", self.CODE], capture_output=True, text=True, env=e,
                              cwd=tempfile.gettempdir())

    def test_the_soname_on_the_loaders_path(self):
        lib = self.built()
        directory = os.path.dirname(lib)
        self.assertTrue(os.path.exists(os.path.join(directory, _ffi.SONAME)))
        p = self.run_import(LD_LIBRARY_PATH=directory)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, libimage.version()), p.stderr)

    def test_a_missing_library_says_how_to_point_at_it(self):
        p = self.run_import(LIBIMAGE_LIBRARY="/nonexistent/libimage.so.1")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("LIBIMAGE_LIBRARY", p.stdout)
        probe = subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL(%r)" % _ffi.SONAME],
                               capture_output=True, env={"PATH": os.environ.get("PATH", "")})
        if probe.returncode == 0:
            self.skipTest("%s is installed on this machine: found without help (the rest was checked)" % _ffi.SONAME)
        p = self.run_import()
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("LIBIMAGE_LIBRARY", p.stdout)
        self.assertIn(_ffi.SONAME, p.stdout)

    def test_another_major_version_is_refused(self):
        with tempfile.TemporaryDirectory(prefix="py-fake-") as tmp:
            src, so = os.path.join(tmp, "fake.c"), os.path.join(tmp, "libimage.so.2")
            with open(src, "w") as f:
                f.write("const char *limg_version(void) { return \"2.0.0\"; }\n"
                        "int limg_version_number(int *a, int *b, int *c)\n"
                        "{ if (a) *a = 2; if (b) *b = 0; if (c) *c = 0; return 0x020000; }\n")
            cc = shlex.split(os.environ.get("CC") or shutil.which("cc") or "gcc")
            subprocess.run(cc + ["-shared", "-fPIC", "-o", so, src], check=True)
            p = self.run_import(LIBIMAGE_LIBRARY=so)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("2.0.0", p.stdout)
        self.assertIn("1.x", p.stdout)


class Package(unittest.TestCase):
    def test_pip_install_then_the_examples(self):
        tmp = tempfile.mkdtemp(prefix="limg-venv-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        venv = os.path.join(tmp, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
        env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
        p = subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", PKG], capture_output=True, text=True,
                           env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        py = os.path.join(venv, "bin", "python")
        env = dict(os.environ, LIBIMAGE_STORE=os.path.join(tmp, "store"))
        env.pop("PYTHONPATH", None)
        where = subprocess.run([py, "-c", "import libimage; print(libimage.__file__)"], capture_output=True,
                               text=True, env=env, cwd=tmp).stdout
        self.assertIn(venv, where)
        ex = os.path.join(PKG, "examples")

        def run(script, *args):
            return subprocess.run([py, os.path.join(ex, script), *args], capture_output=True, text=True, env=env,
                                  cwd=tmp)

        def c_run(prog, *args, store):
            return subprocess.run([os.path.join(BUILD, "examples", prog), *args], capture_output=True, text=True,
                                  env=dict(env, LIBIMAGE_STORE=store))
        out = run("pull.py", ref("py/busybox:v1"))
        self.assertEqual(out.returncode, 0, out.stderr)
        c = c_run("limg-pull", ref("py/busybox:v1"), store=os.path.join(tmp, "c-store"))
        # the same lines; layers in parallel finish in any order, the rest in docker's
        ours, theirs = out.stdout.splitlines(), c.stdout.splitlines()
        self.assertEqual(sorted(ours), sorted(theirs))
        self.assertEqual((ours[0], ours[-3:]), (theirs[0], theirs[-3:]))
        self.assertEqual(run("tag.py", ref("py/busybox:v1"), "mine:py").returncode, 0)
        c_run("limg-tag", ref("py/busybox:v1"), "mine:py", store=os.path.join(tmp, "c-store"))
        self.assertEqual(run("images.py").stdout, c_run("limg-images", store=os.path.join(tmp, "c-store")).stdout)
        missing = os.path.join(tmp, "missing")  # only reads: no store is an empty one, and none is made
        self.assertEqual(run("images.py", "--store", missing).stdout, c_run("limg-images", store=missing).stdout)
        self.assertFalse(os.path.exists(missing))
        bad = run("tag.py", ref("py/busybox:v1"), "Mine:py")
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(bad.stderr, c_run("limg-tag", ref("py/busybox:v1"), "Mine:py",
                                           store=os.path.join(tmp, "c-store")).stderr)


class Installed(unittest.TestCase):
    """README: "The Python binding loads `libimage.so.1` by its SONAME, so an installed
    library needs no `LIBIMAGE_LIBRARY`." The build installed into a prefix, the
    prefix's lib directory given to the loader as a user would (a conf file and
    ldconfig), the package pip-installed into a fresh venv, and imported with
    LIBIMAGE_LIBRARY and LD_LIBRARY_PATH unset: it finds the installed library.
    The loader's cache is the test's own, in a private mount namespace over
    /etc/ld.so.cache, so nothing else on the machine sees it (hence root)."""

    def test_found_by_its_soname(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("a private loader cache needs root and unshare (a mount namespace)")
        tmp = tempfile.mkdtemp(prefix="limg-installed-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        prefix = os.path.join(tmp, "prefix")
        p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        found = [os.path.join(d, f) for d, _, fs in os.walk(prefix) for f in fs if f == _ffi.SONAME]
        self.assertEqual(len(found), 1, found)
        libdir = os.path.dirname(found[0])
        venv = os.path.join(tmp, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
        p = subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", PKG], capture_output=True, text=True,
                           env=dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1"))
        self.assertEqual(p.returncode, 0, p.stderr)
        conf, cache = os.path.join(tmp, "ld.so.conf"), os.path.join(tmp, "ld.so.cache")
        with open(conf, "w") as f:
            f.write("include /etc/ld.so.conf\n%s\n" % libdir)  # the machine's directories, and ours
        code = ("import libimage\n"
                "print(libimage.__file__)\n"
                "print(libimage.version())\n"
                "print([l.split()[-1] for l in open('/proc/self/maps') if %r in l][0])\n" % _ffi.SONAME)
        # (-X: no links made in any directory; cmake --install made ours)
        script = ('ldconfig -X -f "$1" -C "$2" && mount --bind "$2" /etc/ld.so.cache && shift 2 && exec "$@"')
        env = {k: v for k, v in os.environ.items() if k not in ("LIBIMAGE_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", conf, cache,
                            os.path.join(venv, "bin", "python"), "-c", code], capture_output=True, text=True,
                           env=env, cwd=tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        where, version, loaded = p.stdout.splitlines()
        self.assertTrue(where.startswith(venv), where)
        self.assertEqual(version, libimage.version())
        self.assertEqual(os.path.realpath(loaded), os.path.realpath(found[0]))
        # and without the conf file's directory the same import fails (the test is not vacuous)
        with open(conf, "w") as f:
            f.write("include /etc/ld.so.conf\n")
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", conf, cache,
                            os.path.join(venv, "bin", "python"), "-c", code], capture_output=True, text=True,
                           env=env, cwd=tmp)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("LIBIMAGE_LIBRARY", p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
