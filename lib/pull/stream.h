/* SPDX-License-Identifier: MIT */
/*
 * A layer's compressed bytes handed from its download to the unpack that
 * follows it (limg_pull_unpack): the download says which file it writes and
 * how far the bytes are there in order (hashed by the blob writer as they
 * went in); the unpack reads them back from the page cache as they come, so
 * the layer is inflated once, while it downloads, and sees the stream's end
 * only once the blob's digest checked out. A layer that is (or ends up) in
 * the store otherwise is read from the store, its digest checked as it is
 * read.
 */
#ifndef LIMG_PULL_STREAM_H
#define LIMG_PULL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/store.h"

typedef struct limg__layer_stream limg__layer_stream;

int limg__stream_new(limg__layer_stream **out, limg_store *store, const char *digest, limg_cancel *stop);
void limg__stream_free(limg__layer_stream *s);

/* The download's side. */
/* The bytes are written to @fd (duplicated here): [0, @ready) are there, in order. */
int limg__stream_file(limg__layer_stream *s, int fd, int64_t ready);
/* [0, @ready) are there now. */
void limg__stream_more(limg__layer_stream *s, int64_t ready);
/* The file is the whole blob, @size bytes, and its digest checked out. */
void limg__stream_committed(limg__layer_stream *s, int64_t size);
/* The blob is in the store (it was, or it came another way than the file):
 * what is left is read from there. No-op once committed or failed. */
void limg__stream_stored(limg__layer_stream *s);
/* The download failed with @rc: the thread's last error goes to the reader.
 * No-op once committed or stored. */
void limg__stream_failed(limg__layer_stream *s, int rc);

/* The unpack's side: the next bytes (a limg_read_cb; 0 bytes: the end,
 * after the digest was checked), waiting for them as long as the download
 * runs; the download's failure, with its error. */
int limg__stream_read(size_t *out_len, void *buf, size_t cap, void *payload);

#endif
