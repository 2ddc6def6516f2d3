# SPDX-License-Identifier: MIT
"""Docker habits of the example programs, against the real registry: --format
templates (limg-images, limg-inspect, limg-history), limg-history,
limg-image-prune, limg-pull -a, limg-push -a, flags every program reads as
docker does (unknown flags, --help, one name for one idea), and the messages
of failures (a missing blob, refused credentials, load renaming a tag, an
archive member that leads outside). Expected outputs are what docker prints
for the same data."""
import base64
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import unittest
import urllib.request

from fixtures import faultproxy, images, registry
from tool import ENV, example

reg = None
BASE = APP = None
HISTORY = [
    {"created": "2024-01-10T08:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:0123 in / ", "comment": "base"},
    {"created": "2024-01-10T08:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": True},
    {"created": "2024-01-15T10:00:00Z",
     "created_by": "RUN /bin/sh -c apt-get update &&\tapt-get install -y curl && rm -rf /var/lib/apt/lists/*",
     "comment": "buildkit.dockerfile.v0"},
    {"created": "2024-01-15T10:00:01Z", "created_by": "ENV A=b", "comment": "buildkit.dockerfile.v0",
     "empty_layer": True},
]


def setUpModule():
    global reg, BASE, APP
    reg = registry.Registry()
    unittest.addModuleCleanup(reg.stop)
    BASE = images.Image(images.sample_layers("base"), created="2024-01-10T08:00:01Z", labels={"a": "1", "b": "2"})
    APP = images.Image(images.sample_layers("app", size=300000), created="2024-01-15T10:00:01Z", history=HISTORY,
                       settings={"Env": ["PATH=/usr/bin", "A=b"], "WorkingDir": "/srv"})
    for tag in ("v1", "v2", "v3"):
        reg.push("team/base", tag, BASE)
    reg.push("team/app", "1.0", APP)


def human(size, digits):
    """go-units' HumanSizeWithPrecision."""
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return "%.*g%s" % (digits, size, units[i])


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-programs-")
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_ok(self, name, *args, **kw):
        return example(name, *args, store=kw.pop("store", self.store), **kw)

    def run_fail(self, name, *args, **kw):
        p = example(name, *args, store=kw.pop("store", self.store), check=False, **kw)
        self.assertNotEqual(p.returncode, 0, "%s %s succeeded: %s" % (name, args, p.stdout))
        return p

    def pull(self, ref, *opts):
        return self.run_ok("limg-pull", *opts, "%s/%s" % (reg.host, ref))


class Formats(Case):
    """--format: Docker's Go templates."""

    def setUp(self):
        super().setUp()
        self.pull("team/base:v1")
        self.pull("team/base:v2")
        self.pull("team/app:1.0")
        self.base = "%s/team/base" % reg.host
        self.app = "%s/team/app" % reg.host

    def test_images_templates(self):
        out = self.run_ok("limg-images", "--format", "{{.Repository}}:{{.Tag}}").stdout.splitlines()
        self.assertEqual(out, ["%s:1.0" % self.app, "%s:v1" % self.base, "%s:v2" % self.base])
        out = self.run_ok("limg-images", "--format", "{{.ID}}{{\"\\t\"}}{{.Tag}}", self.base).stdout
        self.assertEqual(out, "%s\tv1\n%s\tv2\n" % (BASE.config.digest[7:19], BASE.config.digest[7:19]))
        # \t written as two characters is a tab, as in docker
        out = self.run_ok("limg-images", "--format", "{{.Tag}}\\t{{.Size}}", self.app).stdout
        self.assertEqual(out, "1.0\t%s\n" % human(APP.uncompressed_size, 3))
        row = json.loads(self.run_ok("limg-images", "--format", "{{json .}}", self.app).stdout)
        self.assertEqual(sorted(row), ["Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                                       "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"])
        self.assertEqual((row["Repository"], row["Tag"], row["Digest"]), (self.app, "1.0", APP.manifest.digest))

    def test_images_table_template_has_headers_and_columns(self):
        out = self.run_ok("limg-images", "--format", "table {{.ID}}\t{{.Repository}}:{{.Tag}}\t{{.Size}}",
                          self.base).stdout
        size = human(BASE.uncompressed_size, 3)
        want = ("IMAGE ID       REPOSITORY:TAG%s   SIZE\n" % (" " * (len(self.base) + 3 - len("REPOSITORY:TAG"))) +
                "%s   %s:v1   %s\n%s   %s:v2   %s\n" % (BASE.config.digest[7:19], self.base, size,
                                                          BASE.config.digest[7:19], self.base, size))
        self.assertEqual(out, want)
        # --digests adds the column to a custom table that lacks it, as docker does
        out = self.run_ok("limg-images", "--digests", "--format", "table {{.Tag}}", self.app).stdout.splitlines()
        self.assertEqual(out[0].split(), ["TAG", "DIGEST"])
        self.assertEqual(out[1].split(), ["1.0", APP.manifest.digest])
        # the default table is the same template engine's
        out = self.run_ok("limg-images", "--format", "table", self.app).stdout
        self.assertEqual(out, self.run_ok("limg-images", self.app).stdout)

    def test_images_raw_and_quiet(self):
        out = self.run_ok("limg-images", "--format", "raw", self.app).stdout
        self.assertTrue(out.startswith("repository: %s\ntag: 1.0\nimage_id: %s\ncreated_at: 2024-01-15 10:00:01 "
                                       "+0000 UTC\nvirtual_size: " % (self.app, APP.config.digest[7:19])), out)
        self.assertEqual(self.run_ok("limg-images", "-qa", self.app).stdout, APP.config.digest[7:19] + "\n")

    def test_inspect_templates(self):
        ref = "%s:1.0" % self.app
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{.Os}}/{{.Architecture}}", ref).stdout,
                         "linux/amd64\n")
        self.assertEqual(self.run_ok("limg-inspect", "-f", "{{.Config.Env}}", ref).stdout, "[PATH=/usr/bin A=b]\n")
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{json .Config}}", ref).stdout,
                         '{"Env":["PATH=/usr/bin","A=b"],"Cmd":["sh"],"WorkingDir":"/srv"}\n')
        both = "%s:v1" % self.base
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{index .RepoTags 0}}", both).stdout,
                         "%s:v1\n" % self.base)
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{join .RepoTags \",\"}}", both).stdout,
                         "%s:v1,%s:v2\n" % (self.base, self.base))
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{range .RepoTags}}[{{.}}]{{end}}", both).stdout,
                         "[%s:v1][%s:v2]\n" % (self.base, self.base))
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{.Id}}{{\"\\t\"}}{{.Config.Labels.a}}", both).stdout,
                         "%s\t1\n" % BASE.config.digest)
        # one line per image
        self.assertEqual(self.run_ok("limg-inspect", "--format", "{{.Size}}", both, ref).stdout.split(),
                         [str(BASE.uncompressed_size), str(APP.uncompressed_size)])
        # {{json .}} is the default output's object
        whole = json.loads(self.run_ok("limg-inspect", ref).stdout)
        self.assertEqual(json.loads(self.run_ok("limg-inspect", "--format", "{{json .}}", ref).stdout), whole[0])
        # docker's keys in docker's order (those of the Python binding's Image.attrs)
        self.assertEqual(list(whole[0]), ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created",
                                          "DockerVersion", "Author", "Config", "Architecture", "Os", "Size", "RootFS"])
        # what the image does not set prints empty, as docker prints it; no "map has no entry"
        self.assertEqual(self.run_ok("limg-inspect", "-f", "[{{.Parent}}][{{.Comment}}][{{.DockerVersion}}]"
                                     "[{{.Author}}]", ref).stdout, "[][][][]\n")

    def test_unsupported_and_wrong_templates_say_what(self):
        p = self.run_fail("limg-images", "--format", "{{$x := .ID}}{{$x}}")
        self.assertEqual(p.stderr, "template parsing error: template: :1: variables ($x) are not supported by this "
                                   "program\n")
        self.assertEqual(p.stdout, "")
        p = self.run_fail("limg-images", "--format", "{{template \"t\"}}")
        self.assertIn("{{template}} is not supported", p.stderr)
        p = self.run_fail("limg-images", "--format", "{{nosuch .ID}}")
        self.assertEqual(p.stderr, "template parsing error: template: :1: function \"nosuch\" not defined\n")
        p = self.run_fail("limg-images", "--format", "{{.Nope}}")
        self.assertEqual(p.stderr, "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type "
                                   "*formatter.imageContext\n")
        p = self.run_fail("limg-inspect", "--format", "{{.Nope}}", "%s:1.0" % self.app)
        self.assertEqual(p.stderr, "template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no "
                                   "entry for key \"Nope\"\n")
        p = self.run_fail("limg-inspect", "--format", "{{html .Id}}", "%s:1.0" % self.app)
        self.assertIn("the function \"html\" is not supported", p.stderr)


class History(Case):
    def setUp(self):
        super().setUp()
        self.ref = "%s/team/app:1.0" % reg.host
        self.pull("team/app:1.0")

    def test_columns_as_docker_history(self):
        out = self.run_ok("limg-history", self.ref).stdout.splitlines()
        self.assertEqual(re.split(r"\s{3,}", out[0]), ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
        cols = [out[0].index(h) for h in ("CREATED", "CREATED BY", "SIZE", "COMMENT")]
        rows = [[line[:cols[0]].strip(), line[cols[0]:cols[1]].strip(), line[cols[1]:cols[2]].strip(),
                 line[cols[2]:cols[3]].strip(), line[cols[3]:].strip()] for line in out[1:]]
        self.assertEqual([r[0] for r in rows], [APP.config.digest[7:19], "<missing>", "<missing>", "<missing>"])
        self.assertTrue(all(r[1].endswith(" ago") for r in rows))
        # newest first; tabs of a RUN line become spaces, and long lines end in "…" at 45 characters
        self.assertEqual([r[2] for r in rows], [
            "ENV A=b",
            "RUN /bin/sh -c apt-get update && apt-get ins\u2026",
            "/bin/sh -c #(nop)  CMD [\"sh\"]",
            "/bin/sh -c #(nop) ADD file:0123 in /",
        ])
        # the steps that made layers: what the layers unpack to; the others 0B
        self.assertEqual([r[3] for r in rows], ["0B", human(APP.layers[1].uncompressed_size, 3), "0B",
                                                human(APP.layers[0].uncompressed_size, 3)])
        self.assertEqual([r[4] for r in rows], ["buildkit.dockerfile.v0", "buildkit.dockerfile.v0", "", "base"])

    def test_no_trunc_quiet_human_and_format(self):
        out = self.run_ok("limg-history", "--no-trunc", self.ref).stdout
        self.assertIn(APP.config.digest, out)
        self.assertIn("apt-get install -y curl && rm -rf /var/lib/apt/lists/*", out)
        self.assertEqual(self.run_ok("limg-history", "-q", self.ref).stdout.split(),
                         [APP.config.digest[7:19]] + ["<missing>"] * 3)
        raw = self.run_ok("limg-history", "-H=false", "--format", "{{.CreatedAt}} {{.Size}}", self.ref,
                          env=dict(ENV, TZ="UTC")).stdout.splitlines()
        self.assertEqual(raw, ["2024-01-15T10:00:01Z 0", "2024-01-15T10:00:00Z %d" % APP.layers[1].uncompressed_size,
                               "2024-01-10T08:00:01Z 0", "2024-01-10T08:00:00Z %d" % APP.layers[0].uncompressed_size])
        rows = [json.loads(l) for l in self.run_ok("limg-history", "--format", "json", self.ref).stdout.splitlines()]
        self.assertEqual(sorted(rows[0]), ["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"])
        self.assertEqual(rows[3]["Comment"], "base")
        out = self.run_ok("limg-history", "--format", "table {{.ID}}\t{{.Comment}}", self.ref).stdout.splitlines()
        self.assertEqual(out[0].split(), ["IMAGE", "COMMENT"])

    def test_no_such_image(self):
        p = self.run_fail("limg-history", "nosuch:v1")
        self.assertEqual(p.stderr, "Error response from daemon: No such image: nosuch:v1\n")
        p = self.run_fail("limg-history")
        self.assertTrue(p.stderr.startswith('"limg-history" requires exactly 1 argument.\n'
                                            "See 'limg-history --help'."), p.stderr)


class Prune(Case):
    def blob_bytes(self, *blobs):
        return sum(b.size for b in blobs)

    def test_dangling_then_all(self):
        self.pull("team/base:v1")
        self.pull("team/app:1.0")
        # re-pointing the tag leaves APP dangling, as a pull of a moved tag does in docker
        self.run_ok("limg-tag", "%s/team/base:v1" % reg.host, "%s/team/app:1.0" % reg.host)
        p = self.run_ok("limg-image-prune", "-f")
        # APP's own blobs go: its manifest, config and the layer BASE does not share
        reclaimed = self.blob_bytes(APP.manifest, APP.config, APP.layers[1].blob)
        self.assertEqual(p.stdout, "Deleted Images:\ndeleted: %s\n\nTotal reclaimed space: %s\n"
                         % (APP.config.digest, human(reclaimed, 4)))
        self.assertFalse(os.path.exists(os.path.join(self.store, "blobs", "sha256", APP.config.digest[7:])))
        # nothing left to prune
        self.assertEqual(self.run_ok("limg-image-prune", "-f").stdout, "Total reclaimed space: 0B\n")
        # -a: every image (a store has no containers)
        p = self.run_ok("limg-image-prune", "-af")
        self.assertEqual(p.stdout.splitlines()[:4], ["Deleted Images:", "untagged: %s/team/app:1.0" % reg.host,
                                                     "untagged: %s/team/base:v1" % reg.host,
                                                     "deleted: %s" % BASE.config.digest])
        self.assertTrue(p.stdout.endswith("Total reclaimed space: %s\n" % human(
            self.blob_bytes(BASE.manifest, BASE.config, *[l.blob for l in BASE.layers]), 4)))
        self.assertEqual(self.run_ok("limg-images", "-a").stdout.splitlines()[1:], [])

    def test_asks_first_as_docker_does(self):
        self.pull("team/base:v1")
        p = self.run_ok("limg-image-prune", "-a", input="n\n")
        self.assertEqual(p.stdout, "WARNING! This will remove all images without at least one container associated "
                                   "to them.\nAre you sure you want to continue? [y/N] ")
        self.assertEqual(len(self.run_ok("limg-images").stdout.splitlines()), 2)  # nothing removed
        p = self.run_ok("limg-image-prune", input="")  # no answer is no
        self.assertTrue(p.stdout.startswith("WARNING! This will remove all dangling images.\n"))
        p = self.run_ok("limg-image-prune", "--all", input="y\n")
        self.assertIn("untagged: %s/team/base:v1" % reg.host, p.stdout)

    def test_filters(self):
        self.pull("team/base:v1")
        self.pull("team/app:1.0")
        # until: images created before the time given; label: as docker's
        p = self.run_ok("limg-image-prune", "-af", "--filter", "until=2024-01-12T00:00:00Z")
        self.assertIn("untagged: %s/team/base:v1" % reg.host, p.stdout)
        self.assertNotIn("team/app", p.stdout)
        p = self.run_ok("limg-image-prune", "-af", "--filter", "label=a=1")
        self.assertEqual(p.stdout, "Total reclaimed space: 0B\n")
        p = self.run_fail("limg-image-prune", "-f", "--filter", "color=red")
        self.assertEqual(p.stderr, "Error response from daemon: invalid filter 'color'\n")


class AllTags(Case):
    def test_pull_all_tags(self):
        p = self.run_ok("limg-pull", "-a", "%s/team/base" % reg.host)
        lines = p.stdout.splitlines()
        self.assertEqual([l for l in lines if "Pulling from" in l],
                         ["v1: Pulling from team/base", "v2: Pulling from team/base", "v3: Pulling from team/base"])
        self.assertNotIn("Using default tag", p.stdout)
        self.assertEqual(lines[-2:], ["Status: Downloaded newer image for %s/team/base" % reg.host,
                                      "%s/team/base" % reg.host])
        self.assertEqual(sum(1 for l in lines if l.startswith("Digest: ")), 3)
        tags = self.run_ok("limg-images", "--format", "{{.Tag}}").stdout.split()
        self.assertEqual(sorted(tags), ["v1", "v2", "v3"])
        # again: nothing new
        p = self.run_ok("limg-pull", "--all-tags", "-q", "%s/team/base" % reg.host)
        self.assertEqual(p.stdout, "%s/team/base\n" % reg.host)
        p = self.run_ok("limg-pull", "-a", "%s/team/base" % reg.host)
        self.assertIn("Status: Image is up to date for %s/team/base" % reg.host, p.stdout)

    def test_pull_all_tags_refuses_a_tag(self):
        p = self.run_fail("limg-pull", "-a", "%s/team/base:v1" % reg.host)
        self.assertEqual(p.stderr, "tag can't be used with --all-tags/-a\n")

    def test_push_all_tags(self):
        self.run_ok("limg-pull", "-a", "%s/team/base" % reg.host)
        self.pull("team/app:1.0")
        with registry.Registry() as dst:
            for tag in ("v1", "v2", "v3"):
                self.run_ok("limg-tag", "%s/team/base:%s" % (reg.host, tag), "%s/mine/base:%s" % (dst.host, tag))
            self.run_ok("limg-tag", "%s/team/app:1.0" % reg.host, "%s/other:1" % dst.host)
            p = self.run_ok("limg-push", "--all-tags", "%s/mine/base" % dst.host)
            lines = p.stdout.splitlines()
            self.assertEqual(lines[0], "The push refers to repository [%s/mine/base]" % dst.host)
            self.assertNotIn("Using default tag", p.stdout)
            self.assertEqual([l.split(":")[0] for l in lines if ": digest: " in l], ["v1", "v2", "v3"])
            with urllib.request.urlopen("%s/v2/mine/base/tags/list" % dst.url) as r:
                self.assertEqual(sorted(json.loads(r.read())["tags"]), ["v1", "v2", "v3"])
            with self.assertRaises(urllib.error.HTTPError):  # another repository's tag stayed home
                urllib.request.urlopen("%s/v2/other/tags/list" % dst.url)
            p = self.run_ok("limg-push", "-aq", "%s/mine/base" % dst.host)
            self.assertEqual(p.stdout, "%s/mine/base\n" % dst.host)
            p = self.run_fail("limg-push", "-a", "%s/mine/base:v1" % dst.host)
            self.assertEqual(p.stderr, "tag can't be used with --all-tags/-a\n")
            p = self.run_fail("limg-push", "-a", "%s/nothing/here" % dst.host)
            self.assertEqual(p.stderr, "An image does not exist locally with the tag: %s/nothing/here\n" % dst.host)
            # and a single push says docker's default tag
            self.run_ok("limg-tag", "%s/team/app:1.0" % reg.host, "%s/solo" % dst.host)
            p = self.run_ok("limg-push", "%s/solo" % dst.host)
            self.assertEqual(p.stdout.splitlines()[0], "Using default tag: latest")
            self.assertEqual(self.run_ok("limg-push", "-q", "%s/solo" % dst.host).stdout,
                             "%s/solo:latest\n" % dst.host)


PROGRAMS = {
    # program: (options it must list, common options it must not)
    "limg-pull": (["--all-tags", "--quiet", "--platform", "--tls-verify", "--store", "--policy", "--referrers",
                   "--unpack", "--discard-layers"], ["--sign-key"]),
    "limg-push": (["--all-tags", "--max-concurrent-uploads", "--tls-verify", "--store", "--sign-key", "--sign-format"],
                  ["--policy"]),
    "limg-images": (["--all", "--digests", "--filter", "--format", "--no-trunc", "--quiet", "--store"],
                    ["--tls-verify", "--cert-dir"]),
    "limg-inspect": (["--format", "--store", "--platform"], ["--tls-verify", "--cert-dir"]),
    "limg-history": (["--format", "--human", "--no-trunc", "--quiet", "--platform"], ["--tls-verify"]),
    "limg-image-prune": (["--all", "--filter", "--force", "--store"], ["--tls-verify", "--platform"]),
    "limg-tag": (["--store"], ["--tls-verify", "--cert-dir", "--platform"]),
    "limg-rmi": (["--force", "--store"], ["--tls-verify", "--cert-dir", "--platform"]),
    "limg-save": (["--output", "--store", "--platform"], ["--tls-verify"]),
    "limg-load": (["--input", "--quiet", "--store", "--platform"], ["--tls-verify", "--cert-dir"]),
    "limg-copy": (["--jobs", "--verbose", "--tls-verify", "--platform", "--policy", "--sign-key", "--referrers"],
                  ["--store"]),
    # --pull fetches an image the store lacks: the registry's options are its own
    "limg-unpack": (["--bundle", "--rootless", "--store", "--pull", "--keep-failed", "--tls-verify", "--cert-dir"],
                    ["--username"]),
    "limg-login": (["--username", "--password", "--password-stdin", "--tls-verify", "--cert-dir"],
                   ["--store", "--platform"]),
    "limg-logout": ([], ["--store", "--platform", "--tls-verify"]),
    "limg-verify": (["--policy", "--default-policy", "--registries.d", "--local", "--store", "--tls-verify"],
                    ["--sign-key"]),
    "limg-attach": (["--artifact-type", "--annotation", "--referrers-mode", "--tls-verify"], ["--store", "--platform"]),
    "limg-referrers": (["--artifact-type", "--format", "--referrers-mode", "--tls-verify"], ["--store", "--platform"]),
    "limg-sync": (["--src", "--dest", "--scoped", "--dry-run", "--jobs", "--quiet", "--src-tls-verify",
                   "--dest-tls-verify", "--tls-verify", "--cert-dir", "--platform"], ["--store"]),
    "limg-append": (["--base", "--new_layer", "--dir", "--diff", "--new_tag", "--compression", "--store", "--platform"],
                    ["--tls-verify", "--cert-dir", "--entrypoint"]),
    "limg-mutate": (["--tag", "--entrypoint", "--env", "--expose", "--store", "--platform"],
                    ["--tls-verify", "--cert-dir", "--compression"]),
    "limg-flatten": (["--tag", "--compression", "--store"], ["--tls-verify", "--platform", "--entrypoint"]),
    "limg-rebase": (["--old-base", "--new-base", "--tag", "--store", "--platform"], ["--tls-verify", "--cert-dir"]),
    "limg-build": (["--tag", "--store"], ["--tls-verify", "--platform", "--compression"]),
}


class Flags(Case):
    def test_unknown_flags_are_named(self):
        for prog in PROGRAMS:
            p = self.run_fail(prog, "--foo", "x")
            self.assertEqual((p.returncode, p.stderr), (125, "unknown flag: --foo\nSee '%s --help'.\n" % prog), prog)
            p = self.run_fail(prog, "-Z", "x")
            self.assertEqual(p.stderr, "unknown shorthand flag: 'Z' in -Z\nSee '%s --help'.\n" % prog, prog)
        # limg-refs takes no flag: one is named, not read as a reference
        p = self.run_fail("limg-refs", "busybox", "--foo")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (125, "", "unknown flag: --foo\nSee 'limg-refs --help'.\n"))
        self.assertTrue(self.run_ok("limg-refs", "busybox", "-h").stdout.startswith("Usage: limg-refs "))

    def test_help_lists_only_the_programs_own_options(self):
        for prog, (has, lacks) in PROGRAMS.items():
            out = self.run_ok(prog, "--help").stdout
            self.assertTrue(out.startswith("Usage:  %s " % prog), out)
            for flag in has:
                self.assertIn(flag, out, prog)
            for flag in lacks:
                self.assertNotIn(flag, out, prog)
        # and an option a program does not use is unknown to it
        p = self.run_fail("limg-tag", "--tls-verify=false", "a", "b")
        self.assertEqual(p.stderr, "unknown flag: --tls-verify\nSee 'limg-tag --help'.\n")

    def test_one_name_for_concurrency(self):
        # docker's names where docker has them, and --jobs (crane's) everywhere
        self.run_ok("limg-pull", "--max-concurrent-downloads", "2", "-q", "%s/team/base:v1" % reg.host)
        self.run_ok("limg-pull", "--jobs", "2", "-q", "%s/team/base:v2" % reg.host)
        self.run_ok("limg-pull", "-j", "1", "-q", "%s/team/base:v3" % reg.host)
        with registry.Registry() as dst:
            self.run_ok("limg-tag", "%s/team/base:v1" % reg.host, "%s/x:1" % dst.host)
            self.run_ok("limg-push", "--max-concurrent-uploads", "2", "-q", "%s/x:1" % dst.host)
            self.run_ok("limg-push", "--jobs", "2", "-q", "%s/x:1" % dst.host)
            self.run_ok("limg-copy", "--jobs", "2", "%s/x:1" % dst.host, "%s/y:1" % dst.host)
            self.run_ok("limg-copy", "--max-concurrent-uploads", "2", "%s/x:1" % dst.host, "%s/z:1" % dst.host)
            # a sync's blobs at once per image: the same name (its --jobs counts images)
            self.run_ok("limg-sync", "--max-concurrent-uploads", "2", "--src", "docker", "--dest", "docker",
                        "%s/x:1" % dst.host, "%s/synced" % dst.host)
        p = self.run_fail("limg-pull", "--jobs", "0", "x")
        self.assertIn("--jobs", p.stderr)

    def test_argument_counts_read_as_docker(self):
        p = self.run_fail("limg-tag", "a")
        self.assertEqual(p.stderr, '"limg-tag" requires exactly 2 arguments.\nSee \'limg-tag --help\'.\n\n'
                                   "Usage:  limg-tag [OPTIONS] SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
                                   "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n")
        p = self.run_fail("limg-images", "a", "b")
        self.assertTrue(p.stderr.startswith('"limg-images" accepts at most 1 argument.\n'))


class Messages(Case):
    def test_a_missing_blob_is_no_access_problem(self):
        with registry.Registry() as own:
            img = images.Image(images.sample_layers("lost"))
            own.push("team/lost", "v1", img)
            hexd = img.layers[1].blob.digest[7:]
            shutil.rmtree(os.path.join(own.tmp, "data/docker/registry/v2/blobs/sha256", hexd[:2], hexd))
            p = self.run_fail("limg-pull", "%s/team/lost:v1" % own.host)
        self.assertNotIn("pull access denied", p.stderr)
        self.assertNotIn("docker login", p.stderr)
        self.assertNotIn("Error response from daemon", p.stderr)  # docker says it in the pull's stream
        self.assertIn(img.layers[1].blob.digest, p.stderr)
        self.assertIn("blob unknown", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_foreign_layer_skips_are_said_with_verbose(self):
        with registry.Registry(allow_urls=True) as own:
            base = images.Layer({"base.txt": b"foreign base"}, images.DOCKER_FOREIGN)
            img = images.Image([base, images.Layer({"app.txt": b"app"}, images.DOCKER_LAYER)], docker=True,
                               urls=["https://example.invalid/base.tar.gz"])
            own.push("team/foreign", "v1", img, skip_blobs={base.blob.digest})
            quiet = self.run_ok("limg-pull", "--skip-foreign-layers", "%s/team/foreign:v1" % own.host)
            self.assertNotIn("info: foreign layer", quiet.stderr)
            self.run_ok("limg-rmi", "%s/team/foreign:v1" % own.host)
            loud = self.run_ok("limg-pull", "-v", "--skip-foreign-layers", "%s/team/foreign:v1" % own.host)
        self.assertIn("info: foreign layer %s (%d bytes) skipped" % (base.blob.digest, base.blob.size), loud.stderr)
        self.assertIn("warning: the image is incomplete", loud.stderr)
        self.assertEqual(quiet.stdout.splitlines()[-1], loud.stdout.splitlines()[-1])
        # listed as incomplete; inspect and history refuse it as unpack does, not show it as whole
        ref = "%s/team/foreign:v1" % own.host
        words = "is incomplete: its foreign layer %s (layer 1 of 2) is not in the store" % base.blob.digest
        p = self.run_fail("limg-unpack", ref, os.path.join(self.tmp, "rootfs"))
        self.assertIn(words, p.stderr)
        p = self.run_fail("limg-inspect", ref)
        self.assertEqual(p.stdout, "[]\n")
        self.assertIn(words, p.stderr)
        p = self.run_fail("limg-history", ref)
        self.assertEqual(p.stdout, "")
        self.assertIn(words, p.stderr)

    def test_refused_credentials_say_so(self):
        secret = "msg-Passw0rd"
        with registry.Registry(tls=True, users={"bob": secret}) as basic:
            basic.push("team/app", "v1", BASE)
            config = os.path.join(self.tmp, "docker")
            os.makedirs(config)
            with open(os.path.join(config, "config.json"), "w") as f:
                json.dump({"auths": {basic.host: {"auth": base64.b64encode(b"bob:wrong").decode()}}}, f)
            p = self.run_fail("limg-pull", "%s/team/app:v1" % basic.host, env=dict(ENV, DOCKER_CONFIG=config))
        self.assertIn("the credentials for %s were refused" % basic.host, p.stderr)
        self.assertIn("limg-login %s" % basic.host, p.stderr)
        self.assertNotIn("pull access denied", p.stderr)
        self.assertNotIn(secret, p.stderr)
        # no phrase twice
        for line in p.stderr.splitlines():
            words = re.findall(r"[a-z]{4,}", line.lower())
            self.assertFalse([w for w in set(words) if words.count(w) > 1 and w not in ("from",)], line)

    def test_load_says_when_a_tag_moves(self):
        self.pull("team/base:v1")
        self.pull("team/app:1.0")
        archive = os.path.join(self.tmp, "app.tar")
        self.run_ok("limg-save", "-o", archive, "%s/team/app:1.0" % reg.host)
        # the tag now names another image; loading the archive moves it back
        self.run_ok("limg-tag", "%s/team/base:v1" % reg.host, "%s/team/app:1.0" % reg.host)
        p = self.run_ok("limg-load", "-i", archive)
        self.assertEqual(p.stdout, "The image %s/team/app:1.0 already exists, renaming the old one with ID %s to "
                                   "empty string\nLoaded image: %s/team/app:1.0\n"
                         % (reg.host, BASE.config.digest, reg.host))
        # loaded again: the tag already names it, nothing is renamed
        p = self.run_ok("limg-load", "-q", "-i", archive)
        self.assertEqual(p.stdout, "Loaded image: %s/team/app:1.0\n" % reg.host)

    def test_load_names_what_fails_as_docker(self):
        p = self.run_fail("limg-load", "-i", os.path.join(self.tmp, "nosuch.tar"))
        self.assertEqual(p.stderr, "open %s: no such file or directory\n" % os.path.join(self.tmp, "nosuch.tar"))
        # a manifest.json naming a layer through a link that leads out of the archive
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                                                                               "diff_ids": []}}).encode()
            manifest = json.dumps([{"Config": "c.json", "RepoTags": ["evil/link:v1"],
                                    "Layers": ["layer.tar"]}]).encode()
            for name, data in (("c.json", cfg), ("manifest.json", manifest)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            link = tarfile.TarInfo("layer.tar")
            link.type = tarfile.SYMTYPE
            link.linkname = "../../etc/passwd"
            tar.addfile(link)
        archive = os.path.join(self.tmp, "link.tar")
        with open(archive, "wb") as f:
            f.write(out.getvalue())
        p = self.run_fail("limg-load", "-i", archive)
        self.assertEqual(p.stderr, "archive entry \"layer.tar\" links to \"../../etc/passwd\", outside the archive\n")
        self.assertEqual(self.run_ok("limg-images", "-a").stdout.splitlines()[1:], [])

    def test_prefixes_follow_docker(self):
        # the client's own checks have no daemon prefix
        p = self.run_fail("limg-tag", "a", "b@sha256:" + "a" * 64)
        self.assertEqual(p.stderr, "refusing to create a tag with a digest reference\n")
        p = self.run_fail("limg-tag", "a", "Bad Name")
        self.assertTrue(p.stderr.startswith('Error parsing reference: "Bad Name" is not a valid repository/tag: '),
                        p.stderr)
        # the daemon's answers have it
        os.makedirs(self.store)
        p = self.run_fail("limg-rmi", "nosuch:v1")
        self.assertEqual(p.stderr, "Error response from daemon: No such image: nosuch:v1\n")
        p = self.run_fail("limg-tag", "nosuch:v1", "other:v1")
        self.assertEqual(p.stderr, "Error response from daemon: No such image: nosuch:v1\n")
        p = self.run_fail("limg-inspect", "nosuch:v1")
        self.assertEqual((p.stdout, p.stderr), ("[]\n", "Error: No such image: nosuch:v1\n"))
        # the daemon names a reference without tag with docker's ":latest" (the client's inspect does not)
        for args in (["limg-rmi"], ["limg-tag"], ["limg-history"], ["limg-save", "-o", os.path.join(self.tmp, "s.tar")]):
            p = self.run_fail(*args, "docker.io/library/nosuch", *(["other:v1"] if args == ["limg-tag"] else []))
            self.assertEqual(p.stderr, "Error response from daemon: No such image: nosuch:latest\n", args)
        p = self.run_fail("limg-inspect", "nosuch")
        self.assertEqual(p.stderr, "Error: No such image: nosuch\n")
        # said inside the push's stream, by the name as docker shows it
        p = self.run_fail("limg-push", "nosuch")
        self.assertEqual((p.stdout, p.stderr), ("Using default tag: latest\nThe push refers to repository "
                                                "[docker.io/library/nosuch]\n",
                                                "An image does not exist locally with the tag: nosuch\n"))


if __name__ == "__main__":
    unittest.main()
