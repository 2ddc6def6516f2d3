/* SPDX-License-Identifier: MIT */
/* The builder's inside, for the verbs built on it (flatten, rebase). */
#ifndef LIMG_BUILD_BUILDER_H
#define LIMG_BUILD_BUILDER_H

#include <stdbool.h>

#include "build_internal.h"
#include "core/json.h"

struct limg_builder {
	limg_store *store;
	limg_builder_opts o;
	limg__lease *lease;    /* the base's blobs and everything added */
	cJSON *config;         /* the image config being edited */
	cJSON *layers;         /* the manifest's layer descriptors */
	cJSON *annotations;    /* the manifest's annotations */
	char *created;         /* what new history entries say */
	bool docker;           /* Docker's media types */
	bool entered;          /* holds a reference on the store */
};

/* limg_builder_new() into a builder the caller zeroed (and frees with limg_builder_free()). */
int limg__builder_start(limg_builder *b, limg_store *store, const char *base, const limg_builder_opts *o);

/* Appends a layer: @from (a descriptor to copy, with its annotations and
 * URLs) or one made from @f; its diff_id; and with @history an entry. */
int limg__builder_add_layer(limg_builder *b, const limg__layer_facts *f, const cJSON *from, const char *created_by,
                            const char *comment, bool history);

/* Stores config and manifest: the manifest's @digest and *@size. */
int limg__builder_write(limg_builder *b, char digest[80], int64_t *size);

/* A manifest document. */
cJSON *limg__manifest_doc(bool docker, const char *config_digest, int64_t config_size, const cJSON *layers,
                          const cJSON *annotations);

#endif
