#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The README's quick start ("## Using the library", its first ```c block)
is examples/quickstart.c, as the README says: its lines must be a run of
quickstart.c's lines, the same but for indentation, so that the two cannot
drift apart. The block must also build on its own against the built
library, warnings as errors: a shared object linked with --no-undefined, so
every function it calls is one the library exports.

    readme_quickstart.py SOURCE_DIR CC LIBRARY
"""
import os
import re
import subprocess
import sys
import tempfile

src, cc, library = sys.argv[1], sys.argv[2], sys.argv[3]
readme = open(os.path.join(src, "README.md")).read()
m = re.search(r"^## Using the library\n(?:(?!^## ).)*?^```c\n(.*?)^```", readme, re.S | re.M)
if not m:
    sys.exit("FAIL: README.md's \"Using the library\" has no ```c block")
block = m.group(1)


def lines(text):
    return [line.strip() for line in text.strip("\n").splitlines()]


want, have = lines(block), lines(open(os.path.join(src, "examples/quickstart.c")).read())
problems = []
if not any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1)):
    # say where they part: the longest run of the README's lines quickstart.c has
    best, at = 0, 0
    for i in range(len(have)):
        n = 0
        while n < len(want) and i + n < len(have) and have[i + n] == want[n]:
            n += 1
        if n > best:
            best, at = n, i
    where = f"quickstart.c:{at + best + 1}: {have[at + best]!r}" if at + best < len(have) else "quickstart.c ends"
    problems.append(f"README.md's quick start is not examples/quickstart.c: its line {best + 1}, "
                    f"{want[best]!r}, is not what follows in quickstart.c ({where})")

with tempfile.TemporaryDirectory() as tmp:
    c = os.path.join(tmp, "readme_quickstart.c")
    with open(c, "w") as f:
        f.write(block)
    p = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
                        "-Wl,--no-undefined", "-I", os.path.join(src, "include"), c, library,
                        "-o", os.path.join(tmp, "readme_quickstart.so")], capture_output=True, text=True)
    if p.returncode != 0:
        problems.append(f"README.md's quick start does not build alone against {library} with {cc}:\n"
                        + p.stdout + p.stderr)

if problems:
    print("\n".join(problems))
    print(f"FAIL: {len(problems)} problem(s) with README.md's quick start")
    sys.exit(1)
print(f"README.md's quick start is examples/quickstart.c ({len(want)} lines) and builds against the library")
