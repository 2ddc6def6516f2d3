#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Holds lib/ to the layer table of lib/layers.txt.

Every #include of a lib/ file and of a public header, every external
header, and every libimage symbol a layer's objects use must point down:
to the layer itself or to one it may use (directly or through the layers
it uses). An include is resolved to a file as the compiler resolves it
("x" beside the including file, then include/ and lib/; <x> in include/
and lib/), so "../pull/x.h", "pull/x.h", "libimage/pull.h" and
<libimage/pull.h> are all held to the layer that owns the file: a lib/
folder its own layer, include/libimage/X.h the layer whose public headers
name X.h in lib/layers.txt. A public header may include only public
headers of its own layer or of the layers below. Fails, naming each file
and line, on anything that points up or sideways, and when README.md's
table of layers leaves out a layer, a use or a public header of the table.

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

# where the compiler finds an include: "x" beside the including file first,
# then, for "x" and <x>, the lib/ objects' include path (lib/CMakeLists.txt)
search_path = [os.path.join(src, "include"), os.path.join(src, "lib")]


def resolve(path, target, quoted):
    for d in ([os.path.dirname(path)] if quoted else []) + search_path:
        candidate = os.path.normpath(os.path.join(d, target))
        if os.path.isfile(candidate):
            return os.path.relpath(candidate, src)
    return None


def check_includes(path, layer, public):
    for n, text in enumerate(open(path, errors="replace"), 1):
        m = include.match(text)
        if not m:
            continue
        quoted, target = m.group(1) == '"', m.group(2)
        shown = f'"{target}"' if quoted else f"<{target}>"
        where = f"{os.path.relpath(path, src)}:{n}"
        found = resolve(path, target, quoted)
        if found is None:
            first = target.split("/")[0]
            if first == "libimage" or first in table or first == "..":
                problems.append(f"{where}: {shown}: no such file in include/ or lib/")
            elif not public:
                def names(prefixes):
                    return any(target == p or target.startswith(p + "/") for p in prefixes)
                # an external header is the business of the layers that name it (several may: mbedtls)
                owners = [other for other, prefixes in external.items() if names(prefixes)]
                if owners and layer not in owners:
                    problems.append(f"{where}: {layer} includes {shown}, which only {' and '.join(owners)} may include")
            continue
        parts = found.split(os.sep)
        if parts[:2] == ["include", "libimage"] and len(parts) == 3:
            header = parts[2]
            if header not in owned:
                problems.append(f"{where}: {shown} ({found}) belongs to no layer (lib/layers.txt)")
            elif not allowed(layer, owned[header]):
                kind = "public header of " if public else ""
                problems.append(f"{where}: {kind}{layer} includes {shown} ({found}) of layer {owned[header]}")
        elif public:
            problems.append(f"{where}: public header of {layer} includes {shown} ({found}), not a public header")
        elif parts[0] == "lib" and len(parts) == 3 and parts[1] in table:
            if not allowed(layer, parts[1]):
                problems.append(f"{where}: {layer} includes {shown} ({found}) of layer {parts[1]}")
        else:
            problems.append(f"{where}: {layer} includes {shown} ({found}), which is in no layer's folder")


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

# README.md's table of layers says what lib/layers.txt says: every layer, in
# its order, naming the layers it uses and its public headers
rows = re.findall(r"^\| `([a-z]+)/` \|[^|]*\|([^|]*)\|([^|]*)\|$", open(os.path.join(src, "README.md")).read(), re.M)
if [r[0] for r in rows] != order:
    problems.append(f"README.md's table of layers has {' '.join(r[0] for r in rows)}; lib/layers.txt has {' '.join(order)}")
for layer, uses, headers in rows:
    if layer not in table:
        continue
    named = set(re.findall(r"[a-z]+", uses))
    for u in table[layer]:
        if u not in named:
            problems.append(f"README.md's table of layers: {layer} uses {u} (lib/layers.txt), its row does not say so")
    for u in named & set(table):
        if u not in table[layer]:
            problems.append(f"README.md's table of layers: {layer}'s row says it uses {u}, lib/layers.txt does not")
    mine = sorted(h for h, owner in owned.items() if owner == layer)
    if sorted(re.findall(r"`([a-z]+\.h)`", headers)) != mine:
        problems.append(f"README.md's table of layers: {layer}'s public headers are {' '.join(mine) or 'none (internal)'} (lib/layers.txt)")

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
