/*
 * libimage: images as tar archives, for air gaps and `docker load`.
 *
 * limg_save() writes what Docker 25+ `docker save` writes: an OCI image
 * layout (oci-layout, index.json, blobs/sha256/...) plus Docker's
 * manifest.json and repositories, so that docker load, podman load and
 * skopeo's docker-archive: and oci-archive: all read it. Blobs go in as
 * they are stored, so image IDs and manifest digests stay the same.
 *
 * limg_load() reads such archives, the legacy `docker save` format
 * (<id>/layer.tar, <id>.json), skopeo's and podman's docker-archive and
 * oci-archive tars, and archives with several images. An archive is
 * untrusted: every blob is checked against its digest, every layer
 * against its image's diff_id, before any tag is set.
 */
#ifndef LIBIMAGE_ARCHIVE_H
#define LIBIMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "context.h"
#include "store.h"

LIMG_BEGIN_DECL

/** Options of limg_save(). @since 0.2 */
typedef struct limg_save_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *platform;   /**< of an index: the image saved, as limg_images_inspect() chooses; NULL: that default */
	limg_cancel *cancel;    /**< may be NULL */
	limg_context *ctx;      /**< may be NULL */
} limg_save_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_SAVE_OPTS_INIT { sizeof(limg_save_opts), NULL, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_save_opts_init(limg_save_opts *opts, size_t size);

/**
 * Writes the images (references or image IDs, as docker save takes them)
 * as one tar archive to @p fd (a file or a pipe). Each stored blob is
 * checked against its digest as it is written; a damaged one fails the
 * save (the caller then discards what was written).
 * @return 0, LIMG_ENOTFOUND, LIMG_ECONFLICT, LIMG_ECORRUPT, LIMG_EDIGEST_MISMATCH,
 *         LIMG_EOS (writing), LIMG_ENOSPACE, LIMG_ECANCELLED
 * @since 0.2
 */
LIMG_EXTERN(int) limg_save(limg_store *store, const char *const *images, size_t count, int fd,
                           const limg_save_opts *opts);

/**
 * Told of each image an archive loaded, once its tags are set.
 * @param reference the tag set, in Docker's short form ("busybox:latest"), or
 *        NULL for an image the archive does not name
 * @param image_id the image ID ("sha256:...")
 * @return 0 to go on; non-zero stops the load, and is returned
 * @since 0.2
 */
typedef int (*limg_loaded_cb)(const char *reference, const char *image_id, void *payload);

/** Options of limg_load(). @since 0.2 */
typedef struct limg_load_opts {
	size_t size;              /**< sizeof the struct as the caller knows it */
	limg_loaded_cb loaded;    /**< may be NULL */
	void *payload;            /**< passed to @ref loaded */
	int64_t max_blob_size;    /**< larger entries are refused; 0: LIMG_BLOB_SIZE_MAX_DEFAULT of registry.h */
	limg_cancel *cancel;      /**< may be NULL */
	limg_context *ctx;        /**< may be NULL */
} limg_load_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_LOAD_OPTS_INIT { sizeof(limg_load_opts), NULL, NULL, 0, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_load_opts_init(limg_load_opts *opts, size_t size);

/**
 * Reads an archive from @p fd (a file or a pipe; plain tar, or gzip or
 * zstd compressed) into the store and tags its images.
 * @return 0, LIMG_ECORRUPT (not a tar, a file the manifests name that is not
 *         there, names that leave the archive), LIMG_EMANIFEST, LIMG_EDIGEST_MISMATCH
 *         (a blob or a layer's diff_id), LIMG_ETOOBIG, LIMG_EUNSUPPORTED, LIMG_EOS,
 *         LIMG_ENOSPACE, LIMG_ECANCELLED, or the callback's value. On failure no
 *         tag is set or changed; loaded blobs stay until gc.
 * @since 0.2
 */
LIMG_EXTERN(int) limg_load(limg_store *store, int fd, const limg_load_opts *opts);

LIMG_END_DECL

#endif /* LIBIMAGE_ARCHIVE_H */
