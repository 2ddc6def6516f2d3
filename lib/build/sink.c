/* SPDX-License-Identifier: MIT */
/* A new layer's way into the store (see sink.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "sink.h"

#define PROGRESS_STEP (4 << 20)

struct limg__sink {
	limg__sink_opts o;
	limg__tar_writer tar;
	limg_hasher *tar_hash;  /* the diff_id */
	limg_hasher *blob_hash; /* the digest, known before the commit (so it is leased first) */
	limg__compressor *comp;
	limg_blob_writer *w;
	int64_t tar_size, reported;
	bool committed;
};

/* Compressed bytes: hashed and stored. */
static int to_blob(const void *data, size_t len, void *payload)
{
	limg__sink *s = payload;

	limg_hasher_update(s->blob_hash, data, len);
	return limg_blob_writer_write(s->w, data, len);
}

/* Tar bytes: hashed and compressed. */
static int from_tar(const void *data, size_t len, void *payload)
{
	limg__sink *s = payload;
	int rc;

	limg_hasher_update(s->tar_hash, data, len);
	s->tar_size += (int64_t)len;
	if ((rc = limg__compressor_update(s->comp, data, len)) != 0)
		return rc;
	if (s->tar_size - s->reported >= PROGRESS_STEP) {
		if (limg_cancel_requested(s->o.cancel))
			return limg__error_set(LIMG_ECANCELLED, "cancelled");
		s->reported = s->tar_size;
		if (s->o.progress && (rc = s->o.progress(NULL, LIMG_BLOB_LAYER, LIMG_EVENT_WRITING, s->tar_size, -1, NULL,
		                                         s->o.payload)) != 0)
			return limg__error_after_callback(rc, "the layer");
	}
	return 0;
}

int limg__sink_new(limg__sink **out, const limg__sink_opts *o)
{
	limg__sink *s;
	int rc;

	*out = NULL;
	if (!(s = limg__calloc(1, sizeof *s)))
		return limg__error_oom();
	s->o = *o;
	s->tar.fd = -1;
	s->tar.write = from_tar;
	s->tar.payload = s;
	if ((rc = limg_hasher_new(&s->tar_hash, LIMG_DIGEST_SHA256)) < 0 ||
	    (rc = limg_hasher_new(&s->blob_hash, LIMG_DIGEST_SHA256)) < 0 ||
	    (rc = limg__compressor_new(&s->comp, o->compression, o->level, o->threads > 0 ? o->threads : 2, to_blob, s)) <
	        0 ||
	    (rc = limg__blob_writer_open_unnamed(&s->w, o->store, -1)) < 0) {
		limg__sink_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

limg__tar_writer *limg__sink_tar(limg__sink *s)
{
	return &s->tar;
}

int limg__sink_commit(limg__sink *s, bool raw, const limg__layer_facts *given, limg__layer_facts *out)
{
	const char *digest, *diff_id;
	int rc;

	memset(out, 0, sizeof *out);
	if ((!raw && (rc = limg__tar_finish(&s->tar)) != 0) || (rc = limg__compressor_finish(s->comp)) != 0)
		return rc;
	if (limg_cancel_requested(s->o.cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	if ((rc = limg_hasher_finish(&diff_id, s->tar_hash)) < 0 || (rc = limg_hasher_finish(&digest, s->blob_hash)) < 0)
		return rc;
	snprintf(out->digest, sizeof out->digest, "%s", digest);
	snprintf(out->diff_id, sizeof out->diff_id, "%s", diff_id);
	out->size = limg__compressor_bytes_out(s->comp);
	out->tar_size = s->tar_size;
	out->compression = s->o.compression;
	if (given) {
		/* the bytes were a compressed tar, stored as they are */
		snprintf(out->diff_id, sizeof out->diff_id, "%s", given->diff_id);
		out->tar_size = given->tar_size;
		out->compression = given->compression;
	}
	/* leased before it appears: a gc beside us never sees it unreferenced */
	if ((rc = limg__lease_add(s->o.lease, out->digest)) < 0 || (rc = limg_blob_writer_commit(s->w)) < 0)
		return rc;
	s->committed = true;
	if (strcmp(limg__blob_writer_digest(s->w), out->digest) != 0)
		return limg__error_set(LIMG_ERROR, "the layer was stored as %s, not %s", limg__blob_writer_digest(s->w),
		                       out->digest);
	/* what listings show, known without reading the layer again (a cache: best effort) */
	if (limg__store_layer_info_put(s->o.store, out->digest, out->diff_id, out->tar_size) < 0)
		limg_error_clear();
	if (s->o.progress && (rc = s->o.progress(out->digest, LIMG_BLOB_LAYER, LIMG_EVENT_COMPLETE, out->size, out->size,
	                                         NULL, s->o.payload)) != 0)
		return limg__error_after_callback(rc, "the layer");
	return 0;
}

void limg__sink_free(limg__sink *s)
{
	if (!s)
		return;
	if (s->w && !s->committed)
		limg_blob_writer_abort(s->w);
	limg_blob_writer_close(s->w);
	limg__compressor_free(s->comp);
	limg_hasher_free(s->tar_hash);
	limg_hasher_free(s->blob_hash);
	limg__free(s);
}
