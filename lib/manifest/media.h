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

/* Image configs (OCI and Docker) and image layers (tar, gzip, zstd, foreign). */
bool limg__media_is_config(const char *media_type);
bool limg__media_is_layer(const char *media_type);

/* What an image manifest holds when it is not an image (a cosign signature,
 * an SBOM, any OCI artifact): its artifactType, else its config's media type
 * when that is no image config, else the first layer's that is no image
 * layer. NULL for an image. Borrowed from @m. */
struct limg_manifest;
const char *limg__manifest_artifact(const struct limg_manifest *m);

/* A Content-Type without its parameters ("type; charset=x" -> "type"), in
 * @buf (truncated to @cap); "" for NULL. Returns @buf. */
const char *limg__media_bare_type(char *buf, size_t cap, const char *content_type);

#endif
