/*
 * One layer: streamed from the registry into a blob writer, unpacked on the
 * way (when asked to verify) to compute the uncompressed digest that the
 * config's rootfs.diff_ids names, and committed. A resumed download cannot
 * inflate from the middle, so its uncompressed digest is computed from the
 * committed blob afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "images/unpack.h"
#include "pull_internal.h"
#include "store/store_internal.h"

struct download {
	struct pull *p;
	struct layer_job *job;
	limg_blob_writer *writer;
	limg__unpack *u; /* NULL: not unpacking while downloading */
	int unpack_rc;   /* unpacking failed: reported only if the digest checks out */
	limg__error_copy unpack_error;
	int64_t done, total, last_report;
};

static int on_bytes(const void *data, size_t len, void *payload)
{
	struct download *d = payload;
	const char *digest = limg_descriptor_digest(d->job->desc);
	int rc;

	if (limg_cancel_requested(d->p->stop))
		return limg__error_set(LIMG_ECANCELLED, "pull cancelled");
	if ((rc = limg_blob_writer_write(d->writer, data, len)) < 0)
		return rc;
	if (d->u && !d->unpack_rc && (rc = limg__unpack_feed(d->u, data, len, digest)) < 0) {
		/* bad bytes are better named by the digest check at commit: go on */
		d->unpack_rc = rc;
		limg__error_save(&d->unpack_error);
	}
	d->done += (int64_t)len;
	pthread_mutex_lock(&d->p->lock);
	d->p->done += (int64_t)len;
	d->p->downloaded += (int64_t)len;
	pthread_mutex_unlock(&d->p->lock);
	/* report every 256 KiB, not every packet */
	if (d->done - d->last_report >= (256 << 10) || d->done == d->total) {
		d->last_report = d->done;
		if ((rc = limg__pull_report(d->p, digest, LIMG_PULL_LAYER, LIMG_PULL_DOWNLOADING, d->done, d->total)) ||
		    (rc = limg__pull_report(d->p, NULL, 0, LIMG_PULL_OVERALL, d->p->done, d->p->total)))
			return rc;
	}
	return 0;
}

/* Remembers what unpacking learnt, so that listings never redo it. */
static void remember(struct pull *p, struct layer_job *job, const char *diff_id, int64_t size)
{
	job->uncompressed = size;
	limg__store_layer_info_put(p->store, limg_descriptor_digest(job->desc), diff_id, size);
}

static void add_done(struct pull *p, int64_t n)
{
	pthread_mutex_lock(&p->lock);
	p->done += n;
	pthread_mutex_unlock(&p->lock);
}

int limg__pull_layer(struct pull *p, struct layer_job *job)
{
	const char *digest = limg_descriptor_digest(job->desc);
	int64_t size = limg_descriptor_size(job->desc);
	enum limg__compression kind = limg__compression_of(limg_descriptor_media_type(job->desc));
	struct download d = { p, job, NULL, NULL, 0, { 0 }, 0, size, 0 };
	limg_blob_fetch_opts fo = LIMG_BLOB_FETCH_OPTS_INIT;
	char diff_id[160];
	int64_t known;
	int rc;

	job->uncompressed = -1;
	if (limg_descriptor_is_foreign(job->desc) && !p->o.fetch_foreign)
		return limg__pull_report(p, digest, LIMG_PULL_LAYER, LIMG_PULL_SKIPPED, 0, size);
	/* leased before it is looked for: a gc running now or later keeps it */
	if ((rc = limg__lease_add(p->lease, digest)) < 0)
		return rc;
	rc = limg_blob_writer_open(&d.writer, p->store, digest, size);
	if (rc == LIMG_EEXISTS) {
		add_done(p, size);
		if (limg__store_layer_info_get(p->store, digest, diff_id, &known) == 0)
			job->uncompressed = known;
		return limg__pull_report(p, digest, LIMG_PULL_LAYER, LIMG_PULL_EXISTS, size, size);
	}
	if (rc < 0)
		return rc;
	d.done = limg_blob_writer_offset(d.writer);
	add_done(p, d.done);
	/* unpacking costs CPU: only when asked to verify (mirrors skip it) */
	if (kind != LIMG_UNKNOWN && d.done == 0 && p->o.verify_diff_ids) {
		if (!(d.u = malloc(sizeof *d.u))) {
			rc = limg__error_oom();
			goto out;
		}
		if ((rc = limg__unpack_init(d.u, kind, p->o.max_layer_size)) < 0)
			goto out;
	}
	fo.offset = d.done;
	fo.verify = 0; /* the writer checks size and digest when it commits */
	fo.sink = on_bytes;
	fo.payload = &d;
	if ((rc = limg_registry_blob_fetch(p->registry, p->repository, digest, size, &fo)) != 0)
		goto out;
	if ((rc = limg__pull_report(p, digest, LIMG_PULL_LAYER, LIMG_PULL_VERIFYING, d.done, size)))
		goto out;
	if ((rc = limg_blob_writer_commit(d.writer)) < 0)
		goto out;
	if (d.unpack_rc) {
		rc = limg__error_restore(&d.unpack_error);
		goto out;
	}
	if (d.u) {
		const char *got;
		if ((rc = limg__unpack_finish(d.u, digest, job->diff_id, &got)) < 0)
			goto out;
		remember(p, job, got, d.u->size);
	} else if (kind != LIMG_UNKNOWN && p->o.verify_diff_ids) {
		/* resumed: unpack what is now stored */
		if ((rc = limg__unpack_stored(p->store, digest, kind, job->diff_id, p->o.max_layer_size, diff_id, &known)) < 0)
			goto out;
		remember(p, job, diff_id, known);
	}
	if ((rc = limg__pull_report(p, digest, LIMG_PULL_LAYER, LIMG_PULL_DOWNLOADED, d.done, size)) == 0)
		rc = limg__pull_report(p, digest, LIMG_PULL_LAYER, LIMG_PULL_COMPLETE, d.done, size);
out:
	if (d.u) {
		limg__unpack_free(d.u);
		free(d.u);
	}
	limg_blob_writer_free(d.writer);
	return rc;
}
