/*
 * File helpers for the store and the tag index: crash-safe writes, locks,
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
 * ENOSPC/EDQUOT/EFBIG become LIMG_ENOSPACE, ENOENT LIMG_ENOTFOUND, the rest LIMG_EOS. */
int limg__fs_error(const char *what, const char *path);

/* mkdir -p with mode 0755; existing directories are fine. */
int limg__fs_mkdirs(const char *path);

/* Flushes a directory's entries to disk (after a rename or unlink in it). */
int limg__fs_sync_dir(const char *dir);

/* Writes a whole file so that readers see either the old or the new
 * contents, never a mix: temp file in the same directory, fsync, rename,
 * fsync of the directory. */
int limg__fs_write_atomic(const char *path, const void *data, size_t len);
/* The same without the flushes: for caches, where a loss costs a rebuild,
 * never data. Readers still never see a half-written file. */
int limg__fs_write_replace(const char *path, const void *data, size_t len);

/* Reads a whole file into @out (NUL-terminated); files over @max bytes
 * give LIMG_ETOOBIG, a missing file LIMG_ENOTFOUND. */
int limg__fs_read(limg_buf *out, const char *path, size_t max);

/* Takes an exclusive lock on @path (created if missing) and returns its fd
 * in *@fd; blocks until the lock is free unless @wait is false, in which
 * case a busy lock gives LIMG_EEXISTS without raising an error. */
int limg__fs_lock(int *fd, const char *path, bool wait);
void limg__fs_unlock(int fd);

/* Writes all of @len bytes, retrying short writes and EINTR. */
int limg__fs_write_all(int fd, const void *data, size_t len, const char *path);

/* "a" + "/" + "b" into @out (reset first). */
int limg__fs_join(limg_buf *out, const char *a, const char *b);

#endif
