# SPDX-License-Identifier: MIT
"""limg-login and limg-logout (limg_registry_login, limg_credentials_store,
limg_credentials_erase) against the real registry with basic auth (TLS) and
with bearer tokens, and through a credential helper: Docker's config.json
written as the docker CLI writes it, credentials checked with the registry
first, and then used by limg-pull."""
import base64
import json
import os
import shutil
import stat
import tempfile
import unittest

from fixtures import images, registry
from tool import ENV, example

SECRET = "login-Passw0rd"
basic = tokens = open_reg = None
IMG = None


def setUpModule():
    global basic, tokens, open_reg, IMG
    basic = registry.Registry(tls=True, users={"bob": SECRET})
    unittest.addModuleCleanup(basic.stop)
    tokens = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
    unittest.addModuleCleanup(tokens.stop)
    open_reg = registry.Registry()
    unittest.addModuleCleanup(open_reg.stop)
    IMG = images.Image(images.sample_layers("login"))
    for reg in (basic, tokens, open_reg):
        reg.push("team/app", "v1", IMG)


# A credential helper as docker-credential-helpers' protocol has it: store
# reads {"ServerURL","Username","Secret"}, get and erase a server URL.
HELPER = r"""#!/usr/bin/python3
import json, os, sys
db = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helper-db.json")
data = json.load(open(db)) if os.path.exists(db) else {}
action = sys.argv[1]
with open(db + ".log", "a") as log:
    log.write(action + "\n")
if action == "store":
    c = json.load(sys.stdin)
    data[c["ServerURL"]] = {"Username": c["Username"], "Secret": c["Secret"]}
elif action == "get":
    url = sys.stdin.read().strip()
    if url not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": url, **data[url]}))
elif action == "erase":
    url = sys.stdin.read().strip()
    if url not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    del data[url]
json.dump(data, open(db, "w"))
"""


class Login(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-login-")
        self.config = os.path.join(self.tmp, "docker")
        self.env = dict(ENV, DOCKER_CONFIG=self.config)
        self.store = os.path.join(self.tmp, "store")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def login(self, *args, input=None, check=True, env=None):
        return example("limg-login", *args, env=env or self.env, input=input, check=check)

    def config_json(self):
        with open(os.path.join(self.config, "config.json")) as f:
            return json.load(f)

    def pull(self, host, check=True, env=None):
        return example("limg-pull", "-q", "%s/team/app:v1" % host, store=self.store, env=env or self.env,
                       check=check)

    def test_basic_auth_registry(self):
        p = self.login("-u", "bob", "--password-stdin", basic.host, input=SECRET + "\n")
        self.assertEqual(p.stdout, "Login Succeeded\n")
        path = os.path.join(self.config, "config.json")
        # docker's warning: the password is in the file, base64 only
        self.assertEqual(p.stderr, "\nWARNING! Your credentials are stored unencrypted in '%s'.\n"
                                   "Configure a credential helper to remove this warning. See\n"
                                   "https://docs.docker.com/go/credential-store/\n\n" % path)
        self.assertEqual(self.config_json(),
                         {"auths": {basic.host: {"auth": base64.b64encode(("bob:" + SECRET).encode()).decode()}}})
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.config).st_mode), 0o700)
        # what limg-pull then uses
        self.assertEqual(self.pull(basic.host).stdout.strip(), "%s/team/app:v1" % basic.host)
        # logged in already: the stored credentials are checked and kept
        p = self.login(basic.host, input="")
        self.assertEqual(p.stdout, "Authenticating with existing credentials... [Username: bob]\n"
                                   "To login with a different account, run 'limg-logout' followed by 'limg-login'\n"
                                   "\nLogin Succeeded\n")
        # logout: gone, and pulls go anonymous again (and are refused)
        p = example("limg-logout", basic.host, env=self.env)
        self.assertEqual(p.stdout, "Removing login credentials for %s\n" % basic.host)
        self.assertEqual(self.config_json(), {"auths": {}})
        p = self.pull(basic.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("requires a user name and password", p.stderr)

    def test_wrong_password_is_refused_and_nothing_stored(self):
        os.makedirs(self.config)
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump({"psFormat": "table {{.ID}}", "auths": {"other.example.com": {"auth": "b3RoZXI6cHc="}}}, f)
        p = self.login("-u", "bob", "-p", "wrong-" + SECRET, basic.host, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr.splitlines()[0], "WARNING! Using --password via the CLI is insecure. "
                                                   "Use --password-stdin.")
        self.assertTrue(p.stderr.splitlines()[1].startswith("Error response from daemon: "), p.stderr)
        self.assertIn("the credentials for %s were refused" % basic.host, p.stderr)
        self.assertNotIn(SECRET, p.stderr)
        self.assertEqual(self.config_json(), {"psFormat": "table {{.ID}}",
                                              "auths": {"other.example.com": {"auth": "b3RoZXI6cHc="}}})
        # the right one: stored beside the other keys, which stay
        self.login("-u", "bob", "--password-stdin", basic.host, input=SECRET)
        doc = self.config_json()
        self.assertEqual(doc["psFormat"], "table {{.ID}}")
        self.assertEqual(sorted(doc["auths"]), [basic.host, "other.example.com"])

    def test_token_registry(self):
        p = self.login("-u", "alice", "--password-stdin", "https://%s/v2/" % tokens.host, input=SECRET + "\r\n")
        self.assertEqual(p.stdout, "Login Succeeded\n")
        self.assertEqual(list(self.config_json()["auths"]), [tokens.host])
        self.pull(tokens.host)
        p = self.login("-u", "alice", "--password-stdin", tokens.host, input="wrong", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("refused the credentials for %s" % tokens.host, p.stderr)
        # no credentials at all is no login either
        p = self.login("-u", "nobody", "--password-stdin", tokens.host, input="x", check=False)
        self.assertEqual(p.returncode, 1)

    def test_a_registry_without_auth_takes_anyone(self):
        p = self.login("-u", "x", "--password-stdin", open_reg.host, input="y")
        self.assertEqual(p.stdout, "Login Succeeded\n")

    def test_usage_errors_as_docker(self):
        p = self.login(basic.host, input="", check=False)
        self.assertEqual((p.returncode, p.stderr),
                         (1, "Error: Cannot perform an interactive login from a non TTY device\n"))
        p = self.login("--password-stdin", basic.host, input=SECRET, check=False)
        self.assertEqual(p.stderr, "Must provide --username with --password-stdin\n")
        p = self.login("-u", "bob", "-p", "x", "--password-stdin", basic.host, input=SECRET, check=False)
        self.assertEqual(p.stderr.splitlines()[-1], "--password and --password-stdin are mutually exclusive")
        self.assertFalse(os.path.exists(os.path.join(self.config, "config.json")))
        # a config.json that is not JSON is left as it is
        os.makedirs(self.config)
        with open(os.path.join(self.config, "config.json"), "w") as f:
            f.write("{not json")
        p = self.login("-u", "bob", "--password-stdin", basic.host, input=SECRET, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("Error saving credentials: "), p.stderr)
        with open(os.path.join(self.config, "config.json")) as f:
            self.assertEqual(f.read(), "{not json")

    def test_terminal_prompt(self):
        """On a terminal, as docker: Username, then Password without echo."""
        import pty
        import select
        import subprocess
        from tool import EXAMPLES
        leader, follower = pty.openpty()
        p = subprocess.Popen([os.path.join(EXAMPLES, "limg-login"), basic.host], stdin=follower, stdout=follower,
                             stderr=follower, env=self.env, close_fds=True)
        os.close(follower)
        seen = b""

        def read_until(text, timeout=30):
            nonlocal seen
            while text not in seen:
                ready, _, _ = select.select([leader], [], [], timeout)
                if not ready:
                    raise AssertionError("waited for %r, got %r" % (text, seen))
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("ended before %r: %r" % (text, seen))
                seen += chunk
        try:
            read_until(b"Username: ")
            os.write(leader, b"bob\n")
            read_until(b"Password: ")
            os.write(leader, SECRET.encode() + b"\n")
            read_until(b"Login Succeeded")
        finally:
            p.wait(timeout=30)
            os.close(leader)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn(SECRET.encode(), seen)  # not echoed
        self.assertIn(basic.host, self.config_json()["auths"])

    def test_credential_helper(self):
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        helper = os.path.join(bindir, "docker-credential-limgtest")
        with open(helper, "w") as f:
            f.write(HELPER)
        os.chmod(helper, 0o755)
        env = dict(self.env, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        os.makedirs(self.config)
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump({"credsStore": "limgtest"}, f)
        p = self.login("-u", "bob", "--password-stdin", basic.host, input=SECRET, env=env)
        self.assertEqual((p.stdout, p.stderr), ("Login Succeeded\n", ""))  # no warning: the helper keeps it
        self.assertEqual(self.config_json(), {"credsStore": "limgtest", "auths": {basic.host: {}}})
        with open(os.path.join(bindir, "helper-db.json")) as f:
            self.assertEqual(json.load(f), {basic.host: {"Username": "bob", "Secret": SECRET}})
        self.pull(basic.host, env=env)  # through the helper's get
        example("limg-logout", basic.host, env=env)
        with open(os.path.join(bindir, "helper-db.json")) as f:
            self.assertEqual(json.load(f), {})
        self.assertEqual(self.config_json(), {"credsStore": "limgtest", "auths": {}})
        with open(os.path.join(bindir, "helper-db.json.log")) as f:
            self.assertEqual(f.read().split(), ["store", "get", "erase"])
        # credHelpers names a helper for one registry; a helper that is missing fails the login, config unchanged
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump({"credHelpers": {basic.host: "missing"}}, f)
        p = self.login("-u", "bob", "--password-stdin", basic.host, input=SECRET, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("docker-credential-missing", p.stderr)
        self.assertEqual(self.config_json(), {"credHelpers": {basic.host: "missing"}})

    def test_logout_of_docker_hub_and_of_nothing(self):
        os.makedirs(self.config)
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump({"auths": {"https://index.docker.io/v1/": {"auth": "aHViOmh1Yg=="},
                                 "http://%s" % basic.host: {"auth": "b2xkOm9sZA=="}}}, f)
        p = example("limg-logout", env=self.env)
        self.assertEqual(p.stdout, "Removing login credentials for https://index.docker.io/v1/\n")
        # older Docker's spellings of a host go too
        p = example("limg-logout", basic.host, env=self.env)
        self.assertEqual(self.config_json(), {"auths": {}})
        p = example("limg-logout", "never.example.com", env=self.env)
        self.assertEqual((p.returncode, p.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
