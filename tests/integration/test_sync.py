# SPDX-License-Identifier: MIT
"""limg-sync end to end against real registries: a set with shared layers,
a re-sync that moves nothing (counted at a proxy in front of each side), a
moved tag, tag filters over odd tags, a failing image among good ones, a
429 storm, a sync killed and resumed, skopeo's YAML, and an air-gap round
trip (registry -> store -> another registry) checked against skopeo sync;
skopeo's dir: layout written as skopeo sync --dest dir writes it and read
back by skopeo;
with --referrers, signatures (.sig, the test's own cosign signer) and OCI
referrers go with the images, later signatures reach images up to date,
and --policy refuses one image while the others go on."""
import base64
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from fixtures import cosign, faultproxy, images, registry
import tool
from tool import ENV, EXAMPLES, TOOLS, example

HAVE_SKOPEO = shutil.which("skopeo") is not None
src = dst = far = sp = dp = None
pushed = {}  # "repo:tag" -> manifest digest at the source
platforms = {}  # of team/multi:1.0, an index: "arm64" -> its image's digest


def image(tag, size=0):
    return images.Image(images.sample_layers(tag, size=size, seed=len(tag)))


def put(repo, tag, img):
    src.push(repo, tag, img)
    pushed["%s:%s" % (repo, tag)] = img.manifest.digest


def setUpModule():
    global src, dst, far, sp, dp
    src = registry.Registry()
    unittest.addModuleCleanup(src.stop)
    dst = registry.Registry()
    unittest.addModuleCleanup(dst.stop)
    far = registry.Registry()
    unittest.addModuleCleanup(far.stop)
    sp = faultproxy.FaultProxy(src.host)
    unittest.addModuleCleanup(sp.stop)
    dp = faultproxy.FaultProxy(dst.host)
    unittest.addModuleCleanup(dp.stop)
    put("team/app", "1.0", image("app1"))
    put("team/app", "2.0", image("app2"))
    put("team/tool", "1.0", image("tool1"))
    index = images.Index([images.Image(images.sample_layers("m-amd64"), arch="amd64"),
                          images.Image(images.sample_layers("m-arm64"), arch="arm64")])
    put("team/multi", "1.0", index)
    platforms["arm64"] = index.images[1].manifest.digest


def digest_at(reg, repo, ref):
    """The digest a registry's tag names (HEAD), or None."""
    req = urllib.request.Request("%s/v2/%s/manifests/%s" % (reg.url, repo, ref), method="HEAD")
    req.add_header("Accept", ", ".join((images.OCI_MANIFEST, images.OCI_INDEX, images.DOCKER_MANIFEST,
                                        images.DOCKER_LIST)))
    try:
        return urllib.request.urlopen(req).headers["Docker-Content-Digest"]
    except urllib.error.HTTPError:
        return None


def sync(*args, check=True):
    """Runs limg-sync --json; returns (exit status, report, stderr)."""
    p = example("limg-sync", "--json", *args, check=False)
    report = json.loads(p.stdout) if p.stdout.strip() else None
    if check and p.returncode != 0:
        raise AssertionError("limg-sync failed: %s" % p.stderr)
    return p.returncode, report, p.stderr


def requests_of(proxy, method=None, part=""):
    return [(m, p) for m, p, _ in proxy.requests if (method is None or m == method) and part in p]


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-sync-")
        sp.clear()
        dp.clear()
        sp.requests.clear()
        dp.requests.clear()

    def tearDown(self):
        sp.clear()
        dp.clear()
        shutil.rmtree(self.tmp)

    def yaml(self, text):
        path = os.path.join(self.tmp, "list.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def statuses(self, report):
        return {i["destination"]: i["status"] for i in report["images"]}


class TestMirror(Base):
    def test_shared_layers_then_nothing_moves_then_one_tag_moves(self):
        listing = self.yaml("%s:\n  images:\n    team/app: []\n    team/tool: ['1.0']\n    team/multi: []\n"
                            "  tls-verify: false\n" % sp.host)
        dest = dp.host + "/mirror"
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", listing, dest)
        self.assertEqual(report["copied"], 4, report)
        for key, digest in pushed.items():
            repo, tag = key.split(":")
            if repo in ("team/app", "team/tool", "team/multi"):
                self.assertEqual(digest_at(dst, "mirror/" + repo.split("/")[1], tag), digest, key)
        # the base layer every image shares is sent once; the other repositories mount it
        base = images.sample_layers("x")[0].blob.digest
        puts = [p for m, p in requests_of(dp, "PUT", "/blobs/uploads/") if base.split(":")[1] in p]
        self.assertEqual(len(puts), 1, puts)
        self.assertTrue(requests_of(dp, "POST", "mount=" + base.replace(":", "%3A")))

        # nothing changed: one HEAD per tag at each side, one tag list per repository, no blob, no manifest GET
        sp.requests.clear()
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", listing, dest)
        self.assertEqual(report["up_to_date"], 4, report)
        self.assertEqual(requests_of(sp, "GET", "/manifests/"), [])
        self.assertEqual(requests_of(sp, None, "/blobs/"), [])
        self.assertEqual(len(requests_of(sp, "HEAD", "/manifests/")), 4)
        self.assertEqual(len(requests_of(sp, "GET", "/tags/list")), 2)  # tool's tags are named
        self.assertEqual(requests_of(dp, None, "/blobs/"), [])
        self.assertEqual(requests_of(dp, "GET", "/manifests/"), [])
        self.assertEqual(len(requests_of(dp, "HEAD", "/manifests/")), 4)
        self.assertEqual(len(requests_of(dp, "GET", "/tags/list")), 3)
        self.assertEqual(len(sp.requests), 6, sp.requests)
        self.assertEqual(len(dp.requests), 7, dp.requests)
        # the report counts what the proxies saw
        self.assertEqual(report["registries"][sp.host]["manifest_head"], 4)
        self.assertEqual(report["registries"][sp.host]["manifest_get"], 0)
        self.assertEqual(report["registries"][dp.host]["tags_list"], 3)
        self.assertEqual(report["registries"][dp.host]["blob_upload"], 0)

        # one tag moves: only that image moves
        moved = image("app2-moved")
        put("team/app", "2.0", moved)
        sp.requests.clear()
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", listing, dest)
        st = self.statuses(report)
        self.assertEqual(st[dest + "/app:2.0"], "copied")
        self.assertEqual(sorted(st.values()).count("up-to-date"), 3, st)
        self.assertEqual([i["reason"] for i in report["images"] if i["status"] == "copied"], ["tag moved"])
        self.assertEqual(digest_at(dst, "mirror/app", "2.0"), moved.manifest.digest)
        self.assertEqual(len(requests_of(sp, "GET", "/manifests/")), 1)

    def test_scoped_names_keep_the_source_registry(self):
        rc, report, _ = sync("--scoped", "--src-tls-verify=false", "--dest-tls-verify=false", "--tag", "1.0",
                             sp.host + "/team/tool", dp.host + "/scoped")
        scoped = "scoped/%s/team/tool" % sp.host.replace(":", "_")
        self.assertEqual(digest_at(dst, scoped, "1.0"), pushed["team/tool:1.0"])

    def test_one_platform_of_an_index(self):
        args = ("--platform", "linux/arm64", "--src-tls-verify=false", "--dest-tls-verify=false",
                sp.host + "/team/multi", dp.host + "/arm")
        rc, report, _ = sync(*args)
        self.assertEqual(report["copied"], 1)
        self.assertEqual(report["images"][0]["digest"], platforms["arm64"])
        self.assertEqual(digest_at(dst, "arm/multi", "1.0"), platforms["arm64"])
        # again: the index is fetched to find the platform, but no blob moves
        dp.requests.clear()
        rc, report, _ = sync(*args)
        self.assertEqual(report["failed"], 0)
        self.assertEqual([m for m, p in requests_of(dp, None, "/blobs/") if m != "HEAD"], [])
        self.assertEqual(digest_at(dst, "arm/multi", "1.0"), platforms["arm64"])

    def test_one_image_failing_does_not_stop_the_others(self):
        rc, report, err = sync("--src-tls-verify=false", "--dest-tls-verify=false", "--tag", "1.0", "--tag", "gone",
                               sp.host + "/team/app", dp.host + "/partial", check=False)
        self.assertEqual(rc, 1)
        st = self.statuses(report)
        self.assertEqual(st[dp.host + "/partial/app:1.0"], "copied")
        self.assertEqual(st[dp.host + "/partial/app:gone"], "failed")
        failed = [i for i in report["images"] if i["status"] == "failed"][0]
        self.assertEqual(failed["error"], "LIMG_ENOTFOUND")
        self.assertTrue(failed["reason"])
        self.assertIn("1 copied, 0 up to date, 1 failed", err)
        self.assertEqual(digest_at(dst, "partial/app", "1.0"), pushed["team/app:1.0"])
        self.assertIsNone(digest_at(dst, "partial/app", "gone"))

    def test_fail_fast_stops_at_the_first_failure(self):
        rc, report, err = sync("--fail-fast", "--jobs", "1", "--src-tls-verify=false", "--dest-tls-verify=false",
                               "--tag", "gone", "--tag", "1.0", sp.host + "/team/app", dp.host + "/fast", check=False)
        self.assertEqual(rc, 1)
        self.assertEqual([i["status"] for i in report["images"]], ["failed", "pending"])
        self.assertIn("Error:", err)
        self.assertIsNone(digest_at(dst, "fast/app", "1.0"))

    def test_a_repository_that_cannot_be_listed_is_reported(self):
        rc, report, err = sync("--src-tls-verify=false", "--dest-tls-verify=false", sp.host + "/team/none",
                               dp.host + "/none", check=False)
        self.assertEqual(rc, 1)
        self.assertEqual([i["status"] for i in report["images"]], ["failed"])
        self.assertEqual(report["images"][0]["source"], sp.host + "/team/none")

    def test_429_storm_is_waited_out_by_every_request(self):
        dp.add(r"/v2/storm/", "status", times=4, status=429, headers={"Retry-After": "1"})
        rc, report, _ = sync("--src-tls-verify=false", "--dest-tls-verify=false", sp.host + "/team/app",
                             dp.host + "/storm")
        self.assertEqual(report["copied"], 2, report)
        self.assertGreaterEqual(report["registries"][dp.host]["throttled"], 1)
        self.assertEqual(digest_at(dst, "storm/app", "1.0"), pushed["team/app:1.0"])
        self.assertEqual(digest_at(dst, "storm/app", "2.0"), pushed["team/app:2.0"])

    def test_dry_run_changes_nothing(self):
        rc, report, err = sync("--dry-run", "--src-tls-verify=false", "--dest-tls-verify=false",
                               sp.host + "/team/app", dp.host + "/dry")
        self.assertEqual(report["would_copy"], 2)
        self.assertEqual([m for m, _, _ in dp.requests if m not in ("GET", "HEAD")], [])
        self.assertIsNone(digest_at(dst, "dry/app", "1.0"))


class TestSettings(Base):
    def test_destination_credentials_as_skopeo_takes_them(self):
        secret = "sync-Passw0rd"
        with registry.Registry(tls=True, users={"bob": secret}) as locked:
            args = ("--src-tls-verify=false", "--dest-tls-verify=false", "--tag", "1.0", sp.host + "/team/tool",
                    locked.host + "/creds")
            rc, report, err = sync(*args, check=False)
            self.assertEqual(rc, 1)
            self.assertEqual(report["images"][0]["error"], "LIMG_EAUTH")
            rc, report, err = sync("--dest-creds", "bob:" + secret, *args)
            self.assertEqual(report["copied"], 1)
            self.assertEqual(report["images"][0]["digest"], pushed["team/tool:1.0"])
            self.assertNotIn(secret, err)
            rc, report, err = sync("--dest-creds", "bob:" + secret, *args)
            self.assertEqual(report["up_to_date"], 1)

    def test_rate_spaces_the_requests_of_each_registry(self):
        args = ("--src-tls-verify=false", "--dest-tls-verify=false", sp.host + "/team/app", dp.host + "/rate")
        sync(*args)
        dp.requests.clear()
        started = time.monotonic()
        rc, report, _ = sync("--rate", "8", *args)
        took = time.monotonic() - started
        n = sum(v for k, v in report["registries"][dp.host].items() if k != "throttled")
        self.assertEqual(report["up_to_date"], 2)
        self.assertGreaterEqual(n, 3)
        # n requests at 8 per second cannot take less than (n - 1) / 8 s
        self.assertGreaterEqual(took, (n - 1) / 8.0)


    def test_max_connections_bounds_the_requests_in_flight_at_each_registry(self):
        for n in range(4):
            put("team/wide", "%d" % n, image("wide%d" % n, size=200000))
        sp.add(r"/blobs/", "slow", times=-1, rate=400000)  # transfers overlap
        common = ("--src-tls-verify=false", "--dest-tls-verify=false", "--jobs", "4", "--blob-jobs", "4")
        # without a limit, more than two at once (so that the check below can fail)
        sync(*common, sp.host + "/team/wide", dp.host + "/free")
        self.assertGreater(sp.peak_in_flight, 2)
        sp.clear()
        dp.clear()
        sp.add(r"/blobs/", "slow", times=-1, rate=400000)
        rc, report, _ = sync("--max-connections", "2", *common, sp.host + "/team/wide", dp.host + "/bounded")
        self.assertEqual(report["copied"], 4)
        self.assertLessEqual(sp.peak_in_flight, 2)
        self.assertLessEqual(dp.peak_in_flight, 2)
        for n in range(4):
            self.assertEqual(digest_at(dst, "bounded/wide", str(n)), pushed["team/wide:%d" % n])
        # within one registry a streamed blob holds both its ends at once: one connection
        # each way still moves everything (no copy waits for itself)
        sp.clear()
        p = subprocess.run([os.path.join(EXAMPLES, "limg-sync"), "--json", "--max-connections", "1", *common,
                            "--scoped", dp.host + "/bounded/wide", dp.host + "/again"],
                           capture_output=True, text=True, env=ENV, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["copied"], 4)


class TestFilters(Base):
    ODD = ["1.2.0", "1.2.3", "v1.3.0", "1.10.0-rc1", "2.0.0", "latest", "1.2.3_build", "foo", "01.2.0"]

    @classmethod
    def setUpClass(cls):
        img = image("odd")
        for t in cls.ODD:
            src.push("team/odd", t, img)

    def chosen(self, *filters):
        rc, report, _ = sync("--dry-run", "--src-tls-verify=false", "--dest-tls-verify=false", *filters,
                             sp.host + "/team/odd", dp.host + "/odd")
        return sorted(i["source"].rsplit(":", 1)[1] for i in report["images"])

    def test_semver_range(self):
        # loose versions, as skopeo's (Masterminds') NewVersion reads them: "v1.3.0" and "01.2.0" are versions;
        # a pre-release is out of a range that names none; "1.2.3_build", "latest" are no versions
        self.assertEqual(self.chosen("--semver", ">=1.2 <2"), ["01.2.0", "1.2.0", "1.2.3", "v1.3.0"])
        self.assertEqual(self.chosen("--semver", ">= 1.2, < 2"), ["01.2.0", "1.2.0", "1.2.3", "v1.3.0"])
        # (each comparator must name a pre-release for one to pass it, as in Masterminds)
        self.assertEqual(self.chosen("--semver", ">=1.10.0-rc0 <1.11"), [])
        self.assertEqual(self.chosen("--semver", ">=1.10.0-rc0 <1.11.0-0"), ["1.10.0-rc1"])

    def test_regex_and_exclude(self):
        self.assertEqual(self.chosen("--tag-regex", r"^1\.2\."), ["1.2.0", "1.2.3", "1.2.3_build"])
        self.assertEqual(self.chosen("--tag-regex", r"^1\.2\.", "--tag-exclude", "_"), ["1.2.0", "1.2.3"])
        self.assertEqual(self.chosen("--tag-regex", r"^\d+\.\d+\.\d+$"), ["01.2.0", "1.2.0", "1.2.3", "2.0.0"])

    def test_latest(self):
        self.assertEqual(self.chosen("--latest", "2"), ["1.10.0-rc1", "2.0.0"])

    def test_every_tag(self):
        self.assertEqual(self.chosen(), sorted(self.ODD))

    def test_yaml_filters(self):
        listing = self.yaml("%s:\n  images-by-tag-regex:\n    team/odd: ^v\n  images-by-semver:\n    team/app: '>=2'\n"
                            "  tls-verify: false\n" % sp.host)
        rc, report, _ = sync("--dry-run", "--src", "yaml", "--dest-tls-verify=false", listing, dp.host + "/y")
        self.assertEqual(sorted(i["source"].split("/", 1)[1] for i in report["images"]),
                         ["team/app:2.0", "team/odd:v1.3.0"])

    def test_yaml_refused_with_file_and_line(self):
        listing = self.yaml("%s:\n  images:\n    team/app: &a []\n" % sp.host)
        rc, report, err = sync("--src", "yaml", listing, dp.host + "/y", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("list.yaml:3", err)
        listing = self.yaml("%s:\n  image:\n    team/app: []\n" % sp.host)
        rc, report, err = sync("--src", "yaml", listing, dp.host + "/y", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("list.yaml:2", err)
        self.assertIn("unknown key", err)
        listing = self.yaml("%s:\n  images-by-tag-regex:\n    team/app: '(?i)x'\n" % sp.host)
        rc, report, err = sync("--src", "yaml", listing, dp.host + "/y", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("list.yaml:3", err)
        self.assertEqual(dp.requests, [])


class TestLibraryCalls(Base):
    """limg_sync() and its report through the library's own calls (limg-test-sync):
    a list built with limg_sync_list_add and _add_store, a registry's credentials
    given to the list (limg_sync_list_set_registry_opts), and every accessor of the
    report agreeing with its JSON and with the registries."""

    def run_tool(self, *args):
        p = subprocess.run([os.path.join(TOOLS, "limg-test-sync")] + list(args), capture_output=True, text=True,
                           env=ENV, timeout=300)
        lines = p.stdout.splitlines()
        rows = [l.split("\t") for l in lines if "\t" in l]
        rest = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in lines if "\t" not in l}
        # the tool prints its report whatever limg_sync returned: none means it died
        self.assertIn("json", rest, "exit %d\n%s" % (p.returncode, p.stderr))
        report = json.loads(rest["json"])
        # every accessor says what the JSON says
        self.assertEqual(int(rest["count"]), len(report["images"]))
        self.assertEqual([int(x) for x in rest["tally"].split()],
                         [report["copied"], report["up_to_date"], report["failed"], report["would_copy"]])
        names = {2: "copied", 3: "up-to-date", 4: "failed", 5: "would-copy"}
        for row, image in zip(rows, report["images"]):
            self.assertEqual(names[int(row[0])], image["status"])
            self.assertEqual(row[1:3], [image["source"], image["destination"]])
            self.assertEqual(row[3], image["digest"] or "-")
            self.assertEqual(row[4], image["error"] or "-")
            self.assertEqual((int(row[5]), row[6]), (image["bytes"], image["reason"]))
        return p, rows, rest.get("rc"), report

    def test_the_report_through_the_library_calls(self):
        secret = "tool-Passw0rd"
        sources = (sp.host + "/team/tool=1.0", sp.host + "/team/app")
        with registry.Registry(tls=True, users={"bob": secret}) as locked:
            dest = locked.host + "/lib"
            p, rows, rc, report = self.run_tool("registry", dest, *sources)
            self.assertEqual((p.returncode, rc), (2, "LIMG_EPARTIAL"), p.stderr)
            self.assertEqual(sorted(r[2] for r in rows), [dest + "/app:1.0", dest + "/app:2.0", dest + "/tool:1.0"])
            self.assertEqual({r[4] for r in rows}, {"LIMG_EAUTH"})
            # the list's credentials for that registry: everything goes
            creds = ("--creds", locked.host, "bob", secret)
            p, rows, rc, report = self.run_tool(*creds, "registry", dest, *sources)
            self.assertEqual((p.returncode, rc), (0, "0"), p.stderr)
            self.assertEqual(report["copied"], 3)
            for row in rows:
                self.assertEqual(row[3], pushed[row[1].split("/", 1)[1]], row)
            self.assertGreater(sum(int(r[5]) for r in rows), 0)
            self.assertNotIn(secret, p.stdout + p.stderr)
            p, rows, rc, report = self.run_tool(*creds, "registry", dest, *sources)
            self.assertEqual([r[0] for r in rows], ["3"] * 3)
            self.assertEqual({int(r[5]) for r in rows}, {0})
            # to a store, and from it (limg_sync_list_add_store) to another path of the registry
            store = os.path.join(self.tmp, "carry")
            p, rows, rc, report = self.run_tool("store", store, *sources)
            self.assertEqual((rc, report["copied"]), ("0", 3), "%s\n%s" % (rows, p.stderr))
            tool.assert_sound(self, store)
            p, rows, rc, report = self.run_tool(*creds, "--dry-run", "registry", locked.host + "/back",
                                                "store:" + store)
            self.assertEqual([r[0] for r in rows], ["5"] * 3)
            p, rows, rc, report = self.run_tool(*creds, "registry", locked.host + "/back", "store:" + store)
            self.assertEqual((rc, report["copied"]), ("0", 3), "%s\n%s" % (rows, p.stderr))
            self.assertEqual(sorted(r[3] for r in rows),
                             sorted(pushed[k] for k in ("team/tool:1.0", "team/app:1.0", "team/app:2.0")))


class TestResume(Base):
    def test_killed_at_random_moments_then_resumed(self):
        for n in range(3):
            put("team/big", "%d" % n, image("big%d" % n, size=300000))
        rnd = random.Random(int(time.time()))
        dest = dp.host + "/resume"
        for attempt in range(3):
            # the source's blobs come slowly: the kill lands mid-transfer
            sp.add(r"/blobs/", "slow", times=-1, rate=400000)
            p = subprocess.Popen([os.path.join(EXAMPLES, "limg-sync"), "-q", "--src-tls-verify=false",
                                  "--dest-tls-verify=false", sp.host + "/team/big", dest], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0.1, 0.8))
            p.send_signal(signal.SIGKILL)
            p.wait()
            sp.clear()
        rc, report, _ = sync("--src-tls-verify=false", "--dest-tls-verify=false", sp.host + "/team/big", dest)
        self.assertEqual(report["failed"], 0)
        self.assertEqual(report["copied"] + report["up_to_date"], 3)
        for n in range(3):
            self.assertEqual(digest_at(dst, "resume/big", str(n)), pushed["team/big:%d" % n])
        # and once more: nothing left to do
        rc, report, _ = sync("--src-tls-verify=false", "--dest-tls-verify=false", sp.host + "/team/big", dest)
        self.assertEqual(report["up_to_date"], 3)


class TestAirGap(Base):
    def test_registry_to_store_to_registry_keeps_digests_as_skopeo_does(self):
        listing = self.yaml("%s:\n  images:\n    team/app: []\n    team/tool: ['1.0']\n  tls-verify: false\n"
                            % src.host)
        store = os.path.join(self.tmp, "carry")
        rc, report, _ = sync("--src", "yaml", "--dest", "store", listing, store)
        self.assertEqual(report["copied"], 3, report)
        rc, report, _ = sync("--src", "yaml", "--dest", "store", listing, store)
        self.assertEqual(report["up_to_date"], 3, report)
        # across the gap: the store is all the other side has
        rc, report, _ = sync("--src", "store", "--dest-tls-verify=false", store, far.host + "/gap")
        self.assertEqual(report["copied"], 3, report)
        mine = {r: digest_at(far, "gap/" + r.split(":")[0].split("/")[1], r.split(":")[1])
                for r in ("team/app:1.0", "team/app:2.0", "team/tool:1.0")}
        for ref, digest in mine.items():
            self.assertEqual(digest, pushed[ref], ref)
        rc, report, _ = sync("--src", "store", "--dest-tls-verify=false", store, far.host + "/gap")
        self.assertEqual(report["up_to_date"], 3, report)
        tool.assert_sound(self, store)
        if not HAVE_SKOPEO:
            self.skipTest("skopeo is not installed (.ci/install-deps installs it): no comparison with skopeo sync")
        p = subprocess.run(["skopeo", "sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false",
                            "--all", listing, far.host + "/skopeo"], capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        for ref, digest in mine.items():
            repo, tag = ref.split(":")
            self.assertEqual(digest_at(far, "skopeo/" + repo.split("/")[1], tag), digest, ref)


def dir_tree(root):
    """{relative path: sha256 of the file} beneath root."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = images.sha256(f.read())
    return out


class TestDirectory(Base):
    """--dest dir: skopeo's dir: layout, as skopeo sync --dest dir writes it."""

    def test_as_skopeo_writes_it_and_skopeo_reads_it(self):
        if not HAVE_SKOPEO:
            self.skipTest("skopeo is not installed (.ci/install-deps installs it): no oracle for the layout")
        listing = self.yaml("%s:\n  images:\n    team/app: []\n    team/multi: []\n  tls-verify: false\n" % src.host)
        ours, theirs = os.path.join(self.tmp, "ours"), os.path.join(self.tmp, "skopeo")
        rc, report, _ = sync("--src", "yaml", "--dest", "dir", listing, ours)
        self.assertEqual((rc, report["copied"]), (0, 3), report)
        p = subprocess.run(["skopeo", "sync", "--src", "yaml", "--dest", "dir", "--all", "--preserve-digests",
                            listing, theirs], capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        mine = dir_tree(ours)
        self.assertEqual(mine, dir_tree(theirs))
        self.assertEqual(sorted(os.listdir(ours)), ["app:1.0", "app:2.0", "multi:1.0"])
        for ref in ("app:1.0", "app:2.0", "multi:1.0"):
            self.assertEqual(mine[ref + "/manifest.json"], pushed["team/" + ref], ref)
        self.assertIn("multi:1.0/%s.manifest.json" % platforms["arm64"][7:], mine)
        # a blob both app images hold was fetched once: one file, two names
        shared = set(os.listdir(os.path.join(ours, "app:1.0"))) & set(os.listdir(os.path.join(ours, "app:2.0")))
        shared -= {"manifest.json", "version"}
        self.assertTrue(shared)
        for name in shared:
            a, b = (os.stat(os.path.join(ours, ref, name)) for ref in ("app:1.0", "app:2.0"))
            self.assertEqual((a.st_dev, a.st_ino), (b.st_dev, b.st_ino), name)
        # across the gap: skopeo takes the directory to a registry, every digest kept
        p = subprocess.run(["skopeo", "sync", "--src", "dir", "--dest", "docker", "--dest-tls-verify=false",
                            "--all", "--preserve-digests", ours, far.host + "/fromdir"],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        for ref in ("app:1.0", "app:2.0", "multi:1.0"):
            name, tag = ref.split(":")
            self.assertEqual(digest_at(far, "fromdir/" + name, tag), pushed["team/" + ref], ref)

    def test_back_from_the_directory_as_skopeo_takes_it(self):
        """--src dir: the air gap's other side, naming images as skopeo sync --src dir does."""
        listing = self.yaml("%s:\n  images:\n    team/app: []\n    team/multi: []\n  tls-verify: false\n" % src.host)
        carried = os.path.join(self.tmp, "carried")
        rc, report, _ = sync("--src", "yaml", "--dest", "dir", listing, carried)
        self.assertEqual(report["copied"], 3, report)
        refs = ("app:1.0", "app:2.0", "multi:1.0")
        rc, report, _ = sync("--src", "dir", "--dest-tls-verify=false", carried, dp.host + "/back")
        self.assertEqual((rc, report["copied"]), (0, 3), report)
        self.assertEqual(sorted(i["destination"] for i in report["images"]),
                         ["%s/back/%s" % (dp.host, r) for r in refs])
        for ref in refs:
            name, tag = ref.split(":")
            self.assertEqual(digest_at(dst, "back/" + name, tag), pushed["team/" + ref], ref)
        # skopeo names them alike (skopeo is the oracle of the naming)
        if HAVE_SKOPEO:
            p = subprocess.run(["skopeo", "sync", "--src", "dir", "--dest", "docker", "--dest-tls-verify=false",
                                "--all", "--preserve-digests", carried, far.host + "/sk"],
                               capture_output=True, text=True, env=ENV)
            self.assertEqual(p.returncode, 0, p.stderr)
            for ref in refs:
                name, tag = ref.split(":")
                self.assertEqual(digest_at(far, "sk/" + name, tag), pushed["team/" + ref], ref)
        # again: nothing moves (a HEAD per tag at the destination, no blob)
        dp.clear()
        rc, report, _ = sync("--src", "dir", "--dest-tls-verify=false", carried, dp.host + "/back")
        self.assertEqual(report["up_to_date"], 3, report)
        self.assertEqual(requests_of(dp, part="/blobs/"), [])
        self.assertEqual({m for m, _ in requests_of(dp, part="/manifests/")}, {"HEAD"})
        # one image directory as SOURCE: named by its own name
        rc, report, _ = sync("--src", "dir", "--dest-tls-verify=false", os.path.join(carried, "app:1.0"),
                             dp.host + "/one")
        self.assertEqual(report["images"][0]["destination"], dp.host + "/one/app:1.0")
        self.assertEqual(digest_at(dst, "one/app", "1.0"), pushed["team/app:1.0"])

    def test_a_tampered_directory_sends_nothing_of_the_image(self):
        put("dirs/tamper", "good", image("dir-good", size=50000))
        put("dirs/tamper", "bad", image("dir-badsrc", size=50000))
        carried = os.path.join(self.tmp, "carried")
        sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/tamper", carried)
        bad = os.path.join(carried, "tamper:bad")
        with open(os.path.join(bad, "manifest.json")) as f:
            layer = json.load(f)["layers"][-1]
        # the layer's file: the same size, other bytes (unlinked first: a blob shared by hard
        # link stays whole in the other image); refused as it goes, no manifest of it put
        path = os.path.join(bad, layer["digest"][7:])
        os.unlink(path)
        with open(path, "wb") as f:
            f.write(b"\x5a" * layer["size"])
        # a link to a directory elsewhere that looks like an image is not followed
        os.symlink(os.path.join(carried, "tamper:good"), os.path.join(carried, "evil:1"))
        # a name a terminal would act on: no image name, and printed escaped
        odd = os.path.join(carried, "x\x1b]0;PWNED\x07:1")
        os.makedirs(odd)
        shutil.copy(os.path.join(carried, "tamper:good", "manifest.json"), odd)
        rc, report, err = sync("--src", "dir", "--dest-tls-verify=false", carried, dp.host + "/t", check=False)
        self.assertEqual(rc, 1)
        self.assertNotIn("\x1b", err)
        odd_rows = [i for i in report["images"] if "PWNED" in i["source"]]
        self.assertEqual([i["status"] for i in odd_rows], ["failed"])  # the reference grammar's refusal
        self.assertNotIn("\x1b", odd_rows[0]["source"] + odd_rows[0]["destination"])
        by = {i["destination"].rsplit("/", 1)[1]: i for i in report["images"] if i not in odd_rows}
        self.assertEqual(sorted(by), ["tamper:bad", "tamper:good"])
        self.assertEqual(by["tamper:good"]["status"], "copied")
        self.assertEqual((by["tamper:bad"]["status"], by["tamper:bad"]["error"]), ("failed", "LIMG_EDIGEST_MISMATCH"))
        self.assertIsNone(digest_at(dst, "t/tamper", "bad"))
        self.assertEqual(digest_at(dst, "t/tamper", "good"), pushed["dirs/tamper:good"])

    def test_nothing_moves_then_one_tag_moves(self):
        put("dirs/moving", "a", image("dir-a"))
        put("dirs/moving", "b", image("dir-b"))
        out = os.path.join(self.tmp, "out")
        # a dry run decides and makes nothing, not even the directory
        rc, report, _ = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", "--dry-run",
                             sp.host + "/dirs/moving", out)
        self.assertEqual(report["would_copy"], 2, report)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(requests_of(sp, part="/blobs/"), [])
        rc, report, _ = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/moving", out)
        self.assertEqual(report["copied"], 2, report)
        sp.requests.clear()
        rc, report, _ = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/moving", out)
        self.assertEqual(report["up_to_date"], 2, report)
        self.assertEqual(sorted(m for m, _ in requests_of(sp, part="/manifests/")), ["HEAD", "HEAD"])
        self.assertEqual(requests_of(sp, part="/blobs/"), [])
        # b moves: only b is fetched again, and its directory holds the new image alone
        moved = image("dir-b2")
        put("dirs/moving", "b", moved)
        rc, report, _ = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/moving", out)
        self.assertEqual((report["copied"], report["up_to_date"]), (1, 1), report)
        want = {"manifest.json", "version"} | {b.digest[7:] for b in [moved.config] + [l.blob for l in moved.layers]}
        self.assertEqual(set(os.listdir(os.path.join(out, "moving:b"))), want)
        self.assertEqual(dir_tree(out)["moving:b/manifest.json"], moved.manifest.digest)
        self.assertEqual(sorted(os.listdir(out)), ["moving:a", "moving:b"])

    def test_a_bad_blob_leaves_no_finished_directory_and_a_rerun_ends_it(self):
        img = image("dir-bad", size=200000)
        put("dirs/bad", "1", img)
        layer = img.layers[-1].blob.digest
        sp.add("/blobs/" + layer, "corrupt", times=-1, offset=1000)
        out = os.path.join(self.tmp, "out")
        rc, report, err = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/bad", out,
                               check=False)
        self.assertEqual((rc, report["failed"]), (1, 1), report)
        self.assertEqual(report["images"][0]["error"], "LIMG_EDIGEST_MISMATCH", report)
        self.assertEqual(os.listdir(out), ["bad:1.partial"])
        # the blobs that did verify are kept; the bad one never took its name
        kept = set(os.listdir(os.path.join(out, "bad:1.partial")))
        self.assertNotIn(layer[7:], kept)
        self.assertFalse([n for n in kept if n.endswith(".part")], kept)
        # what a killed sync of another version left there goes when this one ends
        for name in ("0" * 64, "1" * 64 + ".part", "2" * 64 + ".manifest.json"):
            with open(os.path.join(out, "bad:1.partial", name), "w") as f:
                f.write("stale")
        # a kept blob changed since (its size kept) is fetched again, not carried
        config = os.path.join(out, "bad:1.partial", img.config.digest[7:])
        self.assertTrue(os.path.exists(config))
        with open(config, "r+b") as f:
            f.write(b"X")
        sp.clear()
        sp.requests.clear()
        rc, report, _ = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", sp.host + "/dirs/bad", out)
        self.assertEqual(report["copied"], 1, report)
        self.assertEqual(os.listdir(out), ["bad:1"])
        self.assertEqual(set(os.listdir(os.path.join(out, "bad:1"))),
                         {"manifest.json", "version"} | {b.digest[7:] for b in [img.config] + [l.blob for l in img.layers]})
        self.assertEqual(dir_tree(out)["bad:1/manifest.json"], img.manifest.digest)
        fetched = {p.rsplit("/", 1)[1][7:] for _, p in requests_of(sp, "GET", "/blobs/")}
        self.assertEqual(fetched & kept, {img.config.digest[7:]}, "blobs finished before were fetched again")
        for name, digest in dir_tree(os.path.join(out, "bad:1")).items():
            if name not in ("manifest.json", "version"):
                self.assertEqual(digest[7:], name)

    def test_one_directory_one_writer(self):
        """A tag listed twice goes once; another repository of the same last name fails, not races."""
        put("dirs/one/same", "1", image("dir-same-1"))
        put("dirs/two/same", "1", image("dir-same-2"))
        listing = self.yaml("%s:\n  images:\n    dirs/one/same: ['1', '1']\n    dirs/two/same: ['1']\n"
                            "  tls-verify: false\n" % src.host)
        out = os.path.join(self.tmp, "out")
        rc, report, _ = sync("--src", "yaml", "--dest", "dir", listing, out, check=False)
        self.assertEqual((rc, report["copied"], report["failed"]), (1, 1, 1), report)
        failed = [i for i in report["images"] if i["status"] == "failed"][0]
        self.assertEqual((failed["source"], failed["error"]), ("%s/dirs/two/same:1" % src.host, "LIMG_EEXISTS"))
        self.assertEqual(dir_tree(out)["same:1/manifest.json"], pushed["dirs/one/same:1"])
        # scoped, each has its own
        rc, report, _ = sync("--src", "yaml", "--dest", "dir", "--scoped", listing, out)
        self.assertEqual(report["copied"], 2, report)
        self.assertEqual(dir_tree(out)["%s/dirs/two/same:1/manifest.json" % src.host], pushed["dirs/two/same:1"])

    def test_referrers_and_a_store_source_are_refused(self):
        out = os.path.join(self.tmp, "out")
        rc, report, err = sync("--src", "docker", "--src-tls-verify=false", "--dest", "dir", "--referrers",
                               src.host + "/team/app", out, check=False)
        self.assertEqual(rc, 1)
        self.assertIn("holds no referrers", err)
        self.assertFalse(os.path.exists(out))
        store = os.path.join(self.tmp, "carry")
        sync("--src", "docker", "--src-tls-verify=false", "--dest", "store", src.host + "/team/tool", store)
        rc, report, err = sync("--src", "store", "--dest", "dir", store, out, check=False)
        self.assertEqual(rc, 1)
        self.assertIn("not to a store or a directory", err)
        self.assertEqual(os.listdir(out), [])


class TestReferrers(Base):
    """--referrers and --policy: a source image signed with a .sig signature and
    one with an OCI referrer (an SBOM attached with limg-attach), synced to a
    registry and to a store and back; signatures added later; a policy that
    refuses one image."""

    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="limg-sync-keys-")
        cls.ec, cls.other = cosign.new_ec_key(), cosign.new_ec_key()
        for name, k in (("ec", cls.ec), ("other", cls.other)):
            with open(os.path.join(cls.keys, name + ".pub"), "wb") as f:
                f.write(cosign.public_pem(k))
        cls.regd = os.path.join(cls.keys, "registries.d")
        os.makedirs(cls.regd)
        with open(os.path.join(cls.regd, "default.yaml"), "w") as f:
            f.write("default-docker:\n  use-sigstore-attachments: true\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.keys)

    def key(self, name):
        return os.path.join(self.keys, name)

    def signed_pair(self, repo):
        """REPO/signed:1.0 signed by ec (its .sig tag) and REPO/attached:1.0 with an SBOM
        referrer, at the source; returns (signed image, its signature layer, sbom digest)."""
        signed, attached = image(repo + "-signed"), image(repo + "-attached")
        src.push(repo + "/signed", "1.0", signed)
        src.push(repo + "/attached", "1.0", attached)
        ident = "%s/%s/signed:1.0" % (sp.host, repo)
        data = cosign.payload(signed.manifest.digest, ident)
        layer = cosign.signature_layer(data, base64.b64encode(cosign.sign_bytes(self.ec, data)).decode())
        cosign.push_signatures(src, repo + "/signed", signed.manifest.digest, [layer])
        sbom = os.path.join(self.tmp, "sbom.json")
        with open(sbom, "w") as f:
            f.write('{"spdxVersion":"SPDX-2.3","name":"%s"}' % repo)
        out = example("limg-attach", "--artifact-type", "application/spdx+json",
                      "%s/%s/attached:1.0" % (src.host, repo), sbom).stdout
        return signed, layer, re.search(r"Digest: (sha256:[0-9a-f]{64})", out).group(1)

    def sign_again(self, repo, signed, first):
        """A second signature (by other) added at the source beside the first."""
        ident = "%s/%s/signed:1.0" % (sp.host, repo)
        data = cosign.payload(signed.manifest.digest, ident, optional={"n": "2"})
        layer = cosign.signature_layer(data, base64.b64encode(cosign.sign_bytes(self.other, data)).decode())
        return cosign.push_signatures(src, repo + "/signed", signed.manifest.digest, [first, layer])

    def policy(self, host, prefix=None, signed_prefix=None, name="ec.pub"):
        """Signatures by @name required at @host (remapped from the source's names at a mirror)."""
        req = {"type": "sigstoreSigned", "keyPath": self.key(name)}
        if prefix:
            req["signedIdentity"] = {"type": "remapIdentity", "prefix": prefix, "signedPrefix": signed_prefix}
        path = os.path.join(self.tmp, "policy-%d.json" % len(os.listdir(self.tmp)))
        with open(path, "w") as f:
            json.dump({"default": [{"type": "reject"}], "transports": {"docker": {host: [req]}}}, f)
        return path

    def verify(self, policy, ref, store=None, local=False):
        args = ["limg-verify", "--policy", policy, "--registries.d", self.regd] + (["--local"] if local else [])
        return example(*args, ref, store=store, check=False)

    def sig_digest(self, reg, repo, digest):
        return digest_at(reg, repo, cosign.sig_tag(digest))

    def listing(self, repo):
        return self.yaml("%s:\n  images:\n    %s/signed: ['1.0']\n    %s/attached: ['1.0']\n  tls-verify: false\n"
                         % (sp.host, repo, repo))

    def test_to_a_registry_then_a_later_signature_alone(self):
        signed, first, sbom = self.signed_pair("sref")
        listing, dest = self.listing("sref"), dp.host + "/smirror"
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", "--referrers", listing, dest)
        self.assertEqual(report["copied"], 2, report)
        # the signature verifies at the destination, by an independent verifier and by limg-verify
        self.assertEqual(len(cosign.verified_payloads(dst, "smirror/signed", signed.manifest.digest,
                                                      self.ec.public_key())), 1)
        at_mirror = self.policy(dst.host, dst.host + "/smirror", sp.host + "/sref")
        out = self.verify(at_mirror, dst.host + "/smirror/signed:1.0")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("accepted", out.stdout)
        self.assertEqual(self.verify(at_mirror, dst.host + "/smirror/attached:1.0").returncode, 1)
        self.assertIn(sbom, example("limg-referrers", dst.host + "/smirror/attached:1.0").stdout)
        self.assertEqual(self.sig_digest(dst, "smirror/signed", signed.manifest.digest),
                         self.sig_digest(src, "sref/signed", signed.manifest.digest))

        # nothing new: per image and side one HEAD of the tag, one of its .sig tag, one referrers listing
        sp.requests.clear()
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", "--referrers", listing, dest)
        self.assertEqual(report["up_to_date"], 2, report)
        for proxy in (sp, dp):
            asked = requests_of(proxy)
            self.assertEqual(requests_of(proxy, None, "/blobs/"), [], asked)
            self.assertEqual([r for r in asked if r[0] not in ("GET", "HEAD")], [], asked)
            self.assertEqual(len(requests_of(proxy, "HEAD", "/manifests/")), 4, asked)
            self.assertEqual(len([r for r in requests_of(proxy, "HEAD", ".sig")]), 2, asked)
            # the unsigned image's missing .sig: its HEAD's 404 is the answer (no GET for the words)
            self.assertEqual(requests_of(proxy, "GET", ".sig"), [])
            # the referrers tag (docker-registry has no referrers API: asked until its 404 is known, then the tag)
            self.assertEqual(len([r for r in requests_of(proxy, "GET", "/manifests/sha256-") if ".sig" not in r[1]]),
                             2, asked)
            self.assertIn(len(requests_of(proxy, "GET", "/referrers/")), (1, 2), asked)
            self.assertEqual(len([r for r in requests_of(proxy, "GET", "/manifests/") if "sha256-" not in r[1]]), 0)
        self.assertEqual(len(requests_of(dp, "GET", "/tags/list")), 2)
        self.assertEqual(len(dp.requests), 2 + 4 + 2 + len(requests_of(dp, "GET", "/referrers/")))

        # a signature added at the source: a dry run says so and moves nothing
        newer = self.sign_again("sref", signed, first)
        before = self.sig_digest(dst, "smirror/signed", signed.manifest.digest)
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", "--referrers", "--dry-run", listing, dest)
        st = {i["destination"]: (i["status"], i["reason"]) for i in report["images"]}
        self.assertEqual(st[dest + "/signed:1.0"], ("would-copy", "new referrers (the image was up to date)"))
        self.assertEqual(st[dest + "/attached:1.0"][0], "up-to-date")
        self.assertEqual([r for r in requests_of(dp) if r[0] not in ("GET", "HEAD")], [])
        self.assertEqual(self.sig_digest(dst, "smirror/signed", signed.manifest.digest), before)

        # the sync copies only that: its payload and the .sig's config, then the .sig manifest
        sp.requests.clear()
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", "--referrers", listing, dest)
        st = {i["destination"]: (i["status"], i["reason"]) for i in report["images"]}
        self.assertEqual(st[dest + "/signed:1.0"], ("copied", "new referrers (the image was up to date)"))
        self.assertEqual(st[dest + "/attached:1.0"][0], "up-to-date")
        uploads = requests_of(dp, "POST", "/blobs/uploads/")
        self.assertEqual(len(uploads), 2, requests_of(dp))
        for b in signed.blobs()[:-1]:  # config and layers (the manifest is named by its .sig tag)
            self.assertEqual(requests_of(dp, None, b.digest[7:]), [], b.digest)
            self.assertEqual(requests_of(sp, "GET", "/blobs/" + b.digest), [], b.digest)
        self.assertEqual(len(requests_of(dp, "PUT", "/manifests/")), 1, requests_of(dp))
        self.assertEqual(self.sig_digest(dst, "smirror/signed", signed.manifest.digest), newer.digest)
        self.assertEqual(len(cosign.verified_payloads(dst, "smirror/signed", signed.manifest.digest,
                                                      self.other.public_key())), 1)
        self.assertEqual(self.verify(self.policy(dst.host, dst.host + "/smirror", sp.host + "/sref", "other.pub"),
                                     dst.host + "/smirror/signed:1.0").returncode, 0)
        # and then nothing again
        dp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest-tls-verify=false", "--referrers", listing, dest)
        self.assertEqual(report["up_to_date"], 2, report)
        self.assertEqual([r for r in requests_of(dp) if r[0] not in ("GET", "HEAD")], [])

    def test_to_a_store_and_back_across_the_gap(self):
        signed, first, sbom = self.signed_pair("sgap")
        listing, store = self.listing("sgap"), os.path.join(self.tmp, "carry")
        rc, report, _ = sync("--src", "yaml", "--dest", "store", "--referrers", listing, store)
        self.assertEqual(report["copied"], 2, report)
        at_source = self.policy(sp.host)
        out = self.verify(at_source, "%s/sgap/signed:1.0" % sp.host, store=store, local=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("accepted: stored " + cosign.sig_tag(signed.manifest.digest), out.stdout)
        tool.assert_sound(self, store)
        # the way back: signatures and the SBOM land beside the images
        back = far.host + "/sgap"
        rc, report, _ = sync("--src", "store", "--referrers", "--dest-tls-verify=false", store, back)
        self.assertEqual(report["copied"], 2, report)
        self.assertEqual(len(cosign.verified_payloads(far, "sgap/signed", signed.manifest.digest,
                                                      self.ec.public_key())), 1)
        self.assertIn(sbom, example("limg-referrers", back + "/attached:1.0").stdout)
        out = self.verify(self.policy(far.host, back, sp.host + "/sgap"), back + "/signed:1.0")
        self.assertEqual(out.returncode, 0, out.stderr)
        rc, report, _ = sync("--src", "store", "--referrers", "--dest-tls-verify=false", store, back)
        self.assertEqual(report["up_to_date"], 2, report)

        # a later signature crosses too, alone
        self.sign_again("sgap", signed, first)
        sp.requests.clear()
        rc, report, _ = sync("--src", "yaml", "--dest", "store", "--referrers", listing, store)
        st = {i["source"]: (i["status"], i["reason"]) for i in report["images"]}
        self.assertEqual(st["%s/sgap/signed:1.0" % sp.host], ("copied", "new referrers (the image was up to date)"))
        self.assertEqual(st["%s/sgap/attached:1.0" % sp.host][0], "up-to-date")
        for b in signed.blobs()[:-1]:  # config and layers (the manifest is named by its .sig tag)
            self.assertEqual(requests_of(sp, "GET", "/blobs/" + b.digest), [], b.digest)
        rc, report, _ = sync("--src", "store", "--referrers", "--dest-tls-verify=false", store, back)
        self.assertEqual(report["copied"], 1, report)
        self.assertEqual(len(cosign.verified_payloads(far, "sgap/signed", signed.manifest.digest,
                                                      self.other.public_key())), 1)
        rc, report, _ = sync("--src", "store", "--referrers", "--dest-tls-verify=false", store, back)
        self.assertEqual(report["up_to_date"], 2, report)
        tool.assert_sound(self, store)
        # a policy checks stored images by the signatures kept beside them, for the names they came from
        rc, report, err = sync("--src", "store", "--referrers", "--policy", at_source, "--registries.d", self.regd,
                               "--dest-tls-verify=false", store, far.host + "/sgap-checked", check=False)
        self.assertIsNotNone(report, (rc, err))
        st = {i["source"]: (i["status"], i["error"]) for i in report["images"]}
        self.assertEqual(st, {"%s/sgap/signed:1.0" % sp.host: ("copied", None),
                              "%s/sgap/attached:1.0" % sp.host: ("failed", "LIMG_EREJECTED")}, err)
        self.assertIsNone(digest_at(far, "sgap-checked/attached", "1.0"))
        self.assertEqual(len(cosign.verified_payloads(far, "sgap-checked/signed", signed.manifest.digest,
                                                      self.other.public_key())), 1)

    def test_a_policy_refuses_one_image_and_the_others_go_on(self):
        signed, _, _ = self.signed_pair("spol")
        listing, dest = self.listing("spol"), dp.host + "/spol"
        policy = self.policy(sp.host)
        # a dry run checks the policy too
        rc, report, err = sync("--src", "yaml", "--dest-tls-verify=false", "--dry-run", "--policy", policy,
                               "--registries.d", self.regd, listing, dest, check=False)
        self.assertEqual(sorted(i["status"] for i in report["images"]), ["failed", "would-copy"], err)
        self.assertIsNone(digest_at(dst, "spol/signed", "1.0"))
        for target in ("registry", "store"):
            where = dest if target == "registry" else os.path.join(self.tmp, "pstore")
            extra = ("--dest", "store") if target == "store" else ("--dest-tls-verify=false",)
            dp.requests.clear()
            rc, report, err = sync("--src", "yaml", *extra, "--policy", policy, "--registries.d", self.regd,
                                   listing, where, check=False)
            self.assertEqual(rc, 1, err)
            st = {i["source"].split("/")[-1]: i for i in report["images"]}
            self.assertEqual(st["signed:1.0"]["status"], "copied", st)
            self.assertEqual(st["attached:1.0"]["status"], "failed", st)
            self.assertEqual(st["attached:1.0"]["error"], "LIMG_EREJECTED")
            self.assertIn("rejected", st["attached:1.0"]["reason"].lower())
            if target == "registry":
                self.assertIsNone(digest_at(dst, "spol/attached", "1.0"))
                self.assertEqual(digest_at(dst, "spol/signed", "1.0"), signed.manifest.digest)
                self.assertFalse([p for m, p in requests_of(dp) if "spol/attached" in p and m != "GET"])
        # a policy the signed image fails too: nothing moves at all
        rc, report, err = sync("--src", "yaml", "--dest-tls-verify=false", "--policy",
                               self.policy(sp.host, name="other.pub"), "--registries.d", self.regd, listing,
                               dp.host + "/spol2", check=False)
        self.assertEqual((rc, report["failed"]), (1, 2), err)
        self.assertIsNone(digest_at(dst, "spol2/signed", "1.0"))


if __name__ == "__main__":
    unittest.main()
