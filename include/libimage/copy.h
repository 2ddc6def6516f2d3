/* SPDX-License-Identifier: MIT */
/**
 * @file copy.h
 * @brief Copying an image from one registry (or repository) to another
 *        without a store, as `crane copy` does.
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
#include "registry.h"
#include "sign.h"

LIMG_BEGIN_DECL

/** Options of limg_copy(); zero means the default in every field. @since 1.0 */
typedef struct limg_copy_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	const char *platform; /**< of an index: copy only this platform's image, under the
	                           destination tag; NULL: the whole index (crane's default) */
	int concurrency;      /**< blobs at once; 0: 4 */
	int no_mount;         /**< never mount within one registry */
	int64_t chunk_size;   /**< 0: one PUT per blob; > 0: PATCH chunks */
	limg_cancel *cancel;  /**< stops the copy from any thread; may be NULL */
	const limg_policy *policy; /**< a signature policy the source must satisfy, checked before any
	                           blob is copied (for an index: the index's signatures, or with a
	                           platform the image's or its index's); NULL: none */
	int index_signatures; /**< with a policy and a platform: a limg_index_signatures */
	const limg_signer *sign_by; /**< signs what the destination tag names once it is copied; NULL: none */
	int sign_format;      /**< a limg_signature_format */
	const char *sign_identity; /**< the docker-reference a simple-signing payload names; NULL: the
	                           destination, in its full form */
	int sign_recursive;   /**< of an index: sign each of its images too */
	int referrers;        /**< nonzero: also copy what refers to each manifest copied (cosign .sig
	                           signatures, OCI referrers and theirs), keeping the destination's
	                           referrers tag where it has no referrers API */
} limg_copy_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_COPY_OPTS_INIT LIMG_SIZED_INIT(limg_copy_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_copy_opts_init(limg_copy_opts *opts, size_t size);

/** Callbacks of limg_copy(). @since 1.0 */
typedef struct limg_copy_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< the events of limg_push(); may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_copy_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_COPY_CALLBACKS_INIT LIMG_SIZED_INIT(limg_copy_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_copy_callbacks_init(limg_copy_callbacks *cb, size_t size);

/**
 * Copies @p source to @p destination (references as docker reads them; no
 * tag means "latest"; a digest destination must be the source's digest).
 *
 * @param out_digest receives the digest copied (of the index, or of the
 *        platform's image); may be NULL
 * @param session the registries: settings per registry (limg_session_set_registry_opts()),
 *        connections and tokens; NULL: a session of the call's own with the defaults
 * @param source the image to copy
 * @param destination where to
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, reference errors, LIMG_ENOTFOUND, LIMG_EPLATFORM, LIMG_EAUTH,
 *         LIMG_EMANIFEST, LIMG_EDIGEST_MISMATCH (a blob or manifest of the source
 *         is not what its digest says), LIMG_EUNSUPPORTED, LIMG_EREJECTED (the
 *         policy refused the source: nothing was copied), network errors,
 *         LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_copy(limg_buf *out_digest, limg_session *session, const char *source,
                           const char *destination, const limg_copy_opts *opts, const limg_copy_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_COPY_H */
