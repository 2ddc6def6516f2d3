/* SPDX-License-Identifier: MIT */
/*
 * A layer applied into a directory of its own over the directories of the
 * layers below it (shared unpacked layers, snapshot.h): paths are resolved
 * in the merged view the overlay mount will show (a symlink of a lower
 * layer is followed as in a root made whole), a directory of a lower layer
 * that this layer writes beneath is copied up (its owner, mode, times and
 * xattrs), and whiteouts are written in overlayfs' own form: a 0/0
 * character device for ".wh.NAME", trusted.overlay.opaque "y" for
 * ".wh..wh..opq" (user.overlay.opaque where unprivileged: such layers are
 * mounted with "userxattr"). The lower layers are only read.
 */
#ifndef LIMG_UNPACK_OVERLAY_H
#define LIMG_UNPACK_OVERLAY_H

#include <stdbool.h>
#include <sys/stat.h>

#include "apply.h"
#include "resolve.h"

#define LIMG_OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define LIMG_OVERLAY_OPAQUE_USER_XATTR "user.overlay.opaque"

/* The opaque mark @a writes: the trusted namespace needs CAP_SYS_ADMIN. */
static inline const char *limg__overlay_opaque_xattr(const limg__applier *a)
{
	return a->privileged ? LIMG_OVERLAY_OPAQUE_XATTR : LIMG_OVERLAY_OPAQUE_USER_XATTR;
}

/* Whether @st is an overlayfs whiteout (a 0/0 character device). */
bool limg__overlay_is_whiteout(const struct stat *st);

/* Whether the directory @fd is marked opaque (either mark: a layer holds
 * only the one it was made with, never one from an image's tar). */
bool limg__overlay_is_opaque(int fd);

/* limg__resolve_dir() in the merged view of @a (its root over a->lowers):
 * the link-free path is made in the layer's own directory, components that
 * a lower layer has copied up (and their times kept for the layer's end
 * through limg__apply_keep_times), the others made new and reported to
 * @created. Without @created nothing is made: a directory the layer does
 * not hold itself is -ENOENT. */
int limg__overlay_resolve_dir(limg__applier *a, const char *path, limg__created_cb created, void *payload, int *out);

/* What the merged view holds at @dir/@name (@dir followed, @name not):
 * 0 with *@st and *@own (whether the layer's own directory holds it), or
 * -ENOENT (absent or whited out), -ENOTDIR, -ELOOP, -ENOMEM. */
int limg__overlay_lookup(limg__applier *a, const char *dir, const char *name, struct stat *st, bool *own);

/* Makes sure the layer's own directory holds the non-directory @dir/@name
 * of the merged view, copying it up from the lower layer that has it: *@fd
 * receives the layer's own directory @dir (resolved). -ENOENT when the
 * merged view has no such non-directory. */
int limg__overlay_copy_up(limg__applier *a, const char *dir, const char *name, int *fd);

/* Copies the entry @name of @from (a regular file, with reflinks where the
 * file system has them; a symlink; a device or FIFO) to @to_name in @to,
 * with its owner, mode, times and xattrs (overlayfs' own left out). 0 or
 * -errno. */
int limg__clone_node(int from, const char *name, const struct stat *st, int to, const char *to_name);

/* Gives the directory @to the owner, mode, times and xattrs of @from
 * (overlayfs' own left out). 0 or -errno. */
int limg__clone_dir_meta(int from, int to);

#endif
