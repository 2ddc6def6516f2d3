/* SPDX-License-Identifier: MIT */
/*
 * Carrying what refers to an image (its cosign `.sig` manifest, its OCI
 * referrers: bundles, SBOMs, and what refers to those) from a registry to
 * another, from a registry into a store, and from a store to a registry,
 * so that a copy keeps its signatures. Each artifact's blobs go first, its
 * manifest after; referrers are put with the referrers tag kept; a `.sig`
 * manifest meets the destination's (its signatures are kept). Bounded: 3
 * levels, 256 artifacts, 64 MiB per blob (they are held in memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "registry/registry_internal.h"
#include "sig_manifest.h"
#include "trust_internal.h"

#define DEPTH_MAX 3
#define ARTIFACTS_MAX 256
#define BLOB_MAX (64u << 20)

typedef struct {
	limg_registry *from, *to;     /* registries (from or to may be NULL: a store's side) */
	const char *src_repo, *dst_repo;
	limg_store *store;
	limg__lease *lease;
	const limg_cancel *cancel;
	size_t artifacts;
} carry;

struct capped {
	limg_buf *out;
	size_t max;
};

static int to_buf(const void *data, size_t len, void *payload)
{
	struct capped *c = payload;
	if (c->out->size + len > c->max)
		return limg__error_set(LIMG_ETOOBIG, "an attachment's blob is over the %zu-byte limit", c->max);
	return limg__buf_put(c->out, data, len);
}

/* A blob of the source (a registry, or the store), in memory, verified. */
static int read_blob(carry *c, limg_buf *out, const limg_descriptor *d)
{
	limg__blob_fetch how = { 0 };
	struct capped cap = { out, BLOB_MAX };
	size_t used;

	out->size = 0;
	if (limg_descriptor_size(d) > BLOB_MAX)
		return limg__error_set(LIMG_ETOOBIG, "attachment blob %s has %lld bytes, over the %u-byte limit",
		                       limg_descriptor_digest(d), (long long)limg_descriptor_size(d), BLOB_MAX);
	if (!c->from)
		return limg_store_blob_read(out, c->store, limg_descriptor_digest(d), BLOB_MAX);
	how.verify = true;
	how.cancel = c->cancel;
	how.write = to_buf;
	how.payload = &cap;
	return limg__registry_blob_fetch_at(c->from, c->src_repo, limg_descriptor_digest(d), limg_descriptor_size(d), &how,
	                                    0, &used);
}

/* Stores bytes under their digest (leased first, so that gc keeps them). */
static int store_bytes(carry *c, const char *digest, const void *data, size_t len)
{
	limg_blob_writer *w;
	int rc;

	if ((rc = limg__lease_add(c->lease, digest)) < 0)
		return rc;
	if ((rc = limg_blob_writer_open(&w, c->store, digest, (int64_t)len)) == LIMG_EEXISTS)
		return 0;
	if (rc < 0)
		return rc;
	if ((rc = limg_blob_writer_write(w, data, len)) == 0)
		rc = limg_blob_writer_commit(w);
	limg_blob_writer_close(w);
	return rc;
}

/* One blob from the source to the destination (a registry, or the store). */
static int carry_blob(carry *c, const limg_descriptor *d)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_buf bytes = LIMG_BUF_INIT;
	int64_t size;
	int exists = 0, rc;

	co.cancel = (limg_cancel *)c->cancel;
	if (c->to) {
		if ((rc = limg_registry_blob_exists(&exists, NULL, c->to, c->dst_repo, limg_descriptor_digest(d), &co)) < 0)
			return rc;
	} else {
		if ((rc = limg__lease_add(c->lease, limg_descriptor_digest(d))) < 0)
			return rc;
		exists = limg_store_blob_stat(&size, c->store, limg_descriptor_digest(d)) == 0;
		limg_error_clear();
	}
	if (exists)
		return 0;
	if ((rc = read_blob(c, &bytes, d)) == 0)
		rc = c->to ? limg__sig_upload(c->to, c->dst_repo, limg_descriptor_digest(d), bytes.ptr ? bytes.ptr : "",
		                              bytes.size, c->cancel)
		           : store_bytes(c, limg_descriptor_digest(d), bytes.ptr ? bytes.ptr : "", bytes.size);
	limg_buf_dispose(&bytes);
	return rc;
}

/* The config and layers of an artifact's manifest. */
static int carry_blobs(carry *c, const limg_manifest *m)
{
	int rc = 0;

	if (limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE)
		return 0; /* an index: its children are manifests, carried as referrers of their own */
	if ((rc = carry_blob(c, limg_manifest_config(m))) < 0)
		return rc;
	for (size_t i = 0; i < limg_manifest_count(m) && rc == 0; i++)
		if (!limg_descriptor_is_foreign(limg_manifest_entry(m, i)))
			rc = carry_blob(c, limg_manifest_entry(m, i));
	return rc;
}

/* A manifest of the source by digest (verified), or NULL body when absent (*@found false). */
static int read_manifest(carry *c, limg_buf *out, char **media_type, const char *ref, bool *found)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	int rc;

	*found = false;
	*media_type = NULL;
	co.cancel = (limg_cancel *)c->cancel;
	if ((rc = limg_registry_manifest_fetch(&m, c->from, c->src_repo, ref, &co)) == LIMG_ENOTFOUND) {
		limg_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	*found = true;
	rc = limg_buf_set(out, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m));
	if (rc == 0 && !(*media_type = limg__strdup(limg_remote_manifest_media_type(m))))
		rc = limg__error_oom();
	limg_remote_manifest_free(m);
	return rc;
}

/* Puts a `.sig` manifest at the destination: as it is where there is none,
 * or where the destination's has no signature this one lacks (its bytes
 * kept, so that the digests on both sides say they agree, as a sync asks);
 * merged where the destination has signatures of its own. */
static int put_sig(carry *c, const char *tag, const limg_buf *bytes, const limg_manifest *m)
{
	limg_remote_manifest *there = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	cJSON *doc = NULL, *old = NULL;
	char why[200];
	int rc;

	(void)m;
	if (limg__json_parse(&doc, bytes->ptr, bytes->size, NULL, why, sizeof why) < 0)
		return limg__error_set(LIMG_EMANIFEST, "%s: %s", tag, why);
	rc = limg__registry_manifest_fetch_origin(&there, c->to, c->dst_repo, tag, c->cancel);
	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		rc = limg__registry_manifest_put(NULL, NULL, c->to, c->dst_repo, tag, LIMG_MEDIA_OCI_MANIFEST, bytes->ptr,
		                                 bytes->size, c->cancel);
		goto out;
	}
	if (rc < 0 || (rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, bytes->ptr, bytes->size)) < 0)
		goto out;
	if (!strcmp(limg_remote_manifest_digest(there), digest.ptr))
		goto out; /* the same signatures */
	if (!strcmp(limg_remote_manifest_media_type(there), LIMG_MEDIA_OCI_MANIFEST) &&
	    limg__json_parse(&old, limg_remote_manifest_body(there), (size_t)limg_remote_manifest_size(there), NULL, why,
	                     sizeof why) == 0 &&
	    limg__sig_layers_within(cJSON_GetObjectItemCaseSensitive(old, "layers"),
	                            cJSON_GetObjectItemCaseSensitive(doc, "layers"))) {
		rc = limg__registry_manifest_put(NULL, NULL, c->to, c->dst_repo, tag, LIMG_MEDIA_OCI_MANIFEST, bytes->ptr,
		                                 bytes->size, c->cancel);
		goto out;
	}
	limg_error_clear();
	rc = limg__sig_merge(c->to, c->dst_repo, tag, cJSON_GetObjectItemCaseSensitive(doc, "layers"), c->cancel);
out:
	limg_remote_manifest_free(there);
	limg_buf_dispose(&digest);
	cJSON_Delete(old);
	cJSON_Delete(doc);
	return rc;
}

static int carry_all(carry *c, const char *digest, int depth);

/* The artifact @ref (a .sig tag, or a referrer's digest) of @subject: its blobs, then itself. */
static int carry_one(carry *c, const char *subject, const char *ref, bool sig, const limg_buf *stored,
                     const char *stored_type, int depth)
{
	limg_buf bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	char *media_type = NULL;
	bool found = true;
	int rc;

	if (++c->artifacts > ARTIFACTS_MAX)
		return limg__error_set(LIMG_ETOOBIG, "over %d artifacts refer to %s and what refers to it", ARTIFACTS_MAX,
		                       subject);
	if (stored) {
		rc = limg_buf_set(&bytes, stored->ptr, stored->size);
		media_type = limg__strdup(stored_type);
	} else {
		rc = read_manifest(c, &bytes, &media_type, ref, &found);
	}
	if (rc < 0 || !found)
		goto out;
	if (!media_type) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, media_type)) < 0)
		goto out;
	if (sig && strcmp(media_type, LIMG_MEDIA_OCI_MANIFEST) != 0) {
		/* containers/image would not read it either: not carried */
		limg__log((c->from ? c->from : c->to)->ctx, LIMG_LOG_WARN,
		          "%s is a %s, not a cosign signature manifest: not carried", ref, media_type);
		goto out;
	}
	if (!sig && (!limg_manifest_subject(m) || strcmp(limg_descriptor_digest(limg_manifest_subject(m)), subject))) {
		limg__log((c->from ? c->from : c->to)->ctx, LIMG_LOG_WARN,
		          "referrer %s does not name %s as its subject: not carried", ref, subject);
		goto out;
	}
	if ((rc = carry_blobs(c, m)) < 0)
		goto out;
	if (c->to) {
		limg_registry_referrers_opts ro = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
		ro.cancel = (limg_cancel *)c->cancel;
		rc = sig ? put_sig(c, ref, &bytes, m)
		         : limg_registry_referrer_put(NULL, c->to, c->dst_repo, media_type, bytes.ptr, bytes.size, &ro);
	} else {
		limg_buf digest = LIMG_BUF_INIT;
		const char *at = limg_manifest_artifact_type(m);
		const char *ann[2] = { LIMG_REFERRER_TAG_KEY, ref };
		if (!at && limg_manifest_config(m))
			at = limg_descriptor_media_type(limg_manifest_config(m));
		if ((rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, bytes.ptr, bytes.size)) == 0 &&
		    (rc = store_bytes(c, digest.ptr, bytes.ptr, bytes.size)) == 0)
			rc = limg__store_referrer_add(c->store, subject, media_type, digest.ptr, (int64_t)bytes.size,
			                              sig ? NULL : at, sig ? ann : NULL, sig ? 2 : 0);
		limg_buf_dispose(&digest);
	}
	/* what refers to the referrer (a signature of an SBOM) */
	if (rc == 0 && !sig && depth + 1 < DEPTH_MAX)
		rc = carry_all(c, ref, depth + 1);
out:
	limg_manifest_free(m);
	limg__free(media_type);
	limg_buf_dispose(&bytes);
	return rc;
}

struct listed {
	char **digests;
	size_t count, cap;
};

static int on_referrer(const limg_descriptor *d, void *payload)
{
	struct listed *l = payload;
	int rc;

	if ((rc = limg__array_grow((void **)&l->digests, &l->cap, l->count + 1, sizeof *l->digests)) < 0)
		return rc;
	return (l->digests[l->count++] = limg__strdup(limg_descriptor_digest(d))) ? 0 : limg__error_oom();
}

/* From a registry: the .sig tag, then every referrer. */
static int carry_from_registry(carry *c, const char *digest, int depth)
{
	limg_registry_referrers_opts ro = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
	limg_registry_referrers_callbacks cb = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;
	struct listed l = { NULL, 0, 0 };
	char tag[160];
	int rc;

	if ((rc = limg__sig_tag(tag, sizeof tag, digest)) < 0 || (rc = carry_one(c, digest, tag, true, NULL, NULL, depth)) < 0)
		return rc;
	ro.cancel = (limg_cancel *)c->cancel;
	cb.referrer = on_referrer;
	cb.payload = &l;
	rc = limg_registry_referrers_foreach(c->from, c->src_repo, digest, &ro, &cb);
	for (size_t i = 0; rc == 0 && i < l.count; i++)
		rc = carry_one(c, digest, l.digests[i], false, NULL, NULL, depth);
	for (size_t i = 0; i < l.count; i++)
		limg__free(l.digests[i]);
	limg__free(l.digests);
	return rc;
}

/* From a store: what its listing beside @digest names. */
static int carry_from_store(carry *c, const char *digest, int depth)
{
	limg_buf listing = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT;
	limg_manifest *index = NULL;
	int rc;

	if ((rc = limg__store_referrers_read(&listing, c->store, digest)) < 0 || !listing.size)
		goto out;
	if ((rc = limg_manifest_parse(&index, listing.ptr, listing.size, LIMG_MEDIA_OCI_INDEX)) < 0) {
		limg__error_prefix("the store's referrers of %s", digest);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < limg_manifest_count(index); i++) {
		const limg_descriptor *e = limg_manifest_entry(index, i);
		const char *tag = limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY);
		if ((rc = limg_store_blob_read(&bytes, c->store, limg_descriptor_digest(e), LIMG_MANIFEST_SIZE_MAX)) < 0)
			break;
		rc = carry_one(c, digest, tag ? tag : limg_descriptor_digest(e), tag != NULL, &bytes,
		               limg_descriptor_media_type(e), depth);
	}
out:
	limg_manifest_free(index);
	limg_buf_dispose(&listing);
	limg_buf_dispose(&bytes);
	return rc;
}

static int carry_all(carry *c, const char *digest, int depth)
{
	return c->from ? carry_from_registry(c, digest, depth) : carry_from_store(c, digest, depth);
}

int limg__attachments_copy(limg_registry *from, const char *src_repo, limg_registry *to, const char *dst_repo,
                           const char *digest, const limg_cancel *cancel)
{
	carry c = { from, to, src_repo, dst_repo, NULL, NULL, cancel, 0 };
	return carry_all(&c, digest, 0);
}

int limg__attachments_pull(limg_registry *r, const char *repo, limg_store *store, limg__lease *lease,
                           const char *digest, const limg_cancel *cancel)
{
	carry c = { r, NULL, repo, NULL, store, lease, cancel, 0 };
	return carry_all(&c, digest, 0);
}

int limg__attachments_push(limg_store *store, limg_registry *r, const char *repo, const char *digest,
                           const limg_cancel *cancel)
{
	carry c = { NULL, r, NULL, repo, store, NULL, cancel, 0 };
	return carry_all(&c, digest, 0);
}
