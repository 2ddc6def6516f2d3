/* SPDX-License-Identifier: MIT */
/*
 * One blob streamed from a repository of one registry to a repository of
 * another (or of the same): what limg_copy() does per blob, and what a
 * sync does for every blob its destination lacks.
 */
#ifndef LIMG_COPY_STREAM_H
#define LIMG_COPY_STREAM_H

#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/registry.h"
#include "push/transfer.h"

typedef struct {
	limg_registry *from;
	const char *from_repo;
	limg_registry *to;
	const char *to_repo;
	const char *mount_from;  /* a repository of @to that has the blob: mounted (no byte moves) when the
	                            registry lets us, streamed when not; NULL: streamed */
	int64_t chunk_size;      /* 0: one PUT; > 0: PATCH chunks */
	limg_cancel *cancel;     /* the caller's stop token */
	limg__transfer *plan;    /* where upload progress is reported */
} limg__copy_stream;

/* Moves blob @b: mounted, or fetched (its digest checked by the registry
 * client) into a bounded pipe that the upload drains, the last bytes held
 * back until the source's digest has checked out (the destination checks
 * it again). A transfer broken by the network starts over, a few times.
 * 0 with *@result a limg_upload_result (MOUNTED or PUSHED), or the error. */
int limg__copy_stream_blob(const limg__copy_stream *s, const limg__xfer_blob *b, int *result);

#endif
