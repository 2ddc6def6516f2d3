/* SPDX-License-Identifier: MIT */
/**
 * @file pull.h
 * @brief `docker pull` as a function.
 *
 * Resolves the reference (a tag the store has with a HEAD, so re-pulling an
 * unchanged tag costs one request; a tag it lacks with the manifest's GET),
 * picks the platform from an index, fetches the config and the layers in
 * parallel straight into the store (a big blob as several Range requests at
 * once, written at their offsets and hashed in order), verifying every blob
 * and the uncompressed digest of every gzip, zstd or plain layer against
 * the config's diff_ids (inflated on another core as it arrives), commits
 * config, manifest and index, and moves the tag last, so a tag never points
 * at an incomplete image. Layers already stored are not fetched again;
 * interrupted downloads resume from the partial data on disk. What the pull
 * has stored is protected from limg_store_gc() (in any process) until the
 * tag is set, by a lease that expires by itself if the process dies.
 */
#ifndef LIBIMAGE_PULL_H
#define LIBIMAGE_PULL_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "registry.h"
#include "sign.h"
#include "store.h"
#include "unpack.h"

LIMG_BEGIN_DECL

/** Where foreign (non-distributable) layers come from. Values are ABI. @since 1.0 */
typedef enum limg_foreign_layers {
	LIMG_FOREIGN_REGISTRY = 0, /**< from the registry, as other layers (Docker and podman do so);
	                                one the registry lacks fails the pull (LIMG_ENOTFOUND, subject BLOB:
	                                the image would be incomplete), and nothing is tagged */
	LIMG_FOREIGN_URLS = 1,     /**< from the registry, else from the descriptor's urls: http and https
	                                only, never with credentials, verified as any layer */
	LIMG_FOREIGN_SKIP = 2      /**< not fetched: the image is stored without them, known as incomplete
	                                (limg_images_row_state()), and unpack and save refuse it */
} limg_foreign_layers;

/** Options of limg_pull(); zero means the default in every field. @since 1.0 */
typedef struct limg_pull_opts {
	size_t size;             /**< sizeof the struct as the caller knows it */
	const char *platform;    /**< "os[(os.version)]/arch[/variant]"; NULL: this machine's */
	int concurrency;         /**< blobs fetched at once; 0: 3 */
	int skip_diff_ids;       /**< do not check layers against the config's diff_ids (blob digests
	                              are checked always; unpacking checks diff_ids later) */
	int foreign_layers;      /**< a limg_foreign_layers */
	limg_session *session;   /**< registries' settings, connections and tokens; NULL: a session of
	                              the call's own with the defaults and the store's context */
	limg_cancel *cancel;     /**< stops the pull from any thread; may be NULL */
	int64_t max_layer_size;  /**< a layer that unpacks to more bytes is refused (a gzip bomb);
	                              0: LIMG_LAYER_SIZE_MAX_DEFAULT */
	int no_ranges;           /**< fetch every blob with one request */
	int64_t range_threshold; /**< blobs of at least this many bytes are fetched as several Range
	                              requests on separate connections (many registries and CDNs cap
	                              one connection), from the registry itself (a mirror or cache
	                              gets one request per blob); 0: 16 MiB */
	int64_t range_chunk;     /**< bytes per Range request; 0: about two per connection, 4-32 MiB each */
	int range_parallel;      /**< Range requests at once for one blob; 0: 4 */
	const limg_policy *policy; /**< a signature policy (limg_policy_load()), checked before any layer
	                              is fetched (and before an image the store has is called up to
	                              date); a rejection is LIMG_EREJECTED, with nothing stored or
	                              tagged; NULL: none, as docker pull (trust.h says where signatures
	                              are looked for) */
	int index_signatures;    /**< with the policy: a limg_index_signatures (whether an index's
	                              signatures admit the image chosen from it) */
	int referrers;           /**< nonzero: also fetch what refers to the image (its cosign .sig
	                              signatures, its OCI referrers: bundles, SBOMs, and theirs) and keep
	                              it beside the image, for limg_verify_opts.store, save and push */
} limg_pull_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_PULL_OPTS_INIT LIMG_SIZED_INIT(limg_pull_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_pull_opts_init(limg_pull_opts *opts, size_t size);

/** Callbacks of limg_pull(). @since 1.0 */
typedef struct limg_pull_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< LIMG_EVENT_WAITING .. LIMG_EVENT_OVERALL; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_pull_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_PULL_CALLBACKS_INIT LIMG_SIZED_INIT(limg_pull_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_pull_callbacks_init(limg_pull_callbacks *cb, size_t size);

/** The result of a pull. @since 1.0 */
typedef struct limg_pull_result limg_pull_result;

/**
 * Pulls an image into a store, as `docker pull REFERENCE` does ("redis" is
 * docker.io/library/redis:latest).
 *
 * @param out receives the result; free with limg_pull_result_free(); may be NULL
 * @param store the store
 * @param reference the image, as docker reads it
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, reference errors, LIMG_ENOTFOUND (subject MANIFEST, REPOSITORY or
 *         BLOB), LIMG_EAUTH, LIMG_EPLATFORM, LIMG_EUNSUPPORTED (also: an artifact,
 *         such as a signature or an SBOM, is no image), LIMG_EMANIFEST,
 *         LIMG_EDIGEST_MISMATCH (a blob or layer is not what the manifest says),
 *         LIMG_ETOOBIG (a blob over max_blob_size, a layer unpacking past
 *         max_layer_size), LIMG_EREJECTED (the policy refused the image: no layer
 *         was fetched), network errors, LIMG_ENOSPACE, LIMG_ECANCELLED (also
 *         when the store is closed meanwhile), or what the callback returned to
 *         stop. On failure the tag is unchanged and partial downloads wait to
 *         be resumed.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_pull(limg_pull_result **out, limg_store *store, const char *reference,
                           const limg_pull_opts *opts, const limg_pull_callbacks *cb);

/** Frees a result; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_pull_result_free(limg_pull_result *result);
/** The canonical reference pulled ("docker.io/library/redis:latest"). @since 1.0 */
LIMG_EXTERN(const char *) limg_pull_result_reference(const limg_pull_result *result);
/** The digest the reference resolved to (an index or a manifest). @since 1.0 */
LIMG_EXTERN(const char *) limg_pull_result_digest(const limg_pull_result *result);
/** The digest of the platform's image manifest. @since 1.0 */
LIMG_EXTERN(const char *) limg_pull_result_manifest_digest(const limg_pull_result *result);
/** The config digest: the image ID, as `docker images` shows it. @since 1.0 */
LIMG_EXTERN(const char *) limg_pull_result_image_id(const limg_pull_result *result);
/** 1 when nothing new was fetched ("Image is up to date"), else 0. @since 1.0 */
LIMG_EXTERN(int) limg_pull_result_up_to_date(const limg_pull_result *result);
/** Bytes downloaded by this pull. @since 1.0 */
LIMG_EXTERN(int64_t) limg_pull_result_bytes_downloaded(const limg_pull_result *result);

/** What becomes of the layer blobs limg_pull_unpack() brings into the store. Values are ABI. @since 1.0 */
typedef enum limg_layer_blobs {
	LIMG_LAYER_BLOBS_KEEP = 0,   /**< kept: the image is stored whole, as limg_pull() stores it */
	LIMG_LAYER_BLOBS_DISCARD = 1 /**< removed once the root filesystem is made, for machines short of disk
	                                  (containerd's discard_unpacked_layers): the image's manifests and config
	                                  are stored and tagged, and it is known as incomplete (limg_images_row_state())
	                                  until a pull fetches them again; a blob another image or a running
	                                  operation needs stays */
} limg_layer_blobs;

/** Options of limg_pull_unpack(); zero means the default in every field. @since 1.0 */
typedef struct limg_pull_unpack_opts {
	size_t size;                    /**< sizeof the struct as the caller knows it */
	const limg_pull_opts *pull;     /**< how to pull (platform, session, ranges, ...); NULL: the defaults.
	                                     Its skip_diff_ids must be 0: every layer is checked as it is applied */
	const limg_unpack_opts *unpack; /**< how to unpack (bundle, rootless, id maps, limits, on_failure);
	                                     NULL: the defaults. Its platform must be NULL: the pull's chooses */
	int layer_blobs;                /**< a limg_layer_blobs */
	limg_cancel *cancel;            /**< stops the whole operation from any thread (so do the cancel tokens
	                                     of @ref pull and @ref unpack); may be NULL */
} limg_pull_unpack_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_PULL_UNPACK_OPTS_INIT LIMG_SIZED_INIT(limg_pull_unpack_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_pull_unpack_opts_init(limg_pull_unpack_opts *opts, size_t size);

/** Callbacks of limg_pull_unpack(). @since 1.0 */
typedef struct limg_pull_unpack_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< the pull's events (LIMG_EVENT_WAITING .. LIMG_EVENT_OVERALL) and the
	                                unpack's (LIMG_EVENT_LAYER_START .. LIMG_EVENT_BUNDLE), never two at
	                                once; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_pull_unpack_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_PULL_UNPACK_CALLBACKS_INIT LIMG_SIZED_INIT(limg_pull_unpack_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_pull_unpack_callbacks_init(limg_pull_unpack_callbacks *cb, size_t size);

/**
 * Pulls an image and makes its root filesystem (or runtime bundle) in one
 * pass, as limg_pull() and then limg_unpack() would, without reading any
 * layer twice.
 *
 * The layers download as limg_pull() fetches them (in parallel, big ones as
 * byte ranges, resumed from what an interrupted pull left), their bytes
 * hashed against the blob's digest as they arrive; meanwhile they are
 * applied beneath @p dir in order, each read back from the file it is
 * being written to as its bytes come, inflated once and hashed for its
 * diff_id as it is applied (a layer the store has already is read from the
 * store). A layer is done only when both its digest and its diff_id check
 * out. Then manifests, config and tag are stored as limg_pull() stores
 * them, and the root filesystem (a bundle's config.json last) is finished.
 *
 * @p dir is as limg_unpack() takes it: absent, empty, or left incomplete by
 * an earlier unpack (started over: a killed limg_pull_unpack() run again
 * resumes its downloads and makes the root again). It carries
 * LIMG_UNPACK_INCOMPLETE_XATTR until it is finished; on failure (a digest or
 * diff_id that does not match, a stop) what was made is removed, or with
 * LIMG_UNPACK_FAILED_KEEP left, still marked.
 *
 * @param out receives the pull's result; free with limg_pull_result_free(); may be NULL
 * @param store the store
 * @param reference the image, as docker reads it
 * @param dir where to make the root filesystem (or bundle)
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, what limg_pull() and limg_unpack() return, or LIMG_EINVALID
 *         (skip_diff_ids set, an unpack platform). A foreign layer not
 *         pulled (LIMG_FOREIGN_SKIP) gives LIMG_ENOTFOUND, subject BLOB: the
 *         root filesystem cannot be made without it.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_pull_unpack(limg_pull_result **out, limg_store *store, const char *reference, const char *dir,
                                  const limg_pull_unpack_opts *opts, const limg_pull_unpack_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_PULL_H */
