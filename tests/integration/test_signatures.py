# SPDX-License-Identifier: MIT
"""Signatures and policy end to end, against Debian's docker-registry
behind the fault proxy (which counts what was asked): images signed by an
independent signer (python3-cryptography, fixtures/cosign.py) verify in
libimage, what libimage signs verifies there; containers-policy.json files
as podman users write them; indexes; pulls, copies, pushes, archives; and
the attacks (a signature for another digest or repository, strict payloads,
a 100 MB signature layer, a .sig manifest of the wrong type, a referrers
listing of itself, endless referrers pages), each refused with nothing
pulled."""
import base64
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.request

from fixtures import cosign, faultproxy, hostile, images, registry
from tool import assert_sound, assert_stores_sound, example

reg = proxy = None
KEYS = None  # a directory of keys made for this run
ec_key = rsa_key = other_key = None


def setUpModule():
    global reg, proxy, KEYS, ec_key, rsa_key, other_key
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    proxy = faultproxy.FaultProxy(reg.host)
    unittest.addModuleCleanup(proxy.stop)
    KEYS = tempfile.mkdtemp(prefix="limg-signature-keys-")
    unittest.addModuleCleanup(shutil.rmtree, KEYS)
    ec_key, rsa_key, other_key = cosign.new_ec_key(), cosign.new_rsa_key(), cosign.new_ec_key()
    for name, key in (("ec", ec_key), ("rsa", rsa_key), ("other", other_key)):
        with open(os.path.join(KEYS, name + ".pub"), "wb") as f:
            f.write(cosign.public_pem(key))
        with open(os.path.join(KEYS, name + ".key"), "wb") as f:
            f.write(cosign.private_pem(key))
    with open(os.path.join(KEYS, "ec.cosign.key"), "wb") as f:
        f.write(cosign.encrypted_private_key(ec_key, b"Sesame-1"))
    with open(os.path.join(KEYS, "pass"), "w") as f:
        f.write("Sesame-1\n")
    with open(os.path.join(KEYS, "wrong-pass"), "w") as f:
        f.write("sesame-1\n")


def key(name):
    return os.path.join(KEYS, name)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-signatures-")
        self.store = os.path.join(self.tmp, "store")
        self.regd = os.path.join(self.tmp, "registries.d")
        os.makedirs(self.regd)
        # podman's switch: sigstore attachments are read only where registries.d says so
        self.write(os.path.join(self.regd, "default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n")
        proxy.clear()

    def tearDown(self):
        # every store a test left (pulls refused by a policy too) is a sound OCI layout, judged without libimage
        assert_stores_sound(self, self.tmp)
        shutil.rmtree(self.tmp)

    def write(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    def policy(self, doc):
        return self.write(os.path.join(self.tmp, "policy-%d.json" % len(os.listdir(self.tmp))), json.dumps(doc))

    def scoped(self, scope_key, requirement):
        """A policy as podman users write it: reject by default, one registry by key."""
        return self.policy({"default": [{"type": "reject"}],
                            "transports": {"docker": {scope_key: [requirement]},
                                           "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}}})

    def by_key(self, name="ec.pub", identity=None, scope=None):
        req = {"type": "sigstoreSigned", "keyPath": key(name)}
        if identity:
            req["signedIdentity"] = {"type": identity}
        return self.scoped(scope or proxy.host, req)

    def push_image(self, repo, tag="1", image=None):
        img = image or images.Image(images.sample_layers(repo + tag))
        reg.push(repo, tag, img)
        return img

    def run_tool(self, name, *args, check=True):
        return example(name, *args, store=self.store, check=check)

    def verify(self, policy, ref, *args, check=False):
        return self.run_tool("limg-verify", "--policy", policy, "--registries.d", self.regd, *args, ref, check=check)

    def pull(self, policy, ref, *args, check=False):
        self.before_pull = self.stored_blobs()
        proxy.clear()
        return self.run_tool("limg-pull", "-q", "--policy", policy, "--registries.d", self.regd, *args, ref,
                             check=check)

    def stored_blobs(self):
        d = os.path.join(self.store, "blobs", "sha256")
        return set(os.listdir(d)) if os.path.isdir(d) else set()

    def layer_gets(self):
        with proxy.lock:
            return [p for m, p, _ in proxy.requests if m == "GET" and "/blobs/" in p]

    def assert_rejected_nothing_pulled(self, p, img, *words):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Source image rejected", p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)
        # nothing fetched (no config, no layer), nothing stored, nothing tagged
        self.assertEqual(self.stored_blobs(), self.before_pull)
        for blob in [img.config] + [l.blob for l in img.layers]:
            self.assertFalse(any(blob.digest in g for g in self.layer_gets()), blob.digest)
        images_out = self.run_tool("limg-images", "--format", "json").stdout
        self.assertNotIn(img.config.digest[7:19], images_out)


class SimpleSigning(Base):
    """The .sig tag format both ways, with an independent signer and verifier."""

    def test_python_signed_images_verify_and_pull(self):
        for name, k in (("ec", ec_key), ("rsa", rsa_key)):
            img = self.push_image("simple/" + name)
            # cosign's identity: the repository alone (so matchRepository, as containers/image documents)
            cosign.sign(reg, "simple/" + name, img.manifest.digest, "%s/simple/%s" % (proxy.host, name), k)
            policy = self.by_key(name + ".pub", "matchRepository")
            ref = "%s/simple/%s:1" % (proxy.host, name)
            out = self.verify(policy, ref)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("requirement 1 sigstoreSigned: accepted: sha256-%s.sig layer 1: signed by %s"
                          % (img.manifest.digest[7:], key(name + ".pub")), out.stdout)
            out = self.pull(policy, ref, check=True)
            self.assertEqual(out.stdout.strip(), ref)
            self.assertIn(img.layers[1].blob.digest[7:], self.stored_blobs())
            # the default identity rule wants the tag signed: cosign's repository-only identity is refused
            out = self.verify(self.by_key(name + ".pub"), ref)
            self.assertEqual(out.returncode, 1)
            self.assertIn("matchRepoDigestOrExact does not accept", out.stderr)

    def test_the_requests_a_signed_pull_costs(self):
        img = self.push_image("simple/cost")
        cosign.sign(reg, "simple/cost", img.manifest.digest, "%s/simple/cost:1" % proxy.host, ec_key)
        proxy.clear()
        self.pull(self.by_key(), "%s/simple/cost:1" % proxy.host, check=True)
        with proxy.lock:
            asked = [(m, p) for m, p, _ in proxy.requests]
        signature = [r for r in asked if ".sig" in r[1] or cosign.sig_tag(img.manifest.digest) in r[1]
                     or "/referrers/" in r[1]]
        # one GET of the .sig manifest, one of its payload: at most 2 requests more than a pull
        self.assertEqual(len([r for r in asked if cosign.sig_tag(img.manifest.digest) in r[1]]), 1, asked)
        payload_gets = [r for r in asked if r[0] == "GET" and "/blobs/" in r[1] and not any(
            b.digest in r[1] for b in img.blobs())]
        self.assertEqual(len(payload_gets), 1, asked)
        self.assertEqual(len(signature) + len(payload_gets), 2)

    def test_libimage_signed_verifies_in_python(self):
        img = self.push_image("simple/mine")
        ref = "%s/simple/mine:1" % reg.host
        self.run_tool("limg-pull", "-q", ref)
        # a PEM key, then cosign's encrypted one (a second signature in the same .sig manifest).
        # Both hold the same key, and ECDSA signs deterministically here (RFC 6979): the second
        # names another identity, so that two pushes in one second (the payload's timestamp) do
        # not make the same signature twice, which is kept once.
        other = "%s/simple/mine:other" % reg.host
        out = self.run_tool("limg-push", "--sign-key", key("ec.key"), ref)
        self.assertIn("Signed %s/simple/mine@%s (the .sig tag)" % (reg.host, img.manifest.digest), out.stdout)
        self.run_tool("limg-push", "-q", "--sign-by-sigstore-private-key", key("ec.cosign.key"),
                      "--sign-passphrase-file", key("pass"), "--sign-identity", other, ref)
        docs = cosign.verified_payloads(reg, "simple/mine", img.manifest.digest, ec_key.public_key())
        self.assertEqual(len(docs), 2)
        # skopeo's identity: the destination with its tag (unless told otherwise)
        self.assertEqual([d["critical"]["identity"]["docker-reference"] for d in docs], [ref, other])
        for doc in docs:
            self.assertTrue(doc["optional"]["creator"].startswith("libimage "))
            self.assertIsInstance(doc["optional"]["timestamp"], int)
        self.assertEqual(cosign.verified_payloads(reg, "simple/mine", img.manifest.digest, other_key.public_key()), [])
        # the default signedIdentity accepts the tag libimage signed
        out = self.verify(self.scoped(reg.host, {"type": "sigstoreSigned", "keyPath": key("ec.pub")}), ref)
        self.assertEqual(out.returncode, 0, out.stderr)
        # a wrong passphrase, and a missing one, say so and sign nothing
        out = self.run_tool("limg-push", "--sign-key", key("ec.cosign.key"), "--sign-passphrase-file",
                            key("wrong-pass"), ref, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("wrong passphrase", out.stderr)
        out = self.run_tool("limg-push", "--sign-key", key("ec.cosign.key"), ref, check=False)
        self.assertIn("a passphrase is needed", out.stderr)
        self.assertEqual(len(cosign.verified_payloads(reg, "simple/mine", img.manifest.digest, ec_key.public_key())), 2)

    def test_unsigned_and_unread_are_rejected(self):
        img = self.push_image("simple/unsigned")
        ref = "%s/simple/unsigned:1" % proxy.host
        p = self.pull(self.by_key(), ref)
        self.assert_rejected_nothing_pulled(p, img, "image %s is rejected" % ref, 'scope "%s"' % proxy.host,
                                            "no signature exists")
        # registries.d does not say use-sigstore-attachments: nothing is read, and the rejection says why
        cosign.sign(reg, "simple/unsigned", img.manifest.digest, ref, ec_key)
        os.remove(os.path.join(self.regd, "default.yaml"))
        proxy.clear()
        p = self.pull(self.by_key(), ref)
        self.assert_rejected_nothing_pulled(p, img, "use-sigstore-attachments")
        with proxy.lock:
            self.assertFalse(any(".sig" in p for _, p, _ in proxy.requests))

    def test_podman_policies(self):
        """policy.json files as `podman image trust set` and Fedora write them."""
        signed = self.push_image("trust/signed")
        cosign.sign(reg, "trust/signed", signed.manifest.digest, "%s/trust/signed:1" % proxy.host, ec_key)
        self.push_image("trust/other")
        policy = self.policy({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {
                "docker": {
                    "registry.access.redhat.com": [{"type": "signedBy", "keyType": "GPGKeys",
                                                    "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}],
                    "%s/trust/gpg" % proxy.host: [{"type": "signedBy", "keyType": "GPGKeys",
                                                   "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}],
                    "%s/trust" % proxy.host: [{"type": "sigstoreSigned", "keyPath": key("ec.pub"),
                                               "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
                    "%s/trust/other" % proxy.host: [{"type": "reject"}],
                },
                "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]},
                "atomic": {"": [{"type": "insecureAcceptAnything"}]},
            }})
        self.assertEqual(self.pull(policy, "%s/trust/signed:1" % proxy.host).returncode, 0)
        p = self.pull(policy, "%s/trust/other:1" % proxy.host)
        self.assertIn('scope "%s/trust/other"' % proxy.host, p.stderr)
        self.assertIn("every image of this scope is rejected", p.stderr)
        # the most specific scope wins; another registry falls to the default
        self.push_image("elsewhere/app")
        self.assertEqual(self.pull(policy, "%s/elsewhere/app:1" % proxy.host).returncode, 0)
        # GPG is never accepted, and says why (without looking for signatures)
        gpg = self.push_image("trust/gpg")
        proxy.clear()
        out = self.verify(policy, "%s/trust/gpg:1" % proxy.host)
        self.assertEqual(out.returncode, 1)
        self.assertIn("signedBy (GPG simple signing) is not supported", out.stderr)
        with proxy.lock:
            self.assertFalse(any(".sig" in p for _, p, _ in proxy.requests))
        self.assert_rejected_nothing_pulled(self.pull(policy, "%s/trust/gpg:1" % proxy.host), gpg, "GPG")
        # a policy with a typo is refused whole, naming where
        bad = self.policy({"default": [{"type": "insecureAcceptAnything", "keyPath": "/x"}]})
        p = self.pull(bad, "%s/trust/signed:1" % proxy.host)
        self.assertEqual(p.returncode, 1)
        self.assertIn("default[0]: unknown field \"keyPath\"", p.stderr)

    def test_an_up_to_date_pull_is_checked_too(self):
        img = self.push_image("simple/again")
        ref = "%s/simple/again:1" % proxy.host
        cosign.sign(reg, "simple/again", img.manifest.digest, ref, ec_key)
        self.assertEqual(self.pull(self.by_key(), ref).returncode, 0)
        # the signature is replaced by one of another key: the stored image is not admitted again
        cosign.sign(reg, "simple/again", img.manifest.digest, ref, other_key)
        p = self.pull(self.by_key(), ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not verify with", p.stderr)


class Attacks(Base):
    """What an attacker who controls the registry (not the key) can try: each refused, nothing pulled."""

    def signed_elsewhere(self, repo):
        img = self.push_image(repo)
        return img, "%s/%s:1" % (proxy.host, repo)

    def test_a_signature_for_another_digest(self):
        img, ref = self.signed_elsewhere("attack/digest")
        other = "sha256:" + "ab" * 32
        cosign.sign(reg, "attack/digest", img.manifest.digest, ref, ec_key, data=cosign.payload(other, ref))
        self.assert_rejected_nothing_pulled(self.pull(self.by_key(), ref), img, "for digest \"%s\"" % other,
                                            "not the image's %s" % img.manifest.digest)

    def test_a_signature_for_another_repository(self):
        genuine = self.push_image("attack/genuine")
        genuine_ref = "%s/attack/genuine:1" % proxy.host
        cosign.sign(reg, "attack/genuine", genuine.manifest.digest, genuine_ref, ec_key)
        # the same image served under another name, with the genuine signature copied beside it
        self.push_image("attack/impostor", image=genuine)
        _, body = cosign.fetch(reg, "attack/genuine", "manifests/" + cosign.sig_tag(genuine.manifest.digest),
                               images.OCI_MANIFEST)
        for blob in json.loads(body)["layers"] + [json.loads(body)["config"]]:
            _, data = cosign.fetch(reg, "attack/genuine", "blobs/" + blob["digest"], "*/*")
            reg.push_blob("attack/impostor", images.Blob(data, blob["mediaType"]))
        reg.push_manifest("attack/impostor", cosign.sig_tag(genuine.manifest.digest),
                          images.Blob(body, images.OCI_MANIFEST))
        for identity in (None, "matchRepository"):
            p = self.pull(self.by_key(identity=identity), "%s/attack/impostor:1" % proxy.host)
            self.assert_rejected_nothing_pulled(p, genuine, "signed by %s for \"%s\"" % (key("ec.pub"), genuine_ref))

    def test_payloads_with_duplicate_or_unknown_critical_fields(self):
        img, ref = self.signed_elsewhere("attack/payload")
        good = cosign.payload(img.manifest.digest, ref).decode()
        for bad, why in (
                (good.replace('"type":"cosign', '"type":"cosign container image signature","type":"cosign'),
                 "duplicate"),
                (good.replace('{"critical":{', '{"critical":{"CRITICAL":1,').replace('{"critical":{"CRITICAL":1,',
                                                                                       '{"CRITICAL":{},"critical":{'),
                 "duplicate"),
                (good.replace('"identity":{', '"unknown":{},"identity":{'), "unknown field"),
                (good.replace('"docker-reference"', '"docker-reference2"'), "unknown field")):
            cosign.sign(reg, "attack/payload", img.manifest.digest, ref, ec_key, data=bad.encode())
            p = self.pull(self.by_key(), ref)
            self.assert_rejected_nothing_pulled(p, img, why)

    def test_a_100_mb_signature_layer(self):
        """A .sig layer of 100 MB, said honestly (refused before a byte), or hidden behind a small size
        (the fetch stops at the size it was told)."""
        h = hostile.HostileRegistry()
        self.addCleanup(h.stop)
        img = images.Image(images.sample_layers("big"))
        h.serve_image("attack/big", "1", img)
        ref = "%s/attack/big:1" % h.host
        big = images.Blob(b"", cosign.SIMPLE_SIGNING)
        big.size, big.digest = 100 << 20, "sha256:" + "cd" * 32
        small_claim = images.Blob(b"", cosign.SIMPLE_SIGNING)
        small_claim.size, small_claim.digest = 261, "sha256:" + "ef" * 32
        layers = [(b, b.descriptor(annotations={cosign.SIGNATURE_KEY: "MEUCIQ=="})) for b in (big, small_claim)]
        config, manifest = cosign.sig_manifest(layers)
        h.serve_blob("attack/big", config)
        h.serve_manifest("attack/big", cosign.sig_tag(img.manifest.digest), manifest.data, images.OCI_MANIFEST)
        h.route(r"/blobs/%s$" % small_claim.digest, hostile.endless(200, reg=h))
        p = self.pull(self.by_key(scope=h.host), ref)
        self.assertEqual(p.returncode, 1)
        self.assertIn("a signature layer of 104857600 bytes, over the 4194304-byte limit: not fetched", p.stderr)
        self.assertEqual(h.count(big.digest), 0)
        self.assertLessEqual(h.sent.get("/v2/attack/big/blobs/%s" % small_claim.digest, 0), 8 << 20)
        self.assertEqual(h.count(img.layers[0].blob.digest), 0)
        self.assertEqual(self.stored_blobs(), set())

    def test_a_sig_manifest_of_the_wrong_media_type(self):
        img, ref = self.signed_elsewhere("attack/type")
        data = cosign.payload(img.manifest.digest, ref)
        layer = cosign.signature_layer(data, base64.b64encode(cosign.sign_bytes(ec_key, data)).decode())
        cosign.push_signatures(reg, "attack/type", img.manifest.digest, [layer], media_type=images.DOCKER_MANIFEST)
        p = self.pull(self.by_key(), ref)
        self.assert_rejected_nothing_pulled(p, img, "is a %s, not an OCI image manifest" % images.DOCKER_MANIFEST)

    def test_a_referrers_listing_of_itself(self):
        img, ref = self.signed_elsewhere("attack/loop")
        evil = {"schemaVersion": 2, "mediaType": images.OCI_INDEX, "manifests": [
            {"mediaType": images.OCI_MANIFEST, "digest": img.manifest.digest, "size": img.manifest.size,
             "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}]}
        reg.push_manifest("attack/loop", img.manifest.digest.replace(":", "-"),
                          images.Blob(json.dumps(evil).encode(), images.OCI_INDEX))
        p = self.pull(self.by_key(), ref)
        self.assert_rejected_nothing_pulled(p, img, "itself as a referrer")

    def test_endless_referrers_pages(self):
        h = hostile.HostileRegistry()
        self.addCleanup(h.stop)
        img = images.Image(images.sample_layers("endless"))
        h.serve_image("attack/endless", "1", img)
        base = "/v2/attack/endless/referrers/%s" % img.manifest.digest
        n = [0]

        def page(handler, m):
            n[0] += 1
            body = json.dumps({"schemaVersion": 2, "mediaType": images.OCI_INDEX, "manifests": [
                {"mediaType": images.OCI_MANIFEST, "digest": "sha256:%064x" % n[0], "size": 10,
                 "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}]}).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", images.OCI_INDEX)
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Link", '<%s?n=%d>; rel="next"' % (base, n[0]))
            handler.end_headers()
            handler.wfile.write(body)
        h.route(r"^%s" % re.escape(base), page)
        p = self.pull(self.by_key(scope=h.host), "%s/attack/endless:1" % h.host)
        self.assertEqual(p.returncode, 1)
        self.assertIn("over 64 pages", p.stderr)
        self.assertLessEqual(n[0], 64)
        self.assertEqual(h.count(r"/blobs/"), 0)  # no config, no layer
        self.assertEqual(self.stored_blobs(), set())


class Indexes(Base):
    """Which digest must be signed for an image chosen from an index."""

    def setUp(self):
        super().setUp()
        amd = images.Image(images.sample_layers("amd"), arch="amd64")
        arm = images.Image(images.sample_layers("arm"), arch="arm64")
        self.index = images.Index([amd, arm])
        self.amd = amd
        self.repo = "multi/" + self._testMethodName.replace("_", "-")
        reg.push(self.repo, "1", self.index)
        self.ref = "%s/%s:1" % (proxy.host, self.repo)

    def test_the_index_signed(self):
        # cosign's default: the index's digest
        cosign.sign(reg, self.repo, self.index.manifest.digest, self.ref, ec_key)
        policy = self.by_key()
        out = self.verify(policy, self.ref, "--platform", "linux/amd64")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("(digest %s, the index)" % self.index.manifest.digest, out.stdout)
        # containers/image's rule: the platform's image must be signed
        out = self.verify(policy, self.ref, "--platform", "linux/amd64", "--instance-signatures-only")
        self.assertEqual(out.returncode, 1)
        p = self.pull(policy, self.ref, "--platform", "linux/amd64")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(self.amd.layers[1].blob.digest[7:], self.stored_blobs())

    def test_the_image_signed(self):
        # cosign sign --recursive (what podman needs): the image's own signature, with either rule
        cosign.sign(reg, self.repo, self.amd.manifest.digest, self.ref, ec_key)
        for extra in ((), ("--instance-signatures-only",)):
            out = self.verify(self.by_key(), self.ref, "--platform", "linux/amd64", *extra)
            self.assertEqual(out.returncode, 0, out.stderr)
        # the other platform is not signed
        out = self.verify(self.by_key(), self.ref, "--platform", "linux/arm64")
        self.assertEqual(out.returncode, 1)

    def test_libimage_signs_recursively(self):
        ref = "%s/%s:1" % (reg.host, self.repo)
        self.run_tool("limg-copy", "--sign-key", key("ec.key"), "--sign-recursive", ref, "%s/multi/copy:1" % reg.host)
        for digest in (self.index.manifest.digest, self.amd.manifest.digest,
                       self.index.images[1].manifest.digest):
            self.assertEqual(len(cosign.verified_payloads(reg, "multi/copy", digest, ec_key.public_key())), 1)


class Carried(Base):
    """Copies, pushes and archives keep signatures; a copy checks the source first."""

    def test_copy_checks_the_source_and_signs_the_destination(self):
        img = self.push_image("carry/src")
        src, dst = "%s/carry/src:1" % reg.host, "%s/carry/dst:1" % reg.host
        p = self.run_tool("limg-copy", "--policy", self.by_key(scope=reg.host), "--registries.d", self.regd, src, dst,
                          check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Source image rejected", p.stderr)
        self.assertIsNone(cosign.fetch(reg, "carry/dst", "manifests/1", images.OCI_MANIFEST)[1])
        cosign.sign(reg, "carry/src", img.manifest.digest, src, ec_key)
        self.run_tool("limg-copy", "--policy", self.by_key(scope=reg.host, identity="matchRepository"),
                      "--registries.d", self.regd, "--referrers", "--sign-key", key("other.key"), src, dst)
        # the source's signature came along, and the copy's own is there beside it
        self.assertEqual(len(cosign.verified_payloads(reg, "carry/dst", img.manifest.digest, ec_key.public_key())), 1)
        docs = cosign.verified_payloads(reg, "carry/dst", img.manifest.digest, other_key.public_key())
        self.assertEqual([d["critical"]["identity"]["docker-reference"] for d in docs], [dst])

    def test_an_air_gapped_copy_keeps_its_signatures(self):
        img = self.push_image("carry/airgap")
        ref = "%s/carry/airgap:1" % reg.host
        cosign.sign(reg, "carry/airgap", img.manifest.digest, ref, ec_key)
        out = self.run_tool("limg-attach", "--artifact-type", "application/spdx+json", ref,
                            self.write(os.path.join(self.tmp, "sbom.json"), '{"spdxVersion":"SPDX-2.3"}')).stdout
        sbom = re.search(r"Digest: (sha256:[0-9a-f]{64})", out).group(1)
        policy = self.by_key(scope=reg.host)
        self.run_tool("limg-pull", "-q", "--policy", policy, "--registries.d", self.regd, "--referrers", ref)
        archive = os.path.join(self.tmp, "airgap.tar")
        self.run_tool("limg-save", "-o", archive, ref)
        # another machine: a fresh store, no network needed to check it
        other = os.path.join(self.tmp, "other-store")
        example("limg-load", "-i", archive, store=other)
        assert_sound(self, other)  # the referrers kept beside the loaded image leave an OCI layout both judges accept
        out = example("limg-verify", "--local", "--policy", policy, ref, store=other)
        self.assertIn("accepted: stored %s" % cosign.sig_tag(img.manifest.digest), out.stdout)
        # gc keeps them while the image is kept
        self.assertIn(sbom[7:], os.listdir(os.path.join(other, "blobs", "sha256")))
        # and a push to another registry puts them back
        target = "%s/carry/landed:1" % reg.host
        example("limg-tag", ref, target, store=other)
        example("limg-push", "-q", "--referrers", target, store=other)
        self.assertEqual(len(cosign.verified_payloads(reg, "carry/landed", img.manifest.digest,
                                                      ec_key.public_key())), 1)
        tree = example("limg-referrers", target).stdout
        self.assertIn(sbom, tree)
        # an image loaded without its signatures is rejected, saying where they were looked for
        plain = os.path.join(self.tmp, "plain-store")
        self.run_tool("limg-pull", "-q", "%s/carry/airgap:1" % reg.host)
        example("limg-pull", "-q", ref, store=plain)
        out = example("limg-verify", "--local", "--policy", policy, ref, store=plain, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("none is stored beside the image", out.stderr)


if __name__ == "__main__":
    unittest.main()
