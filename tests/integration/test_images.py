# SPDX-License-Identifier: MIT
"""limg-images: Docker's classic table, its options and filters, against a store filled by real pulls."""
import json
import shutil
import tempfile
import unittest

from fixtures import images, registry
from tool import example

reg = store = None
OLD = NEW = None


def setUpModule():
    global reg, store, OLD, NEW
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)  # also when the rest of the set-up fails
    store = tempfile.mkdtemp()
    unittest.addModuleCleanup(shutil.rmtree, store)
    OLD = images.Image(images.sample_layers("old"), created="2023-03-01T00:00:00Z", labels={"tier": "base"})
    NEW = images.Image(images.sample_layers("new", size=1500000), created="2025-06-01T00:00:00Z",
                       labels={"tier": "app", "team": "x"})
    reg.push("team/old", "v1", OLD)
    reg.push("team/new", "v1", NEW)
    reg.push("team/new", "v2", OLD)
    for ref in ("team/old:v1", "team/new:v1"):
        example("limg-pull", "%s/%s" % (reg.host, ref), store=store)
    # moving team/new:v1 to OLD leaves NEW dangling, as a re-pulled tag does in docker
    example("limg-tag", "%s/team/old:v1" % reg.host, "%s/team/new:v1" % reg.host, store=store)


def rows(*args):
    return [r.split() for r in example("limg-images", *args, store=store).stdout.splitlines()]


class Listing(unittest.TestCase):
    def test_newest_first_and_columns(self):
        r = rows()
        self.assertEqual(r[0], ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"])
        self.assertEqual([x[:2] for x in r[1:]], [["%s/team/new" % reg.host, "v1"], ["%s/team/old" % reg.host, "v1"]])
        self.assertTrue(all(x[2] == OLD.config.digest[7:19] for x in r[1:]))

    def test_dangling(self):
        r = rows("--filter", "dangling=true")
        self.assertEqual(len(r), 2)
        self.assertEqual(r[1][:3], ["<none>", "<none>", NEW.config.digest[7:19]])
        self.assertEqual(len(rows("-a")), 4)

    def test_quiet_and_no_trunc(self):
        self.assertEqual(example("limg-images", "-q", store=store).stdout.split(), [OLD.config.digest[7:19]] * 2)
        self.assertEqual(example("limg-images", "-q", "--no-trunc", store=store).stdout.split(),
                         [OLD.config.digest] * 2)

    def test_reference_filter_and_positional(self):
        self.assertEqual(len(rows("--filter", "reference=*/team/old")), 2)
        self.assertEqual(len(rows("%s/team/new" % reg.host)), 2)
        self.assertEqual(len(rows("%s/team/new:v2" % reg.host)), 1)  # the header alone

    def test_label_filters(self):
        self.assertEqual(len(rows("-a", "--filter", "label=tier=app")), 2)
        self.assertEqual(len(rows("-a", "--filter", "label=team")), 2)
        self.assertEqual(len(rows("--filter", "label!=team")), 3)

    def test_before_since(self):
        r = rows("-a", "--filter", "before=%s" % NEW.config.digest[7:19])
        self.assertEqual({x[2] for x in r[1:]}, {OLD.config.digest[7:19]})
        r = rows("-a", "--filter", "since=%s/team/old:v1" % reg.host)
        self.assertEqual({x[2] for x in r[1:]}, {NEW.config.digest[7:19]})

    def test_json(self):
        lines = example("limg-images", "--format", "json", store=store).stdout.splitlines()
        row = json.loads(lines[0])
        self.assertEqual(row["ID"], OLD.config.digest[7:19])
        self.assertEqual(row["CreatedAt"], "2023-03-01 00:00:00 +0000 UTC")
        self.assertTrue(row["CreatedSince"].endswith("ago"))
        self.assertEqual(row["Size"], "20.5kB")

    def test_size_is_uncompressed(self):
        r = [x for x in rows("-a") if x[2] == NEW.config.digest[7:19]][0]
        self.assertEqual(r[-1], "1.52MB")

    def test_bad_filter(self):
        p = example("limg-images", "--filter", "color=blue", store=store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid filter", p.stderr)


class PerPlatform(unittest.TestCase):
    """The facts of an index's platform: never another platform's, and none for one not stored."""

    def setUp(self):
        self.store = tempfile.mkdtemp()
        self.amd = images.Image(images.sample_layers("pp-amd"), arch="amd64", created="2024-01-01T00:00:00Z")
        self.arm = images.Image(images.sample_layers("pp-arm", size=50000), arch="arm64", variant="v8",
                                created="2024-02-01T00:00:00Z")
        self.win = images.Image([images.Layer({"Files/win.txt": b"windows"})], arch="amd64", os_name="windows",
                                os_version="10.0.17763.5000", created="2024-03-01T00:00:00Z")
        reg.push("library/multi-facts", "latest", images.Index([self.amd, self.arm, self.win]))
        self.ref = "%s/library/multi-facts:latest" % reg.host

    def tearDown(self):
        shutil.rmtree(self.store)

    def ids(self, *args):
        out = example("limg-images", "--format", "json", *args, store=self.store).stdout
        return [json.loads(line)["ID"] for line in out.splitlines()]

    def pull(self, *args):
        example("limg-pull", "-q", *args, self.ref, store=self.store)

    def test_each_platform_its_own_facts(self):
        short = lambda img: img.config.digest[7:19]
        self.pull("--platform", "linux/arm64")
        # this machine's image is not stored: the default is the first stored, linux/amd64 has none
        self.assertEqual(self.ids(), [short(self.arm)])
        self.assertEqual(self.ids("--platform", "linux/amd64"), ["<missing>"])
        self.assertEqual(self.ids("--platform", "windows/amd64"), ["<missing>"])
        self.pull()  # this machine's (linux/amd64): the default now
        self.assertEqual(self.ids(), [short(self.amd)])
        self.assertEqual(self.ids("--platform", "linux/arm64"), [short(self.arm)])
        self.assertEqual(self.ids("--platform", "linux/arm64/v8"), [short(self.arm)])
        self.assertEqual(self.ids("--platform", "windows/amd64"), ["<missing>"])
        self.pull("--platform", "windows/amd64")
        self.assertEqual(self.ids("--platform", "windows/amd64"), [short(self.win)])
        self.assertEqual(self.ids("--platform", "linux/s390x"), ["<missing>"])
        self.assertEqual(self.ids(), [short(self.amd)])
        # and the same when the listing works them out itself (no facts cached by a pull)
        with open("%s/index.json" % self.store) as f:
            index = json.load(f)
        for entry in index["manifests"]:
            entry["annotations"] = {k: v for k, v in entry["annotations"].items() if not k.startswith("io.libimage.")}
        with open("%s/index.json" % self.store, "w") as f:
            json.dump(index, f)
        self.assertEqual(self.ids("--platform", "windows/amd64"), [short(self.win)])
        self.assertEqual(self.ids("--platform", "linux/arm64"), [short(self.arm)])
        self.assertEqual(self.ids("--platform", "linux/ppc64le"), ["<missing>"])
        self.assertEqual(self.ids(), [short(self.amd)])


if __name__ == "__main__":
    unittest.main()
