#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Holds lib/ to its own allocator (lib/core/alloc.h).

Every byte libimage allocates goes through the allocator of the context
(limg_context_opts.allocator), and every thread it starts inherits it: so no
object file of lib/ may call the C library's allocation functions or
pthread_create itself, except the two files that implement the wrappers.
Fails naming each object and symbol.

    raw_alloc.py BUILD_DIR
"""
import glob
import os
import subprocess
import sys

build = sys.argv[1]
RAW = {"malloc", "calloc", "realloc", "reallocarray", "free", "strdup", "strndup",
       "asprintf", "vasprintf", "pthread_create", "cJSON_Print", "cJSON_PrintUnformatted"}
# the wrappers themselves, and cJSON's print copied into the library's memory
ALLOWED = {("core", "alloc.c.o"): {"malloc", "realloc", "free"},
           ("core", "thread.c.o"): {"pthread_create"},
           ("core", "json.c.o"): {"cJSON_Print", "cJSON_PrintUnformatted"}}

objects = glob.glob(os.path.join(build, "lib/CMakeFiles/limg_*.dir/*/*.o"))
if not objects:
    sys.exit(f"no objects of lib/ under {build} (build it first)")
out = subprocess.run(["nm", "-A", "--undefined-only"] + objects,
                     capture_output=True, text=True, check=True).stdout
problems = []
for line in out.splitlines():
    path, _, rest = line.partition(":")
    symbol = rest.split()[-1].split("@")[0]
    if symbol not in RAW:
        continue
    layer, name = os.path.basename(os.path.dirname(path)), os.path.basename(path)
    if symbol in ALLOWED.get((layer, name), set()):
        continue
    use = {"pthread_create": "limg__thread_start", "cJSON_Print": "limg__json_print",
           "cJSON_PrintUnformatted": "limg__json_print"}.get(symbol, "limg__" + symbol)
    problems.append(f"lib/{layer}/{name[:-2]} calls {symbol}(): use {use}() so the context's allocator sees it")
if problems:
    print("\n".join(sorted(set(problems))))
    sys.exit(1)
print(f"{len(objects)} objects: every allocation goes through the library's allocator")
