"""The Python binding against the real registry: errors become exceptions, handles are context managers."""
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))

import libimage  # noqa: E402
from fixtures import images, registry  # noqa: E402


class References(unittest.TestCase):
    def test_docker_reading(self):
        r = libimage.Reference("redis")
        self.assertEqual(r.string, "docker.io/library/redis:latest")
        self.assertEqual((r.domain, r.path, r.tag, r.digest), ("docker.io", "library/redis", "latest", None))
        self.assertEqual(r.familiar, "redis:latest")

    def test_errors_are_exceptions(self):
        with self.assertRaises(libimage.InvalidReference) as e:
            libimage.Reference("Redis")
        self.assertEqual(e.exception.name, "LIMG_EREF_UPPERCASE")
        self.assertIn("must be lowercase", str(e.exception))
        with self.assertRaises(libimage.LibimageError) as e:
            libimage.Reference("redis", mode="canonical")
        self.assertEqual(e.exception.name, "LIMG_EREF_NOTCANONICAL")

    def test_version(self):
        self.assertRegex(libimage.version(), r"^\d+\.\d+\.\d+$")


class PullAndList(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry()
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("py"))
        cls.reg.push("team/py", "v1", cls.img)


    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_pull_tag_list_remove(self):
        events = []
        with libimage.Store(self.dir) as store:
            got = store.pull("%s/team/py:v1" % self.reg.host,
                             progress=lambda d, kind, event, done, total: events.append(event))
            self.assertEqual(got["digest"], self.img.manifest.digest)
            self.assertEqual(got["id"], self.img.config.digest)
            self.assertFalse(got["up_to_date"])
            self.assertIn(6, events)  # LIMG_PULL_COMPLETE
            self.assertTrue(store.pull("%s/team/py:v1" % self.reg.host)["up_to_date"])
            store.tag(self.img.config.digest[7:19], "mine:py")
            rows = store.images()
            self.assertEqual(sorted(r["repository"] for r in rows), ["%s/team/py" % self.reg.host, "mine"])
            self.assertTrue(all(r["id"] == self.img.config.digest for r in rows))
            self.assertEqual(store.remove("mine:py"), [("Untagged", "mine:py")])
            store.fsck()

    def test_registry_errors_carry_details(self):
        with libimage.Store(self.dir) as store:
            with self.assertRaises(libimage.NotFound) as e:
                store.pull("%s/team/py:nosuch" % self.reg.host)
        self.assertEqual(e.exception.http_status, 404)
        self.assertEqual(e.exception.registry_code, "MANIFEST_UNKNOWN")

    def test_exception_in_callback_stops_the_pull(self):
        def boom(*args):
            raise RuntimeError("stop here")

        with libimage.Store(self.dir) as store:
            with self.assertRaises(RuntimeError):
                store.pull("%s/team/py:v1" % self.reg.host, progress=boom)
            self.assertEqual(store.images(), [])


if __name__ == "__main__":
    unittest.main()
