/* SPDX-License-Identifier: MIT */
/**
 * @file tags.h
 * @brief The tag index: "repository:tag" to image.
 *
 * Tags live in the store's index.json as entries annotated with
 * org.opencontainers.image.ref.name = the full normalized reference
 * ("docker.io/library/redis:latest"), so other OCI tools see them. Many tags
 * may name one image. An image whose last tag moves away or is removed stays
 * in index.json without a name (Docker's "<none>" dangling image) until it
 * is removed. Every update is atomic and serialized by a lock, across
 * threads and processes. References are read as `docker tag` reads them
 * ("redis" is docker.io/library/redis:latest).
 */
#ifndef LIBIMAGE_TAGS_H
#define LIBIMAGE_TAGS_H

#include <stdint.h>

#include "common.h"
#include "store.h"

LIMG_BEGIN_DECL

/**
 * Points a tag at a manifest or index that is in the store, with
 * everything it reaches.
 *
 * @param store the store
 * @param reference "name[:tag]" as docker reads it (no tag: "latest")
 * @param digest the manifest or index
 * @return 0, reference errors, LIMG_EINVALID (a digest in the reference),
 *         LIMG_ENOTFOUND (subject BLOB: the manifest or something it reaches is
 *         not stored), LIMG_ECORRUPT (index.json or the manifest unreadable;
 *         nothing changed), LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tags_set(limg_store *store, const char *reference, const char *digest);

/**
 * The digest a tag points at.
 * @param out_digest receives "sha256:..."; release with limg_buf_dispose()
 * @param store the store
 * @param reference "name[:tag]" as docker reads it
 * @return 0, LIMG_ENOTFOUND (subject TAG: an expected answer), reference errors, LIMG_ECORRUPT
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tags_lookup(limg_buf *out_digest, limg_store *store, const char *reference);

/**
 * Removes a tag. The image stays (untagged) until removed or collected.
 * @return 0, LIMG_ENOTFOUND (subject TAG), reference errors, LIMG_ECORRUPT, LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tags_remove(limg_store *store, const char *reference);

/**
 * Drops an untagged image's entry from index.json so that limg_store_gc()
 * can collect its blobs. Tagged images are left alone.
 * @return 0, LIMG_ENOTFOUND (subject IMAGE: no untagged entry for @p digest),
 *         LIMG_ECONFLICT (the image still has tags), LIMG_ECORRUPT, LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tags_remove_untagged(limg_store *store, const char *digest);

/** One index.json entry: a tag, or an untagged image. @since 1.0 */
typedef struct limg_tag limg_tag;

/** The tag's full reference ("docker.io/library/redis:latest"), or NULL for an untagged image. @since 1.0 */
LIMG_EXTERN(const char *) limg_tag_reference(const limg_tag *tag);
/** The repository in familiar form ("redis"), also of an untagged image when known, else NULL (or memory ran out). @since 1.0 */
LIMG_EXTERN(const char *) limg_tag_repository(const limg_tag *tag);
/** The manifest or index digest. @since 1.0 */
LIMG_EXTERN(const char *) limg_tag_digest(const limg_tag *tag);
/** Media type of the manifest or index. @since 1.0 */
LIMG_EXTERN(const char *) limg_tag_media_type(const limg_tag *tag);
/** Size in bytes of the manifest or index. @since 1.0 */
LIMG_EXTERN(int64_t) limg_tag_size(const limg_tag *tag);
/** An annotation of the entry, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_tag_annotation(const limg_tag *tag, const char *key);

/** Which entries a listing shows. Values are ABI. @since 1.0 */
typedef enum limg_list_select {
	LIMG_LIST_TAGGED = 0,   /**< tags only */
	LIMG_LIST_UNTAGGED = 1, /**< untagged images only */
	LIMG_LIST_ALL = 2       /**< both */
} limg_list_select;

/** Options for limg_tag_iterator_new(); zero means the default. @since 1.0 */
typedef struct limg_tag_iterator_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *repository; /**< only this repository ("redis" or "docker.io/library/redis"); NULL: all */
	const char *digest;     /**< only entries for this digest; NULL: all */
	int select;             /**< a limg_list_select */
} limg_tag_iterator_opts;

/** Static initializer with the defaults (all tags). @since 1.0 */
#define LIMG_TAG_ITERATOR_OPTS_INIT LIMG_SIZED_INIT(limg_tag_iterator_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_tag_iterator_opts_init(limg_tag_iterator_opts *opts, size_t size);

/** Iterates over tags, sorted by reference (untagged images last, by digest). @since 1.0 */
typedef struct limg_tag_iterator limg_tag_iterator;

/**
 * Lists the tags as they are now (one consistent snapshot of index.json).
 * @param out receives the iterator; free with limg_tag_iterator_free()
 * @param store the store
 * @param opts options, or NULL
 * @return 0, reference errors for opts->repository, digest errors for
 *         opts->digest, LIMG_ECORRUPT, LIMG_ESYSTEM, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tag_iterator_new(limg_tag_iterator **out, limg_store *store, const limg_tag_iterator_opts *opts);

/**
 * The next entry.
 * @param out receives the entry; borrowed until the iterator is freed
 * @param it the iterator
 * @return 0, or LIMG_ITEROVER at the end
 * @since 1.0
 */
LIMG_EXTERN(int) limg_tag_iterator_next(const limg_tag **out, limg_tag_iterator *it);

/** Frees an iterator; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_tag_iterator_free(limg_tag_iterator *it);

LIMG_END_DECL

#endif /* LIBIMAGE_TAGS_H */
