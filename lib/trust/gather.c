/* SPDX-License-Identifier: MIT */
/*
 * Finding an image's signatures in its registry: the cosign `.sig` tag
 * (containers/image's sigstore attachments) and Sigstore bundle referrers
 * (cosign v3). Everything here is untrusted and bounded: manifests by the
 * manifest limit, signature layers and bundles by 4 MiB (refused before
 * any byte is fetched), listings by the registry layer. What is malformed
 * is kept as a reason for the verdict; what could not be fetched fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/manifest.h"
#include "registry/registry_internal.h"
#include "sign/sign_internal.h"
#include "trust_internal.h"

#define LAYERS_MAX 256
#define BUNDLES_MAX 64

int limg__sig_tag(char *out, size_t cap, const char *digest)
{
	limg_buf tag = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg_registry_referrers_tag(&tag, digest)) < 0)
		return rc;
	snprintf(out, cap, "%s.sig", tag.ptr);
	limg_buf_dispose(&tag);
	return 0;
}

struct capped {
	limg_buf *out;
	size_t max;
};

static int to_buf(const void *data, size_t len, void *payload)
{
	struct capped *c = payload;
	if (c->out->size + len > c->max)
		return limg__error_set(LIMG_ETOOBIG, "blob over the %zu-byte limit", c->max);
	return limg__buf_put(c->out, data, len);
}

/* A small blob, verified against its digest, in memory. */
static int fetch_small(limg_buf *out, limg_registry *r, const char *repo, const limg_descriptor *d,
                       const limg_cancel *cancel)
{
	limg__blob_fetch how = { 0 };
	struct capped c = { out, LIMG_TRUST_SIGNATURE_MAX };
	size_t used;

	out->size = 0;
	how.verify = true;
	how.cancel = cancel;
	how.write = to_buf;
	how.payload = &c;
	return limg__registry_blob_fetch_at(r, repo, limg_descriptor_digest(d), limg_descriptor_size(d), &how, 0, &used);
}

/* Errors that say the registry's data is bad (a reason to reject), not that it could not be asked. */
static bool bad_data(int rc)
{
	return rc == LIMG_ENOTFOUND || rc == LIMG_EMANIFEST || rc == LIMG_EDIGEST_MISMATCH || rc == LIMG_ETOOBIG ||
	       rc == LIMG_EUNSUPPORTED || rc == LIMG_EPROTOCOL;
}

static int keep_reason(limg_signatures *set, const char *source, int rc)
{
	char why[600];

	snprintf(why, sizeof why, "%s", limg_error_message(limg_error_last()));
	limg_error_clear();
	(void)rc;
	return limg__signatures_add_broken(set, source, why);
}

int limg__gather_sig_tag(limg_signatures *set, limg_registry *r, const char *repo, const char *digest,
                         const limg_cancel *cancel)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	limg_manifest *sig = NULL;
	limg_buf payload = LIMG_BUF_INIT;
	char tag[160], source[300];
	int rc;

	if ((rc = limg__sig_tag(tag, sizeof tag, digest)) < 0)
		return rc;
	co.cancel = (limg_cancel *)cancel;
	if ((rc = limg_registry_manifest_fetch(&m, r, repo, tag, &co)) < 0) {
		if (rc == LIMG_ENOTFOUND) {
			limg_error_clear(); /* not signed this way */
			return 0;
		}
		return bad_data(rc) ? keep_reason(set, tag, rc) : rc;
	}
	/* containers/image reads only OCI manifests here */
	if (strcmp(limg_remote_manifest_media_type(m), LIMG_MEDIA_OCI_MANIFEST) != 0) {
		char why[300];
		snprintf(why, sizeof why, "the signature manifest is a %s, not an OCI image manifest",
		         limg_remote_manifest_media_type(m));
		rc = limg__signatures_add_broken(set, tag, why);
		goto out;
	}
	if ((rc = limg_manifest_parse(&sig, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m),
	                              LIMG_MEDIA_OCI_MANIFEST)) < 0) {
		rc = keep_reason(set, tag, rc);
		goto out;
	}
	if (limg_manifest_count(sig) > LAYERS_MAX) {
		rc = limg__signatures_add_broken(set, tag, "the signature manifest has over 256 layers");
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(sig); i++) {
		const limg_descriptor *d = limg_manifest_entry(sig, i);
		snprintf(source, sizeof source, "%s layer %zu", tag, i + 1);
		if (strcmp(limg_descriptor_media_type(d), LIMG_MEDIA_SIMPLE_SIGNING) != 0)
			continue; /* another kind of attachment */
		if (limg_descriptor_size(d) > LIMG_TRUST_SIGNATURE_MAX) {
			char why[200];
			snprintf(why, sizeof why, "a signature layer of %lld bytes, over the %u-byte limit: not fetched",
			         (long long)limg_descriptor_size(d), LIMG_TRUST_SIGNATURE_MAX);
			if ((rc = limg__signatures_add_broken(set, source, why)) < 0)
				goto out;
			continue;
		}
		if ((rc = fetch_small(&payload, r, repo, d, cancel)) < 0) {
			if (!bad_data(rc) || (rc = keep_reason(set, source, rc)) < 0)
				goto out;
			continue;
		}
		if ((rc = limg_signatures_add_simple(set, payload.ptr ? payload.ptr : "", payload.size,
		                                     limg_descriptor_annotation(d, LIMG_ANNOTATION_COSIGN_SIGNATURE),
		                                     source)) < 0)
			goto out;
	}
	rc = 0;
out:
	limg_buf_dispose(&payload);
	limg_manifest_free(sig);
	limg_remote_manifest_free(m);
	return rc;
}

/* ---- bundles ---------------------------------------------------------------- */

struct listing {
	char *digests[BUNDLES_MAX];
	size_t count;
	size_t skipped; /* attestations, and what is over the limit */
};

static int on_referrer(const limg_descriptor *d, void *payload)
{
	struct listing *l = payload;
	const char *predicate = limg_descriptor_annotation(d, "dev.sigstore.bundle.predicateType");

	/* attestations (SLSA, SBOMs) are bundles too: told apart without a fetch where cosign says */
	if ((predicate && strcmp(predicate, LIMG_COSIGN_SIGN_PREDICATE) != 0) || l->count == BUNDLES_MAX) {
		l->skipped++;
		return 0;
	}
	return (l->digests[l->count++] = limg__strdup(limg_descriptor_digest(d))) ? 0 : limg__error_oom();
}

static bool is_bundle_type(const char *t)
{
	return !strcmp(t, LIMG_MEDIA_SIGSTORE_BUNDLE) || !strncmp(t, "application/vnd.dev.sigstore.bundle+json;", 41);
}

/* One bundle referrer: its manifest (its subject must be @digest), then its bundle layer. */
static int gather_one(limg_signatures *set, limg_registry *r, const char *repo, const char *digest,
                      const char *referrer, const limg_cancel *cancel)
{
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;
	limg_manifest *man = NULL;
	limg_buf bundle = LIMG_BUF_INIT;
	const limg_descriptor *layer = NULL;
	char source[300];
	int rc;

	snprintf(source, sizeof source, "referrer %s", referrer);
	co.cancel = (limg_cancel *)cancel;
	if ((rc = limg_registry_manifest_fetch(&m, r, repo, referrer, &co)) < 0)
		return bad_data(rc) ? keep_reason(set, source, rc) : rc;
	if ((rc = limg_manifest_parse(&man, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m),
	                              limg_remote_manifest_media_type(m))) < 0) {
		rc = keep_reason(set, source, rc);
		goto out;
	}
	if (limg_manifest_kind(man) != LIMG_MANIFEST_IMAGE || !limg_manifest_subject(man) ||
	    strcmp(limg_descriptor_digest(limg_manifest_subject(man)), digest) != 0) {
		rc = limg__signatures_add_broken(set, source, "the referrer is no manifest whose subject is the image");
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(man) && !layer; i++)
		if (is_bundle_type(limg_descriptor_media_type(limg_manifest_entry(man, i))))
			layer = limg_manifest_entry(man, i);
	if (!layer) {
		rc = limg__signatures_add_broken(set, source, "the referrer has no bundle layer");
		goto out;
	}
	if (limg_descriptor_size(layer) > LIMG_TRUST_SIGNATURE_MAX) {
		char why[200];
		snprintf(why, sizeof why, "a bundle of %lld bytes, over the %u-byte limit: not fetched",
		         (long long)limg_descriptor_size(layer), LIMG_TRUST_SIGNATURE_MAX);
		rc = limg__signatures_add_broken(set, source, why);
		goto out;
	}
	if ((rc = fetch_small(&bundle, r, repo, layer, cancel)) < 0) {
		rc = bad_data(rc) ? keep_reason(set, source, rc) : rc;
		goto out;
	}
	rc = limg_signatures_add_bundle(set, bundle.ptr ? bundle.ptr : "", bundle.size, source);
out:
	limg_buf_dispose(&bundle);
	limg_manifest_free(man);
	limg_remote_manifest_free(m);
	return rc;
}

int limg__gather_bundles(limg_signatures *set, limg_registry *r, const char *repo, const char *digest,
                         const limg_cancel *cancel)
{
	limg_registry_referrers_opts ro = LIMG_REGISTRY_REFERRERS_OPTS_INIT;
	limg_registry_referrers_callbacks cb = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;
	struct listing l;
	char source[300];
	int rc;

	memset(&l, 0, sizeof l);
	ro.artifact_type = LIMG_MEDIA_SIGSTORE_BUNDLE;
	ro.cancel = (limg_cancel *)cancel;
	cb.referrer = on_referrer;
	cb.payload = &l;
	snprintf(source, sizeof source, "the referrers listing");
	if ((rc = limg_registry_referrers_foreach(r, repo, digest, &ro, &cb)) < 0) {
		if (bad_data(rc))
			rc = keep_reason(set, source, rc);
		goto out;
	}
	for (size_t i = 0; i < l.count && rc == 0; i++)
		rc = gather_one(set, r, repo, digest, l.digests[i], cancel);
out:
	for (size_t i = 0; i < l.count; i++)
		limg__free(l.digests[i]);
	return rc;
}
