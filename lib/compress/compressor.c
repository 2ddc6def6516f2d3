/* SPDX-License-Identifier: MIT */
/*
 * Compressing layers we write, with output that depends on the bytes in,
 * the implementation and the level only (never on threads or timing):
 *
 * - gzip: libdeflate at levels 1-12, one gzip member per 1 MiB of input
 *   (RFC 1952 allows members back to back; Go, zlib, Python and our own
 *   decompressor read them). Members compress independently, so a few
 *   threads share the work and the bytes stay the same with any count.
 *   The header is fixed: no name, MTIME 0, OS 255 (libdeflate's), as Go's.
 * - zstd: libzstd's streaming compressor with at least one worker, whose
 *   jobs do not depend on the number of workers.
 * - none: the bytes as they are.
 *
 * Compressed bytes reach @write in order, on the caller's thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zstd.h>

#include "compress_internal.h"
#include "core/core.h"

#define MEMBER_IN LIMG_GZIP_MEMBER_SIZE
#define ZSTD_OUT (128u * 1024)

enum slot_state { S_EMPTY, S_READY, S_BUSY, S_DONE };

typedef struct {
	unsigned char *in, *out;
	size_t in_len, out_len;
	enum slot_state state;
	int64_t seq;
} slot;

struct limg__compressor {
	int compression, level;
	limg_write_cb write;
	void *payload;
	int64_t bytes_in, bytes_out;
	/* gzip */
	slot *slots;
	size_t nslots, out_cap;
	size_t fill;             /* the slot the caller fills */
	int64_t next_seq;        /* sequence number of the next slot handed to workers */
	int64_t next_write;      /* sequence number of the next output to write */
	struct libdeflate_compressor *inline_c; /* no workers: the caller compresses */
	pthread_t *threads;
	size_t nthreads;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	bool stopping, sync_init;
	/* zstd */
	ZSTD_CCtx *zstd;
	unsigned char *zout;
};

static int emit(limg__compressor *c, const void *data, size_t len)
{
	int rc;

	if (!len)
		return 0;
	c->bytes_out += (int64_t)len;
	if ((rc = c->write(data, len, c->payload)) != 0)
		return rc < 0 ? rc : limg__error_after_callback(rc, "compressing");
	return 0;
}

/* ---- gzip: members on workers ------------------------------------------- */

static size_t deflate_member(struct libdeflate_compressor *d, slot *s, size_t cap)
{
	return libdeflate_gzip_compress(d, s->in, s->in_len, s->out, cap);
}

static void *gzip_worker(void *arg)
{
	limg__compressor *c = arg;
	struct libdeflate_compressor *d = libdeflate_alloc_compressor(c->level);

	limg__thread_name("limg-deflate");
	pthread_mutex_lock(&c->lock);
	for (;;) {
		slot *s = NULL;
		/* the oldest member waiting */
		for (size_t i = 0; i < c->nslots; i++)
			if (c->slots[i].state == S_READY && (!s || c->slots[i].seq < s->seq))
				s = &c->slots[i];
		if (!s) {
			if (c->stopping)
				break;
			pthread_cond_wait(&c->work, &c->lock);
			continue;
		}
		s->state = S_BUSY;
		pthread_mutex_unlock(&c->lock);
		s->out_len = d ? deflate_member(d, s, c->out_cap) : 0;
		pthread_mutex_lock(&c->lock);
		s->state = S_DONE;
		pthread_cond_broadcast(&c->done);
	}
	pthread_mutex_unlock(&c->lock);
	libdeflate_free_compressor(d);
	return NULL;
}

/* Writes finished members in order: every one up to the member @upto
 * (waiting for them), then those already finished. */
static int gzip_flush(limg__compressor *c, int64_t upto)
{
	int rc;

	while (c->next_write < c->next_seq) {
		slot *s = &c->slots[c->next_write % (int64_t)c->nslots];
		if (c->threads) {
			bool ready;
			pthread_mutex_lock(&c->lock);
			while (s->state != S_DONE && c->next_write <= upto)
				pthread_cond_wait(&c->done, &c->lock);
			ready = s->state == S_DONE;
			pthread_mutex_unlock(&c->lock);
			if (!ready)
				return 0;
		}
		if (!s->out_len)
			return limg__error_set(LIMG_ERROR, "gzip: a member did not compress");
		rc = emit(c, s->out, s->out_len);
		if (c->threads)
			pthread_mutex_lock(&c->lock);
		s->state = S_EMPTY;
		s->in_len = 0;
		if (c->threads)
			pthread_mutex_unlock(&c->lock);
		c->next_write++;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The filled slot goes to a worker (or is compressed here). */
static int gzip_submit(limg__compressor *c)
{
	slot *s = &c->slots[c->fill];

	s->seq = c->next_seq++;
	if (!c->threads) {
		s->out_len = deflate_member(c->inline_c, s, c->out_cap);
		s->state = S_DONE;
		return gzip_flush(c, s->seq);
	}
	pthread_mutex_lock(&c->lock);
	s->state = S_READY;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
	c->fill = (c->fill + 1) % c->nslots;
	/* the slot to fill next must have been written out */
	return gzip_flush(c, c->next_seq - (int64_t)c->nslots);
}

static int gzip_update(limg__compressor *c, const unsigned char *p, size_t len)
{
	int rc;

	while (len) {
		slot *s = &c->slots[c->fill];
		size_t k = MEMBER_IN - s->in_len < len ? MEMBER_IN - s->in_len : len;
		memcpy(s->in + s->in_len, p, k);
		s->in_len += k;
		p += k;
		len -= k;
		if (s->in_len == MEMBER_IN && (rc = gzip_submit(c)) != 0)
			return rc;
	}
	return 0;
}

static int gzip_finish(limg__compressor *c)
{
	int rc;

	/* an empty stream is still one (empty) member */
	if ((c->slots[c->fill].in_len || !c->next_seq) && (rc = gzip_submit(c)) != 0)
		return rc;
	return gzip_flush(c, c->next_seq - 1);
}

static void gzip_stop(limg__compressor *c)
{
	if (c->threads) {
		pthread_mutex_lock(&c->lock);
		c->stopping = true;
		pthread_cond_broadcast(&c->work);
		pthread_mutex_unlock(&c->lock);
		for (size_t i = 0; i < c->nthreads; i++)
			pthread_join(c->threads[i], NULL);
		limg__free(c->threads);
		c->threads = NULL;
	}
}

static int gzip_new(limg__compressor *c, int threads)
{
	struct libdeflate_compressor *probe;

	if (c->level < 1 || c->level > 12)
		return limg__error_set(LIMG_EINVALID, "gzip level %d is not in 1-12", c->level);
	if (!(probe = libdeflate_alloc_compressor(c->level)))
		return limg__error_oom();
	c->out_cap = libdeflate_gzip_compress_bound(probe, MEMBER_IN);
	c->nslots = threads > 1 ? (size_t)threads + 2 : 1;
	if (!(c->slots = limg__calloc(c->nslots, sizeof *c->slots))) {
		libdeflate_free_compressor(probe);
		return limg__error_oom();
	}
	for (size_t i = 0; i < c->nslots; i++)
		if (!(c->slots[i].in = limg__malloc(MEMBER_IN)) || !(c->slots[i].out = limg__malloc(c->out_cap))) {
			libdeflate_free_compressor(probe);
			return limg__error_oom();
		}
	if (threads <= 1) {
		c->inline_c = probe;
		return 0;
	}
	libdeflate_free_compressor(probe);
	if (pthread_mutex_init(&c->lock, NULL) || pthread_cond_init(&c->work, NULL) || pthread_cond_init(&c->done, NULL))
		return limg__error_set(LIMG_ESYSTEM, "cannot set up compression threads");
	c->sync_init = true;
	if (!(c->threads = limg__calloc((size_t)threads, sizeof *c->threads)))
		return limg__error_oom();
	for (int i = 0; i < threads; i++) {
		if (limg__thread_start(&c->threads[i], gzip_worker, c) != 0)
			break;
		c->nthreads++;
	}
	if (!c->nthreads) {
		/* no thread to be had: the same bytes, compressed here */
		limg__free(c->threads);
		c->threads = NULL;
		if (!(c->inline_c = libdeflate_alloc_compressor(c->level)))
			return limg__error_oom();
	}
	return 0;
}

/* ---- zstd ---------------------------------------------------------------- */

static int zstd_run(limg__compressor *c, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t left;
	int rc;

	do {
		ZSTD_outBuffer out = { c->zout, ZSTD_OUT, 0 };
		left = ZSTD_compressStream2(c->zstd, &out, &in, mode);
		if (ZSTD_isError(left))
			return limg__error_set(LIMG_ERROR, "zstd: %s", ZSTD_getErrorName(left));
		if ((rc = emit(c, c->zout, out.pos)) != 0)
			return rc;
	} while (mode == ZSTD_e_continue ? in.pos < in.size : left != 0);
	return 0;
}

static int zstd_new(limg__compressor *c, int threads)
{
	if (c->level < 1 || c->level > 19)
		return limg__error_set(LIMG_EINVALID, "zstd level %d is not in 1-19", c->level);
	if (!(c->zstd = ZSTD_createCCtx()) || !(c->zout = limg__malloc(ZSTD_OUT)))
		return limg__error_oom();
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, c->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_checksumFlag, 1)))
		return limg__error_set(LIMG_ERROR, "zstd: cannot set the level");
	/* at least one worker: the jobs, and so the bytes, are then the same whatever the count */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_nbWorkers, threads > 1 ? threads : 1)))
		limg__log(NULL, LIMG_LOG_DEBUG, "zstd without threads: its bytes differ from a threaded build's");
	return 0;
}

/* ---- the interface -------------------------------------------------------- */

int limg__compressor_new(limg__compressor **out, int compression, int level, int threads, limg_write_cb write,
                         void *payload)
{
	limg__compressor *c;
	int rc = 0;

	*out = NULL;
	if (!write)
		return limg__error_invalid("write");
	if (!(c = limg__calloc(1, sizeof *c)))
		return limg__error_oom();
	c->compression = compression;
	c->write = write;
	c->payload = payload;
	switch (compression) {
	case LIMG_COMPRESSION_NONE:
		break;
	case LIMG_COMPRESSION_GZIP:
		c->level = level ? level : LIMG_GZIP_LEVEL_DEFAULT;
		rc = gzip_new(c, threads);
		break;
	case LIMG_COMPRESSION_ZSTD:
		c->level = level ? level : LIMG_ZSTD_LEVEL_DEFAULT;
		rc = zstd_new(c, threads);
		break;
	default:
		rc = limg__error_set(LIMG_EUNSUPPORTED, "cannot compress with compression %d", compression);
	}
	if (rc < 0) {
		limg__compressor_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int limg__compressor_update(limg__compressor *c, const void *data, size_t len)
{
	c->bytes_in += (int64_t)len;
	switch (c->compression) {
	case LIMG_COMPRESSION_GZIP: return gzip_update(c, data, len);
	case LIMG_COMPRESSION_ZSTD: return len ? zstd_run(c, data, len, ZSTD_e_continue) : 0;
	default: return emit(c, data, len);
	}
}

int limg__compressor_finish(limg__compressor *c)
{
	switch (c->compression) {
	case LIMG_COMPRESSION_GZIP: return gzip_finish(c);
	case LIMG_COMPRESSION_ZSTD: return zstd_run(c, NULL, 0, ZSTD_e_end);
	default: return 0;
	}
}

int64_t limg__compressor_bytes_out(const limg__compressor *c)
{
	return c->bytes_out;
}

void limg__compressor_free(limg__compressor *c)
{
	if (!c)
		return;
	gzip_stop(c);
	if (c->sync_init) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->work);
		pthread_cond_destroy(&c->done);
	}
	for (size_t i = 0; c->slots && i < c->nslots; i++) {
		limg__free(c->slots[i].in);
		limg__free(c->slots[i].out);
	}
	limg__free(c->slots);
	libdeflate_free_compressor(c->inline_c);
	ZSTD_freeCCtx(c->zstd);
	limg__free(c->zout);
	limg__free(c);
}
