/* SPDX-License-Identifier: MIT */
/* One layer of an image applied beneath a root, its bytes verified. */
#ifndef LIMG_UNPACK_LAYER_H
#define LIMG_UNPACK_LAYER_H

#include <stdint.h>

#include "apply.h"
#include "libimage/store.h"
#include "libimage/unpack.h"

typedef struct {
	limg_store *store;
	const char *digest;    /* the blob */
	const char *diff_id;   /* what it must decompress to */
	int compression;       /* a limg_compression */
	int64_t size;          /* the blob's size, for progress */
	limg_cancel *cancel;
	limg_progress_cb progress;
	void *payload;
} limg__layer_job;

/* Reads the blob on a worker thread (its digest checked by the store's
 * reader), decompresses and hashes it there, and applies its entries with
 * @a on this thread; the diff_id is checked when the stream ends, which
 * must be where the tar ends. Returns 0 or the error raised. */
int limg__unpack_layer(limg__applier *a, const limg__layer_job *job);

#endif
