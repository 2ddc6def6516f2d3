# SPDX-License-Identifier: MIT
"""TLS, basic auth, bearer tokens and Docker's credential sources, against the real registry."""
import base64
import json
import os
import shutil
import stat
import tempfile
import unittest

from fixtures import hostile, images, registry
from fixtures.hostile import answer
from tool import ENV, Failed, example, registry_tool

SECRET = "s3cret-Passw0rd"


def write_docker_config(directory, config):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f)


class TlsBasic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(tls=True, users={"bob": SECRET})
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("tls"))
        cls.reg.push("team/tls", "v1", cls.img)
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def head(self, *opts):
        return registry_tool(*(["--tls=verify"] + list(opts) + ["head", self.reg.host, "team/tls", "v1"])).split()[0]

    def test_ca_file(self):
        self.assertEqual(self.head("--ca", self.reg.ca.cert_path, "--user", "bob", "--password", SECRET),
                         self.img.manifest.digest)

    def test_certs_dir_convention(self):
        certs = os.path.join(self.tmp, "certs.d")
        os.makedirs(os.path.join(certs, self.reg.host), exist_ok=True)
        shutil.copy(self.reg.ca.cert_path, os.path.join(certs, self.reg.host, "ca.crt"))
        self.assertEqual(self.head("--certs-dir", certs, "--user", "bob", "--password", SECRET),
                         self.img.manifest.digest)

    def test_untrusted_certificate_refused(self):
        with self.assertRaises(Failed) as e:
            self.head("--certs-dir", self.tmp, "--user", "bob", "--password", SECRET)
        self.assertEqual(e.exception.code, "LIMG_ETLS")

    def test_tls_verify_off(self):
        self.assertEqual(self.head("--tls=insecure", "--certs-dir", self.tmp, "--user", "bob", "--password", SECRET),
                         self.img.manifest.digest)

    def test_wrong_password_is_an_auth_error_without_the_secret(self):
        with self.assertRaises(Failed) as e:
            self.head("--ca", self.reg.ca.cert_path, "--user", "bob", "--password", "wrong-" + SECRET)
        self.assertEqual(e.exception.code, "LIMG_EAUTH")
        self.assertEqual(e.exception.error["http_status"], 401)
        self.assertNotIn(SECRET, str(e.exception))

    def test_no_credentials(self):
        with self.assertRaises(Failed) as e:
            self.head("--ca", self.reg.ca.cert_path, "--config-dir", self.tmp)
        self.assertEqual(e.exception.code, "LIMG_EAUTH")

    def test_login_checks_the_credentials(self):
        """limg_registry_login (docker login): right ones accepted, wrong ones refused
        as credentials, none refused, and the secret never in the error."""
        ok = registry_tool("--ca", self.reg.ca.cert_path, "--user", "bob", "--password", SECRET, "login", self.reg.host)
        self.assertEqual(ok.strip(), "Login Succeeded")
        with self.assertRaises(Failed) as e:
            registry_tool("--ca", self.reg.ca.cert_path, "--user", "bob", "--password", "wrong-" + SECRET, "login",
                          self.reg.host)
        self.assertEqual((e.exception.code, e.exception.error["subject"]), ("LIMG_EAUTH", "LIMG_SUBJECT_CREDENTIALS"))
        self.assertNotIn(SECRET, str(e.exception))
        with self.assertRaises(Failed) as e:
            registry_tool("--ca", self.reg.ca.cert_path, "--config-dir", self.tmp, "login", self.reg.host)
        self.assertEqual(e.exception.code, "LIMG_EAUTH")

    def test_docker_config_auths(self):
        conf = os.path.join(self.tmp, "docker-auths")
        write_docker_config(conf, {"auths": {self.reg.host: {
            "auth": base64.b64encode(("bob:" + SECRET).encode()).decode()}}})
        self.assertEqual(self.head("--ca", self.reg.ca.cert_path, "--config-dir", conf), self.img.manifest.digest)

    def test_docker_config_from_environment(self):
        conf = os.path.join(self.tmp, "docker-env")
        write_docker_config(conf, {"auths": {"https://" + self.reg.host: {
            "auth": base64.b64encode(("bob:" + SECRET).encode()).decode()}}})
        out = registry_tool("--tls=verify", "--ca", self.reg.ca.cert_path, "head", self.reg.host, "team/tls", "v1",
                            env=dict(ENV, DOCKER_CONFIG=conf))
        self.assertEqual(out.split()[0], self.img.manifest.digest)

    def test_corrupt_docker_config(self):
        conf = os.path.join(self.tmp, "docker-bad")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "config.json"), "w") as f:
            f.write("{not json")
        with self.assertRaises(Failed) as e:
            self.head("--ca", self.reg.ca.cert_path, "--config-dir", conf)
        self.assertEqual(e.exception.code, "LIMG_ECORRUPT")
        self.assertIn("config.json", e.exception.error["message"])


class ClientCertificates(unittest.TestCase):
    """Docker's certs.d convention: <dir>/<host:port>/ca.crt, client.cert, client.key."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(tls=True, client_certs=True)
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("mtls"))
        cls.reg.push("team/mtls", "v1", cls.img)
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def certs_dir(self, with_client):
        d = os.path.join(self.tmp, "with" if with_client else "without")
        host = os.path.join(d, self.reg.host)
        os.makedirs(host, exist_ok=True)
        shutil.copy(self.reg.ca.cert_path, os.path.join(host, "ca.crt"))
        if with_client:
            shutil.copy(self.reg.client_cert, os.path.join(host, "client.cert"))
            shutil.copy(self.reg.client_key, os.path.join(host, "client.key"))
        return d

    def test_client_certificate_from_certs_dir(self):
        out = registry_tool("--tls=verify", "--certs-dir", self.certs_dir(True), "head", self.reg.host, "team/mtls", "v1")
        self.assertEqual(out.split()[0], self.img.manifest.digest)

    def test_without_client_certificate(self):
        with self.assertRaises(Failed) as e:
            registry_tool("--tls=verify", "--attempts", 1, "--certs-dir", self.certs_dir(False), "head",
                          self.reg.host, "team/mtls", "v1")
        self.assertIn(e.exception.code, ("LIMG_ETLS", "LIMG_ENETWORK"))


class Tokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
        cls.addClassCleanup(cls.reg.stop)
        cls.img = images.Image(images.sample_layers("tok"))
        cls.reg.push("team/app", "v1", cls.img)
        cls.tmp = tempfile.mkdtemp()
        cls.bin = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.bin)
        # a credential helper, as docker-credential-* speak the protocol
        helper = os.path.join(cls.bin, "docker-credential-limgtest")
        with open(helper, "w") as f:
            f.write("#!/bin/sh\nread server\nif [ \"$server\" = \"%s\" ]; then\n"
                    "  printf '{\"ServerURL\":\"%%s\",\"Username\":\"alice\",\"Secret\":\"%s\"}' \"$server\"\n"
                    "else\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n"
                    % (cls.reg.host, SECRET))
        os.chmod(helper, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.reg.token_server.requests.clear()

    def test_anonymous_is_denied(self):
        with self.assertRaises(Failed) as e:
            registry_tool("--config-dir", "", "head", self.reg.host, "team/app", "v1")
        self.assertEqual(e.exception.code, "LIMG_EAUTH")

    def test_token_flow_with_credentials(self):
        out = registry_tool("--user", "alice", "--password", SECRET, "get", self.reg.host, "team/app", "v1",
                            os.path.join(self.tmp, "m"))
        self.assertEqual(out.split()[0], self.img.manifest.digest)
        path, query, auth = self.reg.token_server.requests[0]
        self.assertEqual(query["service"], ["libimage-test-registry"])
        self.assertEqual(query["scope"], ["repository:team/app:pull"])
        self.assertEqual(query["account"], ["alice"])
        self.assertTrue(auth.startswith("Basic "))

    def test_token_reused_across_requests(self):
        # one 401, one token, then the request again with it: no second token request
        layer = self.img.layers[0].blob
        registry_tool("--user", "alice", "--password", SECRET, "blob", self.reg.host, "team/app", layer.digest,
                      layer.size, os.path.join(self.tmp, "b"))
        self.assertEqual(len(self.reg.token_server.requests), 1)

    def test_credentials_from_helper(self):
        conf = os.path.join(self.tmp, "helper-conf")
        write_docker_config(conf, {"credsStore": "limgtest"})
        env = dict(ENV, PATH=self.bin + os.pathsep + ENV["PATH"])
        out = registry_tool("--config-dir", conf, "head", self.reg.host, "team/app", "v1", env=env)
        self.assertEqual(out.split()[0], self.img.manifest.digest)

    def test_cred_helpers_entry_wins(self):
        conf = os.path.join(self.tmp, "helpers-conf")
        write_docker_config(conf, {"credsStore": "nosuchhelper", "credHelpers": {self.reg.host: "limgtest"}})
        env = dict(ENV, PATH=self.bin + os.pathsep + ENV["PATH"])
        out = registry_tool("--config-dir", conf, "head", self.reg.host, "team/app", "v1", env=env)
        self.assertEqual(out.split()[0], self.img.manifest.digest)

    def test_missing_helper_falls_back_to_anonymous(self):
        conf = os.path.join(self.tmp, "missing-helper")
        write_docker_config(conf, {"credsStore": "nosuchhelper"})
        with self.assertRaises(Failed) as e:
            registry_tool("--config-dir", conf, "head", self.reg.host, "team/app", "v1")
        # anonymous was tried (and this registry refuses it): an auth error, not a helper crash
        self.assertEqual(e.exception.code, "LIMG_EAUTH")
        self.assertIsNone(self.reg.token_server.requests[-1][2])

    def test_wrong_credentials(self):
        with self.assertRaises(Failed) as e:
            registry_tool("--user", "alice", "--password", "nope", "head", self.reg.host, "team/app", "v1")
        self.assertEqual(e.exception.code, "LIMG_EAUTH")
        self.assertNotIn("nope", e.exception.error["message"])

    def test_malformed_token_answer(self):
        self.reg.token_server.fail_next.append((200, "this is not json"))
        with self.assertRaises(Failed) as e:
            registry_tool("--user", "alice", "--password", SECRET, "head", self.reg.host, "team/app", "v1")
        self.assertEqual(e.exception.code, "LIMG_EPROTOCOL")

    def test_catalog_scope(self):
        out = registry_tool("--user", "alice", "--password", SECRET, "catalog", self.reg.host)
        self.assertEqual(out.split(), ["team/app"])
        self.assertEqual(self.reg.token_server.requests[0][1]["scope"], ["registry:catalog:*"])

    def test_identity_token(self):
        self.reg.token_server.refresh_tokens = {"refresh-abc": "alice"}
        conf = os.path.join(self.tmp, "identity")
        write_docker_config(conf, {"auths": {self.reg.host: {"identitytoken": "refresh-abc"}}})
        out = registry_tool("--config-dir", conf, "head", self.reg.host, "team/app", "v1")
        self.assertEqual(out.split()[0], self.img.manifest.digest)
        self.assertEqual(self.reg.token_server.requests[0][1]["grant_type"], ["refresh_token"])


class TlsTokens(unittest.TestCase):
    """A registry reached over HTTPS whose token realm is plain HTTP: its credentials stay home."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry(tls=True, token=True, users={"alice": SECRET}, anonymous_pull=False)
        cls.addClassCleanup(cls.reg.stop)
        cls.reg.push("team/app", "v1", images.Image(images.sample_layers("tlstok")))
        assert cls.reg.token_server.realm.startswith("http://")


    def test_basic_credentials_never_cross_plain_http(self):
        for verify in ("--tls=verify", "--tls=default"):
            self.reg.token_server.requests.clear()
            with self.assertRaises(Failed) as e:
                registry_tool(verify, "--ca", self.reg.ca.cert_path, "--user", "alice", "--password", SECRET, "head",
                              self.reg.host, "team/app", "v1")
            self.assertEqual(e.exception.code, "LIMG_EAUTH")
            self.assertIn("plain HTTP", e.exception.error["message"])
            self.assertEqual(self.reg.token_server.requests, [])  # nothing was sent at all


class TlsVerify(unittest.TestCase):
    """--tls-verify=true (LIMG_TLS_VERIFY) is verified HTTPS only, loopback included."""

    @classmethod
    def setUpClass(cls):
        cls.reg = registry.Registry()
        cls.addClassCleanup(cls.reg.stop)
        cls.reg.push("team/plain", "v1", images.Image(images.sample_layers("plain")))


    def test_library_refuses_plain_http(self):
        self.assertEqual(registry_tool("ping", self.reg.host).strip(), "http://" + self.reg.host)
        with self.assertRaises(Failed) as e:
            registry_tool("--tls=verify", "ping", self.reg.host)
        self.assertIn(e.exception.code, ("LIMG_ETLS", "LIMG_ENETWORK"))

    def test_limg_pull_tls_verify_true(self):
        store = tempfile.mkdtemp()
        try:
            p = example("limg-pull", "--tls-verify=true", "%s/team/plain:v1" % self.reg.host, store=store, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertNotIn("Status:", p.stdout)
            self.assertEqual(example("limg-pull", "%s/team/plain:v1" % self.reg.host, store=store).returncode, 0)
        finally:
            shutil.rmtree(store)


class HttpsDowngrade(unittest.TestCase):
    """A registry reached over HTTPS never sends us on to plain HTTP."""

    def test_no_redirect_from_https_to_http(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        reg, plain = hostile.HostileRegistry(tls_dir=os.path.join(tmp, "ca")), hostile.HostileRegistry()
        self.addCleanup(reg.stop)
        self.addCleanup(plain.stop)
        img = images.Image(images.sample_layers("downgrade"))
        reg.serve_image("team/app", "v1", img)
        reg.route(r"/blobs/", answer(307, b"", {"Location": plain.url + "/v2/team/app/blobs/stolen"}))
        certs_dir = os.path.join(tmp, "certs.d")
        os.makedirs(os.path.join(certs_dir, reg.host))
        shutil.copy(reg.ca.cert_path, os.path.join(certs_dir, reg.host, "ca.crt"))
        p = example("limg-pull", "--cert-dir", certs_dir, "%s/team/app:v1" % reg.host,
                    store=os.path.join(tmp, "store"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("refusing a redirect from https to http://", p.stderr)
        self.assertGreater(reg.count(r"/blobs/"), 0)  # it got as far as the redirect
        self.assertEqual(plain.requests, [])


class RedirectedRefresh(unittest.TestCase):
    """The identity-token refresh POST carries the refresh token: a redirect to
    another origin never receives it."""

    def test_refresh_token_stays_with_its_origin(self):
        reg, other = hostile.HostileRegistry(), hostile.HostileRegistry()
        tmp = tempfile.mkdtemp()
        try:
            reg.route(r"^/v2/team/app/manifests/v1$",
                      answer(401, b"", {"WWW-Authenticate": 'Bearer realm="%s/token",service="s"' % reg.url}))
            reg.route(r"^/token", answer(307, b"", {"Location": "%s/steal" % other.url}))
            other.route(r"^/steal", answer(200, b'{"token":"t"}'))
            conf = os.path.join(tmp, "identity")
            write_docker_config(conf, {"auths": {reg.host: {"identitytoken": "refresh-secret-xyz"}}})
            with self.assertRaises(Failed):
                registry_tool("--config-dir", conf, "head", reg.host, "team/app", "v1")
            posted = [b for m, p, b in reg.bodies if p.startswith("/token")]
            self.assertTrue(posted and b"refresh-secret-xyz" in posted[0])  # the origin got it
            for method, path, body in other.bodies:
                self.assertNotIn(b"refresh-secret-xyz", body)
                self.assertNotIn("refresh-secret-xyz", path)
                self.assertEqual(method, "GET")
        finally:
            reg.stop()
            other.stop()
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
