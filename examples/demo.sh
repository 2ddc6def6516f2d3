#!/usr/bin/env bash
# The main job, as far as the library goes today: builds libimage and reads
# the image references from Docker's own documentation the way `docker pull`
# reads them (registry, repository, tag, digest, canonical and familiar form).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
.ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j"$(nproc)" --target limg-refs > /dev/null
build/examples/limg-refs \
  redis:latest \
  alpine \
  mongo:4.2.24 \
  busybox:glibc \
  nigelpoulton/tu-demo:v2 \
  gcr.io/google-containers/git-sync:v3.1.5 \
  mcr.microsoft.com/powershell:latest \
  ubuntu@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c
