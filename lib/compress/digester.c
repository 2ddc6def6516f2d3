/* SPDX-License-Identifier: MIT */
/*
 * Inflate-and-hash in one, two or three stages: inline; inflating and
 * hashing on a worker; or inflating on one worker and hashing what it
 * produces on another. Each stage is fed through a small bounded queue, so
 * memory stays bounded whatever the speeds: a fast download waits for a slow
 * inflate, not the other way round.
 */
#include <stdlib.h>

#include "compress_internal.h"
#include "core/core.h"
#include "core/queue.h"
#include "libimage/digest.h"

#define SLOTS 4
#define SLOTS_TWO_STAGES 2 /* a mid-size layer is not what the pull waits for: less memory */
#define SLOT_SIZE (128u * 1024)

struct limg__digester {
	limg_decompressor *dec;
	limg_hasher *hasher;
	limg__queue *inflate_q; /* compressed bytes to the inflating stage, or NULL */
	limg__queue *hash_q;    /* inflated bytes to the hashing stage, or NULL */
};

static int hash_bytes(const void *data, size_t len, void *payload)
{
	limg_hasher_update(payload, data, len);
	return 0;
}

static int to_hashing(const void *data, size_t len, void *payload)
{
	return limg__queue_put(payload, data, len);
}

static int inflate_bytes(const void *data, size_t len, void *payload)
{
	limg__digester *d = payload;

	if (d->hash_q)
		return limg_decompressor_update(d->dec, data, len, to_hashing, d->hash_q);
	return limg_decompressor_update(d->dec, data, len, hash_bytes, d->hasher);
}

int limg__digester_new(limg__digester **out, int compression, int64_t max_output, int stages)
{
	limg__digester *d = limg__calloc(1, sizeof *d);
	int rc;

	*out = NULL;
	if (!d)
		return limg__error_oom();
	if ((rc = limg_decompressor_new(&d->dec, compression, max_output)) < 0 ||
	    (rc = limg_hasher_new(&d->hasher, LIMG_DIGEST_SHA256)) < 0)
		goto fail;
	/* without threads to be had, fewer stages do the same work */
	if (stages >= 3 && limg__queue_new(&d->hash_q, SLOTS, SLOT_SIZE, hash_bytes, d->hasher, "limg-hash") < 0)
		limg_error_clear();
	if (stages >= 2 &&
	    limg__queue_new(&d->inflate_q, stages >= 3 ? SLOTS : SLOTS_TWO_STAGES, SLOT_SIZE, inflate_bytes, d,
	                    "limg-inflate") < 0)
		limg_error_clear();
	*out = d;
	return 0;
fail:
	limg__digester_free(d);
	return rc;
}

int limg__digester_feed(limg__digester *d, const void *data, size_t len)
{
	return d->inflate_q ? limg__queue_put(d->inflate_q, data, len) : inflate_bytes(data, len, d);
}

int limg__digester_finish(limg__digester *d, const char **digest, int64_t *size)
{
	int rc;

	if (d->inflate_q && (rc = limg__queue_drain(d->inflate_q)) != 0)
		return rc;
	if (d->hash_q && (rc = limg__queue_drain(d->hash_q)) != 0)
		return rc;
	if ((rc = limg_decompressor_finish(d->dec)) < 0)
		return rc;
	*size = limg_decompressor_bytes_out(d->dec);
	return limg_hasher_finish(digest, d->hasher);
}

void limg__digester_free(limg__digester *d)
{
	if (!d)
		return;
	/* the inflating stage first: it may be waiting for room in the hashing one */
	limg__queue_free(d->inflate_q);
	limg__queue_free(d->hash_q);
	limg_decompressor_free(d->dec);
	limg_hasher_free(d->hasher);
	limg__free(d);
}
