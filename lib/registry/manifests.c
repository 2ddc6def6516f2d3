/* SPDX-License-Identifier: MIT */
/* Manifests: HEAD to resolve, GET with digest verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "manifest/media.h"
#include "libimage/manifest.h"
#include "registry_internal.h"

#define ACCEPT_MANIFESTS                                                                                \
	LIMG_MEDIA_OCI_INDEX ", " LIMG_MEDIA_OCI_MANIFEST ", " LIMG_MEDIA_DOCKER_LIST ", " LIMG_MEDIA_DOCKER_MANIFEST

struct limg_remote_manifest {
	char *digest;
	char *media_type;
	int64_t size;
	limg_buf body;
};

void limg_remote_manifest_free(limg_remote_manifest *m)
{
	if (!m)
		return;
	limg__free(m->digest);
	limg__free(m->media_type);
	limg_buf_dispose(&m->body);
	limg__free(m);
}

const char *limg_remote_manifest_digest(const limg_remote_manifest *m)
{
	return m ? m->digest : NULL;
}

const char *limg_remote_manifest_media_type(const limg_remote_manifest *m)
{
	return m ? m->media_type : NULL;
}

int64_t limg_remote_manifest_size(const limg_remote_manifest *m)
{
	return m ? m->size : -1;
}

const void *limg_remote_manifest_body(const limg_remote_manifest *m)
{
	return m ? m->body.ptr : NULL;
}

/* Where a manifest request goes: from endpoint @first on (the registry
 * itself only, with @origin); @used learns who answered. With @probe, a
 * HEAD's 404 is the answer (no GET for the registry's words). */
struct where {
	bool origin;
	size_t first, used;
	bool probe;
};

static int fetch(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref, bool head,
                 struct where *at, const limg_cancel *cancel)
{
	limg_remote_manifest *m = NULL;
	limg__http_resp resp;
	limg__call call = { 0 };
	char *path = NULL, *scope = NULL, *what = NULL, *name = NULL, type[256];
	const char *docker_digest;
	bool by_digest;
	int rc, algo = LIMG_DIGEST_SHA256;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__registry_check_name(repo)) < 0 || (rc = limg__registry_check_reference(ref, &by_digest)) < 0)
		return rc;
	if (by_digest && (rc = limg__digest_check(ref, strlen(ref), &algo)) < 0)
		return limg__digest_raise(rc, ref, strlen(ref));
	limg__http_resp_init(&resp);
	if (limg__asprintf(&path, "/v2/%s/manifests/%s", repo, ref) < 0 || limg__asprintf(&scope, "repository:%s:pull", repo) < 0 ||
	    limg__asprintf(&what, "manifest for %s/%s%s%s", r->domain, repo, by_digest ? "@" : ":", ref) < 0 ||
	    limg__asprintf(&name, "%s/%s%s%s", r->domain, repo, by_digest ? "@" : ":", ref) < 0) {
		rc = limg__error_oom();
		goto out;
	}
	call.method = head ? "HEAD" : "GET";
	call.url = path;
	/* a tag is asked only where tags may be resolved; a digest anywhere (it is checked) */
	call.need = by_digest ? LIMG_ENDPOINT_CAP_PULL : LIMG_ENDPOINT_CAP_RESOLVE;
	call.origin_only = at->origin;
	call.first = at->first;
	call.used = &at->used;
	call.accept = ACCEPT_MANIFESTS;
	call.scope = scope;
	call.what = what;
	call.max_body = LIMG_MANIFEST_SIZE_MAX;
	call.cancel = cancel;
	/* (an answer over the limit is named by what it answered: this manifest, or a token) */
	if ((rc = limg__registry_call(r, &call, &resp)) < 0)
		goto out;
	if (resp.status != 200) {
		/* HEAD answers carry no error body: GET once for the registry's own words */
		if (head && !resp.body.size && resp.status >= 400) {
			rc = at->probe && resp.status == 404
			     ? limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_MANIFEST, name, "%s: not found", what)
			     : 2;
			goto out;
		}
		rc = limg__registry_error_about(&resp, what, LIMG_SUBJECT_MANIFEST, name);
		goto out;
	}
	if (!(m = limg__calloc(1, sizeof *m)) ||
	    !(m->media_type = limg__strdup(limg__media_bare_type(type, sizeof type, resp.content_type)))) {
		rc = limg__error_oom();
		goto out;
	}
	docker_digest = limg__http_header(&resp, "Docker-Content-Digest");
	if (limg__media_is_schema1(m->media_type)) {
		rc = limg__error_set(LIMG_EUNSUPPORTED, "%s is a schema 1 manifest, which is not supported; the image must "
		                                        "be pushed again with a current client", what);
		goto out;
	}
	if (head) {
		/* a HEAD answer is only useful with a digest we can trust the format of */
		if (!docker_digest || limg__digest_check(docker_digest, strlen(docker_digest), NULL) != 0) {
			rc = 1; /* tells the caller to GET instead */
			goto out;
		}
		if (by_digest && strcmp(docker_digest, ref) != 0) {
			rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: the registry answered with %s", what, docker_digest);
			goto out;
		}
		m->digest = limg__strdup(docker_digest);
		m->size = resp.content_length;
	} else {
		limg_buf computed = LIMG_BUF_INIT;
		int header_algo = algo;
		const char *expect = by_digest ? ref : docker_digest;
		if (!by_digest && expect && limg__digest_check(expect, strlen(expect), &header_algo) != 0)
			expect = NULL; /* a malformed header is ignored, as ggcr does; the body's digest is what we keep */
		if ((rc = limg_digest_compute(&computed, expect ? header_algo : algo, resp.body.ptr, resp.body.size)) < 0)
			goto out;
		if (expect && strcmp(computed.ptr, expect) != 0) {
			rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "%s: content hashes to %s, expected %s", what, computed.ptr,
			                     expect);
			limg_buf_dispose(&computed);
			goto out;
		}
		m->digest = limg__strdup(computed.ptr);
		limg_buf_dispose(&computed);
		m->size = (int64_t)resp.body.size;
		m->body = resp.body;
		memset(&resp.body, 0, sizeof resp.body);
	}
	if (!m->digest) {
		rc = limg__error_oom();
		goto out;
	}
	*out = m;
	m = NULL;
out:
	limg_remote_manifest_free(m);
	limg__http_resp_dispose(&resp);
	limg__free(path);
	limg__free(scope);
	limg__free(what);
	limg__free(name);
	return rc;
}

/* A mirror's manifest that does not verify: the next endpoint is asked. */
static int fetch_verified(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref, bool head,
                          bool origin, bool probe, const limg_registry_call_opts *opts)
{
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;
	struct where at = { origin, 0, 0, probe };
	int rc, refetches = 0;
	long from;

	if (out)
		*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_call_opts")) < 0)
		return rc;
	for (;;) {
		rc = fetch(out, r, repo, ref, head, &at, o.cancel);
		if (rc == 1 || rc == 2) /* no usable digest header, or an error to explain: GET (and hash the body) */
			rc = fetch(out, r, repo, ref, false, &at, o.cancel);
		/* bytes that do not verify: the next endpoint, else this one again (a flipped byte in transit) */
		if (rc != LIMG_EDIGEST_MISMATCH || (from = limg__registry_refetch_from(at.used, r->nep, &refetches)) < 0)
			return rc;
		limg__log(r->ctx, LIMG_LOG_WARN, "%s; asking %s", limg_error_message(limg_error_last()),
		          (size_t)from == at.used ? "again" : "the next endpoint");
		limg_error_clear();
		at.first = (size_t)from;
	}
}

int limg_registry_manifest_head(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref,
                                const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	return fetch_verified(out, r, repo, ref, true, false, false, opts);
}

int limg__registry_manifest_probe(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref,
                                  const limg_cancel *cancel)
{
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;

	o.cancel = (limg_cancel *)cancel;
	return fetch_verified(out, r, repo, ref, true, false, true, &o);
}

int limg__registry_manifest_head_origin(limg_remote_manifest **out, limg_registry *r, const char *repo,
                                        const char *ref, const limg_registry_call_opts *opts)
{
	return fetch_verified(out, r, repo, ref, true, true, false, opts);
}

int limg_registry_manifest_fetch(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref,
                                 const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	return fetch_verified(out, r, repo, ref, false, false, false, opts);
}

int limg__registry_manifest_fetch_origin(limg_remote_manifest **out, limg_registry *r, const char *repo,
                                         const char *ref, const limg_cancel *cancel)
{
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;

	o.cancel = (limg_cancel *)cancel;
	return fetch_verified(out, r, repo, ref, false, true, false, &o);
}
