/* SPDX-License-Identifier: MIT */
/* The plan, events and manifests of a push or a copy (see transfer.h). */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "registry/registry_internal.h"
#include "transfer.h"
#include "trust/trust_internal.h"

#define UPLOAD_STEP (1 << 20)

void limg__transfer_init(limg__transfer *t, limg_progress_cb progress, void *payload, const char *what)
{
	memset(t, 0, sizeof *t);
	t->progress = progress;
	t->payload = payload;
	t->what = what;
	pthread_mutex_init(&t->lock, NULL);
}

void limg__transfer_dispose(limg__transfer *t)
{
	for (size_t i = 0; i < t->nblobs; i++)
		limg__free(t->blobs[i].digest);
	limg__free(t->blobs);
	limg__transfer_drop_docs(t, t->ndocs);
	limg__free(t->docs);
	limg__strset_free(&t->seen);
	pthread_mutex_destroy(&t->lock);
}

int limg__transfer_add_blob(limg__transfer *t, const char *digest, int64_t size, int kind)
{
	limg__xfer_blob *b;
	int rc;

	if ((rc = limg__strset_add(&t->seen, digest)) <= 0)
		return rc < 0 ? limg__error_oom() : 0; /* (shared by platforms: once) */
	if ((rc = limg__array_grow((void **)&t->blobs, &t->capblobs, t->nblobs + 1, sizeof *t->blobs)) < 0)
		return rc;
	b = &t->blobs[t->nblobs];
	if (!(b->digest = limg__strdup(digest)))
		return limg__error_oom();
	b->size = size;
	b->kind = kind;
	t->nblobs++;
	return 0;
}

int limg__transfer_add_doc(limg__transfer *t, const char *digest, const char *media_type, const void *bytes,
                           size_t len)
{
	limg__xfer_doc *d;
	int rc;

	if ((rc = limg__array_grow((void **)&t->docs, &t->capdocs, t->ndocs + 1, sizeof *t->docs)) < 0)
		return rc;
	d = &t->docs[t->ndocs];
	memset(d, 0, sizeof *d);
	if (!(d->digest = limg__strdup(digest)) || !(d->media_type = limg__strdup(media_type)) ||
	    limg_buf_set(&d->bytes, bytes, len) < 0) {
		limg__free(d->digest);
		limg__free(d->media_type);
		limg_buf_dispose(&d->bytes);
		return limg__error_oom();
	}
	t->ndocs++;
	return 0;
}

void limg__transfer_drop_docs(limg__transfer *t, size_t n)
{
	for (size_t i = 0; i < n && i < t->ndocs; i++) {
		limg__free(t->docs[i].digest);
		limg__free(t->docs[i].media_type);
		limg_buf_dispose(&t->docs[i].bytes);
	}
	if (n >= t->ndocs) {
		t->ndocs = 0;
		return;
	}
	memmove(t->docs, t->docs + n, (t->ndocs - n) * sizeof *t->docs);
	t->ndocs -= n;
}

void limg__transfer_top_last(limg__transfer *t)
{
	limg__xfer_doc top;

	if (t->ndocs < 2)
		return;
	top = t->docs[0];
	memmove(&t->docs[0], &t->docs[1], (t->ndocs - 1) * sizeof *t->docs);
	t->docs[t->ndocs - 1] = top;
}

int limg__transfer_report(limg__transfer *t, const char *digest, int kind, int event, int64_t done, int64_t total,
                          const char *detail)
{
	int rc;

	if (!t->progress)
		return 0;
	pthread_mutex_lock(&t->lock);
	rc = t->progress(digest, kind, event, done, total, detail, t->payload);
	pthread_mutex_unlock(&t->lock);
	return rc ? limg__error_after_callback(rc, t->what) : 0;
}

int limg__transfer_uploading(limg__transfer *t, int64_t *reported, const limg__xfer_blob *b, int64_t done)
{
	if (done - *reported < UPLOAD_STEP && done != b->size)
		return 0;
	*reported = done;
	return limg__transfer_report(t, b->digest, b->kind, LIMG_EVENT_UPLOADING, done, b->size, NULL);
}

int limg__transfer_waiting(limg__transfer *t)
{
	int rc;

	for (size_t i = 0; i < t->nblobs; i++)
		if ((rc = limg__transfer_report(t, t->blobs[i].digest, t->blobs[i].kind, LIMG_EVENT_WAITING, 0,
		                                t->blobs[i].size, NULL)) != 0)
			return rc;
	return 0;
}

int limg__transfer_put_manifests(limg__transfer *t, limg_registry *to, const limg_reference *dst,
                                 const limg_cancel *cancel, limg_buf *out_digest)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	const char *repo = limg_reference_path(dst), *tag = limg_reference_tag(dst);
	const char *want = limg_reference_digest(dst);
	const limg__xfer_doc *top;
	limg_remote_manifest *have = NULL;
	int rc;

	if (!t->ndocs)
		return limg__error_set(LIMG_EINVALID, "%s: nothing to put", t->what);
	top = &t->docs[t->ndocs - 1];
	co.cancel = (limg_cancel *)cancel; /* only read */
	if (want && strcmp(want, top->digest) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "the image is %s, not the digest %s asked for", top->digest,
		                       want);
	for (size_t i = 0; i + 1 < t->ndocs; i++) {
		const limg__xfer_doc *d = &t->docs[i];
		if ((rc = limg_registry_manifest_put(NULL, to, repo, d->digest, d->media_type, d->bytes.ptr, d->bytes.size,
		                                     &co)) < 0 ||
		    (rc = limg__transfer_report(t, d->digest, LIMG_BLOB_MANIFEST, LIMG_EVENT_MANIFEST_PUT,
		                                (int64_t)d->bytes.size, (int64_t)d->bytes.size, NULL)) != 0)
			return rc;
	}
	/* an unchanged tag: nothing to put */
	if (limg__registry_manifest_head_origin(&have, to, repo, want ? want : tag, &co) == 0 &&
	    !strcmp(limg_remote_manifest_digest(have), top->digest)) {
		limg_remote_manifest_free(have);
	} else {
		limg_remote_manifest_free(have);
		limg_error_clear();
		if ((rc = limg_registry_manifest_put(NULL, to, repo, want ? want : tag, top->media_type, top->bytes.ptr,
		                                     top->bytes.size, &co)) < 0)
			return rc;
	}
	if ((rc = limg__transfer_report(t, top->digest, LIMG_BLOB_MANIFEST, LIMG_EVENT_MANIFEST_PUT,
	                                (int64_t)top->bytes.size, (int64_t)top->bytes.size, want ? NULL : tag)) != 0)
		return rc;
	return out_digest ? limg_buf_set(out_digest, top->digest, strlen(top->digest)) : 0;
}

int limg__transfer_sign(limg__transfer *t, limg_registry *to, const limg_reference *dst, const limg_signer *signer,
                        int format, const char *identity, bool recursive, const limg_cancel *cancel)
{
	const char *name = identity ? identity : limg_reference_string(dst);
	int rc;

	if (!t->ndocs)
		return 0;
	for (size_t i = recursive ? 0 : t->ndocs - 1; i < t->ndocs; i++) {
		const limg__xfer_doc *d = &t->docs[i];
		if ((rc = limg__trust_sign(to, limg_reference_path(dst), d->digest, d->media_type, (int64_t)d->bytes.size,
		                           signer, format, name, cancel)) < 0)
			return limg__error_prefix("%s of %s done, but", t->what, limg_reference_string(dst));
	}
	return 0;
}
