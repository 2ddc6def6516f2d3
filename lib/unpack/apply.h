/* SPDX-License-Identifier: MIT */
/* Applying the entries of one layer beneath a root (see unpack.h for the promises). */
#ifndef LIMG_UNPACK_APPLY_H
#define LIMG_UNPACK_APPLY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/strset.h"
#include "libimage/context.h"
#include "libimage/unpack.h"

struct archive;
struct archive_entry;

struct limg__dir_meta; /* a directory's metadata, applied when its layer ends */
struct limg__held_mode; /* rootless: a directory mode that would shut the user out, set last */

typedef struct {
	limg_context *ctx;
	int root;                    /* the root filesystem */
	bool rootless;               /* no chown, no device nodes; owners go to user.rootlesscontainers */
	bool privileged;             /* chown and mknod may be done, security.capability kept */
	const limg_id_map *uids, *gids;
	size_t nuids, ngids;
	uint32_t rootless_uid, rootless_gid; /* who owns everything in rootless mode */
	int64_t max_entries, limit;
	/* shared layers (overlay.h): root is this layer's own directory, over
	 * these lower layers' directories (topmost first); paths resolve in the
	 * merged view and whiteouts are written in overlayfs' form */
	bool overlay;
	const int *lowers;
	size_t nlowers;
	const char *layer;           /* the layer's digest, for messages */
	/* per layer */
	int64_t entries, logical;    /* entries seen, bytes they claim (sparse sizes included) */
	limg__strset upper;          /* paths this layer made: whiteouts leave them be */
	limg__strset touched;        /* lower layers' directories whose times are kept */
	struct limg__dir_meta *dirs;
	size_t ndirs, capdirs;
	char parent_path[4096];      /* the last parent directory resolved, and its descriptor */
	int parent_fd;
	bool parent_valid;           /* false once a directory was removed: resolve afresh */
	bool warned_xattr, warned_device;
	/* across layers */
	struct limg__held_mode *held;
	size_t nheld, capheld;
} limg__applier;

/* Prepares @a for a new layer (the root and the options stay). */
void limg__apply_begin_layer(limg__applier *a, const char *layer);
/* Applies the entry @e just read from @ar; its data is read too. Raises
 * the error (naming the layer and the entry) and returns it on failure. */
int limg__apply_entry(limg__applier *a, struct archive *ar, struct archive_entry *e);
/* Applies the deferred directory metadata (modes, owners, times): the end
 * of a layer. */
int limg__apply_end_layer(limg__applier *a);
/* Rootless: gives the directories whose mode lacks the owner's rwx (0000,
 * 0555) that mode, deepest first, as umoci leaves them; until then they stay
 * open to the unpacking user, so that later layers can work beneath them.
 * The end of the unpack. */
int limg__apply_finish(limg__applier *a);
void limg__apply_dispose(limg__applier *a);

/* Rootless: remembers @mode for the directory @fd at @path when it would
 * shut the unpacking user out, for limg__apply_finish() (the last word of
 * the layers on a path wins). 0 or LIMG_ENOMEM (raised). */
int limg__apply_hold_mode(limg__applier *a, const char *path, int fd, mode_t mode);
/* Rootless: the path of a held directory whose mode keeps even its owner
 * from listing it (no r or no x for the owner), or NULL. */
const char *limg__apply_held_unreadable(const limg__applier *a);
/* Keeps the times the directory @fd (at @path) has now until the layer
 * ends: a directory of a lower layer that this layer changes. 0 or
 * LIMG_ENOMEM (raised). */
int limg__apply_keep_times(limg__applier *a, int fd, const char *path);
/* Records @path as made by this layer (a limg__created_cb; @payload the applier). */
int limg__apply_record_upper(const char *path, void *payload);

/* The rootless xattr's value (protobuf: uid = 1, gid = 2; 0xFFFFFFFF for
 * "as the file's owner") for a layer's owner; 0 bytes when both are 0. */
size_t limg__rootless_xattr(unsigned char out[16], uint32_t uid, uint32_t gid);

#endif
