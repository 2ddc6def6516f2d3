# SPDX-License-Identifier: MIT
"""OCI layouts other tools wrote (skopeo, umoci): read as they are, by the names
those tools give (skopeo's oci:DIR:latest, umoci's --image DIR:latest), and never
written by a program that only reads."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import images, ocilayout, registry, tree
from tool import ENV, TOOLS, example

HAVE_SKOPEO = shutil.which("skopeo") is not None
HAVE_UMOCI = shutil.which("umoci") is not None
reg = None


def setUpModule():
    global reg
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)


def skopeo(*args):
    return subprocess.run(["skopeo", "--insecure-policy"] + list(args), check=True, capture_output=True, text=True,
                          env=ENV).stdout


def fingerprint(root):
    """Every entry of a directory with its times and contents: any write shows."""
    snap = tree.snapshot(root, True)
    top = os.lstat(root)
    return snap, (top.st_mtime_ns, top.st_ctime_ns)


@unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
class OtherToolsLayouts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-layouts-")
        self.image = images.Image(images.sample_layers("layout"))
        reg.push("team/layout", "v1", self.image)
        self.layout = os.path.join(self.tmp, "layout")
        skopeo("copy", "--src-tls-verify=false", "docker://%s/team/layout:v1" % reg.host, "oci:%s:latest" % self.layout)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_ro(self, name, *args, check=True):
        return example(name, "--store", self.layout, *args, check=check)

    def test_reading_a_skopeo_layout_writes_nothing(self):
        before = fingerprint(self.layout)
        rows = self.run_ro("limg-images", "--format", "json").stdout.splitlines()
        self.assertEqual(len(rows), 1)
        row = json.loads(rows[0])
        # a bare tag: what skopeo and umoci call the image; no repository
        self.assertEqual((row["Repository"], row["Tag"], row["ID"]),
                         ("<none>", "latest", self.image.config.digest[7:19]))
        self.assertEqual(row["Size"], "%.3gkB" % (self.image.uncompressed_size / 1000))
        info = json.loads(self.run_ro("limg-inspect", "latest").stdout)[0]
        self.assertEqual(info["Id"], self.image.config.digest)
        self.assertEqual(info["RepoTags"], ["latest"])
        out = os.path.join(self.tmp, "rootfs")
        self.run_ro("limg-unpack", "latest", out)
        with open(os.path.join(out, "app", "layout.txt"), "rb") as f:
            self.assertEqual(f.read(), b"this is layout\n")
        archive = os.path.join(self.tmp, "saved.tar")
        self.run_ro("limg-save", "-o", archive, "latest")
        self.assertGreater(os.path.getsize(archive), 0)
        # by ID too
        self.run_ro("limg-inspect", self.image.config.digest[7:19])
        self.assertEqual(fingerprint(self.layout), before, "a read wrote to the layout")
        self.assertFalse(os.path.exists(os.path.join(self.layout, ".libimage")))
        # and skopeo still reads it as it wrote it
        self.assertEqual(json.loads(skopeo("inspect", "oci:%s:latest" % self.layout))["Digest"],
                         self.image.manifest.digest)

    @unittest.skipUnless(HAVE_UMOCI, "umoci is not installed")
    def test_umoci_names_usable(self):
        # umoci writes a new config and manifest under its own name
        subprocess.run(["umoci", "config", "--image", "%s:latest" % self.layout, "--tag", "edited",
                        "--config.cmd", "/bin/true"], check=True, capture_output=True, env=ENV)
        before = fingerprint(self.layout)
        info = json.loads(self.run_ro("limg-inspect", "edited").stdout)[0]
        self.assertEqual(info["Config"]["Cmd"], ["/bin/true"])
        self.assertEqual(info["RepoTags"], ["edited"])
        tags = sorted(json.loads(r)["Tag"] for r in self.run_ro("limg-images", "--format", "json").stdout.splitlines())
        self.assertEqual(tags, ["edited", "latest"])
        self.assertEqual(fingerprint(self.layout), before, "a read wrote to the layout")
        # the same image as umoci unpacks it
        ours, theirs = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "umoci")
        self.run_ro("limg-unpack", "--bundle", "edited", ours)
        subprocess.run(["umoci", "unpack", "--image", "%s:edited" % self.layout, theirs], check=True,
                       capture_output=True, env=ENV)
        mine = tree.snapshot(os.path.join(ours, "rootfs"))
        for d in ("dev", "proc", "sys", "dev/pts", "dev/shm"):
            mine.pop(d, None)
        self.assertEqual(tree.differences(mine, tree.snapshot(os.path.join(theirs, "rootfs"))), [])

    def test_a_name_the_layout_lacks(self):
        p = self.run_ro("limg-inspect", "nope", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such image: nope", p.stderr)

    def test_mistyped_store_for_a_read(self):
        missing = os.path.join(self.tmp, "layuot")
        for args in (["limg-images"], ["limg-inspect", "latest"], ["limg-save", "-o", os.path.join(self.tmp, "x.tar"),
                                                                     "latest"],
                     ["limg-unpack", "latest", os.path.join(self.tmp, "out")]):
            with self.subTest(args[0]):
                p = example(args[0], "--store", missing, *args[1:], check=False)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertIn("no store at %s" % missing, p.stderr)
                self.assertFalse(os.path.exists(missing), "a read made a store")
        # a directory that holds no layout: the same, and nothing made in it
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        p = example("limg-images", "--store", empty, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no store at %s" % empty, p.stderr)
        self.assertEqual(os.listdir(empty), [])


    def test_a_push_only_reads_the_layout(self):
        # skopeo's layout with the image under the canonical name limg-push looks for
        layout = os.path.join(self.tmp, "topush")
        ref = "%s/team/again:v1" % reg.host
        skopeo("copy", "--src-tls-verify=false", "docker://%s/team/layout:v1" % reg.host, "oci:%s:%s" % (layout, ref))
        before = fingerprint(layout)
        p = example("limg-push", "--store", layout, ref, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(skopeo("inspect", "--tls-verify=false", "docker://" + ref))["Digest"],
                         self.image.manifest.digest)
        # a push of a name the layout lacks fails, and writes nothing either
        p = example("limg-push", "--store", layout, "%s/team/nothere:v1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("An image does not exist locally", p.stderr)
        self.assertEqual(fingerprint(layout), before, "a push wrote to the layout")
        self.assertFalse(os.path.exists(os.path.join(layout, ".libimage")))

    def test_mistyped_store_for_a_push(self):
        missing = os.path.join(self.tmp, "nostore")
        p = example("limg-push", "--store", missing, "%s/team/layout:v1" % reg.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no store at %s" % missing, p.stderr)
        self.assertFalse(os.path.exists(missing), "a push made a store")


    def test_mistyped_store_for_a_change(self):
        missing = os.path.join(self.tmp, "layuot")
        for args in (["limg-rmi", "nosuch"], ["limg-tag", "nosuch", "a:b"], ["limg-image-prune", "-f"]):
            with self.subTest(args[0]):
                p = example(args[0], "--store", missing, *args[1:], check=False)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertIn("no store at %s" % missing, p.stderr)
                self.assertFalse(os.path.exists(missing), "%s made a store" % args[0])

    def test_a_change_with_nothing_to_change_writes_nothing(self):
        before = fingerprint(self.layout)
        for args in (["limg-rmi", "nosuch"], ["limg-tag", "nosuch", "a:b"]):
            with self.subTest(args[0]):
                p = self.run_ro(*args, check=False)
                self.assertEqual(p.returncode, 1)
                self.assertIn("No such image: nosuch", p.stderr)
        # rmi -f: a missing image is said, and is no failure
        p = self.run_ro("limg-rmi", "-f", "nosuch", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        # no dangling image: nothing to prune
        p = self.run_ro("limg-image-prune", "-f")
        self.assertEqual(p.stdout, "Total reclaimed space: 0B\n")
        self.assertEqual(fingerprint(self.layout), before, "a change with nothing to change wrote to the layout")
        self.assertFalse(os.path.exists(os.path.join(self.layout, ".libimage")))
        # and one that changes something still does
        self.run_ro("limg-tag", "latest", "again:v2")
        rows = self.run_ro("limg-images", "--format", "json").stdout.splitlines()
        self.assertIn(("again", "v2"), [(json.loads(r)["Repository"], json.loads(r)["Tag"]) for r in rows])


def write_layout(root, image, tag="latest", entry_size=None):
    """An OCI layout of @image, as a tool other than libimage writes one."""
    images.write_blobs(root, image.blobs())
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    desc = image.manifest.descriptor(annotations={"org.opencontainers.image.ref.name": tag})
    if entry_size is not None:
        desc["size"] = entry_size
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": images.OCI_INDEX, "manifests": [desc]}, f)


def with_layer_size(image, delta):
    """@image with a manifest that gives its last layer @delta more bytes than the blob has."""
    manifest = json.loads(image.manifest.data)
    manifest["layers"][-1]["size"] += delta
    image.manifest = images.Blob(json.dumps(manifest, sort_keys=True).encode(), images.OCI_MANIFEST)
    return image


class DamagedLayouts(unittest.TestCase):
    """A descriptor whose size disagrees with its blob is reported wherever it is read,
    never listed as a fine image (fsck reports it too)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-damaged-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check_refused(self, layout, words):
        out = os.path.join(self.tmp, "out")
        p = example("limg-unpack", "--store", layout, "latest", out, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(words, p.stderr)
        self.assertFalse(os.path.exists(out))
        archive = os.path.join(self.tmp, "a.tar")
        p = example("limg-save", "--store", layout, "-o", archive, "latest", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(words, p.stderr)
        self.assertFalse(os.path.exists(archive))

    def test_a_layer_size_that_disagrees(self):
        image = with_layer_size(images.Image(images.sample_layers("damaged")), 7)
        layout = os.path.join(self.tmp, "layout")
        write_layout(layout, image)
        layer = image.layers[-1].blob
        row = json.loads(example("limg-images", "--store", layout, "--format", "json").stdout)
        self.assertEqual((row["ID"], row["Size"]), (image.config.digest[7:19], "damaged"))
        self.check_refused(layout, "its layer 2 of 2 %s has %d bytes in the store, its manifest says %d"
                           % (layer.digest, layer.size, layer.size + 7))
        # what fsck says of it (skopeo 1.9 copies it without a word)
        p = subprocess.run([os.path.join(TOOLS, "limg-test-fsck"), layout], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(layer.digest, p.stdout)
        # and what a judge that shares no code with libimage says of it
        self.assertIn("%s is %d bytes, the descriptor says %d" % (layer.digest, layer.size, layer.size + 7),
                      "\n".join(ocilayout.problems(layout)))

    def test_a_config_size_that_disagrees(self):
        image = images.Image(images.sample_layers("config5"))
        manifest = json.loads(image.manifest.data)
        manifest["config"]["size"] += 5
        image.manifest = images.Blob(json.dumps(manifest, sort_keys=True).encode(), images.OCI_MANIFEST)
        layout = os.path.join(self.tmp, "layout")
        write_layout(layout, image)
        row = json.loads(example("limg-images", "--store", layout, "--format", "json").stdout)
        self.assertEqual(row["Size"], "damaged")
        words = "is damaged: its config %s has %d bytes in the store, its manifest says %d" % (
            image.config.digest, image.config.size, image.config.size + 5)
        self.check_refused(layout, words)
        # inspect and history say it as unpack does, and show nothing of it as if it were whole
        p = example("limg-inspect", "--store", layout, "latest", check=False)
        self.assertEqual((p.returncode, p.stdout), (1, "[]\n"))
        self.assertIn(words, p.stderr)
        p = example("limg-inspect", "--store", layout, "-f", "{{.Id}}", "latest", check=False)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        p = example("limg-history", "--store", layout, "latest", check=False)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertIn(words, p.stderr)

    def test_push_refuses_it(self):
        image = with_layer_size(images.Image(images.sample_layers("pushdamaged")), -3)
        layout = os.path.join(self.tmp, "layout")
        ref = "registry.invalid/team/damaged:v1"
        write_layout(layout, image, tag=ref)  # canonical, as libimage names its tags
        layer = image.layers[-1].blob
        p = example("limg-push", "--store", layout, ref, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("stored blob %s has %d bytes, its manifest says %d" % (layer.digest, layer.size, layer.size - 3),
                      p.stderr)

    def test_an_index_entry_size_that_disagrees(self):
        image = images.Image(images.sample_layers("entry"))
        layout = os.path.join(self.tmp, "layout")
        write_layout(layout, image, entry_size=image.manifest.size + 1)
        row = json.loads(example("limg-images", "--store", layout, "--format", "json").stdout)
        self.assertEqual(row["Size"], "damaged")

    def test_a_missing_layer(self):
        image = images.Image(images.sample_layers("missing"))
        layout = os.path.join(self.tmp, "layout")
        write_layout(layout, image)
        layer = image.layers[0].blob
        os.unlink(os.path.join(layout, "blobs", "sha256", layer.digest[7:]))
        row = json.loads(example("limg-images", "--store", layout, "--format", "json").stdout)
        self.assertEqual(row["Size"], "damaged")
        self.check_refused(layout, "is damaged: its layer 1 of 2 %s is not in the store" % layer.digest)


if __name__ == "__main__":
    unittest.main()
