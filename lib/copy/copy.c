/*
 * limg_copy(): the source's manifests fetched (digests checked), its blobs
 * sent on a few threads, then the manifests put bottom-up. A streamed blob
 * runs as two threads joined by a bounded pipe: the fetch (digest checked
 * by the registry client) fills it, the upload drains it; the last bytes go
 * to the destination only once the source's digest has checked out, and
 * the destination checks the digest again. A broken blob copy starts over,
 * a few times.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/jobs.h"
#include "core/pipe.h"
#include "core/strset.h"
#include "libimage/copy.h"
#include "libimage/manifest.h"
#include "libimage/pull.h"
#include "libimage/reference.h"
#include "push/progress.h"
#include "registry/registry_internal.h"

#define BLOB_ATTEMPTS 3
#define PIPE_SLOTS 8
#define PIPE_SLOT (256u * 1024)

typedef struct {
	const char *digest;
	int64_t size;
	int kind;
} blob;

typedef struct {
	limg_remote_manifest *m;
	limg_manifest *parsed;
} doc;

typedef struct {
	limg_copy_opts o;
	limg_reference *src, *dst;
	limg_registry *from, *to;
	bool same_registry;
	limg_cancel *stop;
	limg__push_events events;
	doc *docs;            /* children first, the top last */
	size_t ndocs;
	blob *blobs;
	size_t nblobs, capblobs;
	limg__strset seen;
} copy_run;

static const limg_copy_opts defaults = LIMG_COPY_OPTS_INIT;

int limg_copy_opts_init(limg_copy_opts *opts, size_t size)
{
	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* An event to the caller's progress callback (one at a time); non-zero stops. */
#define report(run, ...) limg__push_report(&(run)->events, __VA_ARGS__)

static int add_blob(copy_run *c, const limg_descriptor *d, int kind)
{
	int rc;

	if ((rc = limg__strset_add(&c->seen, limg_descriptor_digest(d))) <= 0)
		return rc < 0 ? limg__error_oom() : 0;
	if (c->nblobs == c->capblobs) {
		size_t cap = c->capblobs ? c->capblobs * 2 : 16;
		blob *b = realloc(c->blobs, cap * sizeof *b);
		if (!b)
			return limg__error_oom();
		c->blobs = b;
		c->capblobs = cap;
	}
	c->blobs[c->nblobs++] = (blob){ limg_descriptor_digest(d), limg_descriptor_size(d), kind };
	return 0;
}

/* Fetches a manifest (digest checked) and keeps it; @expect is its digest when known. */
static int fetch_doc(copy_run *c, const char *ref, const char *expect, doc **out)
{
	doc *d;
	const void *body;
	size_t len;
	int rc;

	if (!(d = realloc(c->docs, (c->ndocs + 1) * sizeof *d)))
		return limg__error_oom();
	c->docs = d;
	d = &c->docs[c->ndocs];
	memset(d, 0, sizeof *d);
	if ((rc = limg_registry_manifest_get(&d->m, c->from, limg_reference_path(c->src), ref)) < 0)
		return rc;
	body = limg_remote_manifest_body(d->m, &len);
	if ((expect && strcmp(expect, limg_remote_manifest_digest(d->m)) != 0) ||
	    (rc = limg_manifest_parse(&d->parsed, body, len, limg_remote_manifest_media_type(d->m))) < 0) {
		limg_remote_manifest_free(d->m);
		return rc < 0 ? rc : limg__error_set(LIMG_EDIGEST_MISMATCH, "manifest %s came back as %s", expect,
		                                     limg_remote_manifest_digest(d->m));
	}
	c->ndocs++;
	*out = d;
	return 0;
}

static int gather_image(copy_run *c, const char *digest, const limg_manifest *m)
{
	int rc;

	if (limg_manifest_kind_of(m) != LIMG_MANIFEST_IMAGE)
		return limg__error_set(LIMG_EMANIFEST, "manifest %s is an index inside an index", digest);
	if ((rc = add_blob(c, limg_manifest_config(m), LIMG_PULL_CONFIG)) < 0)
		return rc;
	for (size_t i = 0; i < limg_manifest_count(m); i++)
		if (!limg_descriptor_is_foreign(limg_manifest_get(m, i)) &&
		    (rc = add_blob(c, limg_manifest_get(m, i), LIMG_PULL_LAYER)) < 0)
			return rc;
	return 0;
}

/* The source's tree, children first. The top document is moved last. */
static int gather(copy_run *c)
{
	const char *ref = limg_reference_digest(c->src) ? limg_reference_digest(c->src) : limg_reference_tag(c->src);
	doc *top, *child;
	int rc;

	if ((rc = fetch_doc(c, ref, limg_reference_digest(c->src), &top)) < 0)
		return rc;
	if (limg_manifest_kind_of(top->parsed) == LIMG_MANIFEST_IMAGE)
		return gather_image(c, limg_remote_manifest_digest(top->m), top->parsed);
	if (c->o.platform) {
		const limg_descriptor *d;
		doc keep;
		if ((rc = limg_manifest_select(&d, top->parsed, c->o.platform)) < 0)
			return rc;
		if ((rc = fetch_doc(c, limg_descriptor_digest(d), limg_descriptor_digest(d), &child)) < 0)
			return rc;
		/* only the platform's image goes: it replaces the index */
		keep = c->docs[1];
		limg_remote_manifest_free(c->docs[0].m);
		limg_manifest_free(c->docs[0].parsed);
		c->docs[0] = keep;
		c->ndocs = 1;
		return gather_image(c, limg_remote_manifest_digest(c->docs[0].m), c->docs[0].parsed);
	}
	for (size_t i = 0; i < limg_manifest_count(c->docs[0].parsed); i++) {
		const limg_descriptor *d = limg_manifest_get(c->docs[0].parsed, i);
		if ((rc = fetch_doc(c, limg_descriptor_digest(d), limg_descriptor_digest(d), &child)) < 0 ||
		    (rc = gather_image(c, limg_descriptor_digest(d), child->parsed)) < 0)
			return rc;
	}
	/* the index goes last */
	{
		doc index = c->docs[0];
		memmove(&c->docs[0], &c->docs[1], (c->ndocs - 1) * sizeof *c->docs);
		c->docs[c->ndocs - 1] = index;
	}
	return 0;
}

/* ---- one blob, streamed --------------------------------------------------- */

typedef struct {
	copy_run *c;
	const blob *b;
	limg__pipe *pipe;
	pthread_t thread;
	bool started;         /* the fetch starts with the first byte wanted: a mount wants none */
	int fetch_rc;
	const unsigned char *cur; /* the slot being drained */
	size_t left;
	int64_t given, reported;
} stream;

static int into_pipe(const void *data, size_t len, void *payload)
{
	return limg__pipe_write(payload, data, len);
}

static void *fetch_thread(void *arg)
{
	stream *s = arg;
	limg_blob_fetch_opts fo = LIMG_BLOB_FETCH_OPTS_INIT;

	limg__thread_name("limg-fetch");
	/* (verified: the registry client checks the digest before it returns) */
	fo.sink = into_pipe;
	fo.payload = s->pipe;
	s->fetch_rc = limg_registry_blob_fetch(s->c->from, limg_reference_path(s->c->src), s->b->digest, s->b->size, &fo);
	limg__pipe_finish(s->pipe, s->fetch_rc);
	return NULL;
}

/* The upload's source: what the fetch put in the pipe. */
static int from_pipe(void *buf, size_t cap, size_t *got, void *payload)
{
	stream *s = payload;
	const void *data;
	ssize_t n;
	size_t take;

	*got = 0;
	if (!s->started) {
		if (pthread_create(&s->thread, NULL, fetch_thread, s) != 0)
			return limg__error_set(LIMG_EOS, "cannot start a thread for blob %s", s->b->digest);
		s->started = true;
	}
	if (!s->left) {
		if ((n = limg__pipe_read(s->pipe, &data)) < 0)
			return (int)n;
		if (n == 0)
			return 0; /* the upload notices the blob ended early */
		s->cur = data;
		s->left = (size_t)n;
	}
	take = cap < s->left ? cap : s->left;
	memcpy(buf, s->cur, take);
	s->cur += take;
	s->left -= take;
	s->given += (int64_t)take;
	if (s->given == s->b->size && !s->left && (n = limg__pipe_read(s->pipe, &data)) != 0)
		/* the last bytes wait for the source's digest: a mismatch never reaches the destination */
		return n < 0 ? (int)n : limg__error_set(LIMG_EPROTOCOL, "blob %s is longer than %lld bytes", s->b->digest,
		                                         (long long)s->b->size);
	*got = take;
	return 0;
}

static int sent(int64_t done, int64_t total, void *payload)
{
	stream *s = payload;

	if (done - s->reported < (1 << 20) && done != total)
		return 0;
	s->reported = done;
	return report(s->c, s->b->digest, s->b->kind, LIMG_PUSH_UPLOADING, done, total, NULL);
}

static int stream_blob(copy_run *c, const blob *b, const char *mount_from, int *result)
{
	limg_blob_upload_opts uo = LIMG_BLOB_UPLOAD_OPTS_INIT;
	stream s;
	int rc;

	memset(&s, 0, sizeof s);
	s.c = c;
	s.b = b;
	if ((rc = limg__pipe_new(&s.pipe, PIPE_SLOTS, PIPE_SLOT)) < 0)
		return rc;
	uo.check_exists = 0; /* asked already */
	uo.mount_from = mount_from;
	uo.chunk_size = c->o.chunk_size;
	uo.sent = sent;
	rc = limg_registry_blob_upload(c->to, limg_reference_path(c->dst), b->digest, b->size, from_pipe, &s, &uo, result);
	if (s.started) {
		limg__pipe_abandon(s.pipe);
		pthread_join(s.thread, NULL);
	}
	limg__pipe_free(s.pipe);
	return rc;
}

static bool worth_again(int rc)
{
	return rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT || rc == LIMG_EHTTP || rc == LIMG_EPROTOCOL;
}

static int copy_blob(size_t i, void *payload)
{
	copy_run *c = payload;
	const blob *b = &c->blobs[i];
	const char *src_repo = limg_reference_path(c->src);
	const char *mount_from = NULL;
	int result = 0, rc;

	if ((rc = limg_registry_blob_exists(c->to, limg_reference_path(c->dst), b->digest, NULL)) == 1)
		return report(c, b->digest, b->kind, LIMG_PUSH_EXISTS, b->size, b->size, NULL);
	if (rc < 0)
		return rc;
	/* within one registry a mount moves no bytes; a refused one becomes an upload */
	if (c->same_registry && c->o.mount && strcmp(src_repo, limg_reference_path(c->dst)) != 0)
		mount_from = src_repo;
	for (int attempt = 1;; attempt++) {
		if ((rc = stream_blob(c, b, mount_from, &result)) == 0)
			return result == LIMG_UPLOAD_MOUNTED
			               ? report(c, b->digest, b->kind, LIMG_PUSH_MOUNTED, b->size, b->size, mount_from)
			               : report(c, b->digest, b->kind, LIMG_PUSH_PUSHED, b->size, b->size, NULL);
		if (!worth_again(rc) || attempt >= BLOB_ATTEMPTS || limg_cancel_requested(c->stop))
			return rc;
		limg__log(c->o.ctx, LIMG_LOG_INFO, "blob %s: %s; copying it again (%d/%d)", b->digest,
		          limg_error_message(limg_error_last()), attempt + 1, BLOB_ATTEMPTS);
	}
}

/* ---- manifests, and the whole ------------------------------------------------ */

static int put_docs(copy_run *c, limg_buf *out_digest)
{
	const char *repo = limg_reference_path(c->dst);
	const char *tag = limg_reference_tag(c->dst), *want = limg_reference_digest(c->dst);
	const doc *top = &c->docs[c->ndocs - 1];
	const char *top_digest = limg_remote_manifest_digest(top->m);
	limg_remote_manifest *have = NULL;
	const void *body;
	size_t len;
	int rc;

	if (want && strcmp(want, top_digest) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "the source is %s, not the digest %s asked for", top_digest,
		                       want);
	for (size_t i = 0; i + 1 < c->ndocs; i++) {
		const doc *d = &c->docs[i];
		body = limg_remote_manifest_body(d->m, &len);
		if ((rc = limg_registry_manifest_put(c->to, repo, limg_remote_manifest_digest(d->m),
		                                     limg_remote_manifest_media_type(d->m), body, len, NULL)) < 0 ||
		    (rc = report(c, limg_remote_manifest_digest(d->m), LIMG_PULL_MANIFEST, LIMG_PUSH_MANIFEST, (int64_t)len,
		                 (int64_t)len, NULL)) != 0)
			return rc;
	}
	body = limg_remote_manifest_body(top->m, &len);
	if (limg__registry_manifest_head_origin(&have, c->to, repo, want ? want : tag) == 0 &&
	    !strcmp(limg_remote_manifest_digest(have), top_digest)) {
		limg_remote_manifest_free(have);
	} else {
		limg_remote_manifest_free(have);
		limg_error_clear();
		if ((rc = limg_registry_manifest_put(c->to, repo, want ? want : tag, limg_remote_manifest_media_type(top->m),
		                                     body, len, NULL)) < 0)
			return rc;
	}
	if ((rc = report(c, top_digest, LIMG_PULL_MANIFEST, LIMG_PUSH_MANIFEST, (int64_t)len, (int64_t)len,
	                 want ? NULL : tag)) != 0)
		return rc;
	return out_digest ? limg_buf_set(out_digest, top_digest, strlen(top_digest)) : 0;
}

static int open_registry(copy_run *c, limg_registry **out, const limg_reference *ref, const limg_registry_opts *given,
                         bool pushing)
{
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	int rc;

	if ((rc = limg__opts_copy(&ro, sizeof ro, given, "limg_registry_opts")) < 0)
		return rc;
	ro.cancel = c->stop;
	if (pushing)
		ro.mirror = NULL;
	return limg_registry_open(out, c->o.ctx, limg_reference_domain(ref), &ro);
}

static int run(copy_run *c, const char *source, const char *destination, limg_buf *out_digest)
{
	int rc;

	if ((rc = limg_reference_parse_docker(&c->src, source)) < 0 ||
	    (rc = limg_reference_parse_docker(&c->dst, destination)) < 0)
		return rc;
	if ((rc = open_registry(c, &c->from, c->src, c->o.source_registry, false)) < 0 ||
	    (rc = open_registry(c, &c->to, c->dst, c->o.destination_registry, true)) < 0)
		return rc;
	/* one registry: blobs can be mounted rather than sent */
	c->same_registry = !strcmp(limg_reference_domain(c->src), limg_reference_domain(c->dst)) &&
	                   !strcmp(limg_registry_endpoint(c->from), limg_registry_endpoint(c->to));
	if ((rc = gather(c)) < 0)
		return rc;
	for (size_t i = 0; i < c->nblobs; i++)
		if ((rc = report(c, c->blobs[i].digest, c->blobs[i].kind, LIMG_PUSH_WAITING, 0, c->blobs[i].size, NULL)))
			return rc;
	if ((rc = limg__jobs_run(c->nblobs, c->o.concurrency > 0 ? c->o.concurrency : 4, copy_blob, c, c->stop)) != 0)
		return rc;
	return put_docs(c, out_digest);
}

int limg_copy(const char *source, const char *destination, const limg_copy_opts *opts, limg_buf *out_digest)
{
	copy_run c;
	int rc;

	if (!source || !*source)
		return limg__error_invalid("source");
	if (!destination || !*destination)
		return limg__error_invalid("destination");
	memset(&c, 0, sizeof c);
	limg_copy_opts_init(&c.o, sizeof c.o);
	if ((rc = limg__opts_copy(&c.o, sizeof c.o, opts, "limg_copy_opts")) < 0)
		return rc;
	if ((rc = limg_cancel_new(&c.stop)) < 0)
		return rc;
	limg__cancel_link(c.stop, c.o.cancel);
	limg__push_events_init(&c.events, c.o.progress, c.o.payload, "copy");
	rc = run(&c, source, destination, out_digest);
	if (rc == LIMG_ECANCELLED && limg_cancel_requested(c.o.cancel))
		limg__error_set(LIMG_ECANCELLED, "copy of %s cancelled", source);
	for (size_t i = 0; i < c.ndocs; i++) {
		limg_remote_manifest_free(c.docs[i].m);
		limg_manifest_free(c.docs[i].parsed);
	}
	free(c.docs);
	free(c.blobs);
	limg__strset_free(&c.seen);
	limg_registry_close(c.from);
	limg_registry_close(c.to);
	limg_reference_free(c.src);
	limg_reference_free(c.dst);
	limg__push_events_dispose(&c.events);
	limg_cancel_free(c.stop);
	return rc;
}
