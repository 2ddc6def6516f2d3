/*
 * libimage: pushing a stored image to a registry, as `docker push` does.
 *
 * Blobs go first, several at once: each is skipped when the registry has it
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
#include "context.h"
#include "registry.h"
#include "store.h"

LIMG_BEGIN_DECL

/** What a push progress callback reports. Values are ABI. @since 0.2 */
typedef enum limg_push_event {
	LIMG_PUSH_WAITING = 1,   /**< queued ("Preparing", "Waiting") */
	LIMG_PUSH_EXISTS = 2,    /**< the registry has it ("Layer already exists") */
	LIMG_PUSH_MOUNTED = 3,   /**< mounted: @p from names the repository ("Mounted from REPO") */
	LIMG_PUSH_UPLOADING = 4, /**< bytes going: done of total ("Pushing") */
	LIMG_PUSH_PUSHED = 5,    /**< uploaded ("Pushed") */
	LIMG_PUSH_MANIFEST = 6   /**< a manifest put: total its size, @p from the tag (or NULL: by digest) */
} limg_push_event;

/**
 * Reports progress. Calls never overlap (they may come from different threads).
 * @param digest the blob or manifest
 * @param kind a limg_pull_blob_kind (LIMG_PULL_LAYER, LIMG_PULL_CONFIG, LIMG_PULL_MANIFEST)
 * @param event a limg_push_event
 * @param from the mount source (LIMG_PUSH_MOUNTED) or the tag (LIMG_PUSH_MANIFEST); else NULL
 * @return 0 to go on; non-zero stops the push, and is returned
 * @since 0.2
 */
typedef int (*limg_push_progress_cb)(const char *digest, int kind, int event, int64_t done, int64_t total,
                                     const char *from, void *payload);

/** Options of limg_push(). @since 0.2 */
typedef struct limg_push_opts {
	size_t size;                        /**< sizeof the struct as the caller knows it */
	const char *source;                 /**< the stored image to push (a reference or an image ID);
	                                         NULL: the image stored under the reference pushed to */
	const char *platform;               /**< of an index: push only this platform's image under the tag;
	                                         NULL: the whole index (every platform must be stored) */
	int concurrency;                    /**< blobs at once (default 4) */
	int mount;                          /**< mount from repositories known to have a blob (default 1) */
	int64_t chunk_size;                 /**< 0: one PUT per blob (default); > 0: PATCH chunks this big */
	const limg_registry_opts *registry; /**< TLS, credentials, retries; NULL: defaults (mirror ignored) */
	limg_cancel *cancel;                /**< stops the push from any thread; may be NULL */
	limg_context *ctx;                  /**< logging and user agent; may be NULL */
	limg_push_progress_cb progress;     /**< may be NULL */
	void *payload;                      /**< passed to @ref progress */
} limg_push_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_PUSH_OPTS_INIT { sizeof(limg_push_opts), NULL, NULL, 4, 1, 0, NULL, NULL, NULL, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_push_opts_init(limg_push_opts *opts, size_t size);

/**
 * Pushes a stored image to @p reference ("registry.example.com/team/app:1",
 * normalized as docker does; no tag means "latest"; a digest pushes by
 * digest). An unchanged tag costs one HEAD per blob and one for the
 * manifest, and no blob bytes.
 *
 * @param out_digest receives the digest of what the tag names; may be NULL
 * @return 0, reference errors, LIMG_ENOTFOUND (no such stored image, or a
 *         platform of the index or a blob not stored), LIMG_EPLATFORM, LIMG_EAUTH
 *         (no push access), LIMG_EMANIFEST (the registry refused a manifest),
 *         LIMG_EDIGEST_MISMATCH (a stored blob is not what its digest says),
 *         network errors, LIMG_ECANCELLED, or the callback's non-zero value
 * @since 0.2
 */
LIMG_EXTERN(int) limg_push(limg_store *store, const char *reference, const limg_push_opts *opts,
                           limg_buf *out_digest);

LIMG_END_DECL

#endif /* LIBIMAGE_PUSH_H */
