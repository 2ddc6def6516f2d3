/*
 * libimage: the images of a store, as `docker images` and `docker rmi`
 * see them.
 *
 * A listing joins the tag index with each image's manifest and config:
 * repository, tag, image ID (the config digest), creation time and size
 * (uncompressed, as the classic `docker images` shows). Those facts are
 * cached in index.json, so listing thousands of tags reads one file; what is
 * missing (a store written by another tool) is worked out from the blobs
 * once and cached.
 */
#ifndef LIBIMAGE_IMAGES_H
#define LIBIMAGE_IMAGES_H

#include <stdint.h>

#include "common.h"
#include "manifest.h"
#include "store.h"

LIMG_BEGIN_DECL

/** One row of a listing: a tag, or an untagged image. @since 0.1 */
typedef struct limg_image_entry limg_image_entry;
/** Iterates over a listing. @since 0.1 */
typedef struct limg_image_iterator limg_image_iterator;

/** Options of limg_images_list(). @since 0.1 */
typedef struct limg_images_list_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	int untagged;         /**< 0: tags only; 1: untagged images only; 2: both */
	const char *platform; /**< which image of an index the facts describe; NULL: this machine's */
	const char *const *filters; /**< `docker images --filter` texts: dangling=BOOL, reference=PATTERN,
	                                 before=IMAGE, since=IMAGE, label=KEY[=VALUE], label!=KEY[=VALUE];
	                                 values of one key are alternatives, keys must all hold @since 0.2 */
	size_t filters_len;   /**< @since 0.2 */
} limg_images_list_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_IMAGES_LIST_OPTS_INIT { sizeof(limg_images_list_opts), 0, NULL, NULL, 0 }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_images_list_opts_init(limg_images_list_opts *opts, size_t size);

/**
 * Lists the images, newest first, then by reference, as the filters allow
 * (a dangling= filter also chooses tagged or untagged rows).
 * @return 0, LIMG_EINVALID (a filter Docker does not know), LIMG_ENOTFOUND (the
 *         image of a before= or since= filter), LIMG_ECORRUPT (index.json
 *         unreadable), LIMG_EOS, LIMG_ENOMEM.
 *         An image whose blobs are missing is listed with unknown ID, time and size.
 * @since 0.1
 */
LIMG_EXTERN(int) limg_images_list(limg_image_iterator **out, limg_store *store, const limg_images_list_opts *opts);

/**
 * The next row.
 * @param out receives it; borrowed until the iterator is freed
 * @return 0, or LIMG_ITEROVER at the end
 * @since 0.1
 */
LIMG_EXTERN(int) limg_image_iterator_next(const limg_image_entry **out, limg_image_iterator *it);

/** Frees an iterator; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_image_iterator_free(limg_image_iterator *it);

/** The canonical tag reference, or NULL for an untagged image. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_entry_reference(const limg_image_entry *e);
/** Repository in familiar form ("redis", "ghcr.io/o/r"), or NULL when unknown. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_entry_repository(const limg_image_entry *e);
/** The tag, or NULL for an untagged image. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_entry_tag(const limg_image_entry *e);
/** The manifest or index digest the entry points at. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_entry_digest(const limg_image_entry *e);
/** The image ID (config digest), or NULL when it cannot be known. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_entry_id(const limg_image_entry *e);
/** Creation time (seconds since the epoch), or -1. @since 0.1 */
LIMG_EXTERN(int64_t) limg_image_entry_created(const limg_image_entry *e);
/** Uncompressed size in bytes, or -1. @since 0.1 */
LIMG_EXTERN(int64_t) limg_image_entry_size(const limg_image_entry *e);

/** What limg_images_remove() reports. Values are ABI. @since 0.1 */
typedef enum limg_remove_event {
	LIMG_REMOVE_UNTAGGED = 1, /**< a tag was removed (what: familiar reference) */
	LIMG_REMOVE_DELETED = 2   /**< an image was deleted (what: its ID) */
} limg_remove_event;

/**
 * Receives one step of a removal.
 * @return 0 to go on; non-zero stops (what is done stays done)
 * @since 0.1
 */
typedef int (*limg_remove_cb)(int event, const char *what, void *payload);

/** Options of limg_images_remove(). @since 0.1 */
typedef struct limg_images_remove_opts {
	size_t size;       /**< sizeof the struct as the caller knows it */
	int force;         /**< remove an image ID with tags in several repositories */
	limg_remove_cb cb; /**< may be NULL */
	void *payload;     /**< passed to @ref cb */
} limg_images_remove_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_IMAGES_REMOVE_OPTS_INIT { sizeof(limg_images_remove_opts), 0, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_images_remove_opts_init(limg_images_remove_opts *opts, size_t size);

/**
 * Removes an image as `docker rmi` does: a reference untags it; an image ID
 * (or a unique prefix of one) untags all its tags. An image left without
 * tags is deleted, and the blobs no other image needs are collected.
 * @return 0, LIMG_ENOTFOUND (no such image), LIMG_ECONFLICT (an ID with tags in
 *         several repositories, without force; or an ambiguous ID prefix),
 *         LIMG_ECORRUPT, LIMG_EOS, or the callback's code
 * @since 0.1
 */
LIMG_EXTERN(int) limg_images_remove(limg_store *store, const char *image, const limg_images_remove_opts *opts);

/**
 * Finds an image as `docker tag` and `docker inspect` do: a reference that is
 * tagged, else an image ID or unique ID prefix.
 * @param out_digest receives the manifest or index digest; release with limg_buf_dispose()
 * @return 0, LIMG_ENOTFOUND, LIMG_ECONFLICT (ambiguous prefix), LIMG_ECORRUPT
 * @since 0.1
 */
LIMG_EXTERN(int) limg_images_lookup(limg_buf *out_digest, limg_store *store, const char *image);

/** One image of the store, as `docker inspect` sees it. @since 0.2 */
typedef struct limg_image_info limg_image_info;

/**
 * Finds an image as `docker inspect` does (a tagged reference, else an
 * image ID or unique ID prefix) and reads its platform manifest and config.
 * For an index: @p platform when given (it must be stored), else this
 * machine's platform when stored, else the first stored platform (what a
 * pull with --platform brought).
 *
 * @param out receives the image; free with limg_image_info_free()
 * @param platform "os/arch[/variant]", or NULL
 * @return 0, LIMG_ENOTFOUND (no such image, or none of its platforms is
 *         stored), LIMG_EPLATFORM (@p platform is not in the index),
 *         LIMG_ECONFLICT (ambiguous ID prefix), LIMG_ECORRUPT, LIMG_EMANIFEST
 * @since 0.2
 */
LIMG_EXTERN(int) limg_images_inspect(limg_image_info **out, limg_store *store, const char *image,
                                     const char *platform);

/** Frees an image; NULL is accepted. @since 0.2 */
LIMG_EXTERN(void) limg_image_info_free(limg_image_info *info);
/** The image ID: the config digest. Borrowed until freed. @since 0.2 */
LIMG_EXTERN(const char *) limg_image_info_id(const limg_image_info *info);
/** The digest the lookup found (an index or a manifest). @since 0.2 */
LIMG_EXTERN(const char *) limg_image_info_digest(const limg_image_info *info);
/** The digest of the platform's image manifest. @since 0.2 */
LIMG_EXTERN(const char *) limg_image_info_manifest_digest(const limg_image_info *info);
/** The platform's image manifest; borrowed until freed. @since 0.2 */
LIMG_EXTERN(const limg_manifest *) limg_image_info_manifest(const limg_image_info *info);
/** The parsed image config; borrowed until freed. @since 0.2 */
LIMG_EXTERN(const limg_image_config *) limg_image_info_config(const limg_image_info *info);
/**
 * The config's bytes as stored (verified against the image ID).
 * @param len receives the length; may be NULL
 * @since 0.2
 */
LIMG_EXTERN(const char *) limg_image_info_config_bytes(const limg_image_info *info, size_t *len);
/** Uncompressed size in bytes (the listing's SIZE), or -1 when unknown. @since 0.2 */
LIMG_EXTERN(int64_t) limg_image_info_size(const limg_image_info *info);

LIMG_END_DECL

#endif /* LIBIMAGE_IMAGES_H */
