# SPDX-License-Identifier: MIT
"""What hosts.toml and Docker's config.json name, taken as carefully as the
certs.d files: a FIFO (or any file that is not a regular one) given as a CA,
a client certificate or key, or as config.json is refused at once with a
clear error, never waited on; hosts.toml's root-level [header] is sent to
the server (named or not) and to nothing else: not to a mirror, not to an
upload URL on another host."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from fixtures import faultproxy, hostile, images, registry, archives
from tool import ENV, EXAMPLES, example

SECRET = "hosts-Passw0rd"


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-hosts-trust-")
        self.certs = os.path.join(self.tmp, "certs.d")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def hosts(self, host, text):
        d = os.path.join(self.certs, host)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "hosts.toml"), "w") as f:
            f.write(text)

    def fifo(self, name):
        path = os.path.join(self.tmp, name)
        os.mkfifo(path)
        return path

    def run_pull(self, ref, env=None):
        """limg-pull, which must end by itself within 20 s (a FIFO used to hang it for good)."""
        e = dict(env or ENV, LIBIMAGE_STORE=os.path.join(self.tmp, "store"))
        p = subprocess.Popen([os.path.join(EXAMPLES, "limg-pull"), "-q", "--cert-dir", self.certs, ref], env=e,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.terminate()  # SIGTERM: it must stop on it too
            try:
                p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                self.fail("limg-pull hung and ignored SIGTERM")
            self.fail("limg-pull hung (it stopped on SIGTERM)")
        return p.returncode, out, err


class Files(Base):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(tls=True, users={"bob": SECRET})
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("hostsfiles"))
        cls.reg.push("team/app", "v1", cls.img)
        cls.ref = "%s/team/app:v1" % cls.reg.host

    def setUp(self):
        super().setUp()
        # the registry's CA, as Docker's certs.d holds it (a regular file)
        os.makedirs(os.path.join(self.certs, self.reg.host))
        shutil.copy(self.reg.ca.cert_path, os.path.join(self.certs, self.reg.host, "ca.crt"))

    def test_a_fifo_as_the_ca_is_refused_at_once(self):
        fifo = self.fifo("ca.pem")
        self.hosts(self.reg.host, 'ca = "%s"\n' % fifo)
        start = time.monotonic()
        rc, _, err = self.run_pull(self.ref)
        self.assertEqual(rc, 1)
        self.assertIn("%s is a FIFO, not a regular file" % fifo, err)
        self.assertIn("CA file", err)
        self.assertLess(time.monotonic() - start, 10)

    def test_fifos_as_the_client_pair_are_refused_at_once(self):
        cert, key = self.fifo("client.cert"), self.fifo("client.key")
        self.hosts(self.reg.host, '[host."https://%s"]\n  capabilities = ["pull", "resolve"]\n'
                                  '  client = [["%s", "%s"]]\n' % (self.reg.host, cert, key))
        rc, _, err = self.run_pull(self.ref)
        self.assertEqual(rc, 1)
        self.assertIn("%s is a FIFO, not a regular file" % cert, err)
        # a directory is no certificate either
        os.makedirs(os.path.join(self.tmp, "dir.key"))
        self.hosts(self.reg.host, 'client = ["%s", "%s"]\n' % (os.path.join(self.tmp, "dir.key"),
                                                                  os.path.join(self.tmp, "dir.key")))
        rc, _, err = self.run_pull(self.ref)
        self.assertEqual(rc, 1)
        self.assertIn("is a directory, not a regular file", err)

    def test_a_fifo_as_config_json_is_refused_at_once(self):
        conf = os.path.join(self.tmp, "docker")
        os.makedirs(conf)
        os.mkfifo(os.path.join(conf, "config.json"))
        rc, _, err = self.run_pull(self.ref, env=dict(ENV, DOCKER_CONFIG=conf))
        self.assertEqual(rc, 1)
        self.assertIn("config.json is a FIFO, not a regular file", err)
        # the same directory with a real config.json: the pull works
        os.unlink(os.path.join(conf, "config.json"))
        with open(os.path.join(conf, "config.json"), "w") as f:
            json.dump({"auths": {self.reg.host: {"auth": base64.b64encode(b"bob:" + SECRET.encode()).decode()}}}, f)
        rc, _, err = self.run_pull(self.ref, env=dict(ENV, DOCKER_CONFIG=conf))
        self.assertEqual(rc, 0, err)


class Headers(Base):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry()
        cls.addClassCleanup(cls.reg.stop)
        cls.origin = faultproxy.FaultProxy(cls.reg.host)
        cls.addClassCleanup(cls.origin.stop)
        cls.mirror = faultproxy.FaultProxy(cls.reg.host)
        cls.addClassCleanup(cls.mirror.stop)
        cls.img = images.Image(images.sample_layers("hostsheaders"))
        cls.reg.push("team/app", "v1", cls.img)
        cls.ref = "%s/team/app:v1" % cls.origin.host

    def setUp(self):
        super().setUp()
        self.origin.clear()
        self.mirror.clear()

    def test_root_headers_go_to_the_server_named_or_not(self):
        for server in ("", 'server = "http://%s"\n' % self.origin.host):
            self.origin.clear()
            self.hosts(self.origin.host, '%s[header]\n  x-fleet = "rack-7"\n  x-list = ["a", "b"]\n' % server)
            rc, _, err = self.run_pull(self.ref)
            self.assertEqual(rc, 0, err)
            self.assertTrue(self.origin.requests)
            self.assertTrue(all(h.get("x-fleet") == "rack-7" for _, _, h in self.origin.requests))
            shutil.rmtree(os.path.join(self.tmp, "store"))

    def test_root_headers_never_reach_a_mirror(self):
        self.hosts(self.origin.host, '[header]\n  x-fleet = "rack-7"\n\n[host."http://%s"]\n'
                                     '  capabilities = ["pull", "resolve"]\n' % self.mirror.host)
        rc, _, err = self.run_pull(self.ref)
        self.assertEqual(rc, 0, err)
        self.assertTrue(self.mirror.requests)
        self.assertFalse(any("x-fleet" in h for _, _, h in self.mirror.requests))

    def test_headers_never_go_to_an_upload_url_on_another_host(self):
        dest, elsewhere = hostile.HostileRegistry(), hostile.HostileRegistry()
        self.addCleanup(dest.stop)
        self.addCleanup(elsewhere.stop)
        state = hostile.accept_uploads(elsewhere, "team/app")

        def post(h, m):  # sessions on the other host
            with elsewhere.lock:  # as accept_uploads numbers its own: never a closed session's number
                state["opened"] = state.get("opened", 0) + 1
                uid = "u%d" % state["opened"]
                state["uploads"][uid] = bytearray()
            hostile.answer(202, b"", {"Location": "%s/v2/team/app/blobs/uploads/%s?_state=x" % (elsewhere.url, uid)})(h, m)
        dest.route(r"^/v2/team/app/blobs/uploads/$", post, method="POST")
        dest.route(r"^/v2/team/app/manifests/", lambda h, m: hostile.answer(
            201, b"", {"Docker-Content-Digest": archives.sha(h.request_body)})(h, m), method="PUT")
        store = os.path.join(self.tmp, "store")
        path = os.path.join(self.tmp, "in.tar")
        with open(path, "wb") as f:
            f.write(archives.tar_of(archives.oci_members(self.img, ["%s/team/app:v1" % dest.host])))
        example("limg-load", "-q", "-i", path, store=store)
        self.hosts(dest.host, '[header]\n  x-fleet = "rack-7"\n')
        p = example("limg-push", "--cert-dir", self.certs, "%s/team/app:v1" % dest.host, store=store, check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(elsewhere.requests, "the uploads went to the other host")
        self.assertFalse(any("x-fleet" in {k.lower() for k in h} for _, _, h in elsewhere.requests))
        self.assertTrue(all(h.get("x-fleet") == "rack-7" for _, p_, h in dest.requests if p_ != "/v2/"))


if __name__ == "__main__":
    unittest.main()
