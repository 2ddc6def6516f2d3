#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every public function is called by a test of the library itself: each name
declared in include/libimage (LIMG_EXTERN) must appear in the code of
tests/unit or tests/tools (comments and strings do not count), not only in an
example program or a binding.

    /usr/bin/python3 tests/checks/api_calls.py SOURCE_DIR
"""
import glob
import os
import re
import sys

DECLARED = re.compile(r"LIMG_EXTERN\([^)]*\)\s*(limg_[a-z0-9_]+)")
# comments, then string and character literals, so that only code is left
NOT_CODE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def declared(src):
    names = set()
    for header in glob.glob(os.path.join(src, "include", "libimage", "*.h")):
        with open(header) as f:
            names.update(DECLARED.findall(f.read()))
    return names


def used(src):
    names = set()
    for pattern in ("tests/unit/*.c", "tests/unit/*.h", "tests/tools/*.c"):
        for path in glob.glob(os.path.join(src, pattern)):
            with open(path) as f:
                names.update(IDENTIFIER.findall(NOT_CODE.sub(" ", f.read())))
    return names


def main(src):
    api = declared(src)
    if len(api) < 100:
        print("FAIL: found only %d public functions in %s/include/libimage" % (len(api), src))
        return 1
    missing = sorted(api - used(src))
    for name in missing:
        print("FAIL: %s is called by no test in tests/unit or tests/tools" % name)
    if not missing:
        print("%d public functions, each called by a test of the library" % len(api))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")))
