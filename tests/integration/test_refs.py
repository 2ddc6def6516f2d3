# SPDX-License-Identifier: MIT
"""The example programs no other test runs: limg-refs (how references are
read, as `docker pull` reads them), judged against the upstream Go library's
own test vectors (tests/data/reference-vectors.json)."""
import json
import os
import unittest

from tool import example

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "reference-vectors.json")
DIGEST = "sha256:" + "ab" * 32


def refs(*args, check=True):
    return example("limg-refs", *args, check=check)


def parsed(stdout):
    """{input: {field: value}} of limg-refs' output."""
    out, current = {}, None
    for line in stdout.splitlines():
        if not line.startswith("  "):
            current = out.setdefault(line, {})
        else:
            key, value = line.strip().split(":", 1)
            current[key] = value.strip()
    return out


class Refs(unittest.TestCase):
    def test_docker_reads_them_so(self):
        got = parsed(refs("redis", "ghcr.io/org/app:1.2", "localhost:5000/team/app@" + DIGEST,
                          "library/ubuntu:22.04@" + DIGEST).stdout)
        self.assertEqual(got["redis"], {"registry": "docker.io", "repository": "library/redis", "tag": "latest",
                                        "digest": "-", "canonical": "docker.io/library/redis:latest",
                                        "familiar": "redis:latest"})
        self.assertEqual(got["ghcr.io/org/app:1.2"]["canonical"], "ghcr.io/org/app:1.2")
        self.assertEqual(got["ghcr.io/org/app:1.2"]["familiar"], "ghcr.io/org/app:1.2")
        local = got["localhost:5000/team/app@" + DIGEST]
        self.assertEqual((local["registry"], local["repository"], local["tag"], local["digest"]),
                         ("localhost:5000", "team/app", "-", DIGEST))
        # docker pull drops a tag beside a digest
        self.assertEqual(got["library/ubuntu:22.04@" + DIGEST]["canonical"], "docker.io/library/ubuntu@" + DIGEST)

    def test_the_upstream_vectors_of_docker_references(self):
        """Every upstream ParseDockerRef case: limg-refs' canonical form is the one
        upstream expects, and what upstream refuses is refused."""
        with open(VECTORS) as f:
            cases = [c for c in json.load(f)["cases"] if c["op"] == "parse_docker_ref"]
        self.assertEqual(len(cases), 11)
        p = refs(*[c["input"] for c in cases], check=False)
        got = parsed(p.stdout)
        for c in cases:
            if c["err"]:
                self.assertNotIn(c["input"], got, c["id"])
                self.assertIn(c["input"] + ": ", p.stderr, c["id"])
            else:
                self.assertEqual(got[c["input"]]["canonical"], c["normalized"], c["id"])
        self.assertEqual(p.returncode, 1 if any(c["err"] for c in cases) else 0)

    def test_invalid_references(self):
        p = refs("redis", "Bad/Name", "a//b", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("redis", parsed(p.stdout))
        self.assertIn("Bad/Name: ", p.stderr)
        self.assertIn("a//b: ", p.stderr)
        p = refs(check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Usage: limg-refs", p.stderr)


if __name__ == "__main__":
    unittest.main()
