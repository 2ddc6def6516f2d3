/* SPDX-License-Identifier: MIT */
/* The inside of a sync's report. */
#ifndef LIMG_SYNC_INTERNAL_H
#define LIMG_SYNC_INTERNAL_H

#include <stdint.h>

#include "libimage/sync.h"
#include "registry/registry_internal.h"

struct limg_sync_image {
	char *source, *destination, *digest, *reason;
	int status, error;
	int64_t bytes;
	/* how it is copied */
	int kind;                  /* a limg__src_kind, or -1: a repository that could not be listed */
	char *src_domain, *src_path, *src_ref; /* a registry source: tag or digest */
	char *dst_path, *dst_ref;  /* a registry destination's repository and tag; a store's reference */
	const char *store_path;    /* a store source (the list's) */
	char *store_ref;           /* its stored image */
};

typedef struct {
	char *domain;
	int64_t count[LIMG__REQ_KINDS]; /* requests it received during the sync, by kind */
	int64_t throttled;              /* 429s it answered */
} limg__sync_counts;

struct limg_sync_report {
	limg_sync_image *img;
	size_t n, cap;
	limg__sync_counts *reg;
	size_t nreg, capreg;
	double seconds;
};

#endif
