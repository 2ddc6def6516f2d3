# SPDX-License-Identifier: MIT
"""REPO@sha256:... in every program that names an stored image (inspect, unpack,
tag, save, push, rmi), and an image pulled by digest listed as Docker and
podman list it: REPOSITORY and TAG <none>, not dangling."""
import json
import os
import shutil
import tempfile
import unittest
import urllib.request

from fixtures import images, podman, registry
from tool import assert_stores_sound, example

reg = None
IMAGE = images.Image(images.sample_layers("bydigest"))


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    reg.push("team/dg", "v1", IMAGE)


def repo():
    return "%s/team/dg" % reg.host


def by_digest():
    return "%s@%s" % (repo(), IMAGE.manifest.digest)


class ByDigest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-bydigest-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        try:
            assert_stores_sound(self, self.tmp)  # whatever the test did, the store is sound
        finally:
            shutil.rmtree(self.tmp)

    def run_(self, name, *args, check=True):
        return example(name, *args, store=self.store, check=check)

    def rows(self, *args):
        out = self.run_("limg-images", "--format", "json", *args).stdout
        return sorted((r["Repository"], r["Tag"], r["ID"]) for r in map(json.loads, out.splitlines()))

    def pull_by_digest(self):
        self.run_("limg-pull", "-q", by_digest())

    def test_listed_as_docker_and_podman_list_it(self):
        self.pull_by_digest()
        row = [(repo(), "<none>", IMAGE.config.digest[7:19])]
        self.assertEqual(self.rows(), row)                           # by default, not only with -a
        self.assertEqual(self.rows("--filter", "dangling=true"), [])  # not dangling
        self.assertEqual(self.rows("--filter", "dangling=false"), row)
        self.assertEqual(self.rows("-a"), row)
        pm = podman.judge(self, "the listing")
        try:
            pm.run("pull", "--tls-verify=false", by_digest())
            self.assertEqual(pm.rows(), row)
            self.assertEqual(pm.rows("--filter", "dangling=true"), [])
            self.assertEqual(pm.rows("--filter", "dangling=false"), row)
        finally:
            pm.stop()

    def test_inspect(self):
        self.pull_by_digest()
        info = json.loads(self.run_("limg-inspect", by_digest()).stdout)[0]
        self.assertEqual(info["Id"], IMAGE.config.digest)
        self.assertEqual(info["RepoTags"], [])
        self.assertEqual(info["RepoDigests"], [by_digest()])

    def test_unpack(self):
        self.pull_by_digest()
        out = os.path.join(self.tmp, "rootfs")
        self.run_("limg-unpack", by_digest(), out)
        with open(os.path.join(out, "app", "bydigest.txt"), "rb") as f:
            self.assertEqual(f.read(), b"this is bydigest\n")

    def test_tag_then_every_program_still_finds_the_digest(self):
        """Tagging it in another repository keeps the digest reference (Docker keeps it in
        RepoDigests and lists REPO <none> beside the new tag); one of its own repository names it too."""
        self.pull_by_digest()
        self.run_("limg-tag", by_digest(), "other/app:t")
        rows = self.rows()
        self.assertEqual(rows, sorted([("other/app", "t", IMAGE.config.digest[7:19]),
                                       (repo(), "<none>", IMAGE.config.digest[7:19])]))
        archive = os.path.join(self.tmp, "saved.tar")
        self.run_("limg-save", "-o", archive, by_digest())
        info = json.loads(self.run_("limg-inspect", by_digest()).stdout)[0]
        self.assertIn(by_digest(), info["RepoDigests"])
        self.assertEqual(info["RepoTags"], ["other/app:t"])
        self.run_("limg-tag", by_digest(), "%s:mine" % repo())
        self.assertEqual(self.rows(), sorted([("other/app", "t", IMAGE.config.digest[7:19]),
                                              (repo(), "mine", IMAGE.config.digest[7:19])]))
        self.assertIn(by_digest(), json.loads(self.run_("limg-inspect", by_digest()).stdout)[0]["RepoDigests"])

    def test_save(self):
        self.pull_by_digest()
        archive = os.path.join(self.tmp, "saved.tar")
        self.run_("limg-save", "-o", archive, by_digest())
        other = os.path.join(self.tmp, "other")
        out = example("limg-load", "-i", archive, store=other).stdout
        self.assertIn("Loaded image ID: " + IMAGE.config.digest, out)

    def test_push(self):
        self.pull_by_digest()
        url = "%s/v2/team/dg/manifests/%s" % (reg.url, IMAGE.manifest.digest)
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"))
        self.addCleanup(reg.push_manifest, "team/dg", "v1", IMAGE.manifest)  # the delete took the tag too
        out = self.run_("limg-push", by_digest()).stdout
        self.assertIn("digest: %s size: %d" % (IMAGE.manifest.digest, IMAGE.manifest.size), out)
        req = urllib.request.Request(url, headers={"Accept": images.OCI_MANIFEST})
        self.assertEqual(urllib.request.urlopen(req).read(), IMAGE.manifest.data)

    def test_push_of_an_index_stored_in_part(self):
        # an index pulled by digest: the store keeps this machine's image only
        amd = images.Image(images.sample_layers("dg-multi-amd"), arch="amd64")
        arm = images.Image(images.sample_layers("dg-multi-arm"), arch="arm64", variant="v8")
        index = images.Index([amd, arm])
        reg.push("team/multi", "v1", index)
        ref = "%s/team/multi@%s" % (reg.host, index.manifest.digest)
        self.run_("limg-pull", "-q", ref)
        # pushed by that digest, the index cannot go up whole: refused before any blob goes
        p = self.run_("limg-push", ref, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "The push refers to repository [%s/team/multi]\n" % reg.host)
        self.assertIn("index %s is stored for some platforms only" % index.manifest.digest, p.stderr)
        self.assertIn("(its image %s)" % amd.manifest.digest, p.stderr)
        self.assertNotIn("not the digest", p.stderr)
        # tagged, that image goes, as the message says
        self.run_("limg-tag", ref, "%s/team/multi:amd" % reg.host)
        p = self.run_("limg-push", "%s/team/multi:amd" % reg.host)
        self.assertIn("amd: digest: %s" % amd.manifest.digest, p.stdout)

    def test_rmi(self):
        self.pull_by_digest()
        out = self.run_("limg-rmi", by_digest()).stdout.splitlines()
        self.assertEqual(out, ["Untagged: " + by_digest(), "Deleted: " + IMAGE.config.digest])
        self.assertEqual(self.rows("-a"), [])
        self.assertEqual(os.listdir(os.path.join(self.store, "blobs", "sha256")), [])
        pm = podman.judge(self, "what rmi says")  # podman says the same
        try:
            pm.run("pull", "--tls-verify=false", by_digest())
            self.assertEqual(pm.run("rmi", by_digest()).stdout.splitlines(), ["Untagged: " + by_digest(),
                                                                          "Deleted: " + IMAGE.config.digest[7:]])
        finally:
            pm.stop()

    def test_rmi_of_the_digest_keeps_the_tags(self):
        """As Docker: the digest reference goes, the tag stays, and so does the image."""
        self.run_("limg-pull", "-q", "%s:v1" % repo())
        self.pull_by_digest()
        out = self.run_("limg-rmi", by_digest()).stdout.splitlines()
        self.assertEqual(out, ["Untagged: " + by_digest()])
        self.assertEqual(self.rows("-a"), [(repo(), "v1", IMAGE.config.digest[7:19])])


if __name__ == "__main__":
    unittest.main()
