/* SPDX-License-Identifier: MIT */
/*
 * The directory a prepared root goes in: DIR/rootfs (the mount point, or
 * the copy), and for an overlay DIR/upper and DIR/work. Marked incomplete
 * (LIMG_UNPACK_INCOMPLETE_XATTR) until it is done; recorded in
 * snapshots/roots/ so that gc keeps its snapshots while DIR is there.
 */
#ifndef LIMG_SNAPSHOT_ROOT_H
#define LIMG_SNAPSHOT_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/strset.h"
#include "snapshot_internal.h"

/* The extended attribute on DIR naming its record in snapshots/roots. */
#define LIMG_SNAPSHOT_ROOT_XATTR "user.libimage.root"

typedef struct {
	char path[4200]; /* absolute */
	int fd;
	bool made, owned, done;
} limg__root;

void limg__root_init(limg__root *r);
/* Makes @dir (or takes it empty), marked incomplete. */
int limg__root_begin(limg__root *r, const char *dir, bool overlay);
/* DIR/upper (with the root's metadata from @top), DIR/work, DIR/rootfs. */
int limg__root_overlay(limg__root *r, int top);
/* DIR/rootfs, a copy of the layers @fs (bottom first); @rootless: snapshots
 * of the user's form (snapshot_internal.h), copied without privileges. */
int limg__root_copy(limg__root *r, const int *fs, size_t n, bool rootless);
/* Records the root (its chain IDs) beneath the snapshots directory @dir and unmarks it. */
int limg__root_finish(limg__root *r, int dir, const char *label, const char (*chain)[LIMG_CHAIN_MAX], size_t n);
/* Closes; unless finished, what was made is removed. The error survives. */
void limg__root_end(limg__root *r, bool ok);

/* The record of a root: 1 when it still stands (its directory is there
 * and names the record), with its chain IDs added to @keep (hex); 0 when
 * it is stale; <0 on error. */
int limg__root_record_check(int roots, const char *name, limg__strset *keep);

#endif
