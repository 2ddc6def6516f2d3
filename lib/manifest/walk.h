/* SPDX-License-Identifier: MIT */
/* The one descriptor walker: the blobs a manifest or index document points
 * at, read with the strict reader, for every layer that follows them
 * (reachability in the store, pushes, saves). */
#ifndef LIMG_MANIFEST_WALK_H
#define LIMG_MANIFEST_WALK_H

#include <stddef.h>
#include <stdint.h>

/* The child descriptors of a manifest or index document:
 * cb(digest, media_type, size, list, payload) for each, where list names
 * the field that held it ("manifests", "config", "layers", "blobs"); a
 * non-zero return stops and is passed back. LIMG_ECORRUPT (not raised) if
 * the document is not valid, unambiguous JSON. */
typedef int (*limg__child_cb)(const char *digest, const char *media_type, int64_t size, const char *list,
                              void *payload);
int limg__walk_children(const char *json, size_t len, limg__child_cb cb, void *payload);

#endif
