"""The Python binding against the real registry fixtures: every method, every
exception class, callbacks that raise, cancel by token and by SIGINT, threads,
close during a pull, memory, and `pip install` into a fresh virtual environment."""
import base64
import gc
import io
import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
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


def ref(name):
    return "%s/%s" % (reg.host, name)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-py-")
        self.store = libimage.Store(os.path.join(self.tmp, "store"))

    def tearDown(self):
        self.store.close()
        subprocess.run(["rm", "-rf", self.tmp])


class Layouts(unittest.TestCase):
    def test_ctypes_structs_are_the_c_structs(self):
        out = subprocess.run([os.path.join(BUILD, "tests", "limg-test-layouts")], capture_output=True, text=True,
                             check=True).stdout
        c = json.loads(out)
        ours = {"limg_buf": _ffi.Buf, "limg_endpoint": _ffi.Endpoint, "limg_registry_opts": _ffi.RegistryOpts,
                "limg_store_opts": _ffi.StoreOpts, "limg_pull_opts": _ffi.PullOpts,
                "limg_pull_callbacks": _ffi.PullCallbacks, "limg_images_list_opts": _ffi.ListOpts,
                "limg_images_remove_opts": _ffi.RemoveOpts, "limg_gc_opts": _ffi.GcOpts,
                "limg_tags_list_opts": _ffi.TagsListOpts, "limg_push_opts": _ffi.PushOpts,
                "limg_copy_opts": _ffi.CopyOpts, "limg_save_opts": _ffi.SaveOpts, "limg_load_opts": _ffi.LoadOpts,
                "limg_id_map": _ffi.IdMap, "limg_unpack_opts": _ffi.UnpackOpts,
                "limg_blob_fetch_opts": _ffi.BlobFetchOpts}
        import ctypes
        for name, cls in ours.items():
            self.assertEqual(ctypes.sizeof(cls), c[name]["sizeof"], name)
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
        self.assertEqual(img.attrs["os"], "linux")
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
            with self.assertRaises(Stop) as e:
                self.store.pull(ref("py/big:v1"), progress=progress)
            self.assertEqual(e.exception.args[0], event)
        self.assertTrue(seen)
        # what was left is consistent, and resumes
        img = self.store.pull(ref("py/big:v1"))
        self.assertEqual(self.store.fsck(), [])
        self.assertEqual(self.store.get(img.id).id, img.id)

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
        bad = run("tag.py", ref("py/busybox:v1"), "Mine:py")
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(bad.stderr, c_run("limg-tag", ref("py/busybox:v1"), "Mine:py",
                                           store=os.path.join(tmp, "c-store")).stderr)


if __name__ == "__main__":
    unittest.main()
