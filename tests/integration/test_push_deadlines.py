# SPDX-License-Identifier: MIT
"""Pushes against registries that drip their answers or send absurd ones:
every upload is one operation under one deadline (not a fresh one per
request and per try), calls that move no blob are bounded by the request
timeout with all their tries, an answer must follow the request's body
within the low-speed time, and a 200 KB Location is refused by an error
that says what was too long."""
import os
import shutil
import tempfile
import time
import unittest

from fixtures import hostile, images
from fixtures.hostile import answer, drip
from tool import Failed, registry_tool


class Deadlines(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="limg-push-deadlines-")
        self.reg = hostile.HostileRegistry()
        self.addCleanup(self.reg.stop)
        self.blob = os.path.join(self.tmp, "blob")
        with open(self.blob, "wb") as f:
            f.write(images.pseudo_random(200000, 3))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def upload(self, repo, *opts):
        start = time.monotonic()
        with self.assertRaises(Failed) as e:
            registry_tool("--backoff-ms", "10", *opts, "upload", self.reg.host, repo, self.blob, timeout=120)
        return e.exception, time.monotonic() - start

    def test_a_dripped_answer_to_open_an_upload_meets_one_deadline(self):
        # 100 bytes at one per 0.5 s: each try runs into the 2 s request timeout; five tries used to take 10 s and more
        self.reg.route(r"^/v2/drip/a/blobs/uploads/$", drip(202, b"x" * 100, every=0.5,
                                                            headers={"Location": "/v2/drip/a/blobs/uploads/u0"}),
                       method="POST")
        e, took = self.upload("drip/a", "--request-timeout", "2", "--attempts", "5")
        self.assertEqual(e.code, "LIMG_ETIMEOUT", e.error)
        self.assertLess(took, 5)

    def test_a_dripped_answer_after_the_body_is_cut_short(self):
        state = hostile.accept_uploads(self.reg, "drip/b")
        self.reg.route(r"^/v2/drip/b/blobs/uploads/[^/?]+", drip(201, b"y" * 100, every=0.5), method="PUT")
        e, took = self.upload("drip/b", "--low-speed-time", "2", "--operation-timeout", "6", "--attempts", "5")
        self.assertEqual(e.code, "LIMG_ETIMEOUT", e.error)
        self.assertLess(took, 10)  # the upload as a whole: one deadline over every try
        self.assertEqual(state["closed"], [])

    def test_a_huge_location_says_what_was_too_long(self):
        self.reg.route(r"^/v2/huge/loc/blobs/uploads/$", answer(
            202, b"", {"Location": "/v2/huge/loc/blobs/uploads/" + "a" * 200000}), method="POST")
        e, took = self.upload("huge/loc")
        self.assertEqual(e.code, "LIMG_ETOOBIG", e.error)
        self.assertIn("header line longer than", e.error["message"])
        self.assertIn("upload of blob", e.error["message"])
        # one under libcurl's limit but over what an upload URL may be: named as such
        self.reg.route(r"^/v2/huge/loc2/blobs/uploads/$", answer(
            202, b"", {"Location": "/v2/huge/loc2/blobs/uploads/" + "b" * 60000}), method="POST")
        e, took = self.upload("huge/loc2")
        self.assertEqual(e.code, "LIMG_ETOOBIG", e.error)
        self.assertIn("upload URL (Location) of 600", e.error["message"])
        self.assertLess(len(e.error["message"]), 1000)


if __name__ == "__main__":
    unittest.main()
