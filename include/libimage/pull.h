/*
 * libimage: `docker pull` as a function.
 *
 * Resolves the reference (a tag the store has with a HEAD, so re-pulling an
 * unchanged tag costs one request; a tag it lacks with the manifest's GET),
 * picks the platform from an index, fetches the config and the
 * layers in parallel straight into the store (a big blob as several Range
 * requests at once, written at their offsets and hashed in order), verifying
 * every blob and the uncompressed digest of every gzip, zstd or plain layer
 * against the config's diff_ids (inflated on another core as it arrives),
 * commits config, manifest and index, and moves the tag last, so a tag never
 * points at an incomplete image. Layers already stored are not fetched
 * again; interrupted downloads resume from the partial data on disk.
 */
#ifndef LIBIMAGE_PULL_H
#define LIBIMAGE_PULL_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "manifest.h"
#include "registry.h"
#include "store.h"

LIMG_BEGIN_DECL

/** What a progress callback reports about one blob. Values are ABI. @since 0.1 */
typedef enum limg_pull_event {
	LIMG_PULL_WAITING = 1,     /**< queued ("Pulling fs layer") */
	LIMG_PULL_EXISTS = 2,      /**< already in the store ("Already exists") */
	LIMG_PULL_DOWNLOADING = 3, /**< bytes arriving: done of total */
	LIMG_PULL_VERIFYING = 4,   /**< download done; checking digests */
	LIMG_PULL_DOWNLOADED = 5,  /**< verified ("Download complete") */
	LIMG_PULL_COMPLETE = 6,    /**< committed to the store ("Pull complete") */
	LIMG_PULL_SKIPPED = 7,     /**< a foreign layer, not fetched */
	LIMG_PULL_OVERALL = 8      /**< all blobs together: done of total bytes (blob digest NULL) */
} limg_pull_event;

/** Kinds of blob in progress reports. @since 0.1 */
typedef enum limg_pull_blob_kind {
	LIMG_PULL_LAYER = 1,
	LIMG_PULL_CONFIG = 2,
	LIMG_PULL_MANIFEST = 3
} limg_pull_blob_kind;

/**
 * Reports progress. Calls never overlap (they may come from different threads).
 * @param digest the blob, or NULL for LIMG_PULL_OVERALL
 * @param kind a limg_pull_blob_kind
 * @param event a limg_pull_event
 * @param done bytes so far
 * @param total expected bytes, or -1
 * @return 0 to go on; non-zero stops the pull promptly (mid-download too,
 *         leaving the partial download resumable), and is returned by limg_pull()
 * @since 0.1
 */
typedef int (*limg_pull_progress_cb)(const char *digest, int kind, int event, int64_t done, int64_t total,
                                     void *payload);

/** Callbacks of limg_pull(). @since 0.1 */
typedef struct limg_pull_callbacks {
	size_t size;                    /**< sizeof the struct as the caller knows it */
	limg_pull_progress_cb progress; /**< may be NULL */
	void *payload;                  /**< passed last to every callback */
} limg_pull_callbacks;

/** Static initializer. @since 0.1 */
#define LIMG_PULL_CALLBACKS_INIT { sizeof(limg_pull_callbacks), NULL, NULL }

/** Options of limg_pull(). @since 0.1 */
typedef struct limg_pull_opts {
	size_t size;                         /**< sizeof the struct as the caller knows it */
	const char *platform;                /**< "os[(os.version)]/arch[/variant]"; NULL: this machine's */
	int concurrency;                     /**< blobs fetched at once (default 3) */
	int verify_diff_ids;                 /**< check layers against rootfs.diff_ids (default 1) */
	int fetch_foreign;                   /**< fetch foreign/non-distributable layers (default 0) */
	const limg_registry_opts *registry;  /**< TLS, credentials, retries; NULL: defaults */
	limg_cancel *cancel;                 /**< stops the pull from any thread; may be NULL */
	limg_context *ctx;                   /**< logging and user agent; may be NULL */
	const char *docker_hub_mirror;       /**< serve docker.io from this endpoint ("host:port" or URL) */
	int64_t max_layer_size;              /**< a layer that unpacks to more bytes is refused (a gzip bomb);
	                                          0: LIMG_LAYER_SIZE_MAX_DEFAULT @since 0.2 */
	int64_t range_threshold;             /**< blobs of at least this many bytes are fetched as several
	                                          Range requests on separate connections (many registries
	                                          and CDNs cap one connection), when no mirror is configured
	                                          for the registry (a cache gets one request per blob);
	                                          0: 16 MiB; -1: never @since 0.2 */
	int64_t range_chunk;                 /**< bytes per Range request; 0: about two per connection,
	                                          4-32 MiB each @since 0.2 */
	int range_parallel;                  /**< Range requests at once for one blob; 0: 4 @since 0.2 */
} limg_pull_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_PULL_OPTS_INIT { sizeof(limg_pull_opts), NULL, 3, 1, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0 }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_pull_opts_init(limg_pull_opts *opts, size_t size);

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_pull_callbacks_init(limg_pull_callbacks *cb, size_t size);

/** The result of a pull. @since 0.1 */
typedef struct limg_image limg_image;

/**
 * Pulls an image into a store, as `docker pull REFERENCE` does ("redis" is
 * docker.io/library/redis:latest).
 *
 * @param out receives the result; free with limg_image_free(); may be NULL
 * What the pull has stored is protected from limg_store_gc() (in any
 * process) until the tag is set, by a lease that expires by itself if the
 * process dies.
 *
 * @return 0, reference errors, LIMG_ENOTFOUND (no such manifest), LIMG_EAUTH,
 *         LIMG_EPLATFORM, LIMG_EUNSUPPORTED, LIMG_EMANIFEST, LIMG_EDIGEST_MISMATCH
 *         (a blob or layer is not what the manifest says), LIMG_ETOOBIG (a blob
 *         over the registry options' max_blob_size, a layer unpacking past
 *         max_layer_size), network errors, LIMG_ENOSPACE, LIMG_ECANCELLED (also
 *         when the store is closed meanwhile), or a progress callback's non-zero
 *         value as it returned it (positive values too: test for != 0). On
 *         failure the tag is unchanged and partial downloads wait to be resumed.
 * @since 0.1
 */
LIMG_EXTERN(int) limg_pull(limg_image **out, limg_store *store, const char *reference, const limg_pull_opts *opts,
                           const limg_pull_callbacks *cb);

/** Frees a result; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_image_free(limg_image *image);
/** The canonical reference pulled ("docker.io/library/redis:latest"). @since 0.1 */
LIMG_EXTERN(const char *) limg_image_reference(const limg_image *image);
/** The digest the reference resolved to (an index or a manifest). @since 0.1 */
LIMG_EXTERN(const char *) limg_image_digest(const limg_image *image);
/** The digest of the platform's image manifest. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_manifest_digest(const limg_image *image);
/** The config digest: the image ID, as `docker images` shows it. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_id(const limg_image *image);
/** 1 when nothing new was fetched ("Image is up to date"), else 0. @since 0.1 */
LIMG_EXTERN(int) limg_image_up_to_date(const limg_image *image);
/** Bytes downloaded by this pull. @since 0.1 */
LIMG_EXTERN(int64_t) limg_image_bytes_downloaded(const limg_image *image);

LIMG_END_DECL

#endif /* LIBIMAGE_PULL_H */
