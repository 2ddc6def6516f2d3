/* SPDX-License-Identifier: MIT */
/*
 * Walked entries as layer entries: metadata under the layer's options
 * (times, owners, xattrs), symlink targets, hard links between the files
 * of one walk, and a regular file's bytes copied into the tar with every
 * check that it did not change while read.
 */
#ifndef LIMG_BUILD_DIR_H
#define LIMG_BUILD_DIR_H

#include "build_internal.h"
#include "tar/entry.h"
#include "walk.h"

typedef struct limg__links limg__links;

typedef struct {
	const limg_layer_opts *o;
	bool keep_owner;          /* the files' ids whatever o->owner says (a diff) */
	limg__links *links;       /* first path of each inode with several links */
	limg_buf xbuf, target;
	limg__tar_xattr xattrs[256];
	unsigned char *io;        /* the read buffer */
} limg__dir_reader;

int limg__dir_reader_init(limg__dir_reader *r, const limg_layer_opts *o);
void limg__dir_reader_dispose(limg__dir_reader *r);

/* Fills @te (strings borrowed from @we and @r until the next call) for
 * @we. A regular file with other links already written becomes a hard
 * link to the first; @hardlinks false leaves them files. */
int limg__dir_entry(limg__dir_reader *r, const limg__walk_entry *we, limg__tar_entry *te, bool hardlinks);

/* Writes a regular file's @size bytes from @fd into @t, then its padding:
 * LIMG_ECONFLICT (subject FILE, naming @host) when the file changed while
 * it was read (shorter, longer, its size, mtime or ctime different from
 * @st), so that the tar never says one thing and holds another. */
int limg__dir_copy(limg__dir_reader *r, limg__tar_writer *t, int fd, const struct stat *st, const char *host);

/* Is @st an inode a file of this walk was already written as (the next
 * of its names is then a hard link)? */
bool limg__dir_is_link(const limg__dir_reader *r, const struct stat *st);

/* Remembers that @path (written as a file) is the inode of @st, for the
 * hard links that follow it. */
int limg__dir_link_add(limg__dir_reader *r, const struct stat *st, const char *path);

#endif
