# SPDX-License-Identifier: MIT
"""Invalid input refused as skopeo and podman refuse it: Docker manifests that do
not say what they are, annotations that are not strings; and what is not an
image (a cosign signature, an SBOM) never pulled, listed or unpacked as one."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import hostile, images, registry
from tool import ENV, assert_stores_sound, example

HAVE_SKOPEO = shutil.which("skopeo") is not None
reg = None


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def skopeo_inspect(ref):
    return subprocess.run(["skopeo", "--insecure-policy", "inspect", "--tls-verify=false", "docker://" + ref],
                          capture_output=True, text=True, env=ENV)


def edited(image, edit, media_type):
    """@image with its manifest edited by @edit(dict)."""
    doc = json.loads(image.manifest.data)
    edit(doc)
    image.manifest = images.Blob(json.dumps(doc, sort_keys=True).encode(), media_type)
    return image


def cosign_signature(signed):
    """What `cosign sign` pushes: an image config of 0 layers' worth, a simple-signing payload."""
    payload = images.Blob(json.dumps({"critical": {"identity": {"docker-reference": "x"},
                                                   "image": {"docker-manifest-digest": signed},
                                                   "type": "cosign container image signature"},
                                      "optional": None}).encode(),
                          "application/vnd.dev.cosign.simplesigning.v1+json")
    config = images.Blob(json.dumps({"architecture": "", "config": {}, "created": "0001-01-01T00:00:00Z",
                                     "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
                                     "rootfs": {"type": "layers", "diff_ids": [payload.digest]}}).encode(),
                         images.OCI_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "config": config.descriptor(),
                "layers": [payload.descriptor(annotations={"dev.cosignproject.cosign/signature": "MEUCIQ=="})]}
    return [config, payload], images.Blob(json.dumps(manifest).encode(), images.OCI_MANIFEST)


def sbom_artifact():
    """An OCI 1.1 artifact (oras, `cosign attach sbom`): artifactType, the empty config."""
    sbom = images.Blob(b'{"spdxVersion":"SPDX-2.3"}', "application/spdx+json")
    empty = images.Blob(b"{}", "application/vnd.oci.empty.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "artifactType": "application/spdx+json",
                "config": empty.descriptor(), "layers": [sbom.descriptor()]}
    return [empty, sbom], images.Blob(json.dumps(manifest).encode(), images.OCI_MANIFEST)


class Refused(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-refused-")
        self.store = os.path.join(self.tmp, "store")
        self.bad = hostile.HostileRegistry()  # serves what a registry would refuse to store

    def tearDown(self):
        self.bad.stop()
        try:
            assert_stores_sound(self, self.tmp)  # what was refused left nothing broken
        finally:
            shutil.rmtree(self.tmp)

    def pull(self, ref):
        return example("limg-pull", ref, store=self.store, check=False)

    def assertRefusedLikeSkopeo(self, ref, words):
        p = self.pull(ref)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(words, p.stderr)
        self.assertEqual(example("limg-images", "-a", "-q", store=self.store).stdout, "")
        # skopeo refuses it too: the last check (without skopeo the test is a skip, never a pass)
        if not HAVE_SKOPEO:
            self.skipTest("skopeo is not installed: its verdict is not had (the rest was checked)")
        self.assertNotEqual(skopeo_inspect(ref).returncode, 0)

    def test_docker_manifest_without_media_type(self):
        img = edited(images.Image(images.sample_layers("no-mt"), docker=True), lambda d: d.pop("mediaType"),
                     images.DOCKER_MANIFEST)
        self.bad.serve_image("r/nomt", "v1", img)
        self.assertRefusedLikeSkopeo("%s/r/nomt:v1" % self.bad.host, "Docker manifest")

    def test_docker_list_without_media_type(self):
        index = images.Index([images.Image(images.sample_layers("no-mt-list"), docker=True)], docker=True)
        doc = json.loads(index.manifest.data)
        doc.pop("mediaType")
        index.manifest = images.Blob(json.dumps(doc).encode(), images.DOCKER_LIST)
        self.bad.serve_image("r/nomtlist", "v1", index)
        self.assertRefusedLikeSkopeo("%s/r/nomtlist:v1" % self.bad.host, "without mediaType")

    def test_annotations_that_are_not_strings(self):
        for where, edit in (("manifest", lambda d: d.__setitem__("annotations", {"n": 1})),
                            ("layer", lambda d: d["layers"][0].__setitem__("annotations", {"n": True}))):
            with self.subTest(where):
                img = edited(images.Image(images.sample_layers("ann-" + where)), edit, images.OCI_MANIFEST)
                self.bad.serve_image("r/ann" + where, "v1", img)
                self.assertRefusedLikeSkopeo("%s/r/ann%s:v1" % (self.bad.host, where), "is not a string")

    def test_a_cosign_signature_is_no_image(self):
        signed = images.Image(images.sample_layers("signed"))
        reg.push("r/signed", "v1", signed)
        blobs, manifest = cosign_signature(signed.manifest.digest)
        tag = "sha256-%s.sig" % signed.manifest.digest[7:]
        for b in blobs:
            reg.push_blob("r/signed", b)
        reg.push_manifest("r/signed", tag, manifest)
        p = self.pull("%s/r/signed:%s" % (reg.host, tag))
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not an image but an artifact", p.stderr)
        self.assertIn("application/vnd.dev.cosign.simplesigning.v1+json", p.stderr)
        self.assertEqual(example("limg-images", "-a", "-q", store=self.store).stdout, "")

    def test_an_sbom_is_no_image(self):
        blobs, manifest = sbom_artifact()
        for b in blobs:
            reg.push_blob("r/sbom", b)
        reg.push_manifest("r/sbom", "sbom", manifest)
        p = self.pull("%s/r/sbom:sbom" % reg.host)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not an image but an artifact (\"application/spdx+json\")", p.stderr)

    def test_artifacts_beside_images_in_a_layout(self):
        """oras and cosign put artifacts in layouts beside images: listed as none, unpacked as none."""
        image = images.Image(images.sample_layers("beside"))
        sig_blobs, sig = cosign_signature(image.manifest.digest)
        sbom_blobs, sbom = sbom_artifact()
        layout = os.path.join(self.tmp, "layout")
        images.write_blobs(layout, image.blobs() + sig_blobs + [sig] + sbom_blobs + [sbom])
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        entries = [b.descriptor(annotations={"org.opencontainers.image.ref.name": n})
                   for b, n in ((image.manifest, "latest"), (sig, "sig"), (sbom, "sbom"))]
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": entries}, f)
        rows = example("limg-images", "--store", layout, "-a", "--format", "json").stdout.splitlines()
        self.assertEqual([(json.loads(r)["Tag"], json.loads(r)["ID"]) for r in rows],
                         [("latest", image.config.digest[7:19])])
        for name in ("sig", "sbom"):
            out = os.path.join(self.tmp, "out-" + name)
            p = example("limg-unpack", "--store", layout, name, out, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("is not an image but an artifact", p.stderr)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
