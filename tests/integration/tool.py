# SPDX-License-Identifier: MIT
"""Runs the C test tools and parses what they print."""
import json
import os
import subprocess

from fixtures import ocilayout

BUILD = os.environ.get("LIMG_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TOOLS = os.path.join(BUILD, "tests")
EXAMPLES = os.path.join(BUILD, "examples")


def _sanitizer():
    """LIMG_SANITIZE of the build under test ("" for none): memory figures mean nothing under one."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("LIMG_SANITIZE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


SANITIZER = _sanitizer()

# Never let a proxy from the environment see test traffic, nor the machine's
# Docker credentials reach the test registries.
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent/libimage-tests")
for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    ENV.pop(var, None)


class Failed(Exception):
    def __init__(self, error, stderr):
        super().__init__(stderr)
        self.error = error
        self.code = error.get("code")


def registry_tool(*args, env=None, timeout=120):
    """Runs limg-test-registry; returns stdout, or raises Failed with the parsed error."""
    p = subprocess.run([os.path.join(TOOLS, "limg-test-registry")] + [str(a) for a in args], capture_output=True,
                       text=True, env=env or ENV, timeout=timeout)
    if p.returncode == 0:
        return p.stdout
    try:
        error = json.loads(p.stderr.strip().splitlines()[-1])
    except Exception:
        raise AssertionError("tool failed without a JSON error (exit %d): %s" % (p.returncode, p.stderr))
    raise Failed(error, p.stderr)


def example(name, *args, store=None, env=None, check=True, timeout=300, input=None):
    """Runs an example program (limg-pull, limg-images, ...); returns the CompletedProcess.
    input: text for its stdin (else stdin is /dev/null)."""
    e = dict(env or ENV)
    if store:
        e["LIBIMAGE_STORE"] = store
    p = subprocess.run([os.path.join(EXAMPLES, name)] + [str(a) for a in args], capture_output=True, text=True,
                       env=e, timeout=timeout, input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("%s %s failed (%d): %s%s" % (name, " ".join(map(str, args)), p.returncode, p.stdout,
                                                          p.stderr))
    return p


def assert_sound(test, store):
    """@store is sound as libimage judges it (limg-test-fsck: limg_store_fsck) and
    as a judge that shares no code with it does (fixtures/ocilayout.py)."""
    p = subprocess.run([os.path.join(TOOLS, "limg-test-fsck"), store], capture_output=True, text=True, env=ENV,
                       timeout=300)
    test.assertEqual(p.returncode, 0, "limg_store_fsck: " + p.stdout + p.stderr)
    test.assertEqual(ocilayout.problems(store), [], "the OCI layout of %s" % store)


def assert_stores_sound(test, root):
    """Every libimage store at or up to two levels below @root is a sound OCI layout
    (fixtures/ocilayout.py, which shares no code with libimage). For tearDown."""
    for depth in range(3):
        for d in _dirs_at(root, depth):
            if os.path.isfile(os.path.join(d, "oci-layout")) and os.path.isdir(os.path.join(d, ".libimage")):
                test.assertEqual(ocilayout.problems(d), [], "the OCI layout of %s" % d)


def _dirs_at(root, depth):
    if depth == 0:
        return [root] if os.path.isdir(root) else []
    out = []
    for d in _dirs_at(root, depth - 1):
        out += [os.path.join(d, n) for n in sorted(os.listdir(d))
                if os.path.isdir(os.path.join(d, n)) and not os.path.islink(os.path.join(d, n))]
    return out
