/* SPDX-License-Identifier: MIT */
/*
 * The entries of a tar stream, maybe compressed, that the caller's @read
 * supplies: a worker thread reads and decompresses into a bounded pipe;
 * this thread hashes what comes out (the diff_id), shows it to @tee (may be
 * NULL) and lets libarchive parse the headers. Entries come out as
 * limg__tar_entry (entry.h), their data in order with sparse holes filled.
 * At the end the stream is drained, so the digest covers every byte.
 */
#ifndef LIMG_TAR_STREAM_H
#define LIMG_TAR_STREAM_H

#include <stdint.h>

#include "entry.h"
#include "libimage/cancel.h"
#include "libimage/common.h"

typedef struct limg__tar_stream limg__tar_stream;

typedef struct {
	int compression;       /* a limg_compression */
	int64_t limit;         /* uncompressed bytes at most (0: LIMG_LAYER_SIZE_MAX_DEFAULT) */
	int64_t max_entries;   /* 0: LIMG_LAYER_ENTRIES_MAX_DEFAULT */
	limg_read_cb read;     /* called on the worker thread; 0 bytes is the end */
	void *read_payload;
	limg_write_cb tee;     /* uncompressed bytes, in order, on this thread; may be NULL */
	void *tee_payload;
	const limg_cancel *cancel;
	const char *label;     /* names the stream in errors ("layer sha256:...") */
	int subject;           /* a limg_subject for the stream's errors */
} limg__tar_stream_opts;

int limg__tar_stream_open(limg__tar_stream **out, const limg__tar_stream_opts *opts);

/* The next entry (its strings and xattrs valid until the next call): 0, or
 * LIMG_ITEROVER (not raised) after the last. Names are as the tar has them
 * (not cleaned). A hard link's @link is the name it points to; its size 0. */
int limg__tar_stream_next(limg__tar_stream *s, limg__tar_entry *e);

/* The current entry's next bytes: *@len 0 at its end. */
int limg__tar_stream_data(limg__tar_stream *s, const void **data, size_t *len);

/* Reads to the end of the stream; @diff_id (80 bytes) and *@size receive
 * what all of it hashed to. */
int limg__tar_stream_finish(limg__tar_stream *s, char diff_id[80], int64_t *size);

void limg__tar_stream_free(limg__tar_stream *s);

#endif
