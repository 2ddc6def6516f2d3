#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The README's list of public functions (between <!-- api-list --> and
<!-- /api-list -->) must name exactly the functions the headers declare,
each under the header that declares it, so that a reviewer can check the
convention against a complete list.

    readme_api.py SOURCE_DIR
"""
import glob
import os
import re
import sys

src = sys.argv[1]
declared = {}
for path in glob.glob(os.path.join(src, "include/libimage/*.h")):
    for name in re.findall(r"LIMG_EXTERN\([^)]*\)\s*(limg_[a-z0-9_]+)", open(path).read()):
        declared[name] = os.path.basename(path)

text = open(os.path.join(src, "README.md")).read()
m = re.search(r"<!-- api-list -->(.*)<!-- /api-list -->", text, re.S)
if not m:
    sys.exit("FAIL: README.md has no <!-- api-list --> section")
listed = {}
for line in m.group(1).splitlines():
    h = re.match(r"- `([a-z]+\.h)`:", line)
    if not h:
        continue
    for name in re.findall(r"`(limg_[a-z0-9_]+)`", line):
        listed[name] = h.group(1)

problems = []
for name, header in sorted(declared.items()):
    if name not in listed:
        problems.append(f"{name} ({header}) is not in the README's list")
    elif listed[name] != header:
        problems.append(f"{name} is listed under {listed[name]}, declared in {header}")
for name in sorted(set(listed) - set(declared)):
    problems.append(f"{name} is in the README's list but no header declares it")
if problems:
    print("\n".join(problems))
    sys.exit(f"FAIL: {len(problems)} difference(s) between README.md and the headers")
print(f"{len(declared)} functions: the README lists every one under its header")
