# SPDX-License-Identifier: MIT
"""OCI 1.1 referrers: limg-attach and limg-referrers (oras attach and
discover) against Debian's docker-registry 2.8, which has no referrers API,
so the referrers tag (sha256-<hex>) is what they keep and read; and against
the hostile registry, which plays a registry with the API (filters, pages)
and one that lies (a listing of itself, endless pages, a tag that holds no
index)."""
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.request

from fixtures import hostile, images, registry
from tool import example

reg = None
OCI_INDEX = images.OCI_INDEX


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def get_manifest(r, repo, ref):
    req = urllib.request.Request("%s/v2/%s/manifests/%s" % (r.url, repo, ref),
                                 headers={"Accept": ", ".join(hostile.MANIFEST_TYPES)})
    with urllib.request.urlopen(req) as resp:
        return resp.headers["Content-Type"], resp.read()


def tag_of(digest):
    return digest.replace(":", "-")


class Referrers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-referrers-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def attach(self, *args, check=True):
        return example("limg-attach", *args, check=check)

    def push_image(self, repo, tag="1"):
        img = images.Image(images.sample_layers(repo))
        reg.push(repo, tag, img)
        return img

    def test_attach_and_discover_through_the_referrers_tag(self):
        img = self.push_image("ref/app")
        sbom = self.file("sbom.spdx.json", b'{"spdxVersion": "SPDX-2.3"}')
        out = self.attach("--artifact-type", "application/spdx+json", "--annotation", "org.example.note=first",
                          "%s/ref/app:1" % reg.host, sbom + ":application/spdx+json").stdout
        self.assertIn("Attached to [registry] %s/ref/app@%s" % (reg.host, img.manifest.digest), out)
        sbom_digest = re.search(r"Digest: (sha256:[0-9a-f]{64})", out).group(1)
        other = self.attach("--artifact-type", "application/vnd.example.report",
                            "%s/ref/app@%s" % (reg.host, img.manifest.digest)).stdout
        other_digest = re.search(r"Digest: (sha256:[0-9a-f]{64})", other).group(1)

        # what the registry holds: the referrer (with its subject), and the referrers tag listing both
        ctype, body = get_manifest(reg, "ref/app", sbom_digest)
        m = json.loads(body)
        self.assertEqual(m["artifactType"], "application/spdx+json")
        self.assertEqual(m["subject"]["digest"], img.manifest.digest)
        self.assertEqual(m["subject"]["size"], img.manifest.size)
        self.assertEqual(m["config"]["digest"], images.sha256(b"{}"))
        self.assertEqual(m["layers"][0]["mediaType"], "application/spdx+json")
        self.assertEqual(m["layers"][0]["annotations"]["org.opencontainers.image.title"], "sbom.spdx.json")
        self.assertEqual(m["annotations"]["org.example.note"], "first")
        ctype, body = get_manifest(reg, "ref/app", tag_of(img.manifest.digest))
        self.assertEqual(ctype, OCI_INDEX)
        index = json.loads(body)
        listed = {e["digest"]: e for e in index["manifests"]}
        self.assertEqual(set(listed), {sbom_digest, other_digest})
        self.assertEqual(listed[sbom_digest]["artifactType"], "application/spdx+json")
        self.assertEqual(listed[sbom_digest]["annotations"]["org.example.note"], "first")
        self.assertEqual(listed[other_digest]["size"], len(get_manifest(reg, "ref/app", other_digest)[1]))

        # discover: a tree by artifact type, JSON, a filter
        tree = example("limg-referrers", "%s/ref/app:1" % reg.host).stdout
        self.assertEqual(tree.splitlines()[0], "%s/ref/app@%s" % (reg.host, img.manifest.digest))
        self.assertIn("├── application/spdx+json\n│   └── %s" % sbom_digest, tree)
        self.assertIn("└── application/vnd.example.report\n    └── %s" % other_digest, tree)
        doc = json.loads(example("limg-referrers", "--format", "json", "--artifact-type", "application/spdx+json",
                                 "%s/ref/app:1" % reg.host).stdout)
        self.assertEqual([r["digest"] for r in doc["referrers"]], [sbom_digest])

        # the API alone: this registry has none, which is said
        p = example("limg-referrers", "--referrers-mode", "api", "%s/ref/app:1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("has no referrers API", p.stderr)

    def test_referrers_of_referrers(self):
        img = self.push_image("ref/nested")
        out = self.attach("--artifact-type", "application/spdx+json", "%s/ref/nested:1" % reg.host).stdout
        sbom = re.search(r"Digest: (sha256:[0-9a-f]{64})", out).group(1)
        out = self.attach("--artifact-type", "application/vnd.example.sig", "%s/ref/nested@%s" % (reg.host, sbom)).stdout
        sig = re.search(r"Digest: (sha256:[0-9a-f]{64})", out).group(1)
        tree = example("limg-referrers", "%s/ref/nested:1" % reg.host).stdout
        self.assertIn(sbom, tree)
        self.assertIn("        └── application/vnd.example.sig\n            └── %s" % sig, tree)
        self.assertNotIn(img.manifest.digest, tree.splitlines()[1])

    def test_no_referrers_and_errors(self):
        self.push_image("ref/plain")
        tree = example("limg-referrers", "%s/ref/plain:1" % reg.host).stdout
        self.assertEqual(len(tree.strip().splitlines()), 1)
        p = example("limg-referrers", "%s/ref/plain:nosuchtag" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        p = self.attach("%s/ref/plain:1" % reg.host, self.file("x", b"x"), check=False)
        self.assertEqual(p.returncode, 1)
        # cobra's words for a required flag (oras attach's --artifact-type)
        self.assertEqual(p.stderr, 'required flag(s) "artifact-type" not set\nSee \'limg-attach --help\'.\n')
        p = self.attach("--artifact-type", "a/b", "%s/ref/plain:1" % reg.host, "/nonexistent/file", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("/nonexistent/file", p.stderr)

    def test_a_tag_that_lists_its_subject_is_refused(self):
        """An attacker's referrers tag naming the image itself: refused, not followed forever."""
        img = self.push_image("ref/loop")
        evil = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                "manifests": [{"mediaType": images.OCI_MANIFEST, "digest": img.manifest.digest,
                               "size": img.manifest.size, "artifactType": "application/vnd.example.sig"}]}
        reg.push_manifest("ref/loop", tag_of(img.manifest.digest), images.Blob(json.dumps(evil).encode(), OCI_INDEX))
        p = example("limg-referrers", "%s/ref/loop:1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("names %s itself as a referrer" % img.manifest.digest, p.stderr)

    def test_a_tag_that_holds_no_index_is_refused(self):
        img = self.push_image("ref/notindex")
        reg.push_manifest("ref/notindex", tag_of(img.manifest.digest), img.manifest)
        p = example("limg-referrers", "%s/ref/notindex:1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not an OCI index", p.stderr)
        # and an attach does not overwrite it
        p = self.attach("--artifact-type", "a/b", "%s/ref/notindex:1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not an OCI index", p.stderr)


class ReferrersAPI(unittest.TestCase):
    """The API, played by the hostile registry: pages, filters, and lies."""

    def setUp(self):
        self.h = hostile.HostileRegistry()
        self.img = images.Image(images.sample_layers("api"))
        self.h.serve_image("api/app", "1", self.img)
        self.subject = self.img.manifest.digest

    def tearDown(self):
        self.h.stop()

    def entry(self, n, artifact_type="application/vnd.example.sig"):
        return {"mediaType": images.OCI_MANIFEST, "digest": "sha256:%064x" % n, "size": 100 + n,
                "artifactType": artifact_type}

    def serve_pages(self, pages, filters_applied=False):
        base = "/v2/api/app/referrers/%s" % self.subject
        for i, entries in enumerate(pages):
            headers = {"Content-Type": OCI_INDEX}
            if i + 1 < len(pages):
                headers["Link"] = '<%s?page=%d>; rel="next"' % (base, i + 1)
            if filters_applied:
                headers["OCI-Filters-Applied"] = "artifactType"
            body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
            self.h.route(r"^%s%s$" % (re.escape(base), r"(\?artifactType=[^&]*)?" if i == 0 else
                                      re.escape("?page=%d" % i)), hostile.answer(200, body, headers))

    def discover(self, *args, check=True):
        return example("limg-referrers", "--format", "json", *args, "%s/api/app:1" % self.h.host, check=check)

    def test_pages_and_client_side_filter(self):
        self.serve_pages([[self.entry(1), self.entry(2, "application/spdx+json")], [self.entry(3)]])
        doc = json.loads(self.discover().stdout)
        self.assertEqual(sorted(r["digest"] for r in doc["referrers"]), ["sha256:%064x" % n for n in (1, 2, 3)])
        self.assertEqual(self.h.count(r"/manifests/sha256-%s" % self.subject[7:]), 0)  # the API answered: no tag read
        # the registry said it did not filter: libimage does
        doc = json.loads(self.discover("--artifact-type", "application/spdx+json").stdout)
        self.assertEqual([r["digest"] for r in doc["referrers"]], ["sha256:%064x" % 2])
        self.assertTrue(any("artifactType=application%2Fspdx%2Bjson" in p for _, p, _ in self.h.requests))

    def test_filters_applied_is_trusted(self):
        # a registry that says it filtered is believed (it is the registry's listing either way)
        self.serve_pages([[self.entry(1)]], filters_applied=True)
        doc = json.loads(self.discover("--artifact-type", "application/spdx+json").stdout)
        self.assertEqual(len(doc["referrers"]), 1)

    def test_endless_pages_are_refused(self):
        base = "/v2/api/app/referrers/%s" % self.subject
        n = [0]

        def page(h, m):
            n[0] += 1
            body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                               "manifests": [self.entry(n[0])]}).encode()
            h.send_response(200)
            h.send_header("Content-Type", OCI_INDEX)
            h.send_header("Content-Length", str(len(body)))
            h.send_header("Link", '<%s?page=%d>; rel="next"' % (base, n[0]))
            h.end_headers()
            h.wfile.write(body)
        self.h.route(r"^%s" % re.escape(base), page)
        p = self.discover(check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("over 64 pages", p.stderr)
        self.assertLessEqual(n[0], 64)

    def test_a_listing_of_itself_is_refused(self):
        self.serve_pages([[self.entry(1), {"mediaType": images.OCI_MANIFEST, "digest": self.subject,
                                           "size": self.img.manifest.size}]])
        p = self.discover(check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("itself as a referrer", p.stderr)

    def test_a_link_elsewhere_is_refused(self):
        base = "/v2/api/app/referrers/%s" % self.subject
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [self.entry(1)]}).encode()
        self.h.route(r"^%s" % re.escape(base), hostile.answer(200, body, {
            "Content-Type": OCI_INDEX, "Link": '<http://198.51.100.1/v2/x>; rel="next"'}))
        p = self.discover(check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("another host", p.stderr)

    def test_no_api_falls_back_to_the_tag(self):
        # the hostile registry answers 404 to /referrers/: the tag is read (and is missing: no referrers)
        doc = json.loads(self.discover().stdout)
        self.assertEqual(doc["referrers"], [])
        self.assertEqual(self.h.count(r"/referrers/"), 1)
        self.assertEqual(self.h.count(r"/manifests/sha256-%s$" % self.subject[7:]), 1)


if __name__ == "__main__":
    unittest.main()
