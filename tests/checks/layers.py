#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Holds lib/ to the layer table of lib/layers.txt.

Every #include of a lib/ file and of a public header, every external
header, and every libimage symbol a layer's objects use must point down:
to the layer itself or to one it may use (directly or through the layers
it uses). A public header may include only public headers of its own layer
or of the layers below. Fails, naming each file and line, on anything that
points up or sideways.

    layers.py SOURCE_DIR BUILD_DIR
"""
import glob
import os
import re
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
table = {}      # layer -> direct uses
external = {}   # layer -> external header prefixes
owned = {}      # public header -> layer
order = []
for line in open(os.path.join(src, "lib/layers.txt")):
    m = re.match(r"^([a-z]+):\s*([^|]*)\|([^|]*)\|?(.*)$", line)
    if not m:
        continue
    layer = m.group(1)
    order.append(layer)
    table[layer] = [u for u in m.group(2).split() if u != "-"]
    external[layer] = m.group(3).split()
    for h in m.group(4).split():
        owned[h] = layer

closure = {}
for layer in order:  # lowest first: what a layer uses is known already
    below = set()
    for u in table[layer]:
        if u not in closure:
            sys.exit(f"layers.txt: {layer} uses {u}, which is not listed before it")
        below |= {u} | closure[u]
    closure[layer] = below

def allowed(layer, other):
    return other == layer or other in closure[layer]

problems = []
include = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

def check_includes(path, layer, public):
    for n, text in enumerate(open(path, errors="replace"), 1):
        m = include.match(text)
        if not m:
            continue
        target = m.group(2)
        where = f"{os.path.relpath(path, src)}:{n}"
        first = target.split("/")[0]
        if public:  # a public header: "x.h" is include/libimage/x.h
            if "/" not in target and target in owned and not allowed(layer, owned[target]):
                problems.append(f"{where}: public header of {layer} includes {target} of layer {owned[target]}")
            continue
        if m.group(1) == '"' and first == "libimage":
            header = target.split("/", 1)[1]
            if header not in owned:
                problems.append(f"{where}: {target} belongs to no layer (lib/layers.txt)")
            elif not allowed(layer, owned[header]):
                problems.append(f"{where}: {layer} includes {target} of layer {owned[header]}")
        elif m.group(1) == '"' and first in table:
            if not allowed(layer, first):
                problems.append(f"{where}: {layer} includes {target} of layer {first}")
        elif m.group(1) == "<":
            def names(prefixes):
                return any(target == p or target.startswith(p + "/") for p in prefixes)
            # an external header is the business of the layers that name it (several may: mbedtls)
            owners = [other for other, prefixes in external.items() if names(prefixes)]
            if owners and layer not in owners:
                problems.append(f"{where}: {layer} includes <{target}>, which only {' and '.join(owners)} may include")

for layer in order:
    files = glob.glob(os.path.join(src, "lib", layer, "*.[ch]"))
    if not files:
        problems.append(f"lib/{layer}/: no such layer folder")
    for path in files:
        check_includes(path, layer, False)
for header, layer in owned.items():
    if header != "libimage.h":  # the umbrella includes everything
        check_includes(os.path.join(src, "include/libimage", header), layer, True)
for path in glob.glob(os.path.join(src, "include/libimage/*.h")):
    if os.path.basename(path) not in owned:
        problems.append(f"include/libimage/{os.path.basename(path)} belongs to no layer (lib/layers.txt)")
for d in sorted(os.listdir(os.path.join(src, "lib"))):
    if os.path.isdir(os.path.join(src, "lib", d)) and d not in table and d != "cmake":
        problems.append(f"lib/{d}/ is not in lib/layers.txt")

# the symbols the objects use: defined by the layer or one below it
defined, undefined = {}, {}
for layer in order:
    objects = glob.glob(os.path.join(build, "lib/CMakeFiles", f"limg_{layer}.dir", layer, "*.o"))
    if not objects:
        problems.append(f"no objects of layer {layer} under {build} (build it first)")
        continue
    out = subprocess.run(["nm", "-A"] + objects, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        name, kind = parts[-1], parts[-2]
        if not name.startswith("limg_"):
            continue
        obj = os.path.basename(line.split(":")[0])
        if kind == "U":
            undefined.setdefault(layer, []).append((name, obj))
        elif kind in "TDBRW":
            defined[name] = layer
for layer, names in undefined.items():
    for name, obj in names:
        owner = defined.get(name)
        if owner is None:
            problems.append(f"{layer}/{obj}: uses {name}, which no layer defines")
        elif not allowed(layer, owner):
            problems.append(f"{layer}/{obj}: uses {name} of layer {owner}")

if problems:
    print("\n".join(problems))
    print(f"FAIL: {len(problems)} use(s) against lib/layers.txt")
    sys.exit(1)
print(f"{len(order)} layers: every include and symbol points down (lib/layers.txt)")
