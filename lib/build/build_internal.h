/* SPDX-License-Identifier: MIT */
/* What the build layer's files share. */
#ifndef LIMG_BUILD_INTERNAL_H
#define LIMG_BUILD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "libimage/build.h"
#include "store/store_internal.h"
#include "tar/writer.h"

/* What a stored layer is, for a manifest and a config. */
typedef struct {
	char digest[80];
	char diff_id[80];
	int64_t size;      /* the blob's */
	int64_t tar_size;  /* the tar's */
	int compression;   /* a limg_compression */
} limg__layer_facts;

struct limg_layer {
	limg__layer_facts f;
	limg__lease *lease; /* keeps the blob from a gc while the layer lives */
};

/* A limg_layer for facts of a blob that is stored (and leased by @lease
 * already, or leased now when @lease is NULL). */
int limg__layer_make(limg_layer **out, limg_store *store, const limg__layer_facts *f);

/* The compression a limg_layer_compression names (LIMG_EINVALID for another value). */
int limg__layer_compression(int layer_compression);

/* Checks and fills the defaults of layer options (copied into @o). */
int limg__layer_opts(limg_layer_opts *o, const limg_layer_opts *given);

/* The mtime an entry gets under the options. */
int64_t limg__layer_mtime(const limg_layer_opts *o, int64_t own);

/* The media type of a layer of @compression in Docker's types (@docker) or OCI's; NULL when there is none (zstd in Docker's). */
const char *limg__layer_media_type(int compression, bool docker);

/* A stored blob's facts as a layer: compression from its first bytes,
 * diff_id and tar size from what the store knows, else by reading it
 * through (a tar, checked). The caller leased it. */
int limg__layer_facts_of_stored(limg_store *store, const char *digest, limg__layer_facts *f);

struct limg__emitter;

/* Hands a new layer's entries, in order, to the emitter (and a regular
 * file's bytes to @t after its entry); @prefix is the clean in-image
 * prefix ("" for none). */
typedef int (*limg__layer_source_fn)(struct limg__emitter *em, limg__tar_writer *t, const char *prefix,
                                     const limg_layer_opts *o, limg_store *store, const void *arg);

/* What every limg_layer_new_*() shares: options checked, the layer
 * written through @source into the store, the layer made. */
int limg__layer_build(limg_layer **out, limg_store *store, const limg_layer_opts *opts,
                      const limg_layer_callbacks *cb, limg__layer_source_fn source, const void *arg);

#endif
