/* SPDX-License-Identifier: MIT */
/**
 * @file push.h
 * @brief Pushing a stored image to a registry, as `docker push` does.
 *
 * Blobs go first, several at once, each hashed as it is read from the
 * store (a damaged blob is never sent): skipped when the registry has it
 * (HEAD), mounted from another repository of the same registry when the
 * store knows one that has it (recorded when it was pulled or pushed), or
 * uploaded; then child manifests by digest, then the tag. Manifests are
 * sent byte for byte, so digests stay what they are.
 */
#ifndef LIBIMAGE_PUSH_H
#define LIBIMAGE_PUSH_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "registry.h"
#include "sign.h"
#include "store.h"

LIMG_BEGIN_DECL

/** Options of limg_push(); zero means the default in every field. @since 1.0 */
typedef struct limg_push_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *source;     /**< the stored image to push (as limg_images_lookup() finds it);
	                             NULL: the image stored under the reference pushed to */
	const char *platform;   /**< of an index: push only this platform's image under the tag;
	                             NULL: the whole index when every platform is stored, else (a normal
	                             pull stores one) the image a listing shows for it, as Docker pushes it */
	int concurrency;        /**< blobs at once; 0: 4 */
	int no_mount;           /**< never mount from other repositories */
	int64_t chunk_size;     /**< 0: one PUT per blob; > 0: PATCH chunks this big */
	limg_session *session;  /**< registries' settings, connections and tokens; NULL: a session of
	                             the call's own with the defaults and the store's context */
	limg_cancel *cancel;    /**< stops the push from any thread; may be NULL */
	const limg_signer *sign_by; /**< signs what the tag names once it is pushed (skopeo's
	                             --sign-by-sigstore-private-key, cosign sign --key); NULL: no signature */
	int sign_format;        /**< a limg_signature_format */
	const char *sign_identity; /**< the docker-reference a simple-signing payload names; NULL: the
	                             reference pushed to, in its full form */
	int sign_recursive;     /**< of an index: sign each of its images too (what podman needs) */
	int referrers;          /**< nonzero: also push what the store keeps beside the image (its
	                             signatures, SBOMs: limg_pull_opts.referrers) */
} limg_push_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_PUSH_OPTS_INIT LIMG_SIZED_INIT(limg_push_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_push_opts_init(limg_push_opts *opts, size_t size);

/** Callbacks of limg_push(). @since 1.0 */
typedef struct limg_push_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< LIMG_EVENT_WAITING, EXISTS, MOUNTED, UPLOADING, PUSHED,
	                                MANIFEST_PUT; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_push_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_PUSH_CALLBACKS_INIT LIMG_SIZED_INIT(limg_push_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_push_callbacks_init(limg_push_callbacks *cb, size_t size);

/**
 * Pushes a stored image to @p reference ("registry.example.com/team/app:1",
 * read as docker reads it; no tag means "latest"; a digest pushes by
 * digest). An unchanged tag costs one HEAD per blob and one for the
 * manifest, and no blob bytes.
 *
 * @param out_digest receives the digest of what the tag names; may be NULL
 * @param store the store
 * @param reference where to push
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, reference errors, LIMG_ENOTFOUND (subject IMAGE: no such stored
 *         image; PLATFORM or BLOB: a part of it not stored), LIMG_EPLATFORM,
 *         LIMG_EAUTH (no push access), LIMG_EMANIFEST (the registry refused a
 *         manifest), LIMG_ECORRUPT (a stored blob is not what its digest says:
 *         nothing of it was committed), network errors, LIMG_ECANCELLED, or what
 *         the callback returned to stop; a failure to sign (or to push the
 *         referrers) comes after the image was pushed, and says so
 * @since 1.0
 */
LIMG_EXTERN(int) limg_push(limg_buf *out_digest, limg_store *store, const char *reference,
                           const limg_push_opts *opts, const limg_push_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_PUSH_H */
