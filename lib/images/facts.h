/* SPDX-License-Identifier: MIT */
/* What `docker images` shows about one image, from the cache or from its blobs. */
#ifndef LIMG_IMAGES_FACTS_H
#define LIMG_IMAGES_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "libimage/manifest.h"

#include "libimage/images.h"
#include "libimage/store.h"
#include "libimage/tags.h"

/* The cache annotations of one image's facts: the entry's own for its
 * default image (of an index: this machine's platform when stored, else the
 * first stored), and one set per platform asked for by name (an index's
 * other platforms: "io.libimage.image.id.linux/arm64/v8", ...). */
#define LIMG_FACT_KEY_MAX 192
typedef struct {
	char id[LIMG_FACT_KEY_MAX], created[LIMG_FACT_KEY_MAX], size[LIMG_FACT_KEY_MAX], state[LIMG_FACT_KEY_MAX];
} limg__fact_keys;

/* The state annotation's values (absent: complete, as caches before it). */
#define LIMG_STATE_INCOMPLETE "incomplete"
#define LIMG_STATE_COMPLETE "complete"

/* The keys of @platform's facts (NULL: the default image's); the platform
 * is normalized, so "linux/arm64" and "linux/arm64/v8" share them. */
void limg__fact_keys_of(limg__fact_keys *out, const char *platform);

/* Small: a listing holds one per image, and may see hundreds of thousands. */
typedef struct {
	const char *digest;  /* the entry's manifest or index */
	const char *platform; /* the platform (normalized) whose cache keys these are; NULL: the default */
	const char *id;      /* config digest, "" when unknown */
	const char *created; /* RFC 3339 as in the config, "" when unknown */
	int64_t size;        /* uncompressed, -1 when unknown */
	int state;           /* a limg_image_state */
	bool artifact;       /* no image (a signature, an SBOM): not a row of a listing */
	bool learnt;         /* worked out from the blobs: worth caching */
} limg__facts;

/* Facts of the entry @t: its cached annotations, completed from the blobs
 * when missing (then out->learnt is set). Strings are copied into @arena
 * (a tag lives until its iterator moves on). Never fails: what cannot be
 * known stays unknown; of an index, a @platform that is not stored has no
 * facts (no other platform's). */
void limg__image_facts(limg_store *store, const limg_tag *t, const char *platform, limg__arena *arena,
                       limg__facts *out);

/* Caches the learnt facts of @n images in index.json, in one edit; best
 * effort (a read-only store simply stays uncached). */
void limg__cache_facts(limg_store *store, const limg__facts *facts, size_t n);

/* The image manifest of @platform under @digest (a manifest, or an index
 * and its entry), when stored; with @any_stored, another stored platform
 * will do. Its digest goes to @image_digest, and the size the index gives it
 * to *@listed (may be NULL; -1 when @digest is the image itself). NULL when
 * not stored. */
limg_manifest *limg__stored_image_manifest(limg_store *store, const char *digest, const char *platform, bool any_stored,
                                           char image_digest[160], int64_t *listed);

/* limg_images_lookup(), which a long lookup (an ID prefix reads every
 * image's facts) may stop on @cancel. */
int limg__images_resolve(limg_buf *out_digest, limg_store *store, const char *image, const limg_cancel *cancel);

/* limg_image_lookup(), without the uncompressed size when @size is false
 * (limg_image_size() then gives -1): worked out from the layers when their
 * facts are not known, which a save of a big image need not pay. */
int limg__image_lookup(limg_image **out, limg_store *store, const char *image, const limg_image_lookup_opts *opts,
                       bool size);

/* Uncompressed size of an image's layers (known facts, else worked out and
 * remembered), or -1. */
int64_t limg__image_size(limg_store *store, const limg_manifest *image);

#endif
