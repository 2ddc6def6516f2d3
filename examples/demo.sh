#!/usr/bin/env bash
# The main job: docker pull, images, tag and rmi, done by libimage's example
# programs against a registry started here with a bundled sample image
# (the default registry on the internet may be out of reach). The registry
# stands in for Docker Hub as a registry mirror, so the image is pulled by
# its familiar name, "busybox", exactly as with docker.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
.ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j"$(nproc)" > /dev/null

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
bin=build/examples
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
