# SPDX-License-Identifier: MIT
"""Foreign (non-distributable) layers, as Docker and podman take them: from the
registry when it has them, else from the descriptor's URLs when the user
allows it (another host: no credentials, bytes verified), else the pull says
the image would be incomplete. An image pulled without them is known as
incomplete: listed so, and unpack and save refuse it, naming the layer."""
import base64
import json
import os
import shutil
import tempfile
import unittest

from fixtures import hostile, images, podman, registry, webserver
from tool import ENV, assert_stores_sound, example

reg = web = None


def setUpModule():
    global reg, web
    reg = registry.Registry(allow_urls=True)
    unittest.addModuleCleanup(reg.stop)
    web = webserver.WebServer()
    unittest.addModuleCleanup(web.stop)


def foreign_image(name, urls=None):
    """A Windows-like image: a foreign base layer (served by the web server) and a normal one."""
    base = images.Layer({"base.txt": b"foreign base of " + name.encode()}, images.DOCKER_FOREIGN)
    app = images.Layer({"app.txt": b"app of " + name.encode()}, images.DOCKER_LAYER)
    path = "/layers/%s.tar.gz" % name
    web.files[path] = base.blob.data
    img = images.Image([base, app], docker=True, urls=urls or [web.url + path])
    return img, base


class Foreign(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-foreign-")
        self.store = os.path.join(self.tmp, "store")
        # credentials for every host involved: none may reach a foreign layer's URL
        config = os.path.join(self.tmp, "docker")
        os.makedirs(config)
        auth = base64.b64encode(b"user:secret").decode()
        with open(os.path.join(config, "config.json"), "w") as f:
            json.dump({"auths": {web.host: {"auth": auth}, reg.host: {"auth": auth}}}, f)
        self.env = dict(ENV, DOCKER_CONFIG=config)
        del web.requests[:]

    def tearDown(self):
        try:
            assert_stores_sound(self, self.tmp)  # images held in part are sound layouts too
        finally:
            shutil.rmtree(self.tmp)

    def run_(self, name, *args, check=True):
        return example(name, *args, store=self.store, env=self.env, check=check)

    def ref(self, repo):
        return "%s/%s:v1" % (reg.host, repo)

    def blobs(self):
        d = os.path.join(self.store, "blobs", "sha256")
        return {"sha256:" + f for f in os.listdir(d)} if os.path.isdir(d) else set()

    def images_json(self):
        return [json.loads(r) for r in self.run_("limg-images", "--format", "json").stdout.splitlines()]

    def assertUnpacks(self, img, name):
        out = os.path.join(self.tmp, "rootfs-%d" % len(os.listdir(self.tmp)))
        self.run_("limg-unpack", self.ref(name), out)
        with open(os.path.join(out, "base.txt"), "rb") as f:
            self.assertEqual(f.read(), b"foreign base of " + name.split("/")[-1].encode())

    def test_from_the_registry_by_default(self):
        img, base = foreign_image("fromreg")
        reg.push("foreign/fromreg", "v1", img)  # the registry has the foreign blob too
        out = self.run_("limg-pull", self.ref("foreign/fromreg")).stdout
        self.assertIn(base.blob.digest[7:19] + ": Pull complete", out)
        self.assertIn(base.blob.digest, self.blobs())
        self.assertEqual(web.requests, [])  # the registry had it: no other host was asked
        self.assertEqual(self.images_json()[0]["Size"], "%.3gkB" % (img.uncompressed_size / 1000))
        self.assertUnpacks(img, "foreign/fromreg")

    def test_registry_lacks_it(self):
        img, base = foreign_image("lacking")
        reg.push("foreign/lacking", "v1", img, skip_blobs={base.blob.digest})
        p = self.run_("limg-pull", self.ref("foreign/lacking"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("foreign layer %s is not in the registry" % base.blob.digest, p.stderr)
        self.assertIn("the image would be incomplete", p.stderr)
        self.assertIn("used only when foreign URLs are allowed", p.stderr)
        self.assertEqual(web.requests, [])      # the URL is not used unless allowed
        self.assertEqual(self.images_json(), [])  # and nothing is tagged

    def test_from_the_urls_when_allowed(self):
        img, base = foreign_image("urls")
        reg.push("foreign/urls", "v1", img, skip_blobs={base.blob.digest})
        out = self.run_("limg-pull", "--allow-foreign-urls", self.ref("foreign/urls")).stdout
        self.assertIn(base.blob.digest[7:19] + ": Pull complete", out)
        self.assertEqual([(m, p) for m, p, h in web.requests], [("GET", "/layers/urls.tar.gz")])
        self.assertNotIn("authorization", web.requests[0][2])  # never the credentials of anyone
        row = self.images_json()[0]
        self.assertEqual((row["ID"], row["Size"]),
                         (img.config.digest[7:19], "%.3gkB" % (img.uncompressed_size / 1000)))
        self.assertUnpacks(img, "foreign/urls")
        pm = podman.judge(self, "the image from the URL")  # podman takes it from the URL too, to the same image
        try:
            pm.run("pull", "--tls-verify=false", self.ref("foreign/urls"))
            self.assertEqual(pm.rows(), [("%s/foreign/urls" % reg.host, "v1", img.config.digest[7:19])])
        finally:
            pm.stop()

    def test_wrong_bytes_from_a_url_refused(self):
        img, base = foreign_image("wrong")
        web.files["/layers/wrong.tar.gz"] = images.gzip_bytes(b"not the layer" * 100)
        reg.push("foreign/wrong", "v1", img, skip_blobs={base.blob.digest})
        p = self.run_("limg-pull", "--allow-foreign-urls", self.ref("foreign/wrong"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("foreign layer %s from %s/layers/wrong.tar.gz" % (base.blob.digest, web.url), p.stderr)
        self.assertNotIn(base.blob.digest, self.blobs())
        self.assertEqual(self.images_json(), [])

    def test_only_http_urls(self):
        # (distribution refuses such manifests: a registry of our own serves this one)
        img, base = foreign_image("scheme", urls=["file:///etc/passwd", "ftp://%s/x" % web.host])
        bad = hostile.HostileRegistry()
        self.addCleanup(bad.stop)
        bad.serve_image("foreign/scheme", "v1", img)
        bad.route(r"/blobs/" + base.blob.digest, hostile.answer(
            404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}'))
        p = self.run_("limg-pull", "--allow-foreign-urls", "%s/foreign/scheme:v1" % bad.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("none of its URLs is http or https", p.stderr)
        self.assertEqual(web.requests, [])
        self.assertEqual(self.blobs() & {base.blob.digest}, set())

    def test_skipped_image_is_known_incomplete(self):
        img, base = foreign_image("skipped")
        reg.push("foreign/skipped", "v1", img, skip_blobs={base.blob.digest})
        p = self.run_("limg-pull", "--skip-foreign-layers", self.ref("foreign/skipped"))
        self.assertIn(base.blob.digest[7:19] + ": Skipped foreign layer", p.stdout)
        self.assertIn("the image is incomplete: 1 foreign layer was not pulled", p.stderr)
        self.assertEqual(web.requests, [])
        self.assertEqual(self.images_json()[0]["Size"], "incomplete")
        out = os.path.join(self.tmp, "rootfs")
        p = self.run_("limg-unpack", self.ref("foreign/skipped"), out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is incomplete: its foreign layer %s (layer 1 of 2) is not in the store" % base.blob.digest,
                      p.stderr)
        self.assertFalse(os.path.exists(out))
        archive = os.path.join(self.tmp, "saved.tar")
        p = self.run_("limg-save", "-o", archive, self.ref("foreign/skipped"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("foreign layer %s" % base.blob.digest, p.stderr)
        self.assertFalse(os.path.exists(archive))
        self.assertEqual([f for f in os.listdir(self.tmp) if f.startswith("saved")], [])
        # a pull that fetches it makes the image whole
        reg.push_blob("foreign/skipped", base.blob)
        out2 = self.run_("limg-pull", self.ref("foreign/skipped")).stdout
        self.assertIn(base.blob.digest[7:19] + ": Pull complete", out2)
        self.assertEqual(self.images_json()[0]["Size"], "%.3gkB" % (img.uncompressed_size / 1000))
        self.assertUnpacks(img, "foreign/skipped")
        self.run_("limg-save", "-o", archive, self.ref("foreign/skipped"))
        other = os.path.join(self.tmp, "other")
        loaded = example("limg-load", "-i", archive, store=other).stdout
        self.assertIn("Loaded image: %s/foreign/skipped:v1" % reg.host, loaded)


if __name__ == "__main__":
    unittest.main()
