/* SPDX-License-Identifier: MIT */
/*
 * STORE/.libimage/snapshots: one directory per applied layer, named by the
 * hex of its chain ID, holding `fs` (the layer in overlayfs' form) and
 * `snapshot` (what it was made from); `tmp-*` directories being made;
 * `roots/` (one file per prepared root: its directory, then the chain IDs
 * it stands on); `lock` (shared while snapshots are made or used, held
 * exclusively by gc and fsck).
 */
#ifndef LIMG_SNAPSHOT_INTERNAL_H
#define LIMG_SNAPSHOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/snapshot.h"
#include "libimage/store.h"

#define LIMG_CHAIN_MAX 80 /* "sha256:" and 64 hex digits, with room */
#define LIMG_SNAPSHOT_MARKER "snapshot"
#define LIMG_SNAPSHOT_FS "fs"

/* What a snapshot's marker file says. */
typedef struct {
	char chain[LIMG_CHAIN_MAX];
	char parent[LIMG_CHAIN_MAX]; /* "" for a first layer */
	char diff_id[LIMG_CHAIN_MAX];
	char layer[LIMG_CHAIN_MAX];  /* the blob it was applied from */
	char tree[LIMG_CHAIN_MAX];   /* limg__snapshot_tree() of fs when it was made */
	bool rootless;               /* made without privileges: owners in user.rootlesscontainers,
	                                opaque directories marked user.overlay.opaque (mounted with
	                                "userxattr"); root's snapshots are of the other form */
} limg__snapshot_info;

/* The snapshots directory (made when @create). *@out an O_DIRECTORY fd;
 * LIMG_ENOTFOUND (raised) when absent and not @create. */
int limg__snapshots_open(int *out, limg_store *s, bool create);

/* Takes the snapshots lock: shared (making and using) or exclusive (gc,
 * fsck). *@out receives the lock's fd, for limg__fs_unlock(). */
int limg__snapshots_lock(int *out, int dir, bool exclusive, const char *label);

/* The chain ID after @parent ("" or NULL: none) and @diff_id. */
int limg__chain_next(char out[LIMG_CHAIN_MAX], const char *parent, const char *diff_id);

/* The hex part of a chain ID ("sha256:HEX" -> HEX). */
const char *limg__chain_hex(const char *chain);

/* Whether @name is a snapshot directory's name (64 lowercase hex digits). */
bool limg__snapshot_name_ok(const char *name);

/* The marker, formatted and parsed (strictly: LIMG_ECORRUPT raised). */
int limg__snapshot_info_format(char *out, size_t cap, const limg__snapshot_info *info);
int limg__snapshot_info_parse(limg__snapshot_info *info, const char *text, size_t len, const char *label);

/* Reads the marker of snapshot @hex beneath @dir. */
int limg__snapshot_info_read(limg__snapshot_info *info, int dir, const char *hex, const char *label);

/* A digest of everything in the tree @fd: names, types, modes, owners,
 * sizes, times, xattrs, link targets, device numbers, file contents. */
int limg__snapshot_tree(char out[LIMG_CHAIN_MAX], int fd, const char *label);

/* Copies the layers @layers (bottom first: their fs directories) into the
 * empty directory @to as overlayfs would show them merged; @rootless: as the
 * unprivileged owner (directories that shut it out get their modes last). */
int limg__snapshot_copy(int to, const int *layers, size_t n, bool rootless, const char *label);

#endif
