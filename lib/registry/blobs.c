/* SPDX-License-Identifier: MIT */
/*
 * Blobs: streamed to the caller's sink, verified, resumed with Range after
 * a break; and bounded byte ranges of a blob, for downloads of one big blob
 * over several connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "registry_internal.h"

/* Clean answers that end before the blob does, asked again each time. */
#define SHORT_ANSWERS_MAX 64

int limg_registry_fetch_opts_init(limg_registry_fetch_opts *opts, size_t size)
{
	static const limg_registry_fetch_opts defaults = LIMG_REGISTRY_FETCH_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_registry_fetch_callbacks_init(limg_registry_fetch_callbacks *cb, size_t size)
{
	static const limg_registry_fetch_callbacks defaults = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

struct fetch {
	limg_write_cb sink;
	void *payload;
	const char *what;
	int64_t expected;  /* the blob's size; -1: unknown */
	int64_t stop;      /* end (exclusive) of what is asked for: the blob's end, or a range's */
	bool ranged;       /* a bounded range: a 200 answer means Range is not served */
	int64_t max;       /* larger blobs are refused */
	int64_t offset;    /* where the next byte goes (given before, plus delivered) */
	int64_t skip;      /* bytes of this answer to drop: the server ignored our Range */
	int restarts;      /* answers that ignored our Range */
	limg_hasher *hasher;
	size_t first, used; /* endpoints: where to start, who answered */
	const limg_cancel *cancel;
};

/* The answer to a (resumed or ranged) request must continue exactly where we are. */
static int on_start(const limg__http_resp *resp, void *payload)
{
	struct fetch *f = payload;
	int64_t first = -1, last = -1, total = -1;

	f->skip = 0;
	if (resp->status == 200 && f->ranged)
		return limg__error_set(LIMG_EUNSUPPORTED, "%s: the registry does not serve byte ranges", f->what);
	if (f->offset == 0 && !f->ranged)
		return 0;
	if (resp->status == 200) {
		/* the whole blob again: drop what we have, once; a registry that never
		 * honours Range would otherwise be followed from the start forever */
		if (f->restarts++)
			return limg__error_set(LIMG_EPROTOCOL, "%s: the registry ignores Range requests (answered the whole "
			                                       "blob twice)", f->what);
		f->skip = f->offset;
		return 0;
	}
	/* the range asked for, of the blob we know: anything else is not the bytes we want */
	if (resp->status != 206 || !resp->content_range ||
	    limg__content_range_parse(resp->content_range, &first, &last, &total) < 0 || first != f->offset ||
	    (f->expected >= 0 && total >= 0 && total != f->expected) || (f->stop >= 0 && last >= f->stop)) {
		char got[128];
		limg__quote(got, sizeof got, resp->content_range ? resp->content_range : "",
		            resp->content_range ? strlen(resp->content_range) : 0);
		return limg__error_set(LIMG_EPROTOCOL, "%s: asked for bytes from %lld, got %s", f->what,
		                       (long long)f->offset, resp->content_range ? got : "no Content-Range");
	}
	return 0;
}

static int on_data(const void *data, size_t len, void *payload)
{
	struct fetch *f = payload;
	const char *p = data;
	int rc;

	if (f->skip) {
		size_t drop = (int64_t)len < f->skip ? len : (size_t)f->skip;
		f->skip -= (int64_t)drop;
		p += drop;
		len -= drop;
		if (!len)
			return 0;
	}
	if (f->stop >= 0 && f->offset + (int64_t)len > f->stop)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: more than the expected %lld bytes", f->what,
		                       (long long)(f->ranged ? f->stop : f->expected));
	if (f->offset + (int64_t)len > f->max)
		return limg__error_set(LIMG_ETOOBIG, "%s: over the %lld-byte blob limit", f->what, (long long)f->max);
	if (f->hasher)
		limg_hasher_update(f->hasher, p, len);
	if ((rc = f->sink(p, len, f->payload)) != 0)
		return rc;
	f->offset += (int64_t)len;
	return 0;
}

/* Runs the fetch of f->offset .. f->stop, resumed after breaks. */
static int fetch(limg_registry *r, const char *repo, const char *digest, struct fetch *f)
{
	limg__http_resp resp;
	limg__call call = { 0 };
	char *path = NULL, *scope = NULL;
	int rc, short_answers = 0;

	limg__http_resp_init(&resp);
	if (limg__asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || limg__asprintf(&scope, "repository:%s:pull", repo) < 0) {
		rc = limg__error_oom();
		goto out;
	}
	call.url = path;
	call.scope = scope;
	call.what = f->what;
	call.sink = on_data;
	call.start = on_start;
	call.payload = f;
	call.max_body = 64 * 1024;
	call.resume_from = &f->offset;
	call.resume_end = f->stop;
	call.range_stop = f->ranged ? f->stop : 0;
	call.first = f->first;
	call.used = &f->used;
	call.cancel = f->cancel;
	if (r->o.operation_timeout_s > 0)
		call.deadline_ms = limg__now_ms() + r->o.operation_timeout_s * 1000;
	for (;;) {
		rc = limg__registry_call(r, &call, &resp);
		call.first = f->used; /* what follows is asked where the bytes came from */
		if (rc != 0)
			goto out;
		if (resp.status != 200 && resp.status != 206) {
			rc = limg__registry_error_about(&resp, f->what, LIMG_SUBJECT_BLOB, digest);
			goto out;
		}
		/* the body ended cleanly, but short: ask for the rest (a registry that
		 * keeps doing so is not one to follow forever) */
		if (f->stop >= 0 && f->offset < f->stop && resp.delivered > 0) {
			if (++short_answers > SHORT_ANSWERS_MAX) {
				rc = limg__error_set(LIMG_EPROTOCOL, "%s: the registry ended the blob early %d times", f->what,
				                     short_answers - 1);
				goto out;
			}
			continue;
		}
		break;
	}
	if (f->stop >= 0 && f->offset != f->stop)
		rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: got %lld bytes, expected %lld", f->what,
		                     (long long)f->offset, (long long)f->stop);
out:
	limg__http_resp_dispose(&resp);
	limg__free(path);
	limg__free(scope);
	return rc;
}

static int check_args(limg_registry *r, const char *repo, const char *digest, int *algo)
{
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), algo)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	return 0;
}

int limg__registry_blob_fetch_at(limg_registry *r, const char *repo, const char *digest, int64_t size,
                                 const limg__blob_fetch *how, size_t first, size_t *used)
{
	struct fetch f;
	char *what = NULL;
	int rc, algo = 0;

	if (!how->write)
		return limg__error_invalid("write");
	if (how->offset < 0 || (how->verify && how->offset > 0))
		return limg__error_set(LIMG_EINVALID, "invalid argument: a verified fetch starts at offset 0");
	if ((rc = check_args(r, repo, digest, &algo)) < 0)
		return rc;
	memset(&f, 0, sizeof f);
	f.sink = how->write;
	f.payload = how->payload;
	f.cancel = how->cancel;
	f.expected = f.stop = size < 0 ? -1 : size;
	f.offset = how->offset;
	f.max = r->o.max_blob_size;
	if (f.expected >= 0 && how->offset >= f.expected)
		return how->offset == f.expected ? 0 : limg__error_set(LIMG_EINVALID, "offset past the end of %s", digest);
	if (f.expected > f.max)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_BLOB, digest,
		                             "blob %s of %s/%s is %lld bytes, over the %lld-byte blob limit", digest,
		                             r->domain, repo, (long long)f.expected, (long long)f.max);
	if (limg__asprintf(&what, "blob %s of %s/%s", digest, r->domain, repo) < 0)
		return limg__error_oom();
	f.what = what;
	f.first = f.used = first;
	if (!how->verify || (rc = limg_hasher_new(&f.hasher, algo)) == 0) {
		int refetches = 0;
		long from;
		for (;;) {
			rc = fetch(r, repo, digest, &f);
			if (rc == 0 && f.hasher && limg_hasher_verify(f.hasher, digest) == LIMG_EDIGEST_MISMATCH)
				rc = limg__error_set_about(LIMG_EDIGEST_MISMATCH, LIMG_SUBJECT_BLOB, digest,
				                           "%s: the bytes received do not match the digest", what);
			/* bytes that do not verify: from the start, at the next endpoint, else at this one again */
			if (rc != LIMG_EDIGEST_MISMATCH || !how->restart ||
			    (from = limg__registry_refetch_from(f.used, r->nep, &refetches)) < 0 ||
			    (rc = how->restart(how->payload)) != 0)
				break;
			limg__log(r->ctx, LIMG_LOG_WARN, "%s from %s does not match its digest; asking %s", what,
			          r->ep[f.used].host, (size_t)from == f.used ? "again" : "the next endpoint");
			limg_error_clear();
			f.first = (size_t)from;
			f.offset = 0;
			f.skip = 0;
			f.restarts = 0;
			limg_hasher_reset(f.hasher);
		}
	}
	*used = f.used;
	limg_hasher_free(f.hasher);
	limg__free(what);
	return rc;
}

/* The caller's callbacks behind the internal ones: what they return to stop
 * is kept, and the fetch ends at once (a positive value does that inside). */
struct caller {
	const limg_registry_fetch_callbacks *cb;
	int rc;
};

static int caller_write(const void *data, size_t len, void *payload)
{
	struct caller *c = payload;
	int rc = c->cb->write(data, len, c->cb->payload);
	return rc ? (c->rc = rc, 1) : 0;
}

static int caller_restart(void *payload)
{
	struct caller *c = payload;
	int rc = c->cb->restart(c->cb->payload);
	return rc ? (c->rc = rc, 1) : 0;
}

int limg_registry_blob_fetch(limg_registry *r, const char *repo, const char *digest, int64_t size,
                             const limg_registry_fetch_opts *opts, const limg_registry_fetch_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_fetch_opts o = LIMG_REGISTRY_FETCH_OPTS_INIT;
	limg_registry_fetch_callbacks callbacks = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;
	struct caller c = { &callbacks, 0 };
	limg__blob_fetch how = { 0 };
	size_t used;
	int rc;

	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_fetch_opts")) < 0 ||
	    (rc = limg__opts_copy(&callbacks, sizeof callbacks, cb, "limg_registry_fetch_callbacks")) < 0)
		return rc;
	if (!callbacks.write)
		return limg__error_invalid("callbacks.write");
	how.offset = o.offset;
	how.verify = !o.skip_verify;
	how.cancel = o.cancel;
	how.write = caller_write;
	how.restart = callbacks.restart ? caller_restart : NULL;
	how.payload = &c;
	rc = limg__registry_blob_fetch_at(r, repo, digest, size, &how, 0, &used);
	return rc > 0 ? limg__error_after_callback(c.rc, "blob fetch") : rc;
}

size_t limg__registry_endpoints(const limg_registry *r)
{
	return r->nep;
}

int limg__registry_blob_range(limg_registry *r, const char *repo, const char *digest, int64_t start, int64_t end,
                              limg_write_cb sink, void *payload, const limg_cancel *cancel)
{
	struct fetch f;
	char *what = NULL;
	int rc, algo = 0;

	if ((rc = check_args(r, repo, digest, &algo)) < 0)
		return rc;
	if (!sink || start < 0 || end < start)
		return limg__error_invalid(sink ? "range" : "sink");
	memset(&f, 0, sizeof f);
	f.sink = sink;
	f.payload = payload;
	f.expected = -1;
	f.stop = end + 1;
	f.ranged = true;
	f.offset = start;
	f.cancel = cancel;
	f.max = r->o.max_blob_size;
	if (limg__asprintf(&what, "bytes %lld-%lld of blob %s of %s/%s", (long long)start, (long long)end, digest, r->domain,
	             repo) < 0)
		return limg__error_oom();
	f.what = what;
	rc = fetch(r, repo, digest, &f);
	if (rc == LIMG_EUNSUPPORTED) {
		pthread_mutex_lock(&r->lock);
		r->ranges_ignored = true;
		pthread_mutex_unlock(&r->lock);
	}
	limg__free(what);
	return rc;
}

bool limg__registry_ranges_ignored(limg_registry *r)
{
	bool ignored;

	pthread_mutex_lock(&r->lock);
	ignored = r->ranges_ignored;
	pthread_mutex_unlock(&r->lock);
	return ignored;
}
