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


if __name__ == "__main__":
    unittest.main()
