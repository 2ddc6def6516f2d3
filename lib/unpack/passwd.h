/* SPDX-License-Identifier: MIT */
/* The image's USER as ids, from the root's own /etc/passwd and /etc/group. */
#ifndef LIMG_UNPACK_PASSWD_H
#define LIMG_UNPACK_PASSWD_H

#include <stddef.h>
#include <stdint.h>

#define LIMG_ID_MAX 2147483647u /* as runc and moby: ids are positive int32 */

typedef struct {
	uint32_t uid, gid;
	uint32_t *sgids;  /* supplementary groups (those listing the user), when no group was named */
	size_t nsgids;
	char *home;       /* from the user's passwd entry, or NULL */
} limg__exec_user;

/*
 * Resolves @spec ("", "name", "uid", "name:group", "uid:gid", ...) as
 * runc's and moby's user package do, reading the files beneath @root
 * (symlinks resolved inside it, regular files only, at most 4 MiB each),
 * never through NSS. A numeric part is an id, never looked up as a name;
 * ids above LIMG_ID_MAX are refused. Returns 0, LIMG_ENOTFOUND (a name the
 * files lack), LIMG_ECORRUPT (an id out of range, a file that is not a
 * regular file), LIMG_ETOOBIG, LIMG_ENOMEM.
 */
int limg__exec_user_resolve(limg__exec_user *out, int root, const char *spec);
void limg__exec_user_dispose(limg__exec_user *u);

#endif
