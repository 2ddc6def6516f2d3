/* SPDX-License-Identifier: MIT */
/*
 * A directory tree, entry by entry in a layer's order (each directory
 * before what it holds, the names of one directory sorted), read beneath
 * directory descriptors without following a symlink. Only the names of the
 * directories on the current branch are held, so memory does not grow with
 * the tree; a directory found inside itself (a bind mount) is refused.
 */
#ifndef LIMG_BUILD_WALK_H
#define LIMG_BUILD_WALK_H

#include <stdint.h>
#include <sys/stat.h>

#include "build_internal.h"
#include "tar/entry.h"

typedef struct limg__walk limg__walk;

typedef struct {
	const char *path;  /* the in-image path (prefix and all, relative); borrowed until the next call */
	const char *host;  /* the path on the host, for messages; borrowed likewise */
	int dirfd;         /* the directory holding it (the walker's) */
	const char *name;  /* its name in @dirfd; NULL for the root itself */
	int fd;            /* a directory's own descriptor (the walker's), else -1 */
	struct stat st;    /* lstat */
} limg__walk_entry;

/* Opens @dir (following it when it is a symlink). With a non-empty
 * @prefix (clean, relative), the root is the first entry, named @prefix. */
int limg__walk_open(limg__walk **out, const char *dir, const char *prefix);

/* The next entry: 0, or LIMG_ITEROVER (not raised) at the end. */
int limg__walk_next(limg__walk *w, limg__walk_entry *e);

void limg__walk_free(limg__walk *w);

/* A regular file of the walk, opened without following a symlink and
 * checked to be the file the walk saw (LIMG_ECONFLICT when it changed);
 * @st receives its fstat. */
int limg__walk_open_file(int *fd, struct stat *st, const limg__walk_entry *e);

/* Extended attributes of an entry (all but security.selinux): names and
 * values copied into @buf, @out pointing into it (at most @cap). 0, or an
 * error naming @host. */
int limg__walk_xattrs(limg_buf *buf, limg__tar_xattr *out, size_t cap, size_t *n, int dirfd, const char *name,
                      int fd, const char *host);

#endif
