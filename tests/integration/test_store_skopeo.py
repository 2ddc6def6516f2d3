# SPDX-License-Identifier: MIT
"""A store libimage wrote is an OCI layout other tools read: skopeo inspects and copies from it."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from fixtures import images

BUILD = os.environ["LIMG_BUILD_DIR"]
IMPORT = os.path.join(BUILD, "tests", "limg-test-import")


def skopeo(*args):
    return subprocess.run(["skopeo", "--insecure-policy"] + list(args), check=True,
                          capture_output=True, text=True).stdout


@unittest.skipUnless(shutil.which("skopeo"), "skopeo not installed")
class SkopeoReadsOurStore(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def put(self, image, ref):
        src = os.path.join(self.tmp, "src-" + image.manifest.digest[7:19])
        images.write_blobs(src, image.blobs())
        subprocess.run([IMPORT, self.store, src, ref, image.manifest.digest], check=True)

    def check(self, image, ref):
        info = json.loads(skopeo("inspect", "oci:%s:%s" % (self.store, ref)))
        self.assertEqual(info["Digest"], image.manifest.digest)
        self.assertEqual(info["Layers"], [l.blob.digest for l in image.layers])
        self.assertEqual(info["Architecture"], "amd64")
        other = os.path.join(self.tmp, "copy")
        skopeo("copy", "oci:%s:%s" % (self.store, ref), "oci:%s:copied" % other)
        copied = json.loads(skopeo("inspect", "oci:%s:copied" % other))
        self.assertEqual(copied["Layers"], info["Layers"])

    def test_listing_facts_rebuilt_when_missing(self):
        """A store filled without pull has no cached facts: a listing works them out; limg-images
        only reads (its store is open read-only) and writes nothing; a listing on a store open
        for writing caches them."""
        from tool import example
        image = images.Image(images.sample_layers("facts", size=100000))
        self.put(image, "docker.io/library/facts:1")
        with open(os.path.join(self.store, "index.json"), "rb") as f:
            before = f.read()
        self.assertNotIn(b"io.libimage.image.id", before)
        rows = example("limg-images", "--format", "json", store=self.store).stdout.splitlines()
        row = json.loads(rows[0])
        self.assertEqual((row["Repository"], row["Tag"], row["ID"]), ("facts", "1", image.config.digest[7:19]))
        self.assertEqual(row["CreatedAt"], "2024-01-15 10:00:00 +0000 UTC")
        self.assertEqual(row["Size"], "%.3gkB" % (image.uncompressed_size / 1000))
        with open(os.path.join(self.store, "index.json"), "rb") as f:
            self.assertEqual(f.read(), before)
        # the binding opens the store for writing: its listing keeps what it learnt (the binding
        # loads the built library into Python, which has no sanitizer runtime)
        from tool import SANITIZER
        if SANITIZER:
            return
        env = dict(os.environ, LIBIMAGE_LIBRARY=os.path.join(BUILD, "libimage.so.1"),
                   PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
        subprocess.run([sys.executable, "-c", "import sys, libimage; list(libimage.Store(sys.argv[1]).images())",
                        self.store], check=True, env=env)
        with open(os.path.join(self.store, "index.json")) as f:
            entry = json.load(f)["manifests"][0]["annotations"]
        self.assertEqual(entry["io.libimage.image.id"], image.config.digest)
        self.assertEqual(entry["io.libimage.image.size"], str(image.uncompressed_size))

    def test_oci_image(self):
        image = images.Image(images.sample_layers("oci"))
        self.put(image, "docker.io/library/sample:1")
        self.check(image, "docker.io/library/sample:1")

    # skopeo 1.9's oci: transport only sees index.json entries of OCI media
    # types (containers/image skips others), so Docker-typed images, which
    # libimage stores unchanged to keep their digests, are not visible to it.
    def test_several_tags_and_a_port(self):
        image = images.Image([images.Layer({"a.txt": b"a"})])
        self.put(image, "registry.example.com:5000/team/app:v2")
        subprocess.run([IMPORT, self.store, os.path.join(self.tmp, "src-" + image.manifest.digest[7:19]),
                        "registry.example.com:5000/team/app:latest", image.manifest.digest], check=True)
        self.check(image, "registry.example.com:5000/team/app:v2")
        self.check(image, "registry.example.com:5000/team/app:latest")

    def test_tag_changes_seen_by_skopeo_and_skopeo_copies_seen_by_us(self):
        """index.json is changed in place (slots, a sidecar): skopeo sees every
        set, move and removal; skopeo copying into the store (rewriting
        index.json its own way) is what we see next, and our next change keeps it."""
        from tool import example
        a = images.Image(images.sample_layers("tags-a"))
        b = images.Image(images.sample_layers("tags-b"))
        self.put(a, "docker.io/library/app:1")
        self.put(b, "docker.io/library/app:2")
        for i in range(5):
            example("limg-tag", "app:1", "app:extra%d" % i, store=self.store)
        example("limg-tag", "app:2", "app:1", store=self.store)  # moved
        example("limg-rmi", "app:extra0", store=self.store)
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:docker.io/library/app:1" % self.store))["Digest"],
                         b.manifest.digest)
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:docker.io/library/app:extra4" % self.store))["Digest"],
                         a.manifest.digest)
        p = subprocess.run(["skopeo", "--insecure-policy", "inspect", "oci:%s:docker.io/library/app:extra0" % self.store],
                           capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        # skopeo copies a third image in under a tag of its own
        c = images.Image(images.sample_layers("tags-c"))
        src = os.path.join(self.tmp, "c")
        images.write_blobs(src, c.blobs())
        with open(os.path.join(src, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [{"mediaType": c.manifest.media_type, "digest": c.manifest.digest,
                                                          "size": c.manifest.size}]}, f)
        with open(os.path.join(src, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        skopeo("copy", "oci:%s" % src, "oci:%s:docker.io/library/app:3" % self.store)

        def tags():
            rows = example("limg-images", "--format", "json", "app", store=self.store).stdout.splitlines()
            return {json.loads(r)["Tag"]: json.loads(r)["Digest"] for r in rows}
        want = {"1": b.manifest.digest, "2": b.manifest.digest, "3": c.manifest.digest}
        want.update({"extra%d" % i: a.manifest.digest for i in range(1, 5)})
        self.assertEqual(tags(), want)
        example("limg-tag", "app:3", "app:4", store=self.store)
        want["4"] = c.manifest.digest
        self.assertEqual(tags(), want)
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:docker.io/library/app:4" % self.store))["Digest"],
                         c.manifest.digest)
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:docker.io/library/app:3" % self.store))["Digest"],
                         c.manifest.digest)


if __name__ == "__main__":
    unittest.main()
