/*
 * libimage: unpacking an image of the store into a root filesystem, and an
 * OCI runtime bundle around it (what `umoci unpack` makes).
 *
 * Safe by construction: every path is resolved beneath a directory
 * descriptor of the root (openat2 RESOLVE_IN_ROOT, or a walk that does the
 * same), and every change is an *at call on a descriptor so resolved, never
 * following the last component. Whatever a layer says, nothing outside the
 * root is written, changed or removed. Layers are applied in order, with
 * OCI whiteouts (".wh.NAME", ".wh..wh..opq") removing what lower layers
 * made; each layer's bytes are checked against its digest and diff_id as
 * they are applied, and a failure removes what the unpack created.
 */
#ifndef LIBIMAGE_UNPACK_H
#define LIBIMAGE_UNPACK_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "context.h"
#include "store.h"

LIMG_BEGIN_DECL

/** A range of ids: container ids [container_id, container_id + size)
 * are host ids from host_id on. @since 0.2 */
typedef struct limg_id_map {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
} limg_id_map;

/** What a progress callback reports. Values are ABI. @since 0.2 */
typedef enum limg_unpack_event {
	LIMG_UNPACK_LAYER = 1,      /**< a layer starts: done is its index (from 0), total the count */
	LIMG_UNPACK_BYTES = 2,      /**< compressed bytes of the layer applied: done of total */
	LIMG_UNPACK_LAYER_DONE = 3, /**< the layer is applied and verified */
	LIMG_UNPACK_BUNDLE = 4      /**< config.json written (digest NULL) */
} limg_unpack_event;

/**
 * Reports progress; calls come from the caller's thread.
 * @param digest the layer, or NULL
 * @return 0 to go on; non-zero stops (what was unpacked is removed), and is returned
 * @since 0.2
 */
typedef int (*limg_unpack_progress_cb)(const char *digest, int event, int64_t done, int64_t total, void *payload);

/** Options of limg_unpack(). @since 0.2 */
typedef struct limg_unpack_opts {
	size_t size;                     /**< sizeof the struct as the caller knows it */
	const char *platform;            /**< the image of an index, as limg_images_inspect() chooses; NULL: that default */
	int rootless;                    /**< 1: as an unprivileged user: no device nodes, ownership recorded in the
	                                      user.rootlesscontainers xattr (umoci's format), directories kept
	                                      traversable; 0: privileged; -1: by the effective uid (default) */
	const limg_id_map *uid_map;      /**< container uid to host uid; NULL: the identity (privileged), or
	                                      0 -> this user's uid (rootless) */
	size_t uid_map_len;
	const limg_id_map *gid_map;      /**< likewise for gids */
	size_t gid_map_len;
	int bundle;                      /**< 1: DIR/rootfs and DIR/config.json, a bundle for runc or crun */
	int terminal;                    /**< process.terminal of config.json (default 1) */
	int64_t max_layer_size;          /**< bytes one layer may unpack to; 0: LIMG_LAYER_SIZE_MAX_DEFAULT */
	int64_t max_entries;             /**< entries one layer may hold; 0: 1,000,000 */
	limg_cancel *cancel;             /**< stops the unpack from any thread; may be NULL */
	limg_unpack_progress_cb progress; /**< may be NULL */
	void *payload;                   /**< passed to @ref progress */
	limg_context *ctx;               /**< logging (what was skipped, and why); may be NULL */
} limg_unpack_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_UNPACK_OPTS_INIT { sizeof(limg_unpack_opts), NULL, -1, NULL, 0, NULL, 0, 0, 1, 0, 0, NULL, NULL, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_unpack_opts_init(limg_unpack_opts *opts, size_t size);

/**
 * Unpacks an image of the store (a tagged reference, an image ID or a
 * unique ID prefix, as limg_images_inspect() finds it) into @p dir, which
 * must be absent or empty: the root filesystem, or with opts->bundle a
 * runtime bundle (@p dir/config.json from the image config, as umoci makes
 * it, and @p dir/rootfs). A bundle directory is made 0700 and its
 * config.json 0600.
 *
 * @return 0, LIMG_ENOTFOUND (no such image, or a blob missing), LIMG_EEXISTS
 *         (@p dir is not empty), LIMG_ECORRUPT (a layer that is no valid tar,
 *         an entry that would leave the root, a name too long), LIMG_ETOOBIG
 *         (past max_layer_size or max_entries), LIMG_EDIGEST_MISMATCH,
 *         LIMG_EUNSUPPORTED (a layer compression this library cannot read; an
 *         image that is not linux, for a bundle), LIMG_EOS, LIMG_ENOSPACE,
 *         LIMG_ECANCELLED, or the progress callback's value. On failure what
 *         was created in @p dir is removed.
 * @since 0.2
 */
LIMG_EXTERN(int) limg_unpack(limg_store *store, const char *image, const char *dir, const limg_unpack_opts *opts);

LIMG_END_DECL

#endif /* LIBIMAGE_UNPACK_H */
