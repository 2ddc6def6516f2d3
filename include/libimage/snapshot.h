/* SPDX-License-Identifier: MIT */
/**
 * @file snapshot.h
 * @brief Unpacked layers shared between images (what containerd's
 *        overlayfs snapshotter and containers/storage's layers keep), and
 *        root filesystems made of them.
 *
 * Each layer is applied once, into `STORE/.libimage/snapshots/HEX/fs`,
 * where HEX is the hex of the layer's chain ID (the OCI image spec's
 * ChainID: the diff_id of the first layer, then sha256 of "parent-chain
 * diff_id"): a second image on the same base applies only its own layers.
 * A snapshot holds what its layer changes, in overlayfs' form: a whiteout
 * is a 0/0 character device, an opaque directory carries
 * `trusted.overlay.opaque` "y", and a directory of a lower layer that the
 * layer writes beneath is copied up with its owner, mode, times and xattrs.
 * It is made in a temporary directory and renamed into place with the file
 * `snapshot` beside `fs` that says what it was made from (its chain ID,
 * parent chain ID, diff_id, layer blob) and a digest of the whole tree: two
 * processes making the same snapshot at once both succeed, one's work is
 * kept. Without privileges (Linux 5.11 or later) the snapshots are the
 * user's: opaque directories are marked `user.overlay.opaque` instead, owners
 * recorded in `user.rootlesscontainers` (as limg_unpack() does rootless), the
 * mount's options end in `userxattr` (to be mounted in a user namespace of
 * the caller's own), and the marker says so; root and users do not share
 * one store's snapshots.
 *
 * A root filesystem over the snapshots is either an overlay mount (the
 * library never mounts: limg_snapshot_prepare() returns what to mount,
 * with a writable upper and work directory of the root's own, so that a
 * write into the root never reaches a snapshot or another root), or a copy
 * (reflinks where the file system has them). limg_snapshot_gc() removes
 * the snapshots that no stored image, leased image or prepared root still
 * needs; limg_snapshot_fsck() checks them.
 *
 * What is trusted: a snapshot is used when its `snapshot` file names the
 * chain ID its directory is named for; its tree is not hashed again on
 * every use. limg_snapshot_fsck() hashes every tree (names, types, modes,
 * owners, sizes, times, xattrs, link targets, device numbers and file
 * contents) against the digest recorded when it was made, and checks the
 * chain: a snapshot changed by another program is found there.
 */
#ifndef LIBIMAGE_SNAPSHOT_H
#define LIBIMAGE_SNAPSHOT_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "store.h"

LIMG_BEGIN_DECL

/** How limg_snapshot_prepare() makes the root filesystem. Values are ABI. @since 1.0 */
typedef enum limg_root_kind {
	LIMG_ROOT_OVERLAY = 0, /**< DIR/upper and DIR/work made; the caller mounts the overlay it is given on DIR/rootfs */
	LIMG_ROOT_COPY = 1     /**< DIR/rootfs a copy of the merged layers (reflinks where the file system has them,
	                            else copied bytes; never hard links into a snapshot) */
} limg_root_kind;

/** Options of limg_snapshot_prepare(); zero means the default in every field. @since 1.0 */
typedef struct limg_snapshot_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *platform;   /**< the image of an index, as limg_image_lookup() chooses; NULL: that default */
	int kind;               /**< a limg_root_kind */
	int64_t max_layer_size; /**< bytes one layer may unpack to; 0: LIMG_LAYER_SIZE_MAX_DEFAULT */
	int64_t max_entries;    /**< entries one layer may hold; 0: LIMG_LAYER_ENTRIES_MAX_DEFAULT */
	limg_cancel *cancel;    /**< stops the work from any thread; may be NULL */
} limg_snapshot_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SNAPSHOT_OPTS_INIT LIMG_SIZED_INIT(limg_snapshot_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_snapshot_opts_init(limg_snapshot_opts *opts, size_t size);

/** Callbacks of limg_snapshot_prepare(). @since 1.0 */
typedef struct limg_snapshot_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< per layer: LIMG_EVENT_EXISTS (its snapshot was there), or LAYER_START,
	                                APPLYING and LAYER_DONE (applied now); from the caller's thread; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_snapshot_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_SNAPSHOT_CALLBACKS_INIT LIMG_SIZED_INIT(limg_snapshot_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_snapshot_callbacks_init(limg_snapshot_callbacks *cb, size_t size);

/** A mount to make (what mount(2) takes), as limg_snapshot_prepare() returns it. @since 1.0 */
typedef struct limg_mount limg_mount;

/** The file system type ("overlay"). Borrowed until limg_mount_free(). @since 1.0 */
LIMG_EXTERN(const char *) limg_mount_type(const limg_mount *mount);
/** The source ("overlay"). Borrowed until limg_mount_free(). @since 1.0 */
LIMG_EXTERN(const char *) limg_mount_source(const limg_mount *mount);
/** Where to mount it (DIR/rootfs). Borrowed until limg_mount_free(). @since 1.0 */
LIMG_EXTERN(const char *) limg_mount_target(const limg_mount *mount);
/**
 * The mount options: `lowerdir=TOP:...:BOTTOM,upperdir=DIR/upper,workdir=DIR/work`.
 * Borrowed until limg_mount_free().
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_mount_options(const limg_mount *mount);
/** Frees; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_mount_free(limg_mount *mount);

/**
 * Makes a root filesystem for an image of the store (as limg_image_lookup()
 * finds it) from shared snapshots of its layers, applying only the layers
 * whose snapshots are not there yet. @p dir must be absent or empty; it
 * receives `rootfs` (the mount point, or the copy), and for an overlay
 * `upper` and `work`. The root is recorded in the store, so that
 * limg_snapshot_gc() keeps its snapshots until @p dir is removed.
 *
 * @param out receives the mount to make (LIMG_ROOT_OVERLAY), the caller's
 *        to free; NULL for a copy. May be NULL.
 * @param store the store
 * @param image the image
 * @param dir where to
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE; or BLOB: a layer missing), LIMG_EEXISTS (@p dir not
 *         empty), LIMG_EUNSUPPORTED (an image without layers; a store or @p dir path with ',' or
 *         ':', which overlay options cannot carry; snapshots made by root used by a user or the
 *         other way round; without privileges, a layer with a directory its owner cannot list),
 *         LIMG_ECORRUPT (a layer that is no valid tar, an entry that would leave the root),
 *         LIMG_ETOOBIG, LIMG_EDIGEST_MISMATCH, LIMG_ESYSTEM, LIMG_ENOSPACE, LIMG_ECANCELLED,
 *         or what the callback returned to stop. On failure @p dir is as it was (made again empty
 *         or removed) and no snapshot is left half made.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_snapshot_prepare(limg_mount **out, limg_store *store, const char *image, const char *dir,
                                       const limg_snapshot_opts *opts, const limg_snapshot_callbacks *cb);

/**
 * Removes the snapshots that no image index.json reaches, no running
 * operation leases and no prepared root whose directory is still there
 * uses; and the temporary directories of snapshots never finished. Run
 * after limg_store_gc(), so that the images rmi removed are gone. The
 * options and callbacks are limg_store_gc()'s (ingest_max_age and
 * keep_ingests are not used).
 * @param out_reclaimed receives the bytes removed (or that would be); may be NULL
 * @param store the store
 * @param opts options, or NULL
 * @param cb callbacks, or NULL (removed gets "snapshot HEX" and its size)
 * @return 0, LIMG_ECORRUPT (index.json unreadable: nothing is removed), LIMG_ESYSTEM,
 *         LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_snapshot_gc(int64_t *out_reclaimed, limg_store *store, const limg_store_gc_opts *opts,
                                  const limg_store_gc_callbacks *cb);

/**
 * Checks the snapshots: each names the chain ID its directory is named
 * for, its chain ID follows from its parent's and its diff_id, its parent
 * is there, and its tree hashes to the digest recorded when it was made;
 * anything else in the snapshots directory (a temporary directory left by
 * a killed process, a file another program put there) is reported too.
 * The options and callbacks are limg_store_fsck()'s (digest is not used).
 * @param out_problems receives how many problems were found
 * @param store the store
 * @param opts options, or NULL
 * @param cb callbacks, or NULL (problem gets "snapshot HEX", LIMG_ECORRUPT or LIMG_ENOTFOUND)
 * @return 0 (whatever was found), LIMG_ESYSTEM, LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_snapshot_fsck(size_t *out_problems, limg_store *store, const limg_store_fsck_opts *opts,
                                    const limg_store_fsck_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_SNAPSHOT_H */
