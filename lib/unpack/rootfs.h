/* SPDX-License-Identifier: MIT */
/*
 * A root filesystem (or bundle) being made, layer by layer: what
 * limg_unpack() does with the layers of a stored image, and what the fused
 * pull (limg_pull_unpack) does with layers as they download.
 */
#ifndef LIMG_UNPACK_ROOTFS_H
#define LIMG_UNPACK_ROOTFS_H

#include <stddef.h>
#include <stdint.h>

#include "libimage/common.h"
#include "libimage/store.h"
#include "libimage/unpack.h"

typedef struct limg__rootfs limg__rootfs;

/* One layer to apply. */
typedef struct {
	const char *digest;     /* the blob */
	const char *media_type; /* says its compression */
	const char *diff_id;    /* what it must unpack to */
	int64_t size;           /* the blob's size (progress) */
	/* the compressed bytes, in order, 0 bytes at the end; NULL: the stored
	 * blob. Called on a worker thread. */
	limg_read_cb read;
	void *payload;
} limg__rootfs_layer;

/* Checks options the caller copied in (limg__opts_copy): id maps, limits,
 * enum values. 0 or LIMG_EINVALID (raised). */
int limg__unpack_opts_check(const limg_unpack_opts *o);

/* Prepares @dir (absent, empty, or left incomplete by an earlier unpack:
 * then emptied) and marks it incomplete. @o is copied; @stop (borrowed)
 * stops the work; @progress (may be NULL; its calls must already be
 * serialized with any other report of the operation) gets LAYER_START,
 * APPLYING, LAYER_DONE and BUNDLE. */
int limg__rootfs_begin(limg__rootfs **out, limg_store *store, const char *dir, const limg_unpack_opts *o,
                       limg_cancel *stop, limg_progress_cb progress, void *payload);

/* Applies layer @index of @count, checking its diff_id; what it unpacked to
 * is remembered in the store (best effort). *@diff_id (of 160 bytes) and
 * *@size receive it; both may be NULL. */
int limg__rootfs_apply(limg__rootfs *r, size_t index, size_t count, const limg__rootfs_layer *layer, char *diff_id,
                       int64_t *size);

/* The end: a bundle's config.json from the image config, the modes held
 * back in rootless mode, the incomplete mark removed. */
int limg__rootfs_finish(limg__rootfs *r, const char *config, size_t config_len);

/* Frees; a root filesystem not finished is removed or left marked
 * incomplete (opts.on_failure). The thread's last error survives. NULL is
 * accepted. */
void limg__rootfs_free(limg__rootfs *r);

#endif
