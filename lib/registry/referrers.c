/* SPDX-License-Identifier: MIT */
/*
 * OCI 1.1 referrers (distribution-spec v1.1): the API (GET
 * /v2/<name>/referrers/<digest>, artifactType filter, pages, the
 * OCI-Filters-Applied header) and, for registries without it, the
 * referrers tag schema: an index under the tag "sha256-<hex>", kept up to
 * date by whoever pushes a referrer. Bounded: pages, entries, sizes; a
 * listing that names its own subject (or itself) is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "core/strset.h"
#include "digest/digest_internal.h"
#include "manifest/manifest_internal.h"
#include "manifest/media.h"
#include "registry_internal.h"

#define PAGES_MAX 64
#define ENTRIES_MAX 10000

int limg_registry_referrers_opts_init(limg_registry_referrers_opts *opts, size_t size)
{
	static const limg_registry_referrers_opts defaults = LIMG_REGISTRY_REFERRERS_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_registry_referrers_callbacks_init(limg_registry_referrers_callbacks *cb, size_t size)
{
	static const limg_registry_referrers_callbacks defaults = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* The spec's tag: the algorithm (32 characters at most), "-", the encoded part (64 at most). */
static int referrers_tag(char *out, size_t cap, const char *digest)
{
	const char *colon = strchr(digest, ':');
	size_t alen, elen;

	if (!colon || limg__digest_check(digest, strlen(digest), NULL) != 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	alen = (size_t)(colon - digest) < 32 ? (size_t)(colon - digest) : 32;
	elen = strlen(colon + 1) < 64 ? strlen(colon + 1) : 64;
	snprintf(out, cap, "%.*s-%.*s", (int)alen, digest, (int)elen, colon + 1);
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '.' || *p == '-'))
			*p = '-';
	return 0;
}

int limg_registry_referrers_tag(limg_buf *out, const char *digest)
{
	char tag[128];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = referrers_tag(tag, sizeof tag, digest)) < 0)
		return rc;
	return limg_buf_set(out, tag, strlen(tag));
}

/* ---- listing -------------------------------------------------------------- */

typedef struct {
	limg_registry *r;
	const char *repo, *digest;
	limg_registry_referrers_opts o;
	limg_registry_referrers_callbacks cb;
	limg__strset seen;
	size_t entries;
	char what[600];
} lister;

/* Hands the entries of one listing (an index) to the callback, checked. */
static int deliver(lister *l, const limg_manifest *index, const char *index_digest, bool filtered)
{
	int rc;

	for (size_t i = 0; i < limg_manifest_count(index); i++) {
		const limg_descriptor *d = limg_manifest_entry(index, i);
		const char *digest = limg_descriptor_digest(d), *at = limg_descriptor_artifact_type(d);
		int added;
		if (!strcmp(digest, l->digest) || (index_digest && !strcmp(digest, index_digest)))
			return limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, l->digest,
			                             "%s: the listing names %s itself as a referrer", l->what, digest);
		if (!limg__media_is_manifest(limg_descriptor_media_type(d))) {
			char q[200];
			limg__quote(q, sizeof q, limg_descriptor_media_type(d), strlen(limg_descriptor_media_type(d)));
			limg__log(l->r->ctx, LIMG_LOG_WARN, "%s: skipping %s of media type %s, which is no manifest", l->what,
			          digest, q);
			continue;
		}
		if (!filtered && l->o.artifact_type && (!at || strcmp(at, l->o.artifact_type) != 0))
			continue;
		if ((added = limg__strset_add(&l->seen, digest)) < 0)
			return added;
		if (!added)
			continue; /* listed twice (on two pages) */
		if (++l->entries > ENTRIES_MAX)
			return limg__error_set(LIMG_ETOOBIG, "%s: over %d referrers", l->what, ENTRIES_MAX);
		if ((rc = l->cb.referrer(d, l->cb.payload)) != 0)
			return limg__error_after_callback(rc, l->what);
	}
	return 0;
}

/* The referrers tag: a missing tag means none. */
static int list_tag(lister *l)
{
	limg_remote_manifest *m = NULL;
	limg_manifest *index = NULL;
	char tag[128];
	int rc;

	if ((rc = referrers_tag(tag, sizeof tag, l->digest)) < 0)
		return rc;
	rc = limg__registry_manifest_fetch_origin(&m, l->r, l->repo, tag, l->o.cancel);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	if (strcmp(limg_remote_manifest_media_type(m), LIMG_MEDIA_OCI_INDEX) != 0)
		rc = limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, tag,
		                           "%s: the referrers tag %s holds a %s, not an OCI index", l->what, tag,
		                           limg_remote_manifest_media_type(m));
	else if ((rc = limg_manifest_parse(&index, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m),
	                                   limg_remote_manifest_media_type(m))) < 0)
		limg__error_prefix("%s: the referrers tag %s", l->what, tag);
	else
		rc = deliver(l, index, limg_remote_manifest_digest(m), false);
	limg_manifest_free(index);
	limg_remote_manifest_free(m);
	return rc;
}

/* Percent-encodes an artifactType for the query. */
static char *query_escape(const char *s)
{
	char *out = limg__malloc(strlen(s) * 3 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

/* The API. *@unsupported is set (and nothing delivered) when the registry lacks it. */
static int list_api(lister *l, bool *unsupported)
{
	limg__http_resp resp;
	char *url = NULL, *scope = NULL, *type = NULL;
	int rc = 0, pages = 0;

	*unsupported = false;
	if (l->o.artifact_type && !(type = query_escape(l->o.artifact_type)))
		return limg__error_oom();
	if (limg__asprintf(&url, type ? "/v2/%s/referrers/%s?artifactType=%s" : "/v2/%s/referrers/%s", l->repo, l->digest,
	             type) < 0 ||
	    limg__asprintf(&scope, "repository:%s:pull", l->repo) < 0) {
		limg__free(type);
		return limg__error_oom();
	}
	limg__free(type);
	limg__http_resp_init(&resp);
	while (url && rc == 0) {
		limg__call call = { 0 };
		limg_manifest *index = NULL;
		const char *filters;
		char bare[128], *next;
		if (++pages > PAGES_MAX) {
			rc = limg__error_set(LIMG_EPROTOCOL, "%s: over %d pages", l->what, PAGES_MAX);
			break;
		}
		call.url = url;
		call.origin_only = true; /* a listing: the registry's own */
		call.accept = LIMG_MEDIA_OCI_INDEX;
		call.scope = scope;
		call.what = l->what;
		call.max_body = LIMG_MANIFEST_SIZE_MAX;
		call.cancel = l->o.cancel;
		if ((rc = limg__registry_call(l->r, &call, &resp)) < 0)
			break;
		limg__media_bare_type(bare, sizeof bare, resp.content_type ? resp.content_type : "");
		/* no API: 404 (and 400 or 406 from some), or an answer that is no index (ggcr's rule) */
		if (pages == 1 && (resp.status == 404 || resp.status == 400 || resp.status == 406 ||
		                   (resp.status == 200 && strcmp(bare, LIMG_MEDIA_OCI_INDEX) != 0))) {
			*unsupported = true;
			break;
		}
		if (resp.status != 200) {
			rc = limg__registry_error_about(&resp, l->what, LIMG_SUBJECT_MANIFEST, l->digest);
			break;
		}
		if ((rc = limg_manifest_parse(&index, resp.body.ptr, resp.body.size, bare)) < 0) {
			limg__error_prefix("%s", l->what);
			break;
		}
		if (limg_manifest_kind(index) != LIMG_MANIFEST_INDEX) {
			limg_manifest_free(index);
			rc = limg__error_set(LIMG_EMANIFEST, "%s: the answer is no index", l->what);
			break;
		}
		filters = limg__http_header(&resp, "OCI-Filters-Applied");
		rc = deliver(l, index, NULL, filters && strstr(filters, "artifactType"));
		limg_manifest_free(index);
		limg__free(url);
		url = NULL;
		if (rc == 0 && (rc = limg__registry_next_page(l->r, resp.link, &next, l->what)) == 0)
			url = next;
	}
	limg__free(url);
	limg__free(scope);
	limg__http_resp_dispose(&resp);
	return rc;
}

int limg_registry_referrers_foreach(limg_registry *r, const char *repo, const char *digest,
                                    const limg_registry_referrers_opts *opts,
                                    const limg_registry_referrers_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	lister l;
	bool unsupported = false;
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	memset(&l, 0, sizeof l);
	limg_registry_referrers_opts_init(&l.o, sizeof l.o);
	limg_registry_referrers_callbacks_init(&l.cb, sizeof l.cb);
	if ((rc = limg__opts_copy(&l.o, sizeof l.o, opts, "limg_registry_referrers_opts")) < 0 ||
	    (rc = limg__opts_copy(&l.cb, sizeof l.cb, cb, "limg_registry_referrers_callbacks")) < 0)
		return rc;
	if (!l.cb.referrer)
		return limg__error_invalid("callbacks.referrer");
	if (l.o.mode < LIMG_REFERRERS_AUTO || l.o.mode > LIMG_REFERRERS_TAG)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "mode", "invalid argument: mode %d",
		                             l.o.mode);
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	l.r = r;
	l.repo = repo;
	l.digest = digest;
	snprintf(l.what, sizeof l.what, "referrers of %s/%s@%s", r->domain, repo, digest);
	if (l.o.mode == LIMG_REFERRERS_TAG || (l.o.mode == LIMG_REFERRERS_AUTO && atomic_load(&r->referrers_api) < 0)) {
		rc = list_tag(&l);
	} else if ((rc = list_api(&l, &unsupported)) == 0 && unsupported) {
		if (l.o.mode == LIMG_REFERRERS_API) {
			rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_REGISTRY, r->domain,
			                           "%s: the registry has no referrers API", l.what);
		} else {
			atomic_store(&r->referrers_api, -1);
			limg_error_clear();
			rc = list_tag(&l);
		}
	} else if (rc == 0) {
		atomic_store(&r->referrers_api, 1);
	}
	limg__strset_free(&l.seen);
	return rc;
}

/* ---- pushing a referrer ----------------------------------------------------- */

/* The referrer as the spec lists it: media type, digest, size, artifactType
 * (the manifest's, else its config's media type), the manifest's annotations. */
static cJSON *descriptor_of(const limg_manifest *m, const char *media_type, const char *digest, size_t len)
{
	cJSON *d = cJSON_CreateObject();
	const char *at = limg_manifest_artifact_type(m);

	if (!at && limg_manifest_config(m))
		at = limg_descriptor_media_type(limg_manifest_config(m));
	if (!d || !cJSON_AddStringToObject(d, "mediaType", media_type) || !cJSON_AddStringToObject(d, "digest", digest) ||
	    !cJSON_AddNumberToObject(d, "size", (double)len) || (at && !cJSON_AddStringToObject(d, "artifactType", at)) ||
	    (m->annotations && !cJSON_AddItemToObject(d, "annotations", cJSON_Duplicate(m->annotations, 1)))) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* Adds the referrer to the subject's referrers tag, unless it is there. */
static int update_tag(limg_registry *r, const char *repo, const char *subject, cJSON *entry, const char *digest,
                      const limg_cancel *cancel)
{
	limg_remote_manifest *m = NULL;
	limg_manifest *old = NULL;
	cJSON *doc = NULL, *list;
	char tag[128], why[200], *text = NULL;
	int rc;

	if ((rc = referrers_tag(tag, sizeof tag, subject)) < 0)
		return rc;
	rc = limg__registry_manifest_fetch_origin(&m, r, repo, tag, cancel);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		doc = cJSON_CreateObject();
		if (!doc || !cJSON_AddNumberToObject(doc, "schemaVersion", 2) ||
		    !cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_INDEX) || !cJSON_AddArrayToObject(doc, "manifests")) {
			rc = limg__error_oom();
			goto out;
		}
	} else if (rc < 0) {
		goto out;
	} else {
		if (strcmp(limg_remote_manifest_media_type(m), LIMG_MEDIA_OCI_INDEX) != 0) {
			rc = limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, tag,
			                           "the referrers tag %s of %s holds a %s, not an OCI index", tag, repo,
			                           limg_remote_manifest_media_type(m));
			goto out;
		}
		if ((rc = limg_manifest_parse(&old, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m),
		                              LIMG_MEDIA_OCI_INDEX)) < 0) {
			limg__error_prefix("the referrers tag %s of %s", tag, repo);
			goto out;
		}
		for (size_t i = 0; i < limg_manifest_count(old); i++)
			if (!strcmp(limg_descriptor_digest(limg_manifest_entry(old, i)), digest))
				goto out; /* listed already */
		if (limg_manifest_count(old) >= ENTRIES_MAX) {
			rc = limg__error_set(LIMG_ETOOBIG, "the referrers tag %s of %s has %d entries already", tag, repo,
			                     ENTRIES_MAX);
			goto out;
		}
		if (limg__json_parse(&doc, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m), NULL, why,
		                     sizeof why) < 0) {
			rc = limg__error_set(LIMG_EMANIFEST, "the referrers tag %s of %s: %s", tag, repo, why);
			goto out;
		}
	}
	list = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
	if (!cJSON_IsArray(list) || !cJSON_AddItemReferenceToArray(list, entry)) {
		rc = limg__error_oom();
		goto out;
	}
	if (!(text = limg__json_print(doc, false))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = limg__registry_manifest_put(NULL, NULL, r, repo, tag, LIMG_MEDIA_OCI_INDEX, text, strlen(text), cancel);
out:
	limg__free(text);
	cJSON_Delete(doc);
	limg_manifest_free(old);
	limg_remote_manifest_free(m);
	return rc;
}

/* Whether the registry serves the referrers API (one GET, learnt once). */
static bool serves_api(limg_registry *r, const char *repo, const char *subject, const limg_cancel *cancel)
{
	limg__http_resp resp;
	limg__call call = { 0 };
	char *url = NULL, *scope = NULL, bare[128];
	bool yes = false;

	if (atomic_load(&r->referrers_api))
		return atomic_load(&r->referrers_api) > 0;
	if (limg__asprintf(&url, "/v2/%s/referrers/%s", repo, subject) < 0 || limg__asprintf(&scope, "repository:%s:pull", repo) < 0) {
		limg__free(url);
		return false;
	}
	limg__http_resp_init(&resp);
	call.url = url;
	call.origin_only = true;
	call.accept = LIMG_MEDIA_OCI_INDEX;
	call.scope = scope;
	call.what = "referrers API";
	call.max_body = LIMG_MANIFEST_SIZE_MAX;
	call.cancel = cancel;
	if (limg__registry_call(r, &call, &resp) == 0) {
		limg__media_bare_type(bare, sizeof bare, resp.content_type ? resp.content_type : "");
		yes = resp.status == 200 && !strcmp(bare, LIMG_MEDIA_OCI_INDEX);
		atomic_store(&r->referrers_api, yes ? 1 : -1);
	}
	limg_error_clear();
	limg__http_resp_dispose(&resp);
	limg__free(url);
	limg__free(scope);
	return yes;
}

int limg_registry_referrer_put(limg_buf *out_digest, limg_registry *r, const char *repo, const char *media_type,
                               const void *body, size_t len, const limg_registry_referrers_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_referrers_opts o = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
	limg_manifest *m = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	cJSON *entry = NULL;
	char *subject_header = NULL;
	const char *subject;
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_referrers_opts")) < 0)
		return rc;
	if (o.mode < LIMG_REFERRERS_AUTO || o.mode > LIMG_REFERRERS_TAG)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "mode", "invalid argument: mode %d", o.mode);
	if (!body || !len || !media_type)
		return limg__error_invalid("body, media_type");
	if ((rc = limg__registry_check_name(repo)) < 0)
		return rc;
	if ((rc = limg_manifest_parse(&m, body, len, media_type)) < 0)
		return rc;
	if (!limg_manifest_subject(m)) {
		limg_manifest_free(m);
		return limg__error_set(LIMG_EINVALID, "invalid argument: the manifest has no subject");
	}
	subject = limg_descriptor_digest(limg_manifest_subject(m));
	if ((rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, body, len)) < 0)
		goto out;
	/* the referrer first: a registry checks that what an index lists exists */
	if ((rc = limg__registry_manifest_put(NULL, &subject_header, r, repo, digest.ptr, media_type, body, len, o.cancel)) <
	    0)
		goto out;
	if (o.mode == LIMG_REFERRERS_API)
		goto done;
	/* no OCI-Subject: the spec's sign to keep the tag; with one, the API is asked
	 * (some registries answer it without serving the API: sigstore-js #1183) */
	if (o.mode == LIMG_REFERRERS_AUTO && subject_header && serves_api(r, repo, subject, o.cancel))
		goto done;
	if (o.mode == LIMG_REFERRERS_AUTO && !subject_header)
		atomic_store(&r->referrers_api, -1);
	if (!(entry = descriptor_of(m, media_type, digest.ptr, len))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = update_tag(r, repo, subject, entry, digest.ptr, o.cancel)) < 0)
		goto out;
done:
	if (out_digest)
		rc = limg_buf_set(out_digest, digest.ptr, digest.size);
out:
	cJSON_Delete(entry);
	limg__free(subject_header);
	limg_buf_dispose(&digest);
	limg_manifest_free(m);
	return rc;
}
