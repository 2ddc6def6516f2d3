# SPDX-License-Identifier: MIT
"""README's main job, run as README says it runs: `examples/demo.sh` (the
built programs of this build directory), its story checked step by step:
an empty store lists nothing; `limg-pull busybox` through the registry that
stands in for Docker Hub as a mirror; the same again ("Image is up to
date"); two tags; three rows with one IMAGE ID; `limg-rmi` of one tag; two
rows; `limg-inspect`; then `limg-unpack --bundle` and the bundle run by crun
(as root), printing what its command prints."""
import json
import os
import re
import subprocess
import unittest

import tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def steps(out):
    """{"$ command": its output} of the demo's transcript, in order."""
    found, current = [], None
    for line in out.splitlines():
        if line.startswith("$ "):
            current = [line[2:], []]
            found.append(current)
        elif current is not None:
            current[1].append(line)
    return [(cmd, "\n".join(lines).strip()) for cmd, lines in found]


class Demo(unittest.TestCase):
    def test_the_main_job(self):
        env = dict(tool.ENV, LIMG_BUILD_DIR=tool.BUILD, LIMG_DEMO_BUILT="1")
        env.pop("LIBIMAGE_STORE", None)
        p = subprocess.run(["bash", os.path.join(ROOT, "examples", "demo.sh")], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        run = steps(p.stdout)
        cmds = [c.split(" /tmp/")[0] for c, _ in run]
        self.assertEqual(cmds[:10], ["limg-images", "limg-pull busybox", "limg-pull busybox",
                                     "limg-tag busybox mybusybox:v1",
                                     "limg-tag busybox registry.example.com/team/busybox:stable", "limg-images",
                                     "limg-rmi mybusybox:v1", "limg-images", "limg-inspect busybox",
                                     "limg-unpack --bundle busybox"])
        out = [o for _, o in run]
        self.assertEqual(out[0].split(), ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"])
        first = out[1].splitlines()
        self.assertEqual(first[:2], ["Using default tag: latest", "latest: Pulling from library/busybox"])
        self.assertIn("Status: Downloaded newer image for busybox:latest", first)
        self.assertEqual(first[-1], "docker.io/library/busybox:latest")
        self.assertIn("Status: Image is up to date for busybox:latest", out[2])
        rows = [r.split() for r in out[5].splitlines()[1:]]
        self.assertEqual([r[:2] for r in rows], [["busybox", "latest"], ["mybusybox", "v1"],
                                                 ["registry.example.com/team/busybox", "stable"]])
        self.assertEqual(len({r[2] for r in rows}), 1)  # one IMAGE ID
        self.assertEqual(out[6], "Untagged: mybusybox:v1")
        self.assertEqual([r.split()[0] for r in out[7].splitlines()[1:]],
                         ["busybox", "registry.example.com/team/busybox"])
        info = json.loads(out[8])[0]
        self.assertEqual(info["RepoTags"], ["busybox:latest", "registry.example.com/team/busybox:stable"])
        self.assertEqual(info["Id"][7:19], rows[0][2])
        listing = run[10][1]
        self.assertIn("config.json", listing)
        self.assertIn("busybox", listing)
        # nothing left behind in the temporary directory it made
        work = re.search(r"The store is (/tmp/[^/]+)/store\.", p.stdout).group(1)
        self.assertFalse(os.path.exists(work))
        if len(run) < 12:
            self.skipTest("crun did not run the bundle here (it needs root): " + p.stdout.splitlines()[-1])
        self.assertTrue(run[11][0].startswith("crun run --bundle"))
        self.assertEqual(run[11][1].splitlines()[:3], ["hello from busybox, unpacked by libimage", "Linux",
                                                      "NAME=libimage sample"])


if __name__ == "__main__":
    unittest.main()
