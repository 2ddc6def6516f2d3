/* SPDX-License-Identifier: MIT */
/* One layer applied into a new snapshot over the snapshots below it. */
#ifndef LIMG_SNAPSHOT_MAKE_H
#define LIMG_SNAPSHOT_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/common.h"
#include "libimage/store.h"

typedef struct {
	limg_store *store;
	int dir;                /* the snapshots directory */
	const char *label;      /* its name, for messages */
	const int *lowers;      /* the fs directories of the snapshots below, topmost first */
	size_t nlowers;
	const char *chain;      /* the snapshot's chain ID */
	const char *parent;     /* the one below's, or NULL */
	const char *digest;     /* the layer blob */
	const char *media_type;
	const char *diff_id;
	int64_t size;
	int64_t max_layer_size, max_entries;
	limg_cancel *cancel;
	limg_progress_cb progress;
	void *payload;
	bool rootless;          /* made by a user without privileges (snapshot_internal.h) */
} limg__snapshot_job;

/* Makes the snapshot, or finds that another process just made it. 0 or the error raised. */
int limg__snapshot_make(const limg__snapshot_job *job);

#endif
