#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: docker pull, images, tag and rmi, done by libimage's example
# programs against a registry started here with a bundled sample image
# (the default registry on the internet may be out of reach). The registry
# stands in for Docker Hub as a registry mirror, so the image is pulled by
# its familiar name, "busybox", exactly as with docker.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
# only the programs the demo runs (LIMG_BUILD_DIR: another build directory than build/);
# LIMG_DEMO_BUILT=1: they are built there already (the test suite runs the demo so)
build=${LIMG_BUILD_DIR:-build}
if [ "${LIMG_DEMO_BUILT:-}" != 1 ]; then
  .ci/install-deps
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build "$build" -j"$(nproc)" --target limg-pull limg-images limg-tag limg-rmi limg-inspect limg-unpack > /dev/null
fi

work=$(mktemp -d)
registry_pid=
cleanup() {
  exec 4>&- 2>/dev/null || true
  [ -n "$registry_pid" ] && wait "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The registry serves until we close its stdin (fd 4).
mkfifo "$work/control"
/usr/bin/python3 examples/sample_registry.py < "$work/control" > "$work/registry.out" &
registry_pid=$!
exec 4> "$work/control"
for _ in $(seq 100); do [ -s "$work/registry.out" ] && break; sleep 0.1; done
registry=$(head -n1 "$work/registry.out")
[ -n "$registry" ] || { echo "the sample registry did not start" >&2; exit 1; }

export LIBIMAGE_STORE="$work/store"
export LIBIMAGE_REGISTRY_MIRROR="http://$registry"
bin=$build/examples
run() { echo; echo "\$ $*"; "$bin/$@"; }

echo "A registry with the sample image listens on $registry; it stands in for docker.io."
echo "The store is $LIBIMAGE_STORE."
run limg-images
run limg-pull busybox
run limg-pull busybox
run limg-tag busybox mybusybox:v1
run limg-tag busybox registry.example.com/team/busybox:stable
run limg-images
run limg-rmi mybusybox:v1
run limg-images
run limg-inspect busybox

# The image becomes runnable: a root filesystem and an OCI bundle, run with
# crun when it can start here (it needs root and its cgroup workaround on
# this kind of machine: a private mount namespace without the cgroup v1
# "unified" mount, no cgroup manager, no linux.resources).
run limg-unpack --bundle busybox "$work/bundle"
echo; echo "\$ ls $work/bundle $work/bundle/rootfs/bin"
ls "$work/bundle" "$work/bundle/rootfs/bin"
if command -v crun > /dev/null && [ "$(id -u)" = 0 ]; then
  /usr/bin/python3 - "$work/bundle/config.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["linux"].pop("resources", None)
spec["process"]["args"] = ["sh", "-c", "echo hello from busybox, unpacked by libimage; uname -s; cat /etc/os-release"]
json.dump(spec, open(sys.argv[1], "w"), indent=2)
PY
  echo; echo "\$ crun run --bundle $work/bundle demo   (sh -c 'echo ...; uname -s; cat /etc/os-release')"
  unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --cgroup-manager=disabled run --bundle "$1" "limg-demo-$$"' \
    sh "$work/bundle" < /dev/null
else
  echo "(crun cannot start containers here: the files above are what it would run)"
fi
