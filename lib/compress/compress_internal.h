/* SPDX-License-Identifier: MIT */
/* The compress layer's helpers for pull, unpack and archives. */
#ifndef LIMG_COMPRESS_INTERNAL_H
#define LIMG_COMPRESS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "libimage/compress.h"

/* Tests run the zlib fallback through this (process-wide; not thread-safe). */
void limg__compress_force_zlib(bool on);

/*
 * The uncompressed digest and size of a stream (a layer's diff_id), worked
 * out as its compressed bytes arrive, in @stages: 1, in the caller's
 * thread; 2, inflating and hashing on a worker fed through a small bounded
 * queue, so that a download writes and hashes its bytes while another core
 * inflates them; 3, hashing the inflated bytes on a third thread, for big
 * layers whose inflate would otherwise be the whole critical path. Nothing
 * is read back from disk.
 */
typedef struct limg__digester limg__digester;

int limg__digester_new(limg__digester **out, int compression, int64_t max_output, int stages);
/* Feeds compressed bytes (copied). A failure of the decompression (also one
 * found on the thread) comes back at the next feed: the download can stop. */
int limg__digester_feed(limg__digester *d, const void *data, size_t len);
/* Waits for the rest; *@digest (borrowed until free) is "sha256:<hex>". */
int limg__digester_finish(limg__digester *d, const char **digest, int64_t *size);
void limg__digester_free(limg__digester *d);

/*
 * A streaming compressor for the layers libimage writes (compressor.c):
 * the output depends on the input, the implementation and the level only,
 * never on @threads (gzip: members compressed on that many workers; zstd:
 * its own workers). Compressed bytes reach @write in order, on the caller's
 * thread, during update and finish; what @write returns to stop comes back.
 */
#define LIMG_GZIP_MEMBER_SIZE (1u << 20) /* input bytes per gzip member */
#define LIMG_GZIP_LEVEL_DEFAULT 6
#define LIMG_ZSTD_LEVEL_DEFAULT 3

typedef struct limg__compressor limg__compressor;

/* @compression a limg_compression; @level 0 for the default (gzip 1-12,
 * zstd 1-19). LIMG_EINVALID for a level out of range. */
int limg__compressor_new(limg__compressor **out, int compression, int level, int threads, limg_write_cb write,
                         void *payload);
int limg__compressor_update(limg__compressor *c, const void *data, size_t len);
/* Compresses what is left and ends the stream. */
int limg__compressor_finish(limg__compressor *c);
int64_t limg__compressor_bytes_out(const limg__compressor *c);
void limg__compressor_free(limg__compressor *c);

#endif
