# SPDX-License-Identifier: MIT
"""limg-push against destinations that lie or do not check: a stored layer
damaged after it was stored never reaches a registry that does not verify
digests (no closing PUT), as skopeo refuses the same store; a malformed
Docker-Content-Digest in a push answer is refused, never echoed, and only a
validated digest is ever printed ("mounted as", "stored it as")."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from fixtures import archives, hostile, images
from tool import ENV, example

HAVE_SKOPEO = shutil.which("skopeo") is not None


def layered_image(tag, n=3, size=300000):
    layers = [images.Layer({"%s/%d.bin" % (tag, i): images.pseudo_random(size, i)}) for i in range(n)]
    return images.Image(layers)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-push-hostile-")
        self.store = os.path.join(self.tmp, "store")
        self.reg = hostile.HostileRegistry()
        self.addCleanup(self.reg.stop)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def stored(self, img, name):
        """The image in the store under @name (loaded from an OCI archive: OCI media types, which skopeo sees)."""
        path = os.path.join(self.tmp, "in.tar")
        with open(path, "wb") as f:
            f.write(archives.tar_of(archives.oci_members(img, [name])))
        example("limg-load", "-q", "-i", path, store=self.store)

    def push(self, ref, *opts):
        return example("limg-push", *opts, ref, store=self.store, check=False)

    def assert_clean(self, text):
        self.assertEqual([c for c in text.rstrip("\n") if ord(c) < 0x20 and c != "\n" or ord(c) == 0x7f], [],
                         repr(text))


class TamperedStore(Base):
    def tamper(self, digest):
        path = os.path.join(self.store, "blobs", "sha256", digest[7:])
        os.chmod(path, 0o644)
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))

    def test_a_damaged_layer_gets_no_closing_put(self):
        img = layered_image("tamper")
        ref = "%s/tamper/app:v1" % self.reg.host
        self.stored(img, ref)
        damaged = img.layers[1].blob.digest
        self.tamper(damaged)
        state = hostile.accept_uploads(self.reg, "tamper/app", verify=False)
        for opts in ((), ("--chunk-size", "65536")):
            p = self.push(ref, *opts)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("is damaged", p.stderr)
            self.assertNotIn(damaged[7:19] + ": Pushed", p.stdout)
            self.assertNotIn(damaged, state["closed"])
            self.assertNotIn(damaged, state["blobs"])
            self.assertEqual(self.reg.count(r"/manifests/", "PUT"), 0)
        # skopeo refuses the same store, and sends no closing PUT either: the last
        # check (without skopeo the test is a skip, never a pass; the rest was checked)
        if not HAVE_SKOPEO:
            self.skipTest("skopeo is not installed: its verdict is not had")
        p = subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                            "oci:%s:%s" % (self.store, ref), "docker://" + ref],
                           capture_output=True, text=True, env=ENV, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, "(?i)digest did not match")
        self.assertNotIn(damaged, state["closed"])


class AnswerDigests(Base):
    def setUp(self):
        super().setUp()
        self.img = layered_image("answers", n=1, size=20000)
        self.ref = "%s/answers/app:v1" % self.reg.host
        self.stored(self.img, self.ref)
        self.state = hostile.accept_uploads(self.reg, "answers/app")

    def answered(self, pattern, method, digest_header, status=201):
        """Routes @method of @pattern to an answer carrying @digest_header, consuming the request."""
        self.reg.route(pattern, hostile.answer(status, b"", {"Docker-Content-Digest": digest_header,
                                                             "Location": "/v2/answers/app/blobs/x"}), method=method)

    def test_a_malformed_digest_on_a_closing_put_is_refused_not_echoed(self):
        self.answered(r"^/v2/answers/app/blobs/uploads/[^/?]+", "PUT", "sha256:\x1b]0;PWNED\x07")
        p = self.push(self.ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("malformed Docker-Content-Digest", p.stderr)
        self.assertNotIn("PWNED", p.stderr + p.stdout)
        self.assert_clean(p.stderr)

    def test_another_valid_digest_is_named_a_malformed_one_is_not(self):
        other = archives.sha(b"something else")
        self.answered(r"^/v2/answers/app/blobs/uploads/[^/?]+", "PUT", other)
        p = self.push(self.ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("stored it as " + other, p.stderr)
        # a mount answered with a malformed digest
        self.reg.route(r"^/v2/answers/app/blobs/uploads/\?mount=", hostile.answer(
            201, b"", {"Docker-Content-Digest": "sha256:zz\x1b[2J"}), method="POST")
        example("limg-tag", self.ref, "%s/answers/other:v1" % self.reg.host, store=self.store)
        src = os.path.join(self.store, ".libimage", "sources")
        os.makedirs(src, exist_ok=True)
        for b in self.img.blobs():  # known to come from answers/app: push mounts from there
            with open(os.path.join(src, "sha256-" + b.digest[7:]), "w") as f:
                f.write("%s/answers/app\n" % self.reg.host)
        hostile.accept_uploads(self.reg, "answers/other")
        self.reg.route(r"^/v2/answers/other/blobs/uploads/\?mount=", hostile.answer(
            201, b"", {"Docker-Content-Digest": "sha256:zz\x1b[2J"}), method="POST")
        p = self.push("%s/answers/other:v1" % self.reg.host)
        self.assertGreater(self.reg.count(r"/answers/other/blobs/uploads/\?mount=", "POST"), 0)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("malformed Docker-Content-Digest", p.stderr)
        self.assert_clean(p.stderr)
        self.assertNotIn("\x1b", p.stdout)

    def test_a_malformed_digest_on_a_manifest_put_is_refused(self):
        self.reg.route(r"^/v2/answers/app/manifests/", hostile.answer(
            201, b"", {"Docker-Content-Digest": "sha256:\x07\x1b[31mred"}), method="PUT")
        p = self.push(self.ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("malformed Docker-Content-Digest", p.stderr)
        self.assert_clean(p.stderr)


if __name__ == "__main__":
    unittest.main()
