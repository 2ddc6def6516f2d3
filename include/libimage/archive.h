/* SPDX-License-Identifier: MIT */
/**
 * @file archive.h
 * @brief Images as tar archives, for air gaps and `docker load`.
 *
 * limg_archive_save() writes what Docker 25+ `docker save` writes: an OCI
 * image layout (oci-layout, index.json, blobs/sha256/...) plus Docker's
 * manifest.json and repositories, so that docker load, podman load and
 * skopeo's docker-archive: and oci-archive: all read it. Blobs go in as
 * they are stored, so image IDs and manifest digests stay the same.
 *
 * limg_archive_load() reads such archives, the `docker save` format of
 * Docker 1.10 to 24 (`<id>/layer.tar`, `<id>.json`, manifest.json),
 * skopeo's and podman's docker-archive and oci-archive tars, and archives
 * with several images; the format before Docker 1.10 (no manifest.json) is
 * refused with LIMG_EUNSUPPORTED. An archive is
 * untrusted: every blob is checked against its digest, every layer
 * against its image's diff_id, before any tag is set.
 *
 * Both take a file descriptor (a file, a pipe, a socket), or -1 and a
 * stream callback (limg_write_cb to save, limg_read_cb to load).
 */
#ifndef LIBIMAGE_ARCHIVE_H
#define LIBIMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "cancel.h"
#include "common.h"
#include "store.h"

LIMG_BEGIN_DECL

/** Options of limg_archive_save(); zero means the default. @since 1.0 */
typedef struct limg_archive_save_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	const char *platform; /**< of an index: the image saved, as limg_image_lookup() chooses; NULL: that default */
	limg_cancel *cancel;  /**< stops the save from any thread (also while a pipe is full); may be NULL */
} limg_archive_save_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_ARCHIVE_SAVE_OPTS_INIT LIMG_SIZED_INIT(limg_archive_save_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_archive_save_opts_init(limg_archive_save_opts *opts, size_t size);

/** Callbacks of limg_archive_save(). @since 1.0 */
typedef struct limg_archive_save_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_write_cb write;       /**< receives the archive when the fd is -1 */
	limg_progress_cb progress; /**< LIMG_EVENT_WRITING per blob; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_archive_save_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_ARCHIVE_SAVE_CALLBACKS_INIT LIMG_SIZED_INIT(limg_archive_save_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_archive_save_callbacks_init(limg_archive_save_callbacks *cb, size_t size);

/**
 * Writes the images (references or image IDs, as docker save takes them)
 * as one tar archive. An image the store holds in part (a foreign layer not
 * pulled) or damaged is refused before anything is written, naming the
 * layer; an artifact (a signature, an SBOM) too. Each stored blob is checked against its digest before
 * its bytes go out; a damaged one fails the save (the caller then discards
 * what was written).
 * @param store the store
 * @param images the images
 * @param count how many
 * @param fd where to write (a file or a pipe), or -1 for cb->write
 * @param opts options, or NULL
 * @param cb callbacks (write when @p fd is -1), or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECONFLICT, LIMG_ECORRUPT,
 *         LIMG_ESYSTEM (writing), LIMG_ENOSPACE, LIMG_ECANCELLED, or what a
 *         callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_archive_save(limg_store *store, const char *const *images, size_t count, int fd,
                                   const limg_archive_save_opts *opts, const limg_archive_save_callbacks *cb);

/**
 * Told of each image an archive loaded, once its tags are set.
 * @param reference the tag set, in Docker's short form ("busybox:latest"), or
 *        NULL for an image the archive does not name
 * @param image_id the image ID ("sha256:...")
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops the load (errors.h)
 * @since 1.0
 */
typedef int (*limg_archive_loaded_cb)(const char *reference, const char *image_id, void *payload);

/** Options of limg_archive_load(); zero means the default. @since 1.0 */
typedef struct limg_archive_load_opts {
	size_t size;           /**< sizeof the struct as the caller knows it */
	int64_t max_blob_size; /**< larger members are refused; 0: LIMG_BLOB_SIZE_MAX_DEFAULT */
	limg_cancel *cancel;   /**< stops the load from any thread (also while a pipe is empty); may be NULL */
	const char *platform;  /**< of an image index in the archive: the platform that must be whole (the image
	                            limg_archive_loaded_cb names); NULL: this machine's when the archive holds
	                            it whole, else the first whole one. Platforms held in part (`skopeo copy
	                            --all` leaves foreign layers out) are kept as they are, as podman does. */
} limg_archive_load_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_ARCHIVE_LOAD_OPTS_INIT LIMG_SIZED_INIT(limg_archive_load_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_archive_load_opts_init(limg_archive_load_opts *opts, size_t size);

/** Callbacks of limg_archive_load(). @since 1.0 */
typedef struct limg_archive_load_callbacks {
	size_t size;                   /**< sizeof the struct as the caller knows it */
	limg_read_cb read;             /**< gives the archive when the fd is -1 */
	limg_archive_loaded_cb loaded; /**< may be NULL */
	limg_progress_cb progress;     /**< LIMG_EVENT_READING; may be NULL */
	limg_archive_loaded_cb retagged; /**< told that a tag the archive sets pointed at another image until
	                                     now, before @c loaded for it, with that image's ID (Docker's "The
	                                     image ... already exists, renaming the old one with ID ... to
	                                     empty string"): to say so without listing the store; may be NULL */
	void *payload;                 /**< passed last to every callback */
} limg_archive_load_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_ARCHIVE_LOAD_CALLBACKS_INIT LIMG_SIZED_INIT(limg_archive_load_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_archive_load_callbacks_init(limg_archive_load_callbacks *cb, size_t size);

/**
 * Reads an archive (plain tar, or gzip or zstd compressed) into the store
 * and tags its images.
 * @param store the store
 * @param fd where to read (a file or a pipe), or -1 for cb->read
 * @param opts options, or NULL
 * @param cb callbacks (read when @p fd is -1), or NULL
 * @return 0, LIMG_ECORRUPT (not a tar, a file the manifests name that is not
 *         there, names that leave the archive), LIMG_EMANIFEST, LIMG_EDIGEST_MISMATCH
 *         (a blob or a layer's diff_id), LIMG_ETOOBIG, LIMG_EUNSUPPORTED, LIMG_ESYSTEM,
 *         LIMG_ENOSPACE, LIMG_ECANCELLED, or what a callback returned to stop. On
 *         failure no tag is set or changed.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_archive_load(limg_store *store, int fd, const limg_archive_load_opts *opts,
                                   const limg_archive_load_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_ARCHIVE_H */
