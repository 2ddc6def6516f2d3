# SPDX-License-Identifier: MIT
"""Registry sessions (limg_session): pulls given one session share its
registry handles, so that bearer tokens are asked for once per scope and
connections are reused; and one call on a shared handle can be cancelled
on its own while another goes on. Against the real registry behind its
token server, with a TCP proxy counting connections and the fault proxy
slowing answers down."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from fixtures import faultproxy, images, registry, throttle
from tool import ENV, TOOLS

SECRET = "session-Passw0rd"
TAGS = ["v%d" % i for i in range(1, 6)]


def session_tool(*args, timeout=120):
    p = subprocess.run([os.path.join(TOOLS, "limg-test-session")] + [str(a) for a in args], capture_output=True,
                       text=True, env=ENV, timeout=timeout)
    return p


class SharedSession(unittest.TestCase):
    """Five pulls of five images (five tags of one repository) from a registry that wants bearer tokens."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
        cls.addClassCleanup(cls.reg.stop)
        # in front of the registry: counts the TCP connections made to it (no rate limit to speak of)
        cls.counter = throttle.Throttle(cls.reg.host, rate=1 << 40)
        cls.addClassCleanup(cls.counter.stop)
        cls.images = {}
        for tag in TAGS:
            img = images.Image(images.sample_layers("session-" + tag))
            cls.reg.push("team/app", tag, img)
            cls.images[tag] = img

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-session-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def pulls(self, mode):
        """Pulls the five tags into a fresh store; returns (connections made, token requests per scope)."""
        self.reg.token_server.requests.clear()
        before = self.counter.connections
        refs = ["%s/team/app:%s" % (self.counter.host, tag) for tag in TAGS]
        # one blob at a time: what a session saves is then plain to count
        p = session_tool("--user", "alice", "--password", SECRET, "--concurrency", 1, "pulls", mode,
                         os.path.join(self.tmp, mode), *refs)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        pulled = dict(line.split()[1:] for line in p.stdout.splitlines())
        self.assertEqual(pulled, {ref: self.images[tag].manifest.digest for ref, tag in zip(refs, TAGS)})
        time.sleep(0.2)  # the counting proxy's accept thread is behind by at most a moment
        scopes = {}
        for _, query, _ in self.reg.token_server.requests:
            for scope in query.get("scope", []):
                scopes[scope] = scopes.get(scope, 0) + 1
        return self.counter.connections - before, scopes

    def test_one_session_asks_for_a_token_once_per_scope_and_reuses_connections(self):
        shared, shared_scopes = self.pulls("shared")
        separate, separate_scopes = self.pulls("separate")
        # one token for the repository's pull scope, however many pulls
        self.assertEqual(shared_scopes, {"repository:team/app:pull": 1})
        # each session of its own asks again
        self.assertEqual(separate_scopes, {"repository:team/app:pull": len(TAGS)})
        # connections: kept open across the pulls of one session (the manifest's and the blobs'), made
        # anew by each session
        self.assertGreaterEqual(separate, len(TAGS))
        self.assertLessEqual(shared, 3, "shared: %d connections, separate: %d" % (shared, separate))
        self.assertLessEqual(shared * 2, separate, "shared: %d connections, separate: %d" % (shared, separate))


class CancelOneCall(unittest.TestCase):
    """A call on a shared registry handle cancelled by its own token; another call on that handle goes on."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry()
        cls.addClassCleanup(cls.reg.stop)
        cls.proxy = faultproxy.FaultProxy(cls.reg.host)
        cls.addClassCleanup(cls.proxy.stop)
        cls.img = images.Image([images.Layer({"data.bin": images.pseudo_random(1 << 20, 11)}, level=1)])
        cls.reg.push("team/app", "v1", cls.img)

    def test_cancelled_call_returns_promptly_while_the_other_goes_on(self):
        blob = self.img.layers[0].blob
        # the manifest trickles (it would take minutes); the blob takes about 2 s
        self.proxy.add(r"/manifests/v1$", "slow", times=-1, method="GET", rate=4)
        self.proxy.add(blob.digest, "slow", times=-1, method="GET", rate=blob.size // 2)
        start = time.monotonic()
        p = session_tool("cancel", self.proxy.host, "team/app", "v1", blob.digest, blob.size, 500)
        elapsed = time.monotonic() - start
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        r = json.loads(p.stdout)
        self.assertEqual(r["a"], "LIMG_ECANCELLED", r)
        self.assertLess(r["a_after_cancel_ms"], 1000, r)  # promptly
        # the other call was still running when the first was cancelled, and ended well (verified)
        self.assertEqual(r["b"], "LIMG_OK", r)
        self.assertEqual(r["b_bytes"], blob.size, r)
        self.assertGreater(r["b_ended_ms"], r["cancelled_ms"] + 500, r)
        self.assertLess(elapsed, 30)


if __name__ == "__main__":
    unittest.main()
