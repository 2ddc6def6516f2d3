/* SPDX-License-Identifier: MIT */
/*
 * The push side: blob HEAD, uploads (POST, then one PUT or PATCH chunks
 * and a closing PUT), cross-repository mounts, manifest PUT. An upload URL
 * is used as the registry gives it (relative or absolute, query and all);
 * one on another origin gets no credentials, one that turns https into http
 * is refused. A broken transfer asks the upload URL how far it got and goes
 * on from there, or starts over, within the retry budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "registry_internal.h"

int limg_registry_upload_opts_init(limg_registry_upload_opts *opts, size_t size)
{
	static const limg_registry_upload_opts defaults = LIMG_REGISTRY_UPLOAD_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_registry_upload_callbacks_init(limg_registry_upload_callbacks *cb, size_t size)
{
	static const limg_registry_upload_callbacks defaults = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* A Docker-Content-Digest the registry sent: NULL when absent, else it must
 * be a digest (a malformed one is refused, never echoed). */
static int answered_digest(const char **out, const limg__http_resp *resp, const char *what)
{
	const char *d = limg__http_header(resp, "Docker-Content-Digest");

	*out = d;
	if (d && limg__digest_check(d, strlen(d), NULL) != 0) {
		*out = NULL;
		return limg__error_set(LIMG_EPROTOCOL, "%s: the registry answered with a malformed Docker-Content-Digest",
		                       what);
	}
	return 0;
}

typedef struct {
	limg_registry *r;
	const char *repo, *digest;
	int64_t size;
	limg_registry_upload_callbacks cb;
	limg_registry_upload_opts o;
	char *scope, *what;
	char *location;    /* the upload URL, absolute */
	int64_t offset;    /* bytes the registry has */
	int64_t sent;      /* bytes given to the current request */
	int64_t limit;     /* bytes the current request carries */
	int64_t chunk_min; /* OCI-Chunk-Min-Length */
	int source_rc;     /* what a callback returned to stop (errors.h) */
	int64_t deadline;  /* of the whole upload, every request and try (CLOCK_MONOTONIC ms); 0: none */
} upload;

#define LOCATION_MAX (16u << 10) /* an upload URL; presigned ones are a few KB */

static void set_location(upload *u, char *next)
{
	limg__free(u->location);
	u->location = next;
}

/* The Location of an answer, resolved against the URL that was asked. */
static int take_location(upload *u, const limg__http_resp *resp, const char *asked)
{
	char *next;

	if (!resp->location || !*resp->location)
		return limg__error_set(LIMG_EPROTOCOL, "%s: the registry gave no upload URL (HTTP %ld)", u->what,
		                       resp->status);
	if (strlen(resp->location) > LOCATION_MAX)
		return limg__error_set(LIMG_ETOOBIG, "%s: the registry's upload URL (Location) of %zu bytes is over the "
		                                     "%u-byte limit", u->what, strlen(resp->location), LOCATION_MAX);
	if (!(next = limg__http_resolve(resp->final_url ? resp->final_url : asked, resp->location)))
		return limg__error_set(LIMG_EPROTOCOL, "%s: the upload URL is no http(s) URL", u->what);
	if (!strncmp(asked, "https://", 8) && strncmp(next, "https://", 8) != 0) {
		limg__free(next);
		return limg__error_set(LIMG_EREDIRECT, "%s: refusing an upload URL that turns https into http", u->what);
	}
	set_location(u, next);
	return 0;
}

static bool same_origin_as_registry(upload *u, const char *url)
{
	char *base = limg__registry_origin_base(u->r);
	bool same = base && limg__http_same_origin(base, url);

	limg__free(base);
	return same;
}

/* The bytes of the current request, from the caller's source. */
static int feed(void *buf, size_t cap, size_t *got, void *payload)
{
	upload *u = payload;
	int64_t left = u->limit - u->sent;
	size_t n = 0;
	int rc;

	*got = 0;
	if (left <= 0)
		return 0;
	if ((int64_t)cap > left)
		cap = (size_t)left;
	if ((rc = u->cb.read(&n, buf, cap, u->cb.payload)) != 0) {
		u->source_rc = limg__error_after_callback(rc, u->what);
		return u->source_rc;
	}
	if (n > cap)
		return u->source_rc = limg__error_set(LIMG_EINVALID, "%s: the source gave more than it was asked", u->what);
	if (!n)
		return u->source_rc = limg__error_set(LIMG_EINVALID, "%s: the source ended %lld bytes early", u->what,
		                                      (long long)left);
	u->sent += (int64_t)n;
	*got = n;
	if (u->cb.progress &&
	    (rc = u->cb.progress(u->digest, LIMG_BLOB_NONE, LIMG_EVENT_UPLOADING, u->offset + u->sent, u->size, NULL,
	                         u->cb.payload)) != 0)
		return u->source_rc = limg__error_after_callback(rc, u->what);
	return 0;
}

/* POST: a mount (201), or an upload session (202 + Location). */
static int start(upload *u, bool mount, bool *mounted)
{
	limg__call call = { 0 };
	limg__http_resp resp;
	limg_buf path = LIMG_BUF_INIT;
	int rc;

	*mounted = false;
	limg__http_resp_init(&resp);
	rc = limg_buf_set(&path, "/v2/", 4) < 0 || limg__buf_put(&path, u->repo, strlen(u->repo)) < 0 ||
	     limg__buf_put(&path, "/blobs/uploads/", 15) < 0;
	if (!rc && mount)
		rc = limg__buf_put(&path, "?mount=", 7) < 0 || limg__http_escape(&path, u->digest) < 0 ||
		     limg__buf_put(&path, "&from=", 6) < 0 || limg__http_escape(&path, u->o.mount_from) < 0;
	if (rc) {
		limg_buf_dispose(&path);
		return limg__error_oom();
	}
	call.method = "POST";
	call.need = LIMG_ENDPOINT_CAP_PUSH;
	call.url = path.ptr;
	call.scope = u->scope;
	call.what = u->what;
	call.content_type = "application/octet-stream";
	call.cancel = u->o.cancel;
	call.deadline_ms = u->deadline;
	if ((rc = limg__registry_call(u->r, &call, &resp)) < 0) {
		if (rc == LIMG_ETOOBIG)
			limg__error_prefix("%s", u->what);
		goto out;
	}
	if (mount && resp.status == 201) {
		const char *got;
		if ((rc = answered_digest(&got, &resp, u->what)) == 0 && got && strcmp(got, u->digest) != 0)
			rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: mounted as %s", u->what, got);
		else if (rc == 0)
			*mounted = true;
		goto out;
	}
	if (resp.status == 202) {
		char *asked = NULL, *base = limg__registry_origin_base(u->r);
		if (!base || limg__asprintf(&asked, "%s%s", base, path.ptr) < 0)
			asked = NULL;
		limg__free(base);
		rc = asked ? take_location(u, &resp, asked) : limg__error_oom();
		limg__free(asked);
		if (rc == 0 && limg__http_header(&resp, "OCI-Chunk-Min-Length"))
			u->chunk_min = strtoll(limg__http_header(&resp, "OCI-Chunk-Min-Length"), NULL, 10);
		u->offset = 0;
		goto out;
	}
	if (mount && resp.status >= 400 && resp.status < 500) {
		/* some registries refuse a mount outright (no access to the source, a
		 * quota, a policy): an upload does the same */
		limg__log(u->r->ctx, LIMG_LOG_INFO, "%s: mount from %s refused (HTTP %ld); uploading", u->what,
		          u->o.mount_from, resp.status);
		limg__http_resp_dispose(&resp);
		limg_buf_dispose(&path);
		return start(u, false, mounted);
	}
	rc = limg__registry_error(&resp, u->what);
out:
	limg__http_resp_dispose(&resp);
	limg_buf_dispose(&path);
	return rc;
}

/* GET of the upload URL: how far it got (204, Range: 0-N). 1: the session is gone. */
static int ask_progress(upload *u)
{
	limg__call call = { 0 };
	limg__http_resp resp;
	char *asked = limg__strdup(u->location);
	long long first = 0, last = -1;
	int rc;

	if (!asked)
		return limg__error_oom();
	limg__http_resp_init(&resp);
	call.method = "GET";
	call.url = asked;
	call.scope = u->scope;
	call.no_auth = !same_origin_as_registry(u, asked);
	call.what = u->what;
	call.cancel = u->o.cancel;
	call.deadline_ms = u->deadline;
	if ((rc = limg__registry_call(u->r, &call, &resp)) == 0) {
		if (resp.status == 404) {
			rc = 1;
		} else if (resp.status != 204 && resp.status != 202) {
			rc = limg__registry_error(&resp, u->what);
		} else if (resp.range && (sscanf(resp.range, "%lld-%lld", &first, &last) != 2 || first != 0)) {
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: the upload URL reports a bad Range", u->what);
		} else if (resp.range && last == 0) {
			/* "0-0": one byte, or (distribution's way of saying it) none: start over to be sure */
			rc = 1;
		} else {
			u->offset = resp.range ? last + 1 : 0;
			if (u->offset < 0 || u->offset > u->size)
				rc = limg__error_set(LIMG_EPROTOCOL, "%s: the upload URL reports %lld bytes of %lld", u->what,
				                     (long long)u->offset, (long long)u->size);
			else if (resp.location)
				rc = take_location(u, &resp, asked);
		}
	}
	limg__http_resp_dispose(&resp);
	limg__free(asked);
	return rc;
}

/* One request carrying bytes [offset, offset + len): a PATCH, or the closing PUT. */
static int send_bytes(upload *u, const char *method, int64_t len, bool closing, limg__http_resp *resp)
{
	limg__call call = { 0 };
	limg_buf url = LIMG_BUF_INIT;
	char range[64];
	int rc;

	if (limg_buf_set(&url, u->location, strlen(u->location)) < 0)
		return limg__error_oom();
	/* (buffers stay NUL-terminated) */
	if (closing && (limg__buf_put(&url, strchr(u->location, '?') ? "&digest=" : "?digest=", 8) < 0 ||
	                limg__http_escape(&url, u->digest) < 0)) {
		limg_buf_dispose(&url);
		return limg__error_oom();
	}
	u->sent = 0;
	u->limit = len;
	call.method = method;
	call.url = url.ptr;
	call.scope = u->scope;
	call.no_auth = !same_origin_as_registry(u, url.ptr);
	call.what = u->what;
	call.content_type = "application/octet-stream";
	call.cancel = u->o.cancel;
	call.deadline_ms = u->deadline;
	if (len > 0) {
		call.source = feed;
		call.source_payload = u;
		call.source_len = len;
		if (!closing) {
			snprintf(range, sizeof range, "%lld-%lld", (long long)u->offset, (long long)(u->offset + len - 1));
			call.content_range = range;
		}
	}
	rc = limg__registry_call(u->r, &call, resp);
	if (rc == 0 && resp->status >= 200 && resp->status < 300)
		u->offset += len;
	if (rc == 0 && (resp->status == 202 || resp->status == 201) && resp->location && !closing)
		rc = take_location(u, resp, url.ptr);
	limg_buf_dispose(&url);
	return rc;
}

static bool worth_resuming(int rc, const limg__http_resp *resp)
{
	return rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT ||
	       (rc == 0 && (resp->status == 500 || resp->status == 502 || resp->status == 503 || resp->status == 504 ||
	                    resp->status == 416 || resp->status == 429));
}

/* Sends what the registry lacks and closes the upload. */
static int transfer(upload *u)
{
	limg__http_resp resp;
	int failures = 0, rc;

	limg__http_resp_init(&resp);
	for (;;) {
		int64_t chunk = u->o.chunk_size;
		bool mounted;

		if (chunk > 0 && chunk < u->chunk_min)
			chunk = u->chunk_min;
		if (chunk > 0 && u->size - u->offset > chunk) {
			rc = send_bytes(u, "PATCH", chunk, false, &resp);
			if (rc == 0 && resp.status == 202)
				continue;
		} else {
			rc = send_bytes(u, "PUT", u->size - u->offset, true, &resp);
			if (rc == 0 && resp.status == 201) {
				const char *got;
				if ((rc = answered_digest(&got, &resp, u->what)) == 0 && got && strcmp(got, u->digest) != 0)
					rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: the registry stored it as %s", u->what, got);
				break;
			}
		}
		if (u->source_rc) {
			rc = u->source_rc;
			break;
		}
		if (!worth_resuming(rc, &resp) || !u->cb.seek || ++failures >= u->r->o.max_attempts) {
			if (rc == 0)
				rc = limg__registry_error(&resp, u->what);
			break;
		}
		limg__log(u->r->ctx, LIMG_LOG_INFO, "%s: %s; going on from what the registry has (%d/%d)", u->what,
		          rc ? limg_error_message(limg_error_last()) : "the registry failed", failures + 1,
		          u->r->o.max_attempts);
		limg_error_clear();
		if ((rc = ask_progress(u)) == 1) /* the session is gone: start over */
			rc = start(u, false, &mounted);
		if (rc < 0)
			break;
		if ((rc = u->cb.seek(u->offset, u->cb.payload)) != 0) {
			rc = u->source_rc = limg__error_after_callback(rc, u->what);
			break;
		}
	}
	limg__http_resp_dispose(&resp);
	return rc;
}

static int blob_exists(int *out_exists, int64_t *out_size, limg_registry *r, const char *repo, const char *digest,
                       const limg_cancel *cancel)
{
	limg__call call = { 0 };
	limg__http_resp resp;
	char *path = NULL, *scope = NULL, *what = NULL;
	int rc;

	if (out_exists)
		*out_exists = 0;
	if (out_size)
		*out_size = -1;
	if (!r || !out_exists)
		return limg__error_invalid(r ? "out_exists" : "registry");
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (!digest || (rc = limg__digest_check(digest, strlen(digest), NULL)) != 0)
		return digest ? limg__digest_raise(rc, digest, strlen(digest)) : limg__error_invalid("digest");
	limg__http_resp_init(&resp);
	if (limg__asprintf(&path, "/v2/%s/blobs/%s", repo, digest) < 0 || limg__asprintf(&scope, "repository:%s:pull", repo) < 0 ||
	    limg__asprintf(&what, "blob %s of %s/%s", digest, r->domain, repo) < 0) {
		rc = limg__error_oom();
		goto out;
	}
	call.method = "HEAD";
	call.need = LIMG_ENDPOINT_CAP_PUSH; /* where it is pushed: the registry itself */
	call.url = path;
	call.scope = scope;
	call.what = what;
	call.cancel = cancel;
	if ((rc = limg__registry_call(r, &call, &resp)) < 0)
		goto out;
	if (resp.status == 200) {
		*out_exists = 1;
		if (out_size)
			*out_size = resp.content_length;
	} else if (resp.status == 404) {
		rc = 0;
	} else {
		rc = limg__registry_error(&resp, what);
	}
out:
	limg__http_resp_dispose(&resp);
	limg__free(path);
	limg__free(scope);
	limg__free(what);
	return rc;
}

int limg_registry_blob_exists(int *out_exists, int64_t *out_size, limg_registry *r, const char *repo,
                              const char *digest, const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;
	int rc;

	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_call_opts")) < 0)
		return rc;
	return blob_exists(out_exists, out_size, r, repo, digest, o.cancel);
}

int limg_registry_blob_upload(int *out_result, limg_registry *r, const char *repo, const char *digest, int64_t size,
                              const limg_registry_upload_opts *opts, const limg_registry_upload_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	upload u;
	bool mounted = false;
	int rc, exists;

	if (out_result)
		*out_result = 0;
	if (!r)
		return limg__error_invalid("registry");
	memset(&u, 0, sizeof u);
	limg_registry_upload_opts_init(&u.o, sizeof u.o);
	limg_registry_upload_callbacks_init(&u.cb, sizeof u.cb);
	if ((rc = limg__opts_copy(&u.o, sizeof u.o, opts, "limg_registry_upload_opts")) < 0 ||
	    (rc = limg__opts_copy(&u.cb, sizeof u.cb, cb, "limg_registry_upload_callbacks")) < 0)
		return rc;
	if (!u.cb.read || size < 0)
		return limg__error_invalid("callbacks.read, size");
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (!digest || (rc = limg__digest_check(digest, strlen(digest), NULL)) != 0)
		return digest ? limg__digest_raise(rc, digest, strlen(digest)) : limg__error_invalid("digest");
	if (u.o.mount_from && (rc = limg__registry_check_name(u.o.mount_from)) < 0)
		return rc;
	if (u.o.chunk_size < 0)
		return limg__error_invalid("chunk_size");
	u.r = r;
	u.repo = repo;
	u.digest = digest;
	u.size = size;
	/* one upload, one operation: its deadline covers the session, every chunk and every try */
	u.deadline = r->o.operation_timeout_s > 0 ? limg__now_ms() + r->o.operation_timeout_s * 1000 : 0;
	if (!u.o.skip_exists_check) {
		if ((rc = blob_exists(&exists, NULL, r, repo, digest, u.o.cancel)) < 0)
			return rc;
		if (exists) {
			if (out_result)
				*out_result = LIMG_UPLOAD_EXISTS;
			return 0;
		}
	}
	if ((u.o.mount_from && !strcmp(u.o.mount_from, repo)))
		u.o.mount_from = NULL;
	/* pull and push here, and pull where the mount comes from */
	if ((u.o.mount_from ? limg__asprintf(&u.scope, "repository:%s:pull,push repository:%s:pull", repo, u.o.mount_from)
	                    : limg__asprintf(&u.scope, "repository:%s:pull,push", repo)) < 0 ||
	    limg__asprintf(&u.what, "upload of blob %s to %s/%s", digest, r->domain, repo) < 0) {
		u.scope = u.what = NULL;
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = start(&u, u.o.mount_from != NULL, &mounted)) < 0)
		goto out;
	if (mounted) {
		if (out_result)
			*out_result = LIMG_UPLOAD_MOUNTED;
		goto out;
	}
	if ((rc = transfer(&u)) == 0 && out_result)
		*out_result = LIMG_UPLOAD_PUSHED;
out:
	if (rc < 0 && u.location && !u.source_rc) {
		/* an abandoned session: told, so the registry can drop it (errors ignored) */
		limg__call call = { 0 };
		limg__http_resp resp;
		limg__error_copy saved;
		limg__error_save(&saved);
		limg__http_resp_init(&resp);
		call.method = "DELETE";
		call.url = u.location;
		call.scope = u.scope;
		call.no_auth = !same_origin_as_registry(&u, u.location);
		call.what = u.what;
		call.cancel = u.o.cancel;
		/* a courtesy: never long, and not past the upload's own deadline */
		call.deadline_ms = limg__now_ms() + 5000;
		if (u.deadline && u.deadline < call.deadline_ms)
			call.deadline_ms = u.deadline;
		limg__registry_call(r, &call, &resp);
		limg__http_resp_dispose(&resp);
		limg__error_restore(&saved);
	}
	limg__free(u.location);
	limg__free(u.scope);
	limg__free(u.what);
	return rc;
}

int limg_registry_manifest_put(limg_buf *out_digest, limg_registry *r, const char *repo, const char *reference,
                               const char *media_type, const void *body, size_t len,
                               const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_call_opts")) < 0)
		return rc;
	return limg__registry_manifest_put(out_digest, NULL, r, repo, reference, media_type, body, len, o.cancel);
}

int limg__registry_manifest_put(limg_buf *out_digest, char **out_subject, limg_registry *r, const char *repo,
                                const char *reference, const char *media_type, const void *body, size_t len,
                                const limg_cancel *cancel)
{
	limg__call call = { 0 };
	limg__http_resp resp;
	limg_buf digest = LIMG_BUF_INIT;
	char *path = NULL, *scope = NULL, *what = NULL;
	const char *got;
	bool by_digest;
	int rc;

	if (out_subject)
		*out_subject = NULL;
	if (!body || !len || !media_type || !*media_type)
		return limg__error_invalid("body, media_type");
	if ((rc = limg__registry_check_name(repo)) < 0 || (rc = limg__registry_check_reference(reference, &by_digest)) < 0)
		return rc;
	if ((rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, body, len)) < 0)
		return rc;
	if (by_digest && strcmp(reference, digest.ptr) != 0) {
		rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "manifest put as %s is %s", reference, digest.ptr);
		goto out;
	}
	limg__http_resp_init(&resp);
	if (limg__asprintf(&path, "/v2/%s/manifests/%s", repo, reference) < 0 ||
	    limg__asprintf(&scope, "repository:%s:pull,push", repo) < 0 ||
	    limg__asprintf(&what, "manifest %s of %s/%s", reference, r->domain, repo) < 0) {
		rc = limg__error_oom();
		goto done;
	}
	call.method = "PUT";
	call.need = LIMG_ENDPOINT_CAP_PUSH;
	call.url = path;
	call.scope = scope;
	call.what = what;
	call.body = body;
	call.body_len = len;
	call.content_type = media_type;
	call.cancel = cancel;
	if ((rc = limg__registry_call(r, &call, &resp)) < 0)
		goto done;
	if (resp.status != 201 && resp.status != 200) {
		rc = limg__registry_error(&resp, what);
		if (rc == LIMG_EHTTP && (resp.status == 400 || resp.status == 415)) {
			char why[600];
			snprintf(why, sizeof why, "%s", limg_error_message(limg_error_last()));
			rc = limg__error_set(LIMG_EMANIFEST, "%s", why);
		}
		goto done;
	}
	if ((rc = answered_digest(&got, &resp, what)) < 0)
		goto done;
	if (got && strcmp(got, digest.ptr) != 0) {
		rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: the registry stored it as %s, not %s", what, got,
		                     digest.ptr);
		goto done;
	}
	if (out_subject && limg__http_header(&resp, "OCI-Subject") &&
	    !(*out_subject = limg__strdup(limg__http_header(&resp, "OCI-Subject")))) {
		rc = limg__error_oom();
		goto done;
	}
	if (out_digest)
		rc = limg_buf_set(out_digest, digest.ptr, digest.size);
done:
	limg__http_resp_dispose(&resp);
out:
	limg__free(path);
	limg__free(scope);
	limg__free(what);
	limg_buf_dispose(&digest);
	return rc;
}
