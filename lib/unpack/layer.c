/* SPDX-License-Identifier: MIT */
/*
 * One layer: a worker thread reads the stored blob (the store's reader
 * checks its digest), or the bytes of a download as they are written, and
 * decompresses them into a bounded pipe; this thread
 * hashes what comes out of the pipe (the diff_id) and hands it to
 * libarchive, which only parses tar headers: every change to the disk is
 * the applier's. The pipe drains to its end after the tar's end, so the
 * diff_id covers every byte; a mismatch fails the unpack, which removes
 * what it made.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tar/reader.h"
#include "core/pipe.h"
#include "layer.h"
#include "libimage/compress.h"
#include "libimage/digest.h"

#define READ_SIZE (256u * 1024)
#define PIPE_SLOTS 8
#define PIPE_SLOT (128u * 1024)
#define PROGRESS_STEP (1 << 20)

typedef struct {
	limg__layer_job *job;
	int64_t limit;
	limg__pipe *pipe;
	atomic_llong read;  /* compressed bytes read, for progress */
	pthread_t thread;
	/* this thread's side */
	limg_hasher *hasher;
	int64_t out;        /* decompressed bytes through the pipe */
	int pipe_rc;        /* the pipe's failure, kept for after libarchive's own message */
	limg__error_copy pipe_error;
} layer_run;

static int to_pipe(const void *data, size_t len, void *payload)
{
	return limg__pipe_write(payload, data, len);
}

static void *produce(void *arg)
{
	layer_run *r = arg;
	const limg__layer_job *j = r->job;
	limg_blob_reader *reader = NULL;
	limg_decompressor *dec = NULL;
	unsigned char *buf = limg__malloc(READ_SIZE);
	size_t n;
	int rc = 0;

	limg__thread_name("limg-unpack");
	if (!buf)
		rc = limg__error_oom();
	else if ((j->read || (rc = limg_blob_reader_open(&reader, j->store, j->digest)) == 0) &&
	         (rc = limg_decompressor_new(&dec, j->compression, r->limit)) == 0) {
		while ((rc = j->read ? j->read(&n, buf, READ_SIZE, j->read_payload)
		                     : limg_blob_reader_read(&n, reader, buf, READ_SIZE)) == 0 &&
		       n) {
			atomic_fetch_add(&r->read, (long long)n);
			if (limg_cancel_requested(j->cancel)) {
				rc = limg__error_set(LIMG_ECANCELLED, "cancelled");
				break;
			}
			if ((rc = limg_decompressor_update(dec, buf, n, to_pipe, r->pipe)) != 0)
				break;
		}
		if (rc == 0)
			rc = limg_decompressor_finish(dec);
	}
	if (rc && rc != LIMG_ECANCELLED)
		limg__error_prefix("layer %s", j->digest);
	limg_decompressor_free(dec);
	limg_blob_reader_close(reader);
	limg__free(buf);
	limg__pipe_finish(r->pipe, rc);
	return NULL;
}

/* libarchive's reader: the pipe's next bytes, hashed on their way. */
static la_ssize_t pipe_read(struct archive *ar, void *payload, const void **data)
{
	layer_run *r = payload;
	ssize_t n = limg__pipe_read(r->pipe, data);

	if (n < 0) {
		r->pipe_rc = (int)n;
		limg__error_save(&r->pipe_error);
		archive_set_error(ar, -1, "%s", limg_error_message(limg_error_last()));
		return -1;
	}
	if (n > 0) {
		limg_hasher_update(r->hasher, *data, (size_t)n);
		r->out += n;
	}
	return n;
}

static int report(const layer_run *r, int event, int64_t done)
{
	const limg__layer_job *j = r->job;
	int rc = j->progress ? j->progress(j->digest, LIMG_BLOB_LAYER, event, done, j->size, NULL, j->payload) : 0;
	return rc ? limg__error_after_callback(rc, "unpack") : 0;
}

/* Reads what is left after the tar's end, so the diff_id covers it all. */
static int drain(layer_run *r)
{
	const void *data;
	ssize_t n;

	while ((n = limg__pipe_read(r->pipe, &data)) > 0) {
		limg_hasher_update(r->hasher, data, (size_t)n);
		r->out += n;
	}
	return (int)n;
}

static int apply_all(limg__applier *a, layer_run *r, struct archive *ar)
{
	struct archive_entry *e;
	int64_t reported = 0;
	int rc, st;

	while ((st = archive_read_next_header(ar, &e)) == ARCHIVE_OK || st == ARCHIVE_WARN) {
		int64_t now;
		if (limg_cancel_requested(r->job->cancel))
			return limg__error_set(LIMG_ECANCELLED, "cancelled");
		if ((rc = limg__apply_entry(a, ar, e)) != 0) {
			/* the pipe's own failure (a digest, a limit) says more than the entry's */
			if (r->pipe_rc)
				return limg__error_restore(&r->pipe_error);
			return rc;
		}
		now = atomic_load(&r->read);
		if (now - reported >= PROGRESS_STEP) {
			reported = now;
			if ((rc = report(r, LIMG_EVENT_APPLYING, now)) != 0)
				return rc;
		}
	}
	if (st != ARCHIVE_EOF) {
		if (r->pipe_rc) /* the stream failed: its own error */
			return limg__error_restore(&r->pipe_error);
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, r->job->digest, "layer %s: not a valid tar: %s",
		                             r->job->digest, archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	}
	return 0;
}

static int verify(const layer_run *r)
{
	const char *got;
	int rc = limg_hasher_finish(&got, r->hasher);

	if (rc < 0)
		return rc;
	snprintf(r->job->got_diff_id, sizeof r->job->got_diff_id, "%s", got);
	r->job->got_size = r->out;
	if (r->job->diff_id && strcmp(got, r->job->diff_id) != 0)
		return limg__error_set_about(LIMG_EDIGEST_MISMATCH, LIMG_SUBJECT_LAYER, r->job->digest,
		                             "layer %s unpacks to %s, but the image config says %s", r->job->digest, got,
		                             r->job->diff_id);
	return 0;
}

int limg__unpack_layer(limg__applier *a, limg__layer_job *job)
{
	layer_run r;
	struct archive *ar = NULL;
	bool started = false;
	int rc;

	memset(&r, 0, sizeof r);
	r.job = job;
	r.limit = a->limit;
	atomic_init(&r.read, 0);
	limg__apply_begin_layer(a, job->digest);
	if ((rc = limg_hasher_new(&r.hasher, LIMG_DIGEST_SHA256)) < 0 ||
	    (rc = limg__pipe_new(&r.pipe, PIPE_SLOTS, PIPE_SLOT)) < 0)
		goto out;
	if ((rc = limg__libarchive_load()) < 0)
		goto out;
	if (!(ar = archive_read_new()) || archive_read_support_format_tar(ar) != ARCHIVE_OK) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = limg__thread_start(&r.thread, produce, &r)) != 0) {
		rc = rc == ENOMEM ? limg__error_oom()
		                  : limg__error_set(LIMG_ESYSTEM, "cannot start a thread for layer %s", job->digest);
		goto out;
	}
	started = true;
	if (archive_read_open(ar, &r, NULL, pipe_read, NULL) != ARCHIVE_OK)
		rc = r.pipe_rc ? limg__error_restore(&r.pipe_error)
		               : limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, job->digest,
		                                       "layer %s: not a valid tar: %s", job->digest,
		                                       archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	else
		rc = apply_all(a, &r, ar);
	if (rc == 0 && (rc = drain(&r)) == 0 && (rc = verify(&r)) == 0)
		rc = limg__apply_end_layer(a);
out:
	if (started) {
		/* a worker still writing stops; one waiting for bytes to come (a
		 * download followed) too: what it works for has failed */
		if (rc != 0)
			limg_cancel_request(job->cancel);
		limg__pipe_abandon(r.pipe);
		pthread_join(r.thread, NULL);
	}
	if (ar)
		archive_read_free(ar);
	limg__pipe_free(r.pipe);
	limg_hasher_free(r.hasher);
	return rc;
}
