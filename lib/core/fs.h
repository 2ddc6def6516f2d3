/* SPDX-License-Identifier: MIT */
/*
 * File helpers: crash-safe writes beneath directory descriptors, locks,
 * bounded reads. Every function raises its own error (naming the path) and
 * returns 0 or a negative code.
 */
#ifndef LIMG_CORE_FS_H
#define LIMG_CORE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/common.h"

/* Raises the error for a failed system call on @path from errno:
 * ENOSPC/EDQUOT/EFBIG become LIMG_ENOSPACE, ENOENT LIMG_ENOTFOUND, the rest LIMG_ESYSTEM. */
int limg__fs_error(const char *what, const char *path);

/* mkdir -p with mode 0755; existing directories are fine. */
int limg__fs_mkdirs(const char *path);

/* Reads a whole file into @out (NUL-terminated); files over @max bytes
 * give LIMG_ETOOBIG, a missing file LIMG_ENOTFOUND, anything but a regular
 * file (a FIFO, a directory, a device) LIMG_EINVALID with subject FILE,
 * found without blocking on it. For files a configuration names. */
int limg__fs_read(limg_buf *out, const char *path, size_t max);

/* Releases a lock taken with limg__fs_lock_at() (-1 is ignored). */
void limg__fs_unlock(int fd);

/* Writes all of @len bytes, retrying short writes and EINTR. */
int limg__fs_write_all(int fd, const void *data, size_t len, const char *path);

/* "a" + "/" + "b" into @out (reset first). */
int limg__fs_join(limg_buf *out, const char *a, const char *b);

/*
 * The same beneath a directory descriptor, for directories other programs
 * may write (a store): the last component is never followed when it is a
 * symlink, non-regular files are refused without blocking on them (a FIFO
 * would), and @label names the file in error messages.
 */

/* Opens (and with @create, makes) the directory @name beneath @dirfd, not
 * following a symlink: *@out receives an O_DIRECTORY descriptor. A missing
 * directory without @create gives LIMG_ENOTFOUND (raised). */
int limg__fs_open_dir_at(int *out, int dirfd, const char *name, bool create, const char *label);

/* Opens an existing regular file for reading; LIMG_ENOTFOUND when absent,
 * LIMG_ECORRUPT when it is not a regular file (symlink, FIFO, directory). */
int limg__fs_open_regular_at(int *out, int dirfd, const char *name, const char *label);

/* Reads a whole regular file beneath @dirfd (at most @max bytes). */
int limg__fs_read_at(limg_buf *out, int dirfd, const char *name, size_t max, const char *label);

/* Replaces @name beneath @dirfd atomically (temp file "<name>.tmp-XXXXXX",
 * rename). With @durable, the data and the directory are flushed. */
int limg__fs_write_at(int dirfd, const char *name, const void *data, size_t len, bool durable, const char *label);

/* Creates a new file "<prefix>XXXXXX" (random suffix, O_EXCL, never through
 * a symlink) beneath @dirfd; its name goes to @name (of @cap bytes). */
int limg__fs_create_unique_at(int *out, int dirfd, const char *prefix, char *name, size_t cap, const char *label);

/* The same for a new directory (mode 0700): *@out is its O_DIRECTORY descriptor. */
int limg__fs_mkdir_unique_at(int *out, int dirfd, const char *prefix, char *name, size_t cap, const char *label);

/* flock on @name beneath @dirfd (created if missing, never through a
 * symlink), shared or exclusive. Without @wait, a busy lock gives
 * LIMG_EEXISTS, not raised. */
int limg__fs_lock_at(int *fd, int dirfd, const char *name, bool exclusive, bool wait, const char *label);

/* Flushes a directory descriptor. */
int limg__fs_sync_fd(int fd, const char *label);

/* Removes @name beneath @dirfd whatever it is (a directory with all it
 * holds), never following a symlink: links are removed, not their targets.
 * A missing @name is fine. */
int limg__fs_remove_tree_at(int dirfd, const char *name, const char *label);

/* True when @name is "<prefix>" followed by exactly @suffix_len characters
 * of [A-Za-z0-9] (the names limg__fs_create_unique_at makes). */
bool limg__fs_is_unique_name(const char *name, const char *prefix);

#endif
