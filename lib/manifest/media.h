/* SPDX-License-Identifier: MIT */
/* Media-type facts shared by every layer that reads manifests. */
#ifndef LIMG_MANIFEST_MEDIA_H
#define LIMG_MANIFEST_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

/* Manifests and indexes, OCI and Docker: blobs that list further blobs. */
bool limg__media_is_manifest(const char *media_type);
/* Indexes (manifest lists), OCI and Docker. */
bool limg__media_is_index(const char *media_type);
/* Docker schema 1 (signed or not), which is refused with a message of its own. */
bool limg__media_is_schema1(const char *media_type);
/* Layers registries need not serve (Docker foreign, OCI non-distributable). */
bool limg__media_is_foreign(const char *media_type);

/* A Content-Type without its parameters ("type; charset=x" -> "type"), in
 * @buf (truncated to @cap); "" for NULL. Returns @buf. */
const char *limg__media_bare_type(char *buf, size_t cap, const char *content_type);

#endif
