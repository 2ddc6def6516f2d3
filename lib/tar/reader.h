/* SPDX-License-Identifier: MIT */
/*
 * libarchive, loaded when first needed: tar entries are read by it (its
 * reader only), but its dependencies (ICU, libxml2, liblzma, ...) cost
 * every program ~3 MB of memory, and most programs never unpack or load.
 * Include this instead of <archive.h>: the functions below become calls
 * through pointers that limg__libarchive_load() fills once.
 */
#ifndef LIMG_TAR_READER_H
#define LIMG_TAR_READER_H

#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

struct limg__libarchive {
	struct archive * (*read_new)(void);
	int (*read_support_format_tar)(struct archive *);
	int (*read_open)(struct archive *, void *, archive_open_callback *, archive_read_callback *, archive_close_callback *);
	int (*read_open_memory)(struct archive *, const void *, size_t);
	int (*read_next_header)(struct archive *, struct archive_entry **);
	la_ssize_t (*read_data_block)(struct archive *, const void **, size_t *, la_int64_t *);
	int (*read_data_skip)(struct archive *);
	int (*read_free)(struct archive *);
	const char * (*error_string)(struct archive *);
	void (*set_error)(struct archive *, int, const char *, ...);
	const char * (*entry_pathname)(struct archive_entry *);
	const char * (*entry_hardlink)(struct archive_entry *);
	const char * (*entry_symlink)(struct archive_entry *);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *);
	__LA_MODE_T (*entry_perm)(struct archive_entry *);
	la_int64_t (*entry_size)(struct archive_entry *);
	int (*entry_size_is_set)(struct archive_entry *);
	la_int64_t (*entry_uid)(struct archive_entry *);
	la_int64_t (*entry_gid)(struct archive_entry *);
	time_t (*entry_mtime)(struct archive_entry *);
	long (*entry_mtime_nsec)(struct archive_entry *);
	time_t (*entry_atime)(struct archive_entry *);
	long (*entry_atime_nsec)(struct archive_entry *);
	int (*entry_atime_is_set)(struct archive_entry *);
	dev_t (*entry_rdev)(struct archive_entry *);
	int (*entry_xattr_reset)(struct archive_entry *);
	int (*entry_xattr_next)(struct archive_entry *, const char **, const void **, size_t *);
	const char * (*entry_uname)(struct archive_entry *);
	const char * (*entry_gname)(struct archive_entry *);
};

extern struct limg__libarchive limg__la;

/* Loads libarchive (once, thread-safe): 0, or LIMG_EUNSUPPORTED (raised) when it is not installed. */
int limg__libarchive_load(void);

#define archive_read_new limg__la.read_new
#define archive_read_support_format_tar limg__la.read_support_format_tar
#define archive_read_open limg__la.read_open
#define archive_read_open_memory limg__la.read_open_memory
#define archive_read_next_header limg__la.read_next_header
#define archive_read_data_block limg__la.read_data_block
#define archive_read_data_skip limg__la.read_data_skip
#define archive_read_free limg__la.read_free
#define archive_error_string limg__la.error_string
#define archive_set_error limg__la.set_error
#define archive_entry_pathname limg__la.entry_pathname
#define archive_entry_hardlink limg__la.entry_hardlink
#define archive_entry_symlink limg__la.entry_symlink
#define archive_entry_filetype limg__la.entry_filetype
#define archive_entry_perm limg__la.entry_perm
#define archive_entry_size limg__la.entry_size
#define archive_entry_size_is_set limg__la.entry_size_is_set
#define archive_entry_uid limg__la.entry_uid
#define archive_entry_gid limg__la.entry_gid
#define archive_entry_mtime limg__la.entry_mtime
#define archive_entry_mtime_nsec limg__la.entry_mtime_nsec
#define archive_entry_atime limg__la.entry_atime
#define archive_entry_atime_nsec limg__la.entry_atime_nsec
#define archive_entry_atime_is_set limg__la.entry_atime_is_set
#define archive_entry_rdev limg__la.entry_rdev
#define archive_entry_xattr_reset limg__la.entry_xattr_reset
#define archive_entry_xattr_next limg__la.entry_xattr_next
#define archive_entry_uname limg__la.entry_uname
#define archive_entry_gname limg__la.entry_gname

#endif
