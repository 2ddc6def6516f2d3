/* SPDX-License-Identifier: MIT */
/*
 * One layer: streamed from the registry into a blob writer, which hashes
 * the compressed bytes as it writes them, while a digester inflates and
 * hashes them on another core to check the config's diff_id. A resumed
 * download feeds the digester the partial data the writer re-reads, so no
 * blob is read back after it is committed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "pull_internal.h"
#include "registry/registry_internal.h"
#include "store/store_internal.h"
#include "stream.h"

/* How many stages inflate and hash a layer of @size bytes: a thread is not
 * worth it for a small one; a big one's inflate is split from its hashing,
 * or it alone would be the critical path of the whole pull. */
int limg__pull_stages_for(int64_t size)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || size < (1 << 20))
		return 1;
	return size < (16 << 20) ? 2 : 3;
}

/* Feeds the digester; a bomb stops the download at once, bad bytes only
 * after the digest check has had its say (it names them better). */
int limg__pull_digest_more(struct download *d, const void *data, size_t len)
{
	int rc;

	if (!d->dg || d->dg_rc)
		return 0;
	if ((rc = limg__digester_feed(d->dg, data, len)) == 0)
		return 0;
	if (rc == LIMG_ETOOBIG)
		return limg__error_prefix("layer %s", limg_descriptor_digest(d->job->desc));
	d->dg_rc = rc;
	limg__error_save(&d->dg_error);
	return 0;
}

int limg__pull_on_resumed(const void *data, size_t len, void *payload)
{
	return limg__pull_digest_more(payload, data, len);
}

int limg__pull_progress(struct download *d, int64_t len)
{
	const char *digest = limg_descriptor_digest(d->job->desc);
	int64_t done, overall;
	bool report;
	int rc;

	pthread_mutex_lock(&d->p->lock);
	d->done += len;
	d->p->done += len;
	d->p->downloaded += len;
	done = d->done;
	overall = d->p->done;
	/* every 256 KiB, not every packet */
	if ((report = d->done - d->last_report >= (256 << 10) || d->done == d->total))
		d->last_report = d->done;
	pthread_mutex_unlock(&d->p->lock);
	if (report && ((rc = limg__pull_report(d->p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_DOWNLOADING, done, d->total)) ||
	               (rc = limg__pull_report(d->p, NULL, 0, LIMG_EVENT_OVERALL, overall, d->p->total))))
		return rc;
	return 0;
}

int limg__pull_on_bytes(const void *data, size_t len, void *payload)
{
	struct download *d = payload;
	int rc;

	if (limg_cancel_requested(d->p->stop))
		return limg__error_set(LIMG_ECANCELLED, "pull cancelled");
	if ((rc = limg_blob_writer_write(d->writer, data, len)) < 0 || (rc = limg__pull_digest_more(d, data, len)) < 0)
		return rc;
	if (d->live)
		limg__stream_more(d->live, limg__blob_writer_flushed(d->writer));
	return limg__pull_progress(d, (int64_t)len);
}

static void add_done(struct pull *p, int64_t n)
{
	pthread_mutex_lock(&p->lock);
	p->done += n;
	pthread_mutex_unlock(&p->lock);
}

/* Checks the diff_id, and remembers what unpacking learnt so that listings never redo it. */
int limg__pull_check_diff_id(struct pull *p, struct layer_job *job, limg__digester *dg)
{
	const char *digest = limg_descriptor_digest(job->desc), *got;
	int64_t size;
	int rc;

	if ((rc = limg__digester_finish(dg, &got, &size)) < 0)
		return limg__error_prefix("layer %s", digest);
	if (job->diff_id && strcmp(got, job->diff_id) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "layer %s unpacks to %s, but the image config says %s", digest,
		                       got, job->diff_id);
	job->uncompressed = size;
	limg__store_layer_info_put(p->store, digest, got, size);
	return 0;
}

/* Whether a blob of @size is fetched as parallel ranges: from the registry
 * itself only. A mirror is a cache near the machines, and a pull-through
 * cache answers a Range on a blob it lacks with the whole blob, fetched from
 * the origin once more for every such request (distribution's proxy does). */
static bool ranged(struct pull *p, int64_t size)
{
	int64_t threshold = p->o.range_threshold ? p->o.range_threshold : LIMG_RANGE_THRESHOLD_DEFAULT;

	return !p->o.no_ranges && size >= threshold && p->o.range_parallel != 1 &&
	       limg__registry_endpoints(p->registry) == 1 && !limg__registry_ranges_ignored(p->registry);
}

/* A digester that has seen nothing (for bytes that start over). */
static int restart_digester(struct download *d, int kind, int64_t size)
{
	if (!d->dg)
		return 0;
	limg__digester_free(d->dg);
	d->dg = NULL;
	d->dg_rc = 0;
	d->done = 0;
	return limg__digester_new(&d->dg, kind, d->p->o.max_layer_size, limg__pull_stages_for(size));
}

/* The layer from the registry (its mirrors first). */
static int from_registry(struct pull *p, struct layer_job *job)
{
	const char *digest = limg_descriptor_digest(job->desc);
	int64_t size = limg_descriptor_size(job->desc);
	int kind = limg_compression_from_media_type(limg_descriptor_media_type(job->desc));
	struct download d = { .p = p, .job = job, .total = size };
	limg__blob_fetch how = { 0 };
	char diff_id[160];
	int64_t known, prefix;
	int rc, refetches = 0;

	/* leased before it is looked for: a gc running now or later keeps it */
	if ((rc = limg__lease_add(p->lease, digest)) < 0)
		return rc;
	/* unpacking costs CPU: only when asked to verify (mirrors skip it), and
	 * not when the layer is unpacked anyway (limg_pull_unpack checks the
	 * diff_id as it applies the layer: it is worked out once) */
	if (kind != LIMG_COMPRESSION_UNKNOWN && !p->o.skip_diff_ids && !p->fused &&
	    (rc = limg__digester_new(&d.dg, kind, p->o.max_layer_size, limg__pull_stages_for(size))) < 0)
		return rc;
	/* the unpack follows the bytes as they are written, from one endpoint
	 * only: a mirror's bytes that do not verify are fetched again from the
	 * next one, and what was applied of them could not be taken back (the
	 * unpack then reads the blob once it is stored). Bytes refetched from
	 * the one endpoint are followed in their new file, unless some of the
	 * dropped ones were applied: then the layer fails (run again, it is
	 * fetched anew) */
	if (job->stream && limg__registry_endpoints(p->registry) == 1)
		d.live = job->stream;
	if (ranged(p, size)) {
		rc = limg__pull_ranged(p, &d);
		if (rc == 0)
			goto committed;
		if (rc == LIMG_EDIGEST_MISMATCH) {
			/* the ranges put together do not verify (the writer dropped them): one stream, from the start */
			limg__log(limg__store_context(p->store), LIMG_LOG_WARN, "%s; fetching it again as one stream",
			          limg_error_message(limg_error_last()));
			limg_error_clear();
			add_done(p, -d.done);
			rc = LIMG_EUNSUPPORTED;
		}
		if (rc != LIMG_EUNSUPPORTED)
			goto exists_or_out;
		/* no byte ranges here: one stream it is, with a digester that has seen nothing */
		limg_blob_writer_close(d.writer);
		d.writer = NULL;
		if ((rc = restart_digester(&d, kind, size)) < 0)
			goto out;
	}
	/* what a ranged download left (holes, maybe) is trusted only as far as its sidecar says */
	if ((prefix = limg__pull_ranged_prefix(p, digest, size)) >= 0) {
		rc = limg__blob_writer_open_ranged(&d.writer, p->store, digest, size, prefix, limg__pull_on_resumed, &d);
		if (rc == 0 && !limg__blob_writer_private(d.writer) &&
		    ftruncate(limg__blob_writer_fd(d.writer), limg_blob_writer_offset(d.writer)) < 0)
			rc = limg__error_set(LIMG_ESYSTEM, "cannot truncate the partial blob %s", digest);
	} else {
		rc = limg__blob_writer_open(&d.writer, p->store, digest, size, limg__pull_on_resumed, &d);
	}
exists_or_out:
	if (rc == LIMG_EEXISTS) {
		add_done(p, size);
		if (limg__store_layer_info_get(p->store, digest, diff_id, &known) == 0)
			job->uncompressed = known;
		rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_EXISTS, size, size);
		goto out;
	}
	if (rc != 0)
		goto out;
	if (d.live && (rc = limg__stream_file(d.live, limg__blob_writer_fd(d.writer),
	                                      limg__blob_writer_flushed(d.writer))) < 0)
		goto out;
	for (size_t first = 0, used = 0;;) {
		long from;
		d.done = limg_blob_writer_offset(d.writer);
		add_done(p, d.done);
		how.offset = d.done;
		how.verify = false; /* the writer checks size and digest when it commits */
		how.cancel = p->stop;
		how.write = limg__pull_on_bytes;
		how.payload = &d;
		if ((rc = limg__registry_blob_fetch_at(p->registry, p->repository, digest, size, &how, first, &used)) != 0)
			goto out;
		if ((rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_VERIFYING, d.done, size)))
			goto out;
		rc = limg_blob_writer_commit(d.writer);
		if (rc != LIMG_EDIGEST_MISMATCH ||
		    (from = limg__registry_refetch_from(used, limg__registry_endpoints(p->registry), &refetches)) < 0)
			break;
		/* bytes that do not verify (the writer dropped them): from the start, at the next endpoint
		 * while there is one, else at the same one again (a byte flipped in transit) */
		limg__log(limg__store_context(p->store), LIMG_LOG_WARN, "%s; asking %s",
		          limg_error_message(limg_error_last()), (size_t)from == used ? "again" : "the next endpoint");
		limg_error_clear();
		first = (size_t)from;
		add_done(p, -d.done);
		limg_blob_writer_close(d.writer);
		d.writer = NULL;
		if ((rc = restart_digester(&d, kind, size)) < 0 ||
		    (rc = limg__blob_writer_open(&d.writer, p->store, digest, size, limg__pull_on_resumed, &d)) != 0)
			goto exists_or_out;
		/* the unpack follows the new file; if it applied bytes of the dropped ones, the layer fails */
		if (d.live && (rc = limg__stream_file(d.live, limg__blob_writer_fd(d.writer),
		                                      limg__blob_writer_flushed(d.writer))) < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
committed:
	job->fetched = true;
	if (d.live)
		limg__stream_committed(d.live, size);
	if (d.dg_rc) {
		limg__error_restore(&d.dg_error);
		rc = d.dg_rc;
		limg__error_prefix("layer %s", digest);
		goto out;
	}
	if (d.dg && (rc = limg__pull_check_diff_id(p, job, d.dg)) < 0)
		goto out;
	if ((rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_DOWNLOADED, d.done, size)) == 0)
		rc = limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_COMPLETE, d.done, size);
out:
	limg__digester_free(d.dg);
	limg_blob_writer_close(d.writer);
	return rc;
}

int limg__pull_layer(struct pull *p, struct layer_job *job)
{
	const char *digest = limg_descriptor_digest(job->desc);
	int64_t size = limg_descriptor_size(job->desc), stored;
	char diff_id[160];
	int rc;

	job->uncompressed = -1;
	if (limg_descriptor_is_foreign(job->desc) && p->o.foreign_layers == LIMG_FOREIGN_SKIP) {
		/* not fetched; one the store has makes the image whole all the same */
		if ((rc = limg__lease_add(p->lease, digest)) < 0)
			return rc;
		if (limg_store_blob_stat(&stored, p->store, digest) == 0 && stored == size) {
			add_done(p, size);
			if (limg__store_layer_info_get(p->store, digest, diff_id, &stored) == 0)
				job->uncompressed = stored;
			if (job->stream)
				limg__stream_stored(job->stream);
			return limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_EXISTS, size, size);
		}
		limg_error_clear();
		job->skipped = true;
		if (job->stream) {
			/* a root filesystem cannot be made without it */
			rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest,
			                           "foreign layer %s was not pulled (foreign layers skipped): the root "
			                           "filesystem cannot be made without it",
			                           digest);
			limg__stream_failed(job->stream, rc);
			return rc;
		}
		return limg__pull_report(p, digest, LIMG_BLOB_LAYER, LIMG_EVENT_SKIPPED, 0, size);
	}
	rc = from_registry(p, job);
	/* a foreign layer the registry lacks: from its URLs, when they are allowed */
	if (rc == LIMG_ENOTFOUND && limg_error_subject(limg_error_last()) == LIMG_SUBJECT_BLOB &&
	    limg_descriptor_is_foreign(job->desc))
		rc = limg__pull_foreign(p, job);
	/* the unpack following this layer: the rest from the store, or the failure */
	if (job->stream && rc == 0)
		limg__stream_stored(job->stream);
	else if (job->stream)
		limg__stream_failed(job->stream, rc);
	return rc;
}
