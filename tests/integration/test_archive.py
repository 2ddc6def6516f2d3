# SPDX-License-Identifier: MIT
"""limg-save and limg-load: archives of every kind the tools people use write
(docker save's current and legacy formats, skopeo's docker-archive and
oci-archive, podman save), read back by skopeo and podman; every digest and
diff_id checked on the way in."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

from fixtures import images, registry
import tool
from tool import ENV, example

HAVE_SKOPEO = shutil.which("skopeo") is not None
HAVE_PODMAN = shutil.which("podman") is not None
reg = None


def setUpModule():
    global reg
    reg = registry.Registry(allow_urls=True)
    unittest.addModuleCleanup(reg.stop)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def flip(path, offset):
    """Flips one bit of the byte at @offset of @path, in place."""
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 1]))


def tar_of(members):
    """members: [(name, bytes) or (name, ("symlink", target))] in that order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def legacy_archive(image, tags, share_first_layer_with=None):
    """What docker save wrote before Docker 25: <id>/layer.tar (uncompressed),
    <id>/json, <config hex>.json, manifest.json, repositories."""
    members, paths = [], []
    for i, layer in enumerate(image.layers):
        lid = hashlib.sha256(b"v1 id %d " % i + layer.tar).hexdigest()
        members += [(lid + "/VERSION", b"1.0"), (lid + "/json", json.dumps({"id": lid}).encode()),
                    (lid + "/layer.tar", layer.tar)]
        paths.append(lid + "/layer.tar")
    config = image.config.data
    members.append((image.config.digest[7:] + ".json", config))
    members.append(("manifest.json", json.dumps([{"Config": image.config.digest[7:] + ".json", "RepoTags": tags,
                                                   "Layers": paths}]).encode()))
    members.append(("repositories", json.dumps({t.rsplit(":", 1)[0]: {t.rsplit(":", 1)[1]: paths[-1][:64]}
                                                for t in tags}).encode()))
    return members, paths


def uncompressed_image(tag, random_bytes=50000):
    """An image whose layers are plain tars (as docker save holds them)."""
    layers = [images.Layer({"%s/%d" % (tag, i): images.pseudo_random(random_bytes, i) + b"text " * 4000},
                           images.OCI_LAYER_TAR) for i in range(2)]
    return images.Image(layers)


class ArchiveCase(unittest.TestCase):
    """What the archive tests share: a directory, a store, the programs and podman."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-archive-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        try:
            tool.assert_stores_sound(self, self.tmp)  # every store saved from or loaded into
        finally:
            subprocess.run(["rm", "-rf", self.tmp])

    def pull(self, ref, store=None):
        example("limg-pull", "-q", ref, store=store or self.store)

    def save(self, *names, store=None, check=True):
        out = os.path.join(self.tmp, "saved-%d.tar" % len(os.listdir(self.tmp)))
        p = example("limg-save", "-o", out, *names, store=store or self.store, check=check)
        return out if p.returncode == 0 else p

    def load(self, path, store=None, check=True):
        return example("limg-load", "-i", path, store=store or os.path.join(self.tmp, "loaded"), check=check)

    def images_json(self, store):
        return [json.loads(l) for l in example("limg-images", "-a", "--format", "json", store=store).stdout.splitlines()]

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def judged_by_podman(self, *args):
        """podman, not libimage, reads the archive: the last check of a test (without
        podman as root the test is a skip, never a pass; the rest was checked)."""
        if not (HAVE_PODMAN and os.geteuid() == 0):
            self.skipTest("needs podman, as root: the archive is unjudged by it (the rest was checked)")
        return self.podman(*args, check=False)

    def podman(self, *args, check=True):
        root = os.path.join(self.tmp, "podman")
        auth = os.path.join(self.tmp, "auth.json")
        if not os.path.exists(auth):
            with open(auth, "w") as f:
                f.write("{}")
        p = subprocess.run(["podman", "--root", root, "--runroot", root + "-run", "--storage-driver", "vfs", *args],
                           capture_output=True, text=True, env=dict(ENV, REGISTRY_AUTH_FILE=auth), timeout=300)
        if check and p.returncode:
            raise AssertionError("podman %s: %s" % (" ".join(args), p.stderr))
        return p


class Archives(ArchiveCase):
    # -- ours, round trip ------------------------------------------------------

    def test_save_then_load_keeps_image_ids_and_digests(self):
        a = images.Image(images.sample_layers("save-a"))
        b = images.busybox_image()
        reg.push("arch/a", "v1", a)
        reg.push("arch/b", "v2", b)
        self.pull("%s/arch/a:v1" % reg.host)
        self.pull("%s/arch/b:v2" % reg.host)
        path = self.save("%s/arch/a:v1" % reg.host, "%s/arch/b:v2" % reg.host)
        with tarfile.open(path) as t:
            names = t.getnames()
            self.assertIn("oci-layout", names)
            self.assertIn("index.json", names)
            self.assertIn("repositories", names)
            manifest = json.load(t.extractfile("manifest.json"))
        self.assertEqual([m["RepoTags"] for m in manifest], [["%s/arch/a:v1" % reg.host], ["%s/arch/b:v2" % reg.host]])
        out = self.load(path).stdout.splitlines()
        self.assertEqual(out, ["Loaded image: %s/arch/a:v1" % reg.host, "Loaded image: %s/arch/b:v2" % reg.host])
        loaded = {r["Repository"] + ":" + r["Tag"]: r for r in self.images_json(os.path.join(self.tmp, "loaded"))}
        self.assertEqual(loaded["%s/arch/a:v1" % reg.host]["ID"], a.config.digest[7:19])
        self.assertEqual(loaded["%s/arch/a:v1" % reg.host]["Digest"], a.manifest.digest)
        self.assertEqual(loaded["%s/arch/b:v2" % reg.host]["Digest"], b.manifest.digest)
        # and a loaded image unpacks, every layer checked again
        root = os.path.join(self.tmp, "root")
        example("limg-unpack", "%s/arch/b:v2" % reg.host, root, store=os.path.join(self.tmp, "loaded"))
        self.assertTrue(os.path.isfile(os.path.join(root, "bin/busybox")))
        # the same archive through gzip
        with open(path, "rb") as f:
            zipped = self.write("saved.tar.gz", gzip.compress(f.read(), 1))
        again = os.path.join(self.tmp, "again")
        self.assertEqual(len(self.load(zipped, store=again).stdout.splitlines()), 2)

    def test_save_to_stdout_and_load_from_stdin(self):
        """README: "`limg-save [-o FILE] IMAGE...` (stdout when it is not a terminal) and
        `limg-load [-i FILE]` (stdin)": a pipe both ways, the same bytes as -o writes,
        and a terminal refused on either side (as docker does)."""
        img = images.Image(images.sample_layers("pipes"))
        reg.push("arch/pipes", "v1", img)
        ref = "%s/arch/pipes:v1" % reg.host
        self.pull(ref)
        env = dict(ENV, LIBIMAGE_STORE=self.store)
        saved = subprocess.run([os.path.join(tool.EXAMPLES, "limg-save"), ref], capture_output=True, env=env,
                               timeout=120)
        self.assertEqual(saved.returncode, 0, saved.stderr)
        with open(self.save(ref), "rb") as f:
            self.assertEqual(saved.stdout, f.read())  # reproducible: the -o archive, byte for byte
        loaded = subprocess.run([os.path.join(tool.EXAMPLES, "limg-load")], input=saved.stdout, capture_output=True,
                                env=dict(ENV, LIBIMAGE_STORE=os.path.join(self.tmp, "from-stdin")), timeout=120)
        self.assertEqual(loaded.returncode, 0, loaded.stderr)
        self.assertEqual(loaded.stdout.decode(), "Loaded image: %s\n" % ref)
        self.assertEqual(self.images_json(os.path.join(self.tmp, "from-stdin"))[0]["Digest"], img.manifest.digest)
        if not shutil.which("script"):
            self.skipTest("script (util-linux) is needed for a terminal (the pipes were checked)")
        for argv in ([os.path.join(tool.EXAMPLES, "limg-save"), ref], [os.path.join(tool.EXAMPLES, "limg-load")]):
            p = subprocess.run(["script", "-qec", " ".join(argv), "/dev/null"], capture_output=True, text=True,
                               env=env, timeout=60, stdin=subprocess.DEVNULL)
            self.assertNotEqual(p.returncode, 0, argv)
            self.assertRegex(p.stdout, "cowardly refusing to save to a terminal|requested load from stdin")

    def test_save_by_id_is_untagged_and_loads_as_an_id(self):
        img = images.Image(images.sample_layers("by-id"))
        reg.push("arch/id", "v1", img)
        self.pull("%s/arch/id:v1" % reg.host)
        path = self.save(img.config.digest[7:19])
        out = self.load(path).stdout.strip()
        self.assertEqual(out, "Loaded image ID: %s" % img.config.digest)

    def test_a_damaged_blob_in_the_store_is_never_saved(self):
        """README: "Every byte verified: blobs against their digests as they arrive (and
        again when a store is read or saved)". A layer damaged in the store (one
        flipped byte, same size): the save fails and leaves no archive, to a file
        or to stdout."""
        img = images.Image(images.sample_layers("damaged-save", size=200000))
        reg.push("arch/damaged", "v1", img)
        ref = "%s/arch/damaged:v1" % reg.host
        self.pull(ref)
        layer = img.layers[1].blob
        path = os.path.join(self.store, "blobs", "sha256", layer.digest[7:])
        flip(path, layer.size // 2)
        try:
            p = self.save(ref, check=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertRegex(p.stderr, "does not match|not what its digest says|hashes to")
            self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("saved")], [])
            out = os.path.join(self.tmp, "stdout.tar")
            with open(out, "wb") as f:
                q = subprocess.run([os.path.join(tool.EXAMPLES, "limg-save"), ref], stdout=f, stderr=subprocess.PIPE,
                                   env=dict(ENV, LIBIMAGE_STORE=self.store), timeout=120)
            self.assertEqual(q.returncode, 1)
            # whatever went out before the damage was found is no archive a loader takes
            self.assertNotEqual(self.load(out, store=os.path.join(self.tmp, "from-stdout"), check=False).returncode, 0)
        finally:
            flip(path, layer.size // 2)  # as it was: the store is sound again for tearDown

    def test_save_errors(self):
        os.makedirs(self.store)
        example("limg-images", store=self.store)
        p = self.save("nothing/here:v1", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("No such image", p.stderr)
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("saved")], [])  # no partial file

    def test_a_damaged_blob_is_not_saved_at_all(self):
        # its digest is checked before any byte of it goes out: nothing of it reaches the pipe
        img = images.Image(images.sample_layers("damaged", size=300000, seed=7))
        reg.push("arch/damaged", "v1", img)
        ref = "%s/arch/damaged:v1" % reg.host
        self.pull(ref)
        damaged = img.layers[1].blob.digest
        path = os.path.join(self.store, "blobs", "sha256", damaged[7:])
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0x40
        os.chmod(path, 0o644)
        with open(path, "wb") as f:
            f.write(data)
        p = subprocess.run([os.path.join(os.environ.get("LIMG_BUILD_DIR", ""), "examples", "limg-save"), ref],
                           capture_output=True, env=dict(ENV, LIBIMAGE_STORE=self.store), timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"damaged", p.stderr)
        self.assertIn(damaged.encode(), p.stderr)
        self.assertFalse((b"blobs/sha256/" + damaged[7:].encode()) in p.stdout, "the damaged blob's header went out")
        for at in range(0, len(data) - 64, len(data) // 16):
            self.assertFalse(bytes(data[at:at + 64]) in p.stdout, "bytes of the damaged blob went out (at %d)" % at)
        # the blob before it went out whole: the check did not stop the stream early for nothing
        self.assertTrue(img.layers[0].blob.data in p.stdout)
        # the save changed nothing in the store: with the damage undone, tearDown's judges find it whole
        data[len(data) // 2] ^= 0x40
        with open(path, "wb") as f:
            f.write(data)

    def test_a_listing_after_a_load_reads_no_layer(self):
        # the load checked every layer's diff_id: what it learnt is kept, as a pull keeps it
        img = images.Image(images.sample_layers("facts-load", size=200000, seed=3))
        reg.push("arch/facts", "v1", img)
        ref = "%s/arch/facts:v1" % reg.host
        self.pull(ref)
        path = self.save(ref)
        loaded = os.path.join(self.tmp, "loaded")
        self.load(path)
        with open(os.path.join(loaded, "index.json")) as f:
            entry = json.load(f)["manifests"][0]["annotations"]
        self.assertEqual(entry["io.libimage.image.id"], img.config.digest)
        self.assertEqual(entry["io.libimage.image.size"], str(img.uncompressed_size))
        # the first listing is watched: strace sees what it opens (.ci/install-deps installs it);
        # without strace the test ends a skip below, never a pass
        strace = shutil.which("strace")
        if strace:
            trace = os.path.join(self.tmp, "trace")
            subprocess.run([strace, "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace,
                            os.path.join(os.environ.get("LIMG_BUILD_DIR", ""), "examples", "limg-images"), "-a",
                            "--format", "json"], check=True, capture_output=True,
                           env=dict(ENV, LIBIMAGE_STORE=loaded, ASAN_OPTIONS="detect_leaks=0"))  # LSan cannot run traced
            with open(trace) as f:
                opened = f.read()
            for layer in img.layers:
                self.assertNotIn(layer.blob.digest[7:], opened)
        rows = self.images_json(loaded)
        self.assertEqual((rows[0]["ID"], rows[0]["Size"]),
                         (img.config.digest[7:19], "%.3gkB" % (img.uncompressed_size / 1000)))
        if not strace:
            self.skipTest("strace is not installed: that the listing opens no layer is unchecked (the rest was checked)")

    # -- what other tools write ---------------------------------------------------

    def test_legacy_docker_save_with_shared_layers(self):
        img = uncompressed_image("legacy")
        members, paths = legacy_archive(img, ["legacy/app:v1", "legacy/app:latest"])
        # a second image sharing the first layer, through a symlink as docker wrote them
        lid = paths[0].split("/")[0]
        other = images.Image([img.layers[0]])
        members += [("feed" * 16 + "/layer.tar", ("symlink", "../%s/layer.tar" % lid)),
                    (other.config.digest[7:] + ".json", other.config.data)]
        listing = json.loads(dict(members)["manifest.json"])
        listing.append({"Config": other.config.digest[7:] + ".json", "RepoTags": ["legacy/base:1"],
                        "Layers": ["feed" * 16 + "/layer.tar"]})
        members = [m for m in members if m[0] != "manifest.json"] + [("manifest.json", json.dumps(listing).encode())]
        out = self.load(self.write("legacy.tar", tar_of(members))).stdout.splitlines()
        self.assertEqual(out, ["Loaded image: legacy/app:v1", "Loaded image: legacy/app:latest",
                               "Loaded image: legacy/base:1"])
        rows = {r["Repository"] + ":" + r["Tag"]: r for r in self.images_json(os.path.join(self.tmp, "loaded"))}
        self.assertEqual(rows["legacy/app:v1"]["ID"], img.config.digest[7:19])
        self.assertEqual(rows["legacy/base:1"]["ID"], other.config.digest[7:19])

    @unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
    def test_skopeo_docker_archive_and_oci_archive(self):
        img = images.Image(images.sample_layers("skopeo-arch"))
        reg.push("arch/skopeo", "v1", img)
        src = "docker://%s/arch/skopeo:v1" % reg.host
        dock = os.path.join(self.tmp, "docker-archive.tar")
        oci = os.path.join(self.tmp, "oci-archive.tar")
        for dest in ("docker-archive:%s:skopeo/app:v1" % dock, "oci-archive:%s:v1" % oci):
            p = subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false", src, dest],
                               capture_output=True, text=True, env=ENV)
            self.assertEqual(p.returncode, 0, p.stderr)
        out = self.load(dock).stdout.strip()
        self.assertEqual(out, "Loaded image: skopeo/app:v1")
        rows = self.images_json(os.path.join(self.tmp, "loaded"))
        self.assertEqual(rows[0]["ID"], img.config.digest[7:19])  # the same image, whatever its manifest
        out = self.load(oci, store=os.path.join(self.tmp, "loaded-oci")).stdout.strip()
        self.assertEqual(out, "Loaded image ID: %s" % img.config.digest)  # ref.name "v1" names no repository
        rows = self.images_json(os.path.join(self.tmp, "loaded-oci"))
        self.assertEqual(rows[0]["Digest"], img.manifest.digest)

    @unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
    def test_our_archives_read_by_skopeo(self):
        img = images.Image(images.sample_layers("for-skopeo"))
        reg.push("arch/forskopeo", "v1", img)
        self.pull("%s/arch/forskopeo:v1" % reg.host)
        path = self.save("%s/arch/forskopeo:v1" % reg.host)
        p = subprocess.run(["skopeo", "inspect", "--raw", "oci-archive:%s:v1" % path], capture_output=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sha(p.stdout), img.manifest.digest)
        p = subprocess.run(["skopeo", "inspect", "--config", "--raw", "docker-archive:%s" % path],
                           capture_output=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sha(p.stdout), img.config.digest)
        # and copied back to a registry from our archive, the image is the same
        p = subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                            "oci-archive:%s:v1" % path, "docker://%s/arch/fromarchive:v1" % reg.host],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)

    @unittest.skipUnless(HAVE_PODMAN and os.geteuid() == 0, "needs podman, as root")
    def test_podman_save_and_load(self):
        img = images.Image(images.sample_layers("podman-arch"))
        reg.push("arch/podman", "v1", img)
        ref = "%s/arch/podman:v1" % reg.host
        self.podman("pull", "-q", "--tls-verify=false", ref)
        saved = os.path.join(self.tmp, "podman.tar")
        self.podman("save", "-q", "-o", saved, ref)
        out = self.load(saved).stdout.strip()
        self.assertEqual(out, "Loaded image: %s" % ref)
        self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded"))[0]["ID"], img.config.digest[7:19])
        saved_oci = os.path.join(self.tmp, "podman-oci.tar")
        self.podman("save", "-q", "--format", "oci-archive", "-o", saved_oci, ref)
        self.load(saved_oci, store=os.path.join(self.tmp, "loaded-oci"))
        self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded-oci"))[0]["ID"], img.config.digest[7:19])
        # ours, loaded by podman
        self.pull(ref)
        ours = self.save(ref)
        self.podman("rmi", "-a", "-f")
        p = self.podman("load", "-i", ours)
        self.assertIn(ref, p.stdout + p.stderr)
        p = self.podman("image", "inspect", "--format", "{{.Id}}", ref)
        self.assertEqual(p.stdout.strip(), img.config.digest[7:])

    # -- hostile archives ------------------------------------------------------------

    def test_a_blob_that_is_not_its_digest(self):
        img = uncompressed_image("bad-blob")
        members, _ = legacy_archive(img, ["bad/blob:v1"])
        liar = "blobs/sha256/" + img.layers[0].blob.digest[7:]
        members.insert(0, (liar, img.layers[0].tar + b"extra"))
        p = self.load(self.write("liar.tar", tar_of(members)), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not match its digest", p.stderr)
        self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded")), [])

    def test_big_uncompressed_layers_hashed_beside_the_writing(self):
        # layers of a MiB and more are hashed on a thread of their own: the same verdicts
        img = uncompressed_image("big", random_bytes=3 << 20)
        members, _ = legacy_archive(img, ["big/ok:v1"])
        self.load(self.write("big.tar", tar_of(members)))
        rows = {r["Repository"] + ":" + r["Tag"]: r for r in self.images_json(os.path.join(self.tmp, "loaded"))}
        self.assertEqual(rows["big/ok:v1"]["ID"], img.config.digest[7:19])
        liar = bytearray(img.layers[0].tar)
        liar[len(liar) // 2] ^= 1
        members, _ = legacy_archive(img, ["big/liar:v1"])
        members.insert(0, ("blobs/sha256/" + img.layers[0].blob.digest[7:], bytes(liar)))
        p = self.load(self.write("big-liar.tar", tar_of(members)), store=os.path.join(self.tmp, "other"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not match its digest", p.stderr)
        self.assertEqual(self.images_json(os.path.join(self.tmp, "other")), [])

    def test_a_layer_that_is_not_its_diff_id(self):
        img = uncompressed_image("bad-diffid")
        cfg = dict(img.config_json)
        cfg["rootfs"] = {"type": "layers", "diff_ids": [sha(b"not this"), img.layers[1].diff_id]}
        data = json.dumps(cfg).encode()
        members, paths = legacy_archive(img, ["bad/diffid:v1"])
        members = [(n, d) for n, d in members if not n.endswith(".json") or "/" in n]
        members.append((sha(data)[7:] + ".json", data))
        members.append(("manifest.json", json.dumps([{"Config": sha(data)[7:] + ".json", "RepoTags": ["bad/diffid:v1"],
                                                      "Layers": paths}]).encode()))
        p = self.load(self.write("diffid.tar", tar_of(members)), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, "unpacks to .* config says")
        self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded")), [])

    def test_names_that_leave_the_archive_and_missing_files(self):
        p = self.load(self.write("escape.tar", tar_of([("../../etc/evil", b"x")])), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("leads out of the archive", p.stderr)
        missing = [("manifest.json", json.dumps([{"Config": "nope.json", "RepoTags": ["a/b:c"], "Layers": []}]).encode())]
        p = self.load(self.write("missing.tar", tar_of(missing)), check=False)
        self.assertIn("which the archive does not hold", p.stderr)
        p = self.load(self.write("junk.tar", images.pseudo_random(10000, 4)), check=False)
        self.assertEqual(p.returncode, 1)
        p = self.load(self.write("empty.tar", tar_of([("readme", b"hello")])), check=False)
        self.assertIn("neither manifest.json nor index.json", p.stderr)


def skopeo_copy(*args):
    p = subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false", *args],
                       capture_output=True, text=True, env=ENV)
    if p.returncode:
        raise AssertionError("skopeo copy %s: %s" % (" ".join(args), p.stderr))


class AsDockerAndPodmanLoad(ArchiveCase):
    """Archives other tools write, loaded as Docker and podman load them."""

    @unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
    def test_an_index_loads_with_an_id_the_store_knows(self):
        amd = images.Image(images.sample_layers("idx-load-amd"), arch="amd64")
        arm = images.Image(images.sample_layers("idx-load-arm"), arch="arm64", variant="v8")
        reg.push("arch/index", "v1", images.Index([amd, arm]))
        path = os.path.join(self.tmp, "index.tar")
        skopeo_copy("--all", "docker://%s/arch/index:v1" % reg.host, "oci-archive:%s:v1" % path)
        out = self.load(path).stdout.strip()
        self.assertEqual(out, "Loaded image ID: %s" % amd.config.digest)  # this machine's image, not the index
        store = os.path.join(self.tmp, "loaded")
        info = json.loads(example("limg-inspect", amd.config.digest, store=store).stdout)[0]
        self.assertEqual(info["Id"], amd.config.digest)
        self.assertEqual([r["ID"] for r in self.images_json(store)], [amd.config.digest[7:19]])
        p = example("limg-load", "--platform", "linux/arm64", "-i", path, store=os.path.join(self.tmp, "arm"))
        self.assertEqual(p.stdout.strip(), "Loaded image ID: %s" % arm.config.digest)

    @unittest.skipUnless(HAVE_SKOPEO, "skopeo is not installed")
    def test_skopeo_all_with_foreign_layers_left_out(self):
        """`skopeo copy --all` to an OCI archive leaves foreign layers out: the platforms that
        are whole load (this machine's by default, --platform another), as podman loads them."""
        linux = images.Image(images.sample_layers("all-linux"), arch="amd64")
        base = images.Layer({"Files/base.txt": b"windows base"}, images.OCI_LAYER_NONDIST)
        win = images.Image([base, images.Layer({"Files/app.txt": b"app"})], arch="amd64", os_name="windows",
                           os_version="10.0.17763.5000", urls=["https://example.invalid/base.tar.gz"])
        reg.push("arch/all", "v1", images.Index([linux, win]))
        path = os.path.join(self.tmp, "all.tar")
        skopeo_copy("--all", "docker://%s/arch/all:v1" % reg.host, "oci-archive:%s:arch/all:v1" % path)
        with tarfile.open(path) as t:
            self.assertNotIn("blobs/sha256/" + base.blob.digest[7:], t.getnames())  # skopeo left it out
        out = self.load(path).stdout.strip()
        self.assertEqual(out, "Loaded image: arch/all:v1")
        store = os.path.join(self.tmp, "loaded")
        self.assertEqual(self.images_json(store)[0]["ID"], linux.config.digest[7:19])
        rows = [json.loads(l) for l in example("limg-images", "--platform", "windows/amd64", "--format", "json",
                                               store=store).stdout.splitlines()]
        self.assertEqual((rows[0]["ID"], rows[0]["Size"]), (win.config.digest[7:19], "incomplete"))
        p = example("limg-load", "--platform", "windows/amd64", "-i", path, store=os.path.join(self.tmp, "win"),
                    check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("foreign layer %s is not in the archive" % base.blob.digest, p.stderr)
        self.assertEqual(self.images_json(os.path.join(self.tmp, "win")), [])
        p = self.judged_by_podman("load", "-i", path)  # podman loads it too
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_legacy_archive_without_manifest_json(self):
        layer = images.Layer({"etc/old": b"old"}, images.OCI_LAYER_TAR)
        lid = "ab" * 32
        members = [("repositories", json.dumps({"legacy/old": {"v1": lid}}).encode()),
                   (lid + "/VERSION", b"1.0"),
                   (lid + "/json", json.dumps({"id": lid, "created": "2015-01-01T00:00:00Z",
                                               "container_config": {"Cmd": ["/bin/sh"]}}).encode()),
                   (lid + "/layer.tar", layer.tar)]
        p = self.load(self.write("legacy-v1.tar", tar_of(members)), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("legacy docker save archive", p.stderr)
        self.assertIn("not supported", p.stderr)
        self.assertIn("docker load and save it again", p.stderr)

    def test_an_empty_manifest_json_loads_nothing(self):
        p = self.load(self.write("empty.tar", tar_of([("manifest.json", b"[]")])))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded")), [])

    def test_repo_tags_without_a_tag_refused(self):
        img = uncompressed_image("notag")
        members = [("blobs/sha256/" + b.digest[7:], b.data) for b in img.blobs()]
        for bad in ("notag/app", "notag/app@" + img.manifest.digest):
            with self.subTest(bad):
                listing = [{"Config": "blobs/sha256/" + img.config.digest[7:], "RepoTags": ["notag/app:ok", bad],
                            "Layers": ["blobs/sha256/" + l.blob.digest[7:] for l in img.layers]}]
                path = self.write("notag.tar", tar_of(members + [("manifest.json", json.dumps(listing).encode())]))
                p = self.load(path, check=False)
                self.assertEqual(p.returncode, 1)
                self.assertIn('invalid tag "%s"' % bad, p.stderr)
                self.assertEqual(self.images_json(os.path.join(self.tmp, "loaded")), [])  # not even notag/app:ok
                # podman refuses it as well (skopeo 1.9 does not look)
                self.assertNotEqual(self.judged_by_podman("load", "-i", path).returncode, 0)


if __name__ == "__main__":
    unittest.main()
