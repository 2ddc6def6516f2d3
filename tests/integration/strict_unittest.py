# SPDX-License-Identifier: MIT
"""Runs unittest modules as `python3 -m unittest -v NAME...` does, and holds
skips to account: every skip is printed at the end and appended to
$LIMG_SKIP_LOG (tests/run.sh counts them in its summary); with
LIMG_REQUIRE_ALL=1 (tests/run.sh as root, as in CI) a skip is a failure,
since there every peer is installed and every privilege is at hand.

    /usr/bin/python3 tests/integration/strict_unittest.py MODULE...
"""
import os
import sys
import unittest


def record(label, skipped):
    """Prints and logs @skipped ([(test, reason)]); returns how many there were."""
    for test, reason in skipped:
        print("SKIPPED %s: %s" % (test.id(), reason))
    log = os.environ.get("LIMG_SKIP_LOG")
    if log and skipped:
        with open(log, "a") as f:
            for test, reason in skipped:
                f.write("%s: %s: %s\n" % (label, test.id(), reason))
    return len(skipped)


def main(names):
    sys.path.insert(0, os.getcwd())  # as `python3 -m unittest` finds the modules
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    label = os.environ.get("LIMG_TEST_LABEL") or " ".join(names)
    skips = record(label, result.skipped)
    if skips and os.environ.get("LIMG_REQUIRE_ALL") == "1":
        print("FAIL: %d test(s) skipped where every test must run (LIMG_REQUIRE_ALL=1)" % skips)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
