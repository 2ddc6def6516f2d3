/* SPDX-License-Identifier: MIT */
/**
 * @file images.h
 * @brief The images of a store, as `docker images`, `docker image inspect`,
 *        `docker tag` and `docker rmi` see them.
 *
 * An image is named as Docker names it: a reference that is tagged
 * ("redis", "redis:7", "ghcr.io/o/r@sha256:..."), or an image ID (the
 * config digest) or a unique prefix of one. A listing joins the tag index
 * with each image's manifest and config: repository, tag, image ID,
 * creation time and size (uncompressed, as the classic `docker images`
 * shows). Those facts are cached in index.json, so listing thousands of
 * tags reads one file; what is missing (a store written by another tool)
 * is worked out from the blobs once and cached.
 */
#ifndef LIBIMAGE_IMAGES_H
#define LIBIMAGE_IMAGES_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "manifest.h"
#include "store.h"
#include "tags.h"

LIMG_BEGIN_DECL

/* ---- docker images ------------------------------------------------------ */

/** One row of a listing: a tag, or an untagged image. @since 1.0 */
typedef struct limg_images_row limg_images_row;
/** Iterates over a listing. @since 1.0 */
typedef struct limg_images_iterator limg_images_iterator;

/** Options of limg_images_iterator_new(); zero means the default. @since 1.0 */
typedef struct limg_images_iterator_opts {
	size_t size;                /**< sizeof the struct as the caller knows it */
	int select;                 /**< a limg_list_select: tags (and, as Docker lists them, images pulled
	                                 by digest that no tag of their repository names: repository, no
	                                 tag), untagged images, or both */
	const char *platform;       /**< which image of an index the facts describe (none when that platform
	                                 is not stored); NULL: this machine's when stored, else the first
	                                 stored, as limg_image_lookup() chooses */
	const char *const *filters; /**< `docker images --filter` texts: dangling=BOOL, reference=PATTERN,
	                                 before=IMAGE, since=IMAGE, label=KEY[=VALUE], label!=KEY[=VALUE]
	                                 (dangling: neither a tag nor a repository, as podman);
	                                 values of one key are alternatives, keys must all hold */
	size_t filters_len;         /**< number of @ref filters */
	limg_cancel *cancel;        /**< stops the listing (which may read blobs to learn an image's facts)
	                                 from any thread; may be NULL */
} limg_images_iterator_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_IMAGES_ITERATOR_OPTS_INIT LIMG_SIZED_INIT(limg_images_iterator_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_images_iterator_opts_init(limg_images_iterator_opts *opts, size_t size);

/**
 * Lists the images, newest first, then by reference, as the filters allow
 * (a dangling= filter also chooses tagged or untagged rows).
 * @param out receives the iterator; free with limg_images_iterator_free()
 * @param store the store
 * @param opts options, or NULL
 * @return 0, LIMG_EINVALID (a filter Docker does not know), LIMG_ENOTFOUND
 *         (subject IMAGE: the image of a before= or since= filter), LIMG_ECORRUPT
 *         (index.json unreadable), LIMG_ESYSTEM, LIMG_ENOMEM, LIMG_ECANCELLED.
 *         An image whose blobs are missing is listed with unknown ID, time and size.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_iterator_new(limg_images_iterator **out, limg_store *store,
                                          const limg_images_iterator_opts *opts);

/**
 * The next row.
 * @param out receives it; borrowed until the iterator is freed
 * @param it the iterator
 * @return 0, or LIMG_ITEROVER at the end
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_iterator_next(const limg_images_row **out, limg_images_iterator *it);

/** Frees an iterator; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_images_iterator_free(limg_images_iterator *it);

/** The canonical tag reference, or NULL for an untagged image. @since 1.0 */
LIMG_EXTERN(const char *) limg_images_row_reference(const limg_images_row *row);
/** Repository in familiar form ("redis", "ghcr.io/o/r"), or NULL when unknown. @since 1.0 */
LIMG_EXTERN(const char *) limg_images_row_repository(const limg_images_row *row);
/** The tag, or NULL for an untagged image. @since 1.0 */
LIMG_EXTERN(const char *) limg_images_row_tag(const limg_images_row *row);
/** The manifest or index digest the row points at. @since 1.0 */
LIMG_EXTERN(const char *) limg_images_row_digest(const limg_images_row *row);
/** The image ID (config digest), or NULL when it cannot be known. @since 1.0 */
LIMG_EXTERN(const char *) limg_images_row_id(const limg_images_row *row);
/** Creation time (seconds since the epoch), or -1. @since 1.0 */
LIMG_EXTERN(int64_t) limg_images_row_created(const limg_images_row *row);
/** Uncompressed size in bytes, or -1. @since 1.0 */
LIMG_EXTERN(int64_t) limg_images_row_size(const limg_images_row *row);

/** Whether the store holds an image whole. Values are ABI. @since 1.0 */
typedef enum limg_image_state {
	LIMG_IMAGE_COMPLETE = 0,   /**< its config and every layer are stored, at the sizes its manifest gives */
	LIMG_IMAGE_INCOMPLETE = 1, /**< layers are not stored on purpose: foreign ones (a pull with
	                                LIMG_FOREIGN_SKIP), or ones discarded once unpacked (limg_pull_unpack()
	                                with LIMG_LAYER_BLOBS_DISCARD): it cannot be unpacked or saved until a
	                                pull fetches them */
	LIMG_IMAGE_DAMAGED = 2,    /**< a blob it needs is missing, or not the size its descriptor gives
	                                (limg_store_fsck() names it) */
	LIMG_IMAGE_UNKNOWN = 3     /**< nothing is known: of an index, the platform asked for is not stored */
} limg_image_state;

/**
 * Whether the row's image is whole: a listing never shows an incomplete or
 * damaged image as if it were.
 * @return a limg_image_state (LIMG_IMAGE_UNKNOWN for NULL)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_row_state(const limg_images_row *row);

/* ---- docker image inspect --------------------------------------------- */

/** One image of the store, as `docker image inspect` sees it. @since 1.0 */
typedef struct limg_image limg_image;

/** Options of limg_image_lookup(); zero means the default. @since 1.0 */
typedef struct limg_image_lookup_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	const char *platform; /**< of an index: "os/arch[/variant]" (it must be stored); NULL: this
	                           machine's when stored, else the first stored platform */
	limg_cancel *cancel;  /**< stops the lookup (an image ID prefix reads every image's facts)
	                           from any thread; may be NULL */
} limg_image_lookup_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_IMAGE_LOOKUP_OPTS_INIT LIMG_SIZED_INIT(limg_image_lookup_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_image_lookup_opts_init(limg_image_lookup_opts *opts, size_t size);

/**
 * Finds an image as `docker image inspect` does and reads its platform
 * manifest and config.
 *
 * @param out receives the image; free with limg_image_free()
 * @param store the store
 * @param image a tagged reference, a reference by digest, an image ID or a unique ID prefix
 * @param opts options, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE: no such image; subject PLATFORM: none of
 *         its platforms is stored, or not opts->platform), LIMG_EPLATFORM
 *         (opts->platform is not in the index), LIMG_ECONFLICT (ambiguous ID
 *         prefix), LIMG_ECORRUPT, LIMG_EMANIFEST
 * @since 1.0
 */
LIMG_EXTERN(int) limg_image_lookup(limg_image **out, limg_store *store, const char *image,
                                   const limg_image_lookup_opts *opts);

/** Frees an image; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_image_free(limg_image *image);
/** The image ID: the config digest. @since 1.0 */
LIMG_EXTERN(const char *) limg_image_id(const limg_image *image);
/** The digest the lookup found (an index or a manifest). @since 1.0 */
LIMG_EXTERN(const char *) limg_image_digest(const limg_image *image);
/** The digest of the platform's image manifest. @since 1.0 */
LIMG_EXTERN(const char *) limg_image_manifest_digest(const limg_image *image);
/** The platform's image manifest. @since 1.0 */
LIMG_EXTERN(const limg_manifest *) limg_image_manifest(const limg_image *image);
/** The parsed image config. @since 1.0 */
LIMG_EXTERN(const limg_config *) limg_image_config(const limg_image *image);
/** The config's bytes as stored (verified against the image ID). @since 1.0 */
LIMG_EXTERN(const void *) limg_image_config_bytes(const limg_image *image);
/** The number of bytes of limg_image_config_bytes(). @since 1.0 */
LIMG_EXTERN(size_t) limg_image_config_size(const limg_image *image);
/** Uncompressed size in bytes (the listing's SIZE), or -1 when unknown. @since 1.0 */
LIMG_EXTERN(int64_t) limg_image_size(const limg_image *image);
/**
 * Uncompressed size of layer @p i of the image's manifest (the SIZE `docker
 * history` shows for the step that made it).
 * @return bytes, or -1 when unknown (a layer not stored) or past the end
 * @since 1.0
 */
LIMG_EXTERN(int64_t) limg_image_layer_size(const limg_image *image, size_t i);
/** Number of tags of the image (RepoTags). @since 1.0 */
LIMG_EXTERN(size_t) limg_image_tag_count(const limg_image *image);
/** Tag @p i in familiar form ("redis:latest"), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_image_tag(const limg_image *image, size_t i);
/** Number of repository digests of the image (RepoDigests). @since 1.0 */
LIMG_EXTERN(size_t) limg_image_repo_digest_count(const limg_image *image);
/** Repository digest @p i ("redis@sha256:..."), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_image_repo_digest(const limg_image *image, size_t i);

/**
 * Whether the store holds the image whole, as unpack and save need it (what
 * limg_images_row_state() tells a listing): its config and every layer
 * stored, at the sizes its manifest gives. For inspecting programs that must
 * not show an incomplete or damaged image as if it were whole.
 * @param store the store the image was looked up in
 * @param image the image
 * @return 0; LIMG_ENOTFOUND (subject BLOB: a layer or the config is not
 *         stored; the message says whether the image is incomplete or
 *         damaged) or LIMG_ECORRUPT (subject BLOB: a blob is not the size its
 *         descriptor gives), with the message unpack and save give;
 *         LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_image_check_whole(limg_store *store, const limg_image *image);

/**
 * Finds an image as `docker tag` does (a tagged reference, a reference by
 * digest, else an image ID or unique ID prefix).
 * @param out_digest receives the manifest or index digest; release with limg_buf_dispose()
 * @param store the store
 * @param image the name
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECONFLICT (ambiguous prefix), LIMG_ECORRUPT
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_lookup(limg_buf *out_digest, limg_store *store, const char *image);

/**
 * Tags an image as `docker tag SOURCE TARGET` does.
 * @param store the store
 * @param source the image (as limg_images_lookup() finds it)
 * @param target "name[:tag]" as docker reads it
 * @return 0, LIMG_ENOTFOUND (subject IMAGE: no source, or it went away meanwhile),
 *         LIMG_ECONFLICT, reference errors, LIMG_ECORRUPT, LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_tag(limg_store *store, const char *source, const char *target);

/* ---- docker rmi --------------------------------------------------------- */

/** What limg_images_remove() reports. Values are ABI. @since 1.0 */
typedef enum limg_remove_event {
	LIMG_REMOVE_UNTAGGED = 1, /**< a tag was removed (what: familiar reference) */
	LIMG_REMOVE_DELETED = 2   /**< an image was deleted (what: its ID) */
} limg_remove_event;

/**
 * Receives one step of a removal.
 * @param event a limg_remove_event
 * @param what the reference or ID
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops (what is done stays done)
 * @since 1.0
 */
typedef int (*limg_images_remove_cb)(int event, const char *what, void *payload);

/** Options of limg_images_remove(); zero means the default. @since 1.0 */
typedef struct limg_images_remove_opts {
	size_t size;         /**< sizeof the struct as the caller knows it */
	int force;           /**< remove an image ID with tags in several repositories */
	limg_cancel *cancel; /**< stops the removal from any thread (what is done stays done: the
	                          blob collection after it is the part that takes long); may be NULL */
} limg_images_remove_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_IMAGES_REMOVE_OPTS_INIT LIMG_SIZED_INIT(limg_images_remove_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_images_remove_opts_init(limg_images_remove_opts *opts, size_t size);

/** Callbacks of limg_images_remove(). @since 1.0 */
typedef struct limg_images_remove_callbacks {
	size_t size;                   /**< sizeof the struct as the caller knows it */
	limg_images_remove_cb removed; /**< may be NULL */
	void *payload;                 /**< passed last to every callback */
} limg_images_remove_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_IMAGES_REMOVE_CALLBACKS_INIT LIMG_SIZED_INIT(limg_images_remove_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_images_remove_callbacks_init(limg_images_remove_callbacks *cb, size_t size);

/**
 * Removes an image as `docker rmi` does: a reference untags it; an image ID
 * (or a unique prefix of one) untags all its tags. An image left without
 * tags is deleted, and the blobs no other image needs are collected.
 * @param store the store
 * @param image the name
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECONFLICT (an ID with tags in
 *         several repositories, without force; or an ambiguous ID prefix),
 *         LIMG_ECORRUPT, LIMG_ESYSTEM, LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_images_remove(limg_store *store, const char *image, const limg_images_remove_opts *opts,
                                    const limg_images_remove_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_IMAGES_H */
