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
	/* where the compressed bytes come from: NULL, the stored blob (its
	 * digest checked by the store's reader); else this reader, called on
	 * the worker thread (a download followed as it is written: it ends only
	 * once the blob's digest checked out) */
	limg_read_cb read;
	void *read_payload;
	/* out: what the layer unpacked to */
	char got_diff_id[160];
	int64_t got_size;
} limg__layer_job;

/* Reads the compressed bytes on a worker thread, decompresses them there,
 * and applies the entries with @a on this thread, hashing what they unpack
 * from (the diff_id), which is checked when the stream ends (it must end
 * where the tar ends). Returns 0 or the error raised. */
int limg__unpack_layer(limg__applier *a, limg__layer_job *job);

#endif
