/* SPDX-License-Identifier: MIT */
/* config.json of a runtime bundle, from an image config (as umoci makes it). */
#ifndef LIMG_UNPACK_BUNDLE_H
#define LIMG_UNPACK_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "libimage/context.h"
#include "libimage/unpack.h"

typedef struct {
	int bundle;              /* the bundle directory */
	int root;                /* its rootfs */
	const char *config;      /* the image config's bytes (already checked JSON) */
	size_t config_len;
	bool rootless;
	bool terminal;
	const limg_id_map *uids, *gids;
	size_t nuids, ngids;
	limg_context *ctx;
} limg__bundle_job;

/* Writes @job->bundle/config.json (0600) and makes /dev, /proc, /sys,
 * /dev/pts and /dev/shm real directories of the rootfs, whatever the image
 * had there. The working directory and the volumes are resolved inside the
 * rootfs (symlinks followed) and written as resolved. Returns 0,
 * LIMG_EUNSUPPORTED (not a linux image), LIMG_ECORRUPT (an environment
 * entry without "=", a working directory or a volume that leads to /proc or
 * /sys, a volume that is empty, relative, climbs with ".." or holds control
 * characters, an id out of range), LIMG_ENOTFOUND (a user or group the
 * image lacks), LIMG_ESYSTEM. */
int limg__bundle_write(const limg__bundle_job *job);

#endif
