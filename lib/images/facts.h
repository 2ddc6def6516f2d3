/* SPDX-License-Identifier: MIT */
/* What `docker images` shows about one image, from the cache or from its blobs. */
#ifndef LIMG_IMAGES_FACTS_H
#define LIMG_IMAGES_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "libimage/manifest.h"

#include "libimage/store.h"
#include "libimage/tags.h"

/* Small: a listing holds one per image, and may see hundreds of thousands. */
typedef struct {
	const char *digest;  /* the entry's manifest or index */
	const char *id;      /* config digest, "" when unknown */
	const char *created; /* RFC 3339 as in the config, "" when unknown */
	int64_t size;        /* uncompressed, -1 when unknown */
	bool learnt;         /* worked out from the blobs: worth caching */
} limg__facts;

/* Facts of the entry @t: its cached annotations, completed from the blobs
 * when missing (then out->learnt is set). Strings are borrowed from @t
 * while cached, and copied into @arena when learnt (so learnt facts outlive
 * the tag iterator). Never fails: what cannot be known stays unknown. */
void limg__image_facts(limg_store *store, const limg_tag *t, const char *platform, limg__arena *arena,
                       limg__facts *out);

/* Caches the learnt facts of @n images in index.json, in one edit; best
 * effort (a read-only store simply stays uncached). */
void limg__cache_facts(limg_store *store, const limg__facts *facts, size_t n);

/* The image manifest of @platform under @digest (a manifest, or an index
 * and its entry), when stored; with @any_stored, another stored platform
 * will do. Its digest goes to @image_digest. NULL when not stored. */
limg_manifest *limg__stored_image_manifest(limg_store *store, const char *digest, const char *platform, bool any_stored,
                                           char image_digest[160]);

/* limg_images_lookup(), which a long lookup (an ID prefix reads every
 * image's facts) may stop on @cancel. */
int limg__images_resolve(limg_buf *out_digest, limg_store *store, const char *image, const limg_cancel *cancel);

/* Uncompressed size of an image's layers (known facts, else worked out and
 * remembered), or -1. */
int64_t limg__image_size(limg_store *store, const limg_manifest *image);

#endif
