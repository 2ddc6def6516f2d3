/* SPDX-License-Identifier: MIT */
/*
 * Where a new layer's tar goes: hashed (its diff_id) and compressed as it
 * is written, the compressed bytes hashed (its digest) and written into the
 * store as they come; nothing is held whole or written twice. Abandoned
 * (freed without a commit), nothing of it stays in the store.
 */
#ifndef LIMG_BUILD_SINK_H
#define LIMG_BUILD_SINK_H

#include "build_internal.h"
#include "tar/writer.h"

typedef struct limg__sink limg__sink;

typedef struct {
	limg_store *store;
	limg__lease *lease;        /* the blob is leased here before it is committed */
	int compression;           /* a limg_compression */
	int level, threads;
	const limg_cancel *cancel;
	limg_progress_cb progress; /* LIMG_EVENT_WRITING, LIMG_EVENT_COMPLETE; may be NULL */
	void *payload;
} limg__sink_opts;

int limg__sink_new(limg__sink **out, const limg__sink_opts *o);

/* The tar writer to write entries through (entry.h, writer.h). */
limg__tar_writer *limg__sink_tar(limg__sink *s);

/* Ends the tar (unless @raw: the caller wrote a whole tar), the
 * compression and the blob, and commits it: @out receives its facts. With
 * @given, the bytes were a compressed tar stored as they are (compression
 * NONE here): its diff_id, tar size and compression come from @given. */
int limg__sink_commit(limg__sink *s, bool raw, const limg__layer_facts *given, limg__layer_facts *out);

void limg__sink_free(limg__sink *s);

#endif
