# SPDX-License-Identifier: MIT
"""What a failure was about: one test per error subject, each asserting the
code (limg_error_name), the subject (limg_subject_name) and the object
(limg_error_object) that limg_error_last() reports, against the real
registry (plain, TLS with basic auth, bearer tokens), the fault proxy, and
a port where nothing listens. Programs branch on these, never on the
message (errors.h)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import faultproxy, images, netutil, registry
from tool import ENV, TOOLS, example

SECRET = "subjects-Passw0rd"
plain = basic = tokens = proxy = None
IMG = None


def setUpModule():
    global plain, basic, tokens, proxy, IMG
    plain = registry.Registry()
    unittest.addModuleCleanup(plain.stop)  # also when the rest of the set-up fails
    basic = registry.Registry(tls=True, users={"bob": SECRET})
    unittest.addModuleCleanup(basic.stop)
    tokens = registry.Registry(token=True, users={"alice": SECRET}, anonymous_pull=False)
    unittest.addModuleCleanup(tokens.stop)
    proxy = faultproxy.FaultProxy(plain.host)
    unittest.addModuleCleanup(proxy.stop)
    IMG = images.Image(images.sample_layers("subjects"))
    for reg in (plain, basic, tokens):
        reg.push("team/app", "v1", IMG)


def errors_tool(*args):
    """Runs limg-test-errors; returns what it reports (a dict), the call having failed."""
    p = subprocess.run([os.path.join(TOOLS, "limg-test-errors")] + [str(a) for a in args], capture_output=True,
                       text=True, env=ENV, timeout=120)
    if p.returncode not in (0, 1) or not p.stdout.strip():
        raise AssertionError("limg-test-errors %s: exit %d: %s" % (args, p.returncode, p.stderr))
    report = json.loads(p.stdout)
    if p.returncode == 0:
        raise AssertionError("limg-test-errors %s: the call succeeded" % (args,))
    return report


class Subjects(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-subjects-")
        self.store = os.path.join(self.tmp, "store")
        proxy.clear()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assertError(self, report, code, subject, obj):
        self.assertEqual((report["rc"], report["subject"], report["object"]), (code, subject, obj), report)

    # -- the registry's side ----------------------------------------------------

    def test_manifest_an_unknown_tag(self):
        ref = "%s/team/app:nosuch" % plain.host
        e = errors_tool("pull", self.store, ref)
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_MANIFEST", ref)
        self.assertEqual((e["http_status"], e["registry_code"]), (404, "MANIFEST_UNKNOWN"))
        # the registry call itself says the same
        e = errors_tool("head", plain.host, "team/app", "nosuch")
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_MANIFEST", ref)

    def test_repository_the_registry_says_name_unknown(self):
        e = errors_tool("tags", plain.host, "team/nosuch")
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_REPOSITORY", "%s/team/nosuch" % plain.host)
        self.assertEqual(e["registry_code"], "NAME_UNKNOWN")
        # a pull from a registry that answers a manifest of an unknown
        # repository with NAME_UNKNOWN (as Docker Hub and Harbor do)
        proxy.add(r"/v2/team/gone/manifests/", "status", times=-1, status=404,
                  headers={"Content-Type": "application/json"},
                  body='{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')
        e = errors_tool("pull", self.store, "%s/team/gone:v1" % proxy.host)
        self.assertEqual((e["rc"], e["subject"]), ("LIMG_ENOTFOUND", "LIMG_SUBJECT_REPOSITORY"), e)
        self.assertIn("team/gone", e["object"])

    def test_blob_the_registry_lacks(self):
        missing = "sha256:" + "ab" * 32
        e = errors_tool("blob", plain.host, "team/app", missing)
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_BLOB", missing)
        self.assertEqual(e["registry_code"], "BLOB_UNKNOWN")
        # a pull whose layer the registry has lost
        layer = IMG.layers[1].blob.digest
        proxy.add(layer, "status", times=-1, status=404, headers={"Content-Type": "application/json"},
                  body='{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}')
        e = errors_tool("pull", self.store, "%s/team/app:v1" % proxy.host)
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_BLOB", layer)

    def test_credentials_refused_by_a_basic_auth_registry(self):
        e = errors_tool("--ca", basic.ca.cert_path, "--user", "bob", "--password", "wrong-" + SECRET,
                        "pull", self.store, "%s/team/app:v1" % basic.host)
        self.assertError(e, "LIMG_EAUTH", "LIMG_SUBJECT_CREDENTIALS", basic.host)
        self.assertEqual(e["http_status"], 401)
        self.assertRegex(e["message"], r"credentials .*were refused")
        self.assertIn(basic.host, e["message"])
        self.assertNotIn(SECRET, json.dumps(e))

    def test_credentials_refused_by_a_token_server(self):
        e = errors_tool("--user", "alice", "--password", "wrong-" + SECRET, "pull", self.store,
                        "%s/team/app:v1" % tokens.host)
        self.assertError(e, "LIMG_EAUTH", "LIMG_SUBJECT_CREDENTIALS", tokens.host)
        self.assertRegex(e["message"], r"refused the credentials")
        self.assertIn(tokens.host, e["message"])
        self.assertNotIn(SECRET, json.dumps(e))
        # the right ones are taken
        p = subprocess.run([os.path.join(TOOLS, "limg-test-errors"), "--user", "alice", "--password", SECRET,
                            "pull", self.store, "%s/team/app:v1" % tokens.host], capture_output=True, text=True,
                           env=ENV)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_certificate_not_trusted(self):
        # verified TLS (a loopback registry is otherwise not verified, as in Docker)
        e = errors_tool("--tls", "verify", "pull", self.store, "%s/team/app:v1" % basic.host)
        self.assertError(e, "LIMG_ETLS", "LIMG_SUBJECT_CERTIFICATE", basic.host)
        # the message says how to trust it
        self.assertIn("%s/ca.crt" % basic.host, e["message"])
        self.assertIn("certs.d", e["message"])
        # limg-pull adds how to say so on its command line
        p = example("limg-pull", "--tls-verify=true", "%s/team/app:v1" % basic.host, store=self.store, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--cert-dir", p.stderr)
        self.assertIn("%s/ca.crt" % basic.host, p.stderr)

    def test_registry_with_nothing_listening(self):
        hole = netutil.RefusingPort()
        self.addCleanup(hole.close)
        host = hole.host
        e = errors_tool("--attempts", 1, "pull", self.store, "%s/team/app:v1" % host)
        self.assertError(e, "LIMG_ENETWORK", "LIMG_SUBJECT_REGISTRY", host)
        self.assertIn(host, e["message"])

    # -- the store's side -------------------------------------------------------

    def test_image_not_in_the_store(self):
        e = errors_tool("image", self.store, "nosuch:v1")
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_IMAGE", "nosuch:v1")
        self.assertEqual(e["message"], "No such image: nosuch:v1")  # docker's words

    def test_tag_not_in_the_store(self):
        e = errors_tool("tag", self.store, "nosuch:v1")
        self.assertError(e, "LIMG_ENOTFOUND", "LIMG_SUBJECT_TAG", "docker.io/library/nosuch:v1")


if __name__ == "__main__":
    unittest.main()
