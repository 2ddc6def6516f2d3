/* SPDX-License-Identifier: MIT */
/*
 * Tar entries of layers, written reproducibly: every header field comes
 * from the entry alone (no clock, no user database, no process id), ustar
 * where it suffices (names up to 256 bytes split at a "/"), and a PAX
 * header only for what ustar cannot hold (longer names and link targets,
 * ids and sizes past its octal fields, times before 1970 or after 2242,
 * user and group names past 32 bytes, extended attributes), its records
 * sorted by key.
 */
#ifndef LIMG_TAR_ENTRY_H
#define LIMG_TAR_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "writer.h"

/* Entry types: the ustar typeflag. */
enum {
	LIMG__TAR_REG = '0',
	LIMG__TAR_HARDLINK = '1',
	LIMG__TAR_SYMLINK = '2',
	LIMG__TAR_CHAR = '3',
	LIMG__TAR_BLOCK = '4',
	LIMG__TAR_DIR = '5',
	LIMG__TAR_FIFO = '6'
};

typedef struct {
	const char *name;  /* "security.capability" */
	const void *value;
	size_t len;
} limg__tar_xattr;

typedef struct {
	const char *name;     /* relative and clean ("usr/bin/x"); a directory's without its "/" */
	int type;             /* LIMG__TAR_* */
	unsigned mode;        /* permission bits with setuid, setgid, sticky (07777) */
	int64_t uid, gid;
	const char *uname, *gname; /* NULL for none */
	int64_t mtime;        /* seconds since the epoch */
	int64_t size;         /* of a regular file's data, which follows */
	const char *link;     /* a symlink's target, or the in-archive name a hard link points to */
	unsigned devmajor, devminor;
	const limg__tar_xattr *xattrs; /* written in name order whatever their order here */
	size_t nxattrs;
} limg__tar_entry;

/* Longest name and link target a layer entry may have (what a path on
 * Linux may be, and what unpackers accept). */
#define LIMG__TAR_PATH_MAX 4095

/* Writes the header(s) of @e; a regular file's @size bytes follow through
 * limg__tar_data() and limg__tar_pad(). LIMG_EINVALID for what no tar
 * can say (an empty name, an xattr name with "=", a name over
 * LIMG__TAR_PATH_MAX): the message names the entry. */
int limg__tar_entry_write(limg__tar_writer *t, const limg__tar_entry *e);

/* The order entries of a layer are written in: each directory before what
 * it holds, the names of one directory in byte order (as if "/" sorted
 * before every other byte; what `tar --sort=name` makes). */
int limg__tar_path_cmp(const char *a, const char *b);

#endif
