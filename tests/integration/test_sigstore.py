# SPDX-License-Identifier: MIT
"""cosign v3's format both ways, with sigstore-js as the independent peer
(tests/integration/sigstore: @sigstore/sign, @sigstore/verify, @sigstore/oci
from npm, installed there with `npm ci`): a bundle sigstore-js builds and
attaches to an image in the real registry (through the referrers tag, which
docker-registry 2.8 needs) verifies in libimage; a bundle libimage attaches
verifies with @sigstore/verify and the public key."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

from fixtures import images, registry
from tool import ENV, assert_stores_sound, example

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "sigstore")
DATA = os.path.join(HERE, "..", "data", "sign")
reg = None


def setUpModule():
    global reg
    if not shutil.which("node") or not shutil.which("npm"):
        raise unittest.SkipTest("node and npm are needed (.ci/install-deps installs Debian's)")
    # npm ci into the peer's own folder, from its package-lock.json (again only when that changed)
    stamp, lock = os.path.join(PEER, "node_modules", ".package-lock.json"), os.path.join(PEER, "package-lock.json")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(lock):
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER,
                           capture_output=True, text=True, timeout=600)
        if p.returncode:
            raise AssertionError("npm ci of sigstore-js failed: %s" % p.stderr)
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def node(*args, check=True):
    p = subprocess.run(["node", os.path.join(PEER, "sigstore.js")] + list(args), capture_output=True, text=True,
                       env=ENV, timeout=120)
    if check and p.returncode:
        raise AssertionError("sigstore.js %s: %s" % (" ".join(args), p.stderr))
    return p


class Bundles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-sigstore-")
        self.regd = os.path.join(self.tmp, "registries.d")
        os.makedirs(self.regd)
        with open(os.path.join(self.regd, "default.yaml"), "w") as f:
            f.write("default-docker:\n  use-sigstore-attachments: true\n")
        self.repo = "sigstore/" + self._testMethodName.replace("_", "-")
        self.img = images.Image(images.sample_layers(self.repo))
        reg.push(self.repo, "1", self.img)
        self.ref = "%s/%s:1" % (reg.host, self.repo)

    def tearDown(self):
        # every store a test left (pulls refused by a policy too) is a sound OCI layout, judged without libimage
        assert_stores_sound(self, self.tmp)
        shutil.rmtree(self.tmp)

    def policy(self, key="ec-public.pem", identity="matchRepository"):
        path = os.path.join(self.tmp, "policy.json")
        with open(path, "w") as f:
            json.dump({"default": [{"type": "reject"}], "transports": {"docker": {reg.host: [
                {"type": "sigstoreSigned", "keyPath": os.path.join(DATA, key),
                 "signedIdentity": {"type": identity}}]}}}, f)
        return path

    def verify(self, policy, ref, check=False):
        return example("limg-verify", "--policy", policy, "--registries.d", self.regd, ref, check=check)

    def test_sigstore_js_bundles_verify_in_libimage(self):
        referrer = node("attach", "%s/%s" % (reg.host, self.repo), self.img.manifest.digest,
                        os.path.join(DATA, "ec-private.pem")).stdout.strip()
        out = self.verify(self.policy(), self.ref, check=True).stdout
        self.assertIn("accepted: referrer %s: bundle signed by %s" % (referrer, os.path.join(DATA, "ec-public.pem")),
                      out)
        # a pull admits it, by digest too (the digest is what a bundle signs)
        store = os.path.join(self.tmp, "store")
        example("limg-pull", "-q", "--policy", self.policy(identity="matchRepoDigestOrExact"), "--registries.d",
                self.regd, "%s/%s@%s" % (reg.host, self.repo, self.img.manifest.digest), store=store)
        # ... but not by tag with the default identity rule: a bundle signs no tag
        p = self.verify(self.policy(identity="matchRepoDigestOrExact"), self.ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("a bundle signs digest", p.stderr)
        # another key: refused
        p = self.verify(self.policy(key="other-public.pem"), self.ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not verify with", p.stderr)

    def test_a_sigstore_js_bundle_for_another_digest(self):
        node("attach", "%s/%s" % (reg.host, self.repo), self.img.manifest.digest, os.path.join(DATA, "ec-private.pem"))
        other = images.Image(images.sample_layers(self.repo + "-other"))
        reg.push(self.repo, "2", other)
        # the bundle of image 1, listed for image 2 as well (an attacker copying referrers around)
        _, index = self.fetch("manifests/" + self.img.manifest.digest.replace(":", "-"))
        reg.push_manifest(self.repo, other.manifest.digest.replace(":", "-"), images.Blob(index, images.OCI_INDEX))
        p = self.verify(self.policy(), "%s/%s:2" % (reg.host, self.repo))
        self.assertEqual(p.returncode, 1)
        self.assertIn("the referrer is no manifest whose subject is the image", p.stderr)

    def fetch(self, path, accept=images.OCI_INDEX):
        req = urllib.request.Request("%s/v2/%s/%s" % (reg.url, self.repo, path), headers={"Accept": accept})
        with urllib.request.urlopen(req) as r:
            return r.headers["Content-Type"], r.read()

    def test_libimage_bundles_verify_with_sigstore_js(self):
        store = os.path.join(self.tmp, "store")
        example("limg-pull", "-q", self.ref, store=store)
        example("limg-push", "-q", "--sign-key", os.path.join(DATA, "cosign.key"), "--sign-passphrase-file",
                self.passphrase(), "--sign-format", "bundle", self.ref, store=store)
        doc = json.loads(example("limg-referrers", "--format", "json", "--artifact-type",
                                 "application/vnd.dev.sigstore.bundle.v0.3+json", self.ref).stdout)
        self.assertEqual(len(doc["referrers"]), 1)
        _, manifest = self.fetch("manifests/" + doc["referrers"][0]["digest"], images.OCI_MANIFEST)
        manifest = json.loads(manifest)
        self.assertEqual(manifest["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json")
        self.assertEqual(manifest["subject"]["digest"], self.img.manifest.digest)
        self.assertEqual(manifest["annotations"]["dev.sigstore.bundle.predicateType"],
                         "https://sigstore.dev/cosign/sign/v1")
        _, bundle = self.fetch("blobs/" + manifest["layers"][0]["digest"], "*/*")
        path = os.path.join(self.tmp, "bundle.json")
        with open(path, "wb") as f:
            f.write(bundle)
        self.assertEqual(node("verify", path, os.path.join(DATA, "cosign.pub"), self.img.manifest.digest).stdout,
                         "verified\n")
        # the same bundle under another key, or for another digest: sigstore-js refuses it too
        self.assertEqual(node("verify", path, os.path.join(DATA, "ec-public.pem"), self.img.manifest.digest,
                              check=False).returncode, 1)
        self.assertIn("does not name", node("verify", path, os.path.join(DATA, "cosign.pub"), "sha256:" + "00" * 32,
                                            check=False).stderr)
        # and libimage reads what it wrote
        self.verify(self.policy(key="cosign.pub"), self.ref, check=True)

    def test_a_copy_signs_with_a_bundle(self):
        dst = "%s/%s-copy:1" % (reg.host, self.repo)
        example("limg-copy", "--sign-key", os.path.join(DATA, "ec-private.pem"), "--sign-format", "bundle", self.ref,
                dst)
        tree = example("limg-referrers", dst).stdout
        digest = re.search(r"└── (sha256:[0-9a-f]{64})", tree).group(1)
        req = urllib.request.Request("%s/v2/%s-copy/manifests/%s" % (reg.url, self.repo, digest),
                                     headers={"Accept": images.OCI_MANIFEST})
        layer = json.loads(urllib.request.urlopen(req).read())["layers"][0]["digest"]
        data = urllib.request.urlopen("%s/v2/%s-copy/blobs/%s" % (reg.url, self.repo, layer)).read()
        path = os.path.join(self.tmp, "bundle.json")
        with open(path, "wb") as f:
            f.write(data)
        node("verify", path, os.path.join(DATA, "ec-public.pem"), self.img.manifest.digest)

    def passphrase(self):
        path = os.path.join(self.tmp, "pass")
        with open(path, "w") as f:
            f.write("test-passphrase\n")
        return path


if __name__ == "__main__":
    unittest.main()
