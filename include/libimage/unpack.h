/* SPDX-License-Identifier: MIT */
/**
 * @file unpack.h
 * @brief Unpacking an image of the store into a root filesystem, and an
 *        OCI runtime bundle around it (what `umoci unpack` makes).
 *
 * Safe by construction: every path is resolved beneath a directory
 * descriptor of the root (openat2 RESOLVE_IN_ROOT, or a walk that does the
 * same), and every change is an *at call on a descriptor so resolved, never
 * following the last component. Whatever a layer says, nothing outside the
 * root is written, changed or removed. Layers are applied in order, with
 * OCI whiteouts (".wh.NAME", ".wh..wh..opq") removing what lower layers
 * made; each layer's bytes are checked against its digest and diff_id as
 * they are applied. A failure removes what the unpack created or, when the
 * caller asks, leaves it marked incomplete (LIMG_UNPACK_FAILED_KEEP): a
 * directory never looks finished before it is.
 *
 * limg_pull_unpack() (pull.h) makes the same root filesystem straight from
 * a registry, in one pass.
 */
#ifndef LIBIMAGE_UNPACK_H
#define LIBIMAGE_UNPACK_H

#include <stdint.h>

#include "bounds.h"
#include "cancel.h"
#include "common.h"
#include "store.h"

LIMG_BEGIN_DECL

/**
 * A range of ids: container ids [container_id, container_id + size) are
 * host ids from host_id on (a line of /proc/PID/uid_map). Fixed for good,
 * so it is passed as a plain array.
 * @since 1.0
 */
typedef struct limg_id_map {
	uint32_t container_id; /**< first id inside */
	uint32_t host_id;      /**< first id outside */
	uint32_t size;         /**< how many */
} limg_id_map;

/** Whether to unpack as an unprivileged user. Values are ABI. @since 1.0 */
typedef enum limg_rootless_mode {
	LIMG_ROOTLESS_AUTO = 0, /**< by the effective uid */
	LIMG_ROOTLESS_ON = 1,   /**< no device nodes, ownership recorded in the user.rootlesscontainers
	                             xattr (umoci's format), directories kept traversable */
	LIMG_ROOTLESS_OFF = 2   /**< privileged: ownership, devices and modes as the layers say */
} limg_rootless_mode;

/**
 * The extended attribute that marks a directory an unpack has not finished
 * (it was stopped, killed, or failed with LIMG_UNPACK_FAILED_KEEP): set on
 * the directory given (a bundle's or a root filesystem's) when the unpack
 * starts, removed when it ends well. Layers can neither set nor remove it.
 * An unpack into a directory so marked starts it over.
 * @since 1.0
 */
#define LIMG_UNPACK_INCOMPLETE_XATTR "user.libimage.incomplete"

/** What a failed unpack leaves. Values are ABI. @since 1.0 */
typedef enum limg_unpack_failure {
	LIMG_UNPACK_FAILED_REMOVE = 0, /**< what it made is removed (and the directory, if it made it) */
	LIMG_UNPACK_FAILED_KEEP = 1    /**< what it made stays, for a look, marked with
	                                    LIMG_UNPACK_INCOMPLETE_XATTR (a bundle also lacks its config.json) */
} limg_unpack_failure;

/** Options of limg_unpack(); zero means the default in every field. @since 1.0 */
typedef struct limg_unpack_opts {
	size_t size;                /**< sizeof the struct as the caller knows it */
	const char *platform;       /**< the image of an index, as limg_image_lookup() chooses; NULL: that default */
	int rootless;               /**< a limg_rootless_mode */
	const limg_id_map *uid_map; /**< container uid to host uid; NULL: the identity (privileged), or
	                                 0 -> this user's uid (rootless) */
	size_t uid_map_len;         /**< number of @ref uid_map entries */
	const limg_id_map *gid_map; /**< likewise for gids */
	size_t gid_map_len;         /**< number of @ref gid_map entries */
	int bundle;                 /**< DIR/rootfs and DIR/config.json, a bundle for runc or crun */
	int no_terminal;            /**< process.terminal false in config.json */
	int64_t max_layer_size;     /**< bytes one layer may unpack to; 0: LIMG_LAYER_SIZE_MAX_DEFAULT */
	int64_t max_entries;        /**< entries one layer may hold; 0: LIMG_LAYER_ENTRIES_MAX_DEFAULT */
	limg_cancel *cancel;        /**< stops the unpack from any thread; may be NULL */
	int on_failure;             /**< a limg_unpack_failure */
} limg_unpack_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_UNPACK_OPTS_INIT LIMG_SIZED_INIT(limg_unpack_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_unpack_opts_init(limg_unpack_opts *opts, size_t size);

/** Callbacks of limg_unpack(). @since 1.0 */
typedef struct limg_unpack_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< LIMG_EVENT_LAYER_START, APPLYING, LAYER_DONE, BUNDLE; calls come
	                                from the caller's thread; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_unpack_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_UNPACK_CALLBACKS_INIT LIMG_SIZED_INIT(limg_unpack_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_unpack_callbacks_init(limg_unpack_callbacks *cb, size_t size);

/**
 * Unpacks an image of the store (as limg_image_lookup() finds it) into
 * @p dir, which must be absent, empty, or left incomplete by an earlier
 * unpack (LIMG_UNPACK_INCOMPLETE_XATTR: it is emptied and made again): the
 * root filesystem, or with opts->bundle a runtime bundle (@p dir/config.json
 * from the image config, as umoci makes it, and @p dir/rootfs). A bundle
 * directory is made 0700 and its config.json 0600. What each layer unpacks
 * to (its diff_id and size) is remembered in the store, so listings never
 * inflate it again.
 *
 * @param store the store
 * @param image the image
 * @param dir where to
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE, or BLOB: a layer missing, as a foreign layer a
 *         pull skipped: the image is incomplete), LIMG_EEXISTS
 *         (@p dir is not empty), LIMG_ECORRUPT (a layer that is no valid tar,
 *         an entry that would leave the root, a name too long), LIMG_ETOOBIG
 *         (past max_layer_size or max_entries), LIMG_EDIGEST_MISMATCH,
 *         LIMG_EUNSUPPORTED (a layer compression this library cannot read; an
 *         image that is not linux, for a bundle; an artifact, which is no image),
 *         LIMG_ECORRUPT (subject BLOB: a blob not the size its manifest gives), LIMG_ESYSTEM, LIMG_ENOSPACE,
 *         LIMG_ECANCELLED, or what the callback returned to stop. On failure
 *         what was created in @p dir is removed, or with
 *         LIMG_UNPACK_FAILED_KEEP left marked incomplete.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_unpack(limg_store *store, const char *image, const char *dir, const limg_unpack_opts *opts,
                             const limg_unpack_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_UNPACK_H */
