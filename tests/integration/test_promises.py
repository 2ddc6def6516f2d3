# SPDX-License-Identifier: MIT
"""What the library promises about its own behaviour, whatever the
operation: it never prints, its logs never hold a secret at any level, the
progress calls of one operation never overlap, and credentials and
configured headers never go to an upload URL of another origin. Each run
goes through tests/tools/limg-test-watched (fd 1 and 2 caught, progress
calls counted, every log message at TRACE kept) against the real registry,
its token server, and hostile registries of our own."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from fixtures import hostile, images, registry
from fixtures.hostile import answer
from tool import ENV, TOOLS, example

SECRET = "promises-Passw0rd-7f3a"
WRONG = "wrong-Passw0rd-91c2"
REFRESH = "refresh-token-5d1e9b"
tokens = basic = plain = None
IMG = BIG = None


def setUpModule():
    global tokens, basic, plain, IMG, BIG
    tokens = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
    unittest.addModuleCleanup(tokens.stop)
    basic = registry.Registry(users={"bob": SECRET})
    unittest.addModuleCleanup(basic.stop)
    plain = registry.Registry()
    unittest.addModuleCleanup(plain.stop)
    # six layers (fetched four at a time) and a big one fetched as byte ranges: progress from many threads
    IMG = images.Image([images.Layer({"l%d/data" % i: images.pseudo_random(300000, 40 + i)}) for i in range(6)])
    BIG = images.Image([images.Layer({"big": images.pseudo_random(3 << 20, 47)}, level=1)] + IMG.layers[:2])
    for reg in (tokens, basic, plain):
        reg.push("team/app", "v1", IMG)
        reg.push("team/big", "v1", BIG)


def watched(*args):
    """limg-test-watched ARGS: its report (a dict), with "log" the log's text when --log was given."""
    argv = [os.path.join(TOOLS, "limg-test-watched")] + [str(a) for a in args]
    p = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300)
    if p.returncode not in (0, 1) or not p.stdout.strip():
        raise AssertionError("%s: exit %d: %s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    report = json.loads(p.stdout)
    report["exit"] = p.returncode
    if "--log" in args and args[args.index("--log") + 1] != "-":
        with open(args[args.index("--log") + 1]) as f:
            report["log"] = f.read()
    return report


class Watched(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-promises-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.logs = 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def log(self):
        self.logs += 1
        return self.path("log-%d" % self.logs)

    def assertOk(self, report):
        self.assertEqual(report["rc"], "LIMG_OK", report)

    def assertSilent(self, report):
        """README: "... no global state to set up, nothing printed, no abort on bad input." """
        self.assertEqual(report["library_output"], "", "the library wrote to stdout or stderr")


class NeverPrints(Watched):
    """README (the 1.0 API and its convention): "nothing printed". Successes and
    failures of every kind of operation, logs at TRACE with a callback set: nothing
    reaches file descriptors 1 or 2."""

    def test_nothing_printed_whatever_happens(self):
        store = self.path("store")
        runs = [
            watched("--log", self.log(), "pull", store, "%s/team/app:v1" % plain.host),
            watched("pull", store, "%s/team/app:v1" % plain.host),                     # up to date, no log
            watched("pull", store, "%s/team/app:nosuch" % plain.host),                 # 404
            watched("--user", "bob", "--password", WRONG, "pull", store, "%s/team/app:v1" % basic.host),  # 401
            watched("pull", store, "127.0.0.1:1/team/app:v1"),                         # nothing listening
            watched("pull", store, "bad//reference"),                                  # refused before anything
            watched("--log", self.log(), "unpack", store, "%s/team/app:v1" % plain.host, self.path("root")),
            watched("unpack", store, "nothing:here", self.path("root2")),
            watched("--log", self.log(), "copy", "%s/team/app:v1" % plain.host, "%s/team/copied:v1" % plain.host),
        ]
        example("limg-tag", "%s/team/app:v1" % plain.host, "%s/team/pushed:v1" % plain.host, store=store)
        runs.append(watched("--log", self.log(), "push", store, "%s/team/pushed:v1" % plain.host))
        self.assertEqual([r["rc"] for r in runs],
                         ["LIMG_OK", "LIMG_OK", "LIMG_ENOTFOUND", "LIMG_EAUTH", "LIMG_ENETWORK", "LIMG_EREF_FORMAT",
                          "LIMG_OK", "LIMG_ENOTFOUND", "LIMG_OK", "LIMG_OK"])
        for r in runs:
            self.assertSilent(r)
        # the pull's result, as limg_pull_result_* give it
        first = runs[0]
        self.assertEqual((first["reference"], first["digest"], first["manifest_digest"], first["image_id"]),
                         ("%s/team/app:v1" % plain.host, IMG.manifest.digest, IMG.manifest.digest, IMG.config.digest))
        self.assertEqual((first["up_to_date"], first["bytes_downloaded"]),
                         (0, sum(b.size for b in IMG.blobs())))
        self.assertEqual((runs[1]["up_to_date"], runs[1]["bytes_downloaded"]), (1, 0))
        self.assertTrue(os.path.isfile(self.path("root/l5/data")))

    def test_the_watch_sees_what_is_printed(self):
        """The watch itself works: log messages written to fd 2 from within the
        library's calls (the tool's --log -) are caught."""
        r = watched("--log", "-", "pull", self.path("store"), "%s/team/app:v1" % plain.host)
        self.assertOk(r)
        self.assertIn("committed sha256:", r["library_output"])


class NoSecretsInLogs(Watched):
    """context.h: "Receives log messages. Messages never contain credentials or
    tokens." (README: the log callback "never sees secrets", DESIGN.md). Every
    message at LIMG_LOG_TRACE (every level) of pulls and pushes with Basic
    credentials, bearer tokens, an identity token, and refused credentials is
    searched for the password, its Basic encoding and every token the token
    server handed out."""

    def secrets(self):
        out = {SECRET, WRONG, REFRESH}
        for user in ("alice", "bob"):
            for password in (SECRET, WRONG):
                out.add(base64.b64encode(("%s:%s" % (user, password)).encode()).decode())
        for token in tokens.token_server.issued:
            # log lines may be cut short: the start of each of the token's three parts is enough to tell
            out.update(part[:32] for part in token.split("."))
        return out

    def assertNoSecret(self, report):
        self.assertGreater(len(report["log"].splitlines()), 2, "logging was on")
        # the level was TRACE (every message); the most detailed the library sends are DEBUG
        self.assertTrue(re.search(r"^4 ", report["log"], re.M), "DEBUG messages were delivered")
        for secret in self.secrets():
            self.assertNotIn(secret, report["log"])
        self.assertSilent(report)

    def test_bearer_tokens_basic_credentials_and_refusals(self):
        store = self.path("store")
        alice = ("--user", "alice", "--password", SECRET)
        runs = [watched("--log", self.log(), *alice, "pull", store, "%s/team/app:v1" % tokens.host),
                watched("--log", self.log(), "--user", "bob", "--password", SECRET, "pull", self.path("s2"),
                        "%s/team/app:v1" % basic.host),
                watched("--log", self.log(), "--user", "alice", "--password", WRONG, "pull", self.path("s3"),
                        "%s/team/big:v1" % tokens.host),
                watched("--log", self.log(), "--user", "bob", "--password", WRONG, "pull", self.path("s4"),
                        "%s/team/big:v1" % basic.host)]
        example("limg-tag", "%s/team/app:v1" % tokens.host, "%s/team/pushed:v1" % tokens.host, store=store)
        runs.append(watched("--log", self.log(), *alice, "push", store, "%s/team/pushed:v1" % tokens.host))
        self.assertEqual([r["rc"] for r in runs], ["LIMG_OK", "LIMG_OK", "LIMG_EAUTH", "LIMG_EAUTH", "LIMG_OK"])
        self.assertGreaterEqual(len(tokens.token_server.issued), 2)  # a pull token and a push token at least
        for r in runs:
            self.assertNoSecret(r)

    def test_identity_token(self):
        tokens.token_server.refresh_tokens = {REFRESH: "alice"}
        conf = self.path("docker")
        os.makedirs(conf)
        with open(os.path.join(conf, "config.json"), "w") as f:
            json.dump({"auths": {tokens.host: {"identitytoken": REFRESH}}}, f)
        r = watched("--log", self.log(), "--config-dir", conf, "pull", self.path("store"),
                    "%s/team/app:v1" % tokens.host)
        self.assertOk(r)
        self.assertEqual(tokens.token_server.requests[-1][1].get("grant_type"), ["refresh_token"])
        self.assertNoSecret(r)


class ProgressNeverOverlaps(Watched):
    """common.h (limg_progress_cb): "Calls of one operation never overlap, though
    they may come from different threads." Each call holds a flag for 200 us; a
    call that finds it held is an overlap. The calls must come from several
    threads, else nothing was tried."""

    def assertSerial(self, report):
        self.assertOk(report)
        self.assertGreater(report["progress_calls"], 5, report)
        self.assertGreaterEqual(report["progress_threads"], 2, report)
        self.assertEqual(report["overlaps"], 0, report)

    def test_pull_push_copy(self):
        store = self.path("store")
        self.assertSerial(watched("--concurrency", 4, "--range-threshold", 1 << 20, "pull", store,
                                  "%s/team/big:v1" % plain.host))
        self.assertSerial(watched("--concurrency", 4, "pull", store, "%s/team/app:v1" % plain.host))
        example("limg-tag", "%s/team/app:v1" % plain.host, "%s/team/serial:v1" % plain.host, store=store)
        self.assertSerial(watched("--concurrency", 4, "push", store, "%s/team/serial:v1" % plain.host))
        self.assertSerial(watched("--concurrency", 4, "copy", "%s/team/big:v1" % plain.host,
                                  "%s/team/bigcopy:v1" % plain.host))


class UploadsElsewhere(Watched):
    """README: "Credentials never go over plain HTTP to an HTTPS registry, never to
    another origin on a redirect or an upload URL elsewhere, never to a mirror"; and
    hosts.toml's headers go to their own endpoint only (endpoint.h: "sent to it (and
    only to it)"). A registry whose upload URLs lead to another origin: the blobs get
    there, without the Authorization and without the configured header, which the
    registry itself does get."""

    def test_no_credentials_or_headers_to_another_origin(self):
        reg, other = hostile.HostileRegistry(), hostile.HostileRegistry()
        self.addCleanup(reg.stop)
        self.addCleanup(other.stop)
        repo = "team/app"
        state = hostile.accept_uploads(other, repo)  # the other origin takes the bytes
        basic = "Basic " + base64.b64encode(("carol:" + SECRET).encode()).decode()

        def authed(fn):
            def handler(h, m):
                if h.headers.get("Authorization") != basic:
                    return answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                  {"WWW-Authenticate": 'Basic realm="limg"'})(h, m)
                return fn(h, m)
            return handler

        def post(h, m):
            with other.lock:
                uid = "u%d" % len(state["uploads"])
                state["uploads"][uid] = bytearray()
            answer(202, b"", {"Location": "%s/v2/%s/blobs/uploads/%s?_state=elsewhere" % (other.url, repo, uid),
                              "Docker-Upload-UUID": uid})(h, m)

        def put_manifest(h, m):
            answer(201, b"", {"Docker-Content-Digest": "sha256:" + __import__("hashlib").sha256(
                h.request_body).hexdigest()})(h, m)

        reg.route(r"^/v2/$", authed(answer(200, b"{}")))
        reg.route(r"^/v2/%s/blobs/sha256:[0-9a-f]{64}$" % repo, authed(answer(404)), method="HEAD")
        reg.route(r"^/v2/%s/blobs/uploads/$" % repo, authed(post), method="POST")
        reg.route(r"^/v2/%s/manifests/" % repo, authed(put_manifest), method="PUT")
        # a store holding the image under the hostile registry's name
        store = self.path("store")
        example("limg-pull", "-q", "%s/team/app:v1" % plain.host, store=store)
        example("limg-tag", "%s/team/app:v1" % plain.host, "%s/%s:v1" % (reg.host, repo), store=store)
        certs = self.path("certs.d")
        os.makedirs(os.path.join(certs, reg.host))
        with open(os.path.join(certs, reg.host, "hosts.toml"), "w") as f:
            f.write('server = "http://%s"\n\n[header]\n  x-fleet-secret = "rack-7-%s"\n' % (reg.host, SECRET[:6]))
        r = watched("--user", "carol", "--password", SECRET, "--certs-dir", certs, "--concurrency", 1, "push", store,
                    "%s/%s:v1" % (reg.host, repo))
        self.assertOk(r)
        self.assertEqual(r["digest"], IMG.manifest.digest)
        # the bytes went to the other origin ...
        self.assertEqual(sorted(state["blobs"]), sorted(b.digest for b in [IMG.config] + [l.blob for l in IMG.layers]))
        uploads = [(m, p, h) for m, p, h in other.requests if "/blobs/uploads/" in p]
        self.assertTrue(uploads)
        # ... without what belongs to the registry
        for method, path, headers in uploads:
            names = {k.lower() for k in headers}
            self.assertNotIn("authorization", names, (method, path))
            self.assertNotIn("x-fleet-secret", names, (method, path))
            self.assertNotIn(SECRET, json.dumps(headers) + urllib.parse.unquote(path))
        # which the registry itself got (so they were there to leak)
        mine = [h for m, p, h in reg.requests if p.startswith("/v2/%s/" % repo)]
        self.assertTrue(mine and all(h.get("Authorization") == basic for h in mine if "Authorization" in h))
        self.assertTrue(any(k.lower() == "x-fleet-secret" for h in mine for k in h), ("the header was configured", mine))


if __name__ == "__main__":
    unittest.main()
