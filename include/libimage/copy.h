/*
 * libimage: copying an image from one registry (or repository) to another
 * without a store, as `crane copy` does.
 *
 * Manifests are fetched with their digests checked and put back byte for
 * byte (digests stay what they are); every blob is skipped when the
 * destination has it, mounted when both are repositories of one registry,
 * else streamed from the source to the destination through a small
 * buffer, its digest checked on the way (and by the destination).
 */
#ifndef LIBIMAGE_COPY_H
#define LIBIMAGE_COPY_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "context.h"
#include "push.h"
#include "registry.h"

LIMG_BEGIN_DECL

/** Options of limg_copy(). @since 0.2 */
typedef struct limg_copy_opts {
	size_t size;                            /**< sizeof the struct as the caller knows it */
	const char *platform;                   /**< of an index: copy only this platform's image, under the
	                                             destination tag; NULL: the whole index (crane's default) */
	int concurrency;                        /**< blobs at once (default 4) */
	int mount;                              /**< mount within one registry (default 1) */
	int64_t chunk_size;                     /**< 0: one PUT per blob (default); > 0: PATCH chunks */
	const limg_registry_opts *source_registry;      /**< NULL: defaults */
	const limg_registry_opts *destination_registry; /**< NULL: defaults (a mirror is ignored) */
	limg_cancel *cancel;                    /**< stops the copy from any thread; may be NULL */
	limg_context *ctx;                      /**< logging and user agent; may be NULL */
	limg_push_progress_cb progress;         /**< the events of limg_push(); may be NULL */
	void *payload;                          /**< passed to @ref progress */
} limg_copy_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_COPY_OPTS_INIT { sizeof(limg_copy_opts), NULL, 4, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_copy_opts_init(limg_copy_opts *opts, size_t size);

/**
 * Copies @p source to @p destination (references as docker normalizes them;
 * no tag means "latest"; a digest destination must be the source's digest).
 * @param out_digest receives the digest copied (of the index, or of the
 *        platform's image); may be NULL
 * @return 0, reference errors, LIMG_ENOTFOUND, LIMG_EPLATFORM, LIMG_EAUTH,
 *         LIMG_EMANIFEST, LIMG_EDIGEST_MISMATCH (a blob or manifest of the source
 *         is not what its digest says), LIMG_EUNSUPPORTED, network errors,
 *         LIMG_ECANCELLED, or the callback's non-zero value
 * @since 0.2
 */
LIMG_EXTERN(int) limg_copy(const char *source, const char *destination, const limg_copy_opts *opts,
                           limg_buf *out_digest);

LIMG_END_DECL

#endif /* LIBIMAGE_COPY_H */
