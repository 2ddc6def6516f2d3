/* SPDX-License-Identifier: MIT */
/*
 * Has the destination what refers to an image at the source? Answered
 * cheaply for an image that is up to date: per side, the `.sig` tag's
 * digest (one manifest HEAD) and the referrers listing (one request), or a
 * store's listing beside the image (no request).
 */
#ifndef LIMG_SYNC_REFERRERS_H
#define LIMG_SYNC_REFERRERS_H

#include <stdbool.h>
#include <stddef.h>

#include "libimage/cancel.h"
#include "libimage/registry.h"
#include "libimage/store.h"

/* The digests of an image's .sig manifest and of its referrers. */
typedef struct {
	char **digests;
	size_t n, cap;
} limg__sync_attached;

/* A registry's, for @digest in @repo. */
int limg__sync_attached_remote(limg__sync_attached *out, limg_registry *reg, const char *repo, const char *digest,
                               limg_cancel *stop);
/* A store's, beside @digest: its referrers, and of the .sig manifests it
 * keeps (one for each time the signatures changed) the newest only, which
 * has every signature the others had. */
int limg__sync_attached_stored(limg__sync_attached *out, limg_store *store, const char *digest);
/* Does @have name every digest of @want? */
bool limg__sync_attached_covers(const limg__sync_attached *have, const limg__sync_attached *want);
void limg__sync_attached_dispose(limg__sync_attached *a);

#endif
