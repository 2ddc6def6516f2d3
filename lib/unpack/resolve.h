/* SPDX-License-Identifier: MIT */
/*
 * Paths beneath a root directory descriptor, as chroot(2) would see them:
 * an absolute symlink restarts at the root, ".." stops there, and nothing
 * is ever reached outside. openat2(RESOLVE_IN_ROOT) does it in the kernel;
 * where it is missing, a walk component by component with O_NOFOLLOW does
 * the same in user space.
 */
#ifndef LIMG_UNPACK_RESOLVE_H
#define LIMG_UNPACK_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

/* Makes a tar entry name local (limg__path_clean, components of at most
 * NAME_MAX): 0 with the cleaned name in @out ("" for the root), -1 when the
 * name leaves the root, -2 when it does not fit or a component is too long. */
int limg__clean_name(const char *name, char *out, size_t cap);

/* Opens the directory @path (cleaned, relative; "" is the root) beneath
 * @root. With @created non-NULL, missing components are made (mode 0755)
 * and each made one is reported to @created(path, payload). *@out receives
 * an O_DIRECTORY descriptor. Returns 0 or -errno (ENOENT, ENOTDIR, ELOOP).
 * No error is raised: callers name the entry. */
typedef int (*limg__created_cb)(const char *path, void *payload);
int limg__resolve_dir(int root, const char *path, limg__created_cb created, void *payload, int *out);

/* Opens the regular file @path for reading, beneath @root (symlinks
 * followed as a chroot would). Returns 0 or -errno: EINVAL for what is not
 * a regular file (a FIFO, a device, never opened), ENOENT, ELOOP. */
int limg__resolve_file(int root, const char *path, int *out);

/* The path @path leads to beneath @root, as a chroot would follow it:
 * symlinks replaced by their targets (absolute ones from the root, at most
 * 40), ".." stopping at the root; components that do not exist are kept
 * as written. 0 with the cleaned, link-free path in @out ("" for the
 * root), or -errno: ELOOP, ENAMETOOLONG, ENOMEM. */
int limg__resolve_path(int root, const char *path, char *out, size_t cap);

/* Splits a cleaned path into its directory part (in @dir) and last component. */
const char *limg__split_path(const char *path, char *dir, size_t cap);

/* For tests: use the user-space walk even where openat2 exists. */
void limg__resolve_force_walk(bool on);

#endif
