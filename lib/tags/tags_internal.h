/* SPDX-License-Identifier: MIT */
/* Tag-index helpers shared by the tags files and the images layer. */
#ifndef LIMG_TAGS_INTERNAL_H
#define LIMG_TAGS_INTERNAL_H

#include "libimage/tags.h"
#include "store/store_internal.h"

#define LIMG_REF_NAME_KEY "org.opencontainers.image.ref.name"
/* Annotations under this prefix are libimage's listing cache: they follow an
 * image when its tags move, and are rebuilt from the blobs when missing. */
#define LIMG_CACHE_PREFIX "io.libimage."

/* limg_tag_repository() for the library's own decisions: *@out is NULL
 * when the entry names no repository; LIMG_ENOMEM when it could not be
 * worked out (the public accessor cannot say so: it returns NULL). */
int limg__tag_repository(const char **out, const limg_tag *t);

/* The entry's tag (its ref.name annotation), or NULL. */
const char *limg__entry_ref(const limg__index_entry *entry);

/* Annotations for the entries of one digest. */
typedef struct {
	const char *digest;
	const char *keys[4];
	const char *values[4];
	size_t n;
} limg__annotations;

/* Sets each set's annotations on every index.json entry of its digest: one
 * edit under the index lock, however many images. */
int limg__tags_annotate(limg_store *store, const limg__annotations *sets, size_t n);

/* limg_tags_set, also setting @n annotations on the entry: one write of index.json. */
int limg__tags_set_annotated(limg_store *store, const char *reference, const char *digest, const char *const *keys,
                             const char *const *values, size_t n);

/* An image pulled by digest: kept as an untagged entry that remembers its
 * repository (annotation io.libimage.repository; NULL: an image no name
 * came with, as a loaded archive's), unless already listed. */
int limg__tags_keep_untagged(limg_store *store, const char *digest, const char *repository);

/* `docker rmi REPO@DIGEST`: the untagged entries of @digest that remember
 * @repository (canonical) go; *@removed (may be NULL) says how many. */
int limg__tags_forget_repository(limg_store *store, const char *digest, const char *repository, int *removed);

/* One tag of limg__tags_set_many(), or with no reference an image kept
 * untagged (as limg__tags_keep_untagged); the annotations (the listing
 * facts) go on its entry. */
typedef struct {
	const char *reference; /* as `docker tag` reads it, or NULL */
	const char *digest;
	const char *repository; /* of an untagged image, or NULL */
	const char *keys[4], *values[4];
	size_t n;
	/* set by limg__tags_set_many: the image the tag pointed at before when
	 * that was another image (its io.libimage.image.id, else its manifest
	 * digest), else "" */
	char previous[160];
} limg__tag_set;

/* Sets @n tags in one change of index.json (a load of an archive with
 * 10,000 names writes it once): all of them, or on failure none. */
int limg__tags_set_many(limg_store *store, limg__tag_set *sets, size_t n);

#define LIMG_REPOSITORY_KEY "io.libimage.repository"
#define LIMG_CACHE_ID_KEY "io.libimage.image.id"
#define LIMG_CACHE_CREATED_KEY "io.libimage.image.created"
#define LIMG_CACHE_SIZE_KEY "io.libimage.image.size"
#define LIMG_CACHE_STATE_KEY "io.libimage.image.state"

#endif
