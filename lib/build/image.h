/* SPDX-License-Identifier: MIT */
/*
 * Stored images as documents to edit (their manifest and config as JSON
 * trees), and the writing of new manifests, configs and indexes into the
 * store: leased first, so that a gc beside us never takes them before
 * a tag holds them.
 */
#ifndef LIMG_BUILD_IMAGE_H
#define LIMG_BUILD_IMAGE_H

#include <stdbool.h>

#include "build_internal.h"
#include "core/json.h"
#include "libimage/images.h"
#include "libimage/manifest.h"

typedef struct {
	char digest[80];       /* the image manifest's */
	limg_manifest *m;      /* the manifest, parsed */
	limg_config *c;        /* the config, parsed */
	cJSON *manifest;       /* the manifest as a document */
	cJSON *config;         /* the config as a document */
	bool docker;           /* Docker's media types */
} limg__stored_image;

/* Looks @name up as limg_image_lookup() does (@platform for an index),
 * then limg__image_load_manifest(). */
int limg__image_load(limg__stored_image *out, limg_store *store, const char *name, const char *platform,
                     limg__lease *lease);

/* The image manifest @digest: its blobs leased in @lease, manifest and
 * config read (verified) and parsed for editing. LIMG_EUNSUPPORTED for a
 * config that is not an image config or that holds numbers this library
 * cannot carry exactly (beyond 2^53); LIMG_EINVALID for an index. */
int limg__image_load_manifest(limg__stored_image *out, limg_store *store, const char *digest, limg__lease *lease);
void limg__image_dispose(limg__stored_image *img);

/* Stores @doc as compact JSON; @digest (80 bytes) and *@size receive its
 * descriptor's facts. */
int limg__store_json(limg_store *store, limg__lease *lease, const cJSON *doc, char digest[80], int64_t *size);

/* Tags @digest as @tag, or keeps it as an untagged image when @tag is NULL. */
int limg__image_keep(limg_store *store, const char *digest, const char *tag);

/* RFC 3339 in UTC ("1970-01-01T00:00:00Z") of @seconds. */
void limg__rfc3339(char out[40], int64_t seconds);

/* True when every number in @doc survives a trip through a double (cJSON
 * keeps numbers as doubles): integers up to 2^53 and what was written as
 * a double anyway. */
bool limg__json_numbers_exact(const cJSON *doc, const char *text, size_t len);

#endif
