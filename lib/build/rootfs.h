/* SPDX-License-Identifier: MIT */
/*
 * An image's root filesystem as a stream of entries, without unpacking
 * it. A first pass reads the layers from the top down and marks the
 * entries nothing above wins over (an entry of the same path higher up, a
 * whiteout of it or of a directory above it, an opaque directory above it,
 * a non-directory where a directory above it should be); a second pass
 * gives the marked ones from the bottom layer up, in each layer's order,
 * as an unpacker meets them. Whiteouts are not given. Every layer is
 * checked against its diff_id in both passes. Memory: one small record
 * per path of the result, one bit per entry.
 */
#ifndef LIMG_BUILD_ROOTFS_H
#define LIMG_BUILD_ROOTFS_H

#include <stdbool.h>

#include "build_internal.h"
#include "libimage/manifest.h"
#include "tar/entry.h"

typedef struct limg__rootfs limg__rootfs;

/* Called with each entry that is part of the root filesystem: its name
 * (and a hard link's target) clean and relative; its data readable with
 * limg__rootfs_data() during the call. */
typedef int (*limg__rootfs_fn)(limg__rootfs *r, const limg__tar_entry *e, int layer, void *payload);

typedef struct {
	limg_store *store;
	const limg_manifest *manifest;
	const limg_config *config;      /* the diff_ids the layers must hash to */
	const limg_cancel *cancel;
	int64_t max_entries;            /* per layer; 0: the default */
	limg_progress_cb progress;      /* LIMG_EVENT_LAYER_START, LAYER_DONE; may be NULL */
	int one_pass;                   /* give the entries in the first pass, from the top layer down
	                                   (one read of each layer, for callers to whom order is no matter) */
	void *payload;
} limg__rootfs_opts;

int limg__rootfs_walk(const limg__rootfs_opts *o, limg__rootfs_fn fn, void *payload);

/* The current entry's next bytes (*@len 0 at its end). */
int limg__rootfs_data(limg__rootfs *r, const void **data, size_t *len);

/* Was @path given already (then a hard link to it points to the file it
 * was given as)? */
bool limg__rootfs_written(limg__rootfs *r, const char *path);

/* For a hard link whose file was not given before it (it is given later,
 * replaced, or hidden): calls @fn with that file as it was when the link
 * was made, read again from earlier in the link's layer or from a layer
 * below. LIMG_ENOTFOUND (raised) when no layer holds it. */
int limg__rootfs_find_link_target(limg__rootfs *r, const char *name, limg__rootfs_fn fn, void *payload);

#endif
