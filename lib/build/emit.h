/* SPDX-License-Identifier: MIT */
/*
 * Entries of a new layer, in order: a source hands them in the layer's
 * order (limg__tar_path_cmp); whiteouts of removed paths are merged in
 * where they sort, and every parent directory an entry needs and the
 * source does not have is written first (0755, the layer's owner and
 * epoch), so that the layer is complete whatever an unpacker does.
 */
#ifndef LIMG_BUILD_EMIT_H
#define LIMG_BUILD_EMIT_H

#include "build_internal.h"
#include "tar/entry.h"

typedef struct limg__emitter {
	limg__tar_writer *tar;
	limg__tar_entry parent;   /* what made parents look like (name and type set per parent) */
	char **removed;           /* cleaned removed paths, sorted (limg__tar_path_cmp) */
	size_t nremoved;
	char **whiteouts;         /* their whiteout names, sorted */
	size_t nwhiteouts, next_whiteout;
	limg_buf chain;           /* the directories written that the next entry may sit in ("a/b") */
	limg_buf last;            /* the last name written */
	int last_type;
	int64_t entries, max_entries;
	const limg_cancel *cancel;
	/* Where a missing parent's metadata comes from instead of @parent: 1
	 * with *@out filled (the name is set here), 0 for the default, <0 to
	 * stop. May be NULL. */
	int (*parent_of)(const char *path, limg__tar_entry *out, void *payload);
	void *parent_payload;
} limg__emitter;

/* @removed: in-image paths ("/etc/motd"), checked and cleaned here. */
int limg__emitter_init(limg__emitter *em, limg__tar_writer *tar, const limg_layer_opts *o);
void limg__emitter_dispose(limg__emitter *em);

/* Writes @e's header (a regular file's data follows through the tar
 * writer). @e->name is clean and relative. LIMG_ECONFLICT for an entry out
 * of order, named twice, also removed, or beneath a non-directory. */
int limg__emit(limg__emitter *em, const limg__tar_entry *e);

/* Whiteouts that sort before @name (all of them for NULL). */
int limg__emit_whiteouts_before(limg__emitter *em, const char *name);

/* Whiteouts left to write, after the source's last entry. */
int limg__emit_finish(limg__emitter *em);

/* Cleans an in-image path ("/a/./b/" -> "a/b") into @out; "" for the root.
 * LIMG_EINVALID (subject FILE) naming @what for one that climbs out. */
int limg__clean_image_path(char *out, size_t cap, const char *path, const char *what);

#endif
