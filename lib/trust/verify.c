/* SPDX-License-Identifier: MIT */
/*
 * The policy checked where an image is: its signatures gathered in stages
 * (the image's .sig tag, its bundles, then its index's), the policy asked
 * after each, stopping at the first acceptance, so that a signed image
 * costs as few requests as its signature's format needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "registry/registry_internal.h"
#include "sign/sign_internal.h"
#include "store/store_internal.h"
#include "trust_internal.h"

int limg_verify_opts_init(limg_verify_opts *opts, size_t size)
{
	static const limg_verify_opts defaults = LIMG_VERIFY_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static int decide(limg_verdict **out, const limg_policy *policy, const char *reference, const char *digest,
                  const char *index_digest, int index_signatures, const limg_signatures *set)
{
	limg_policy_check_opts co = LIMG_POLICY_CHECK_OPTS_INIT;

	co.index_digest = index_digest;
	co.index_signatures = index_signatures;
	return limg_policy_check(out, policy, reference, digest, set, &co);
}

int limg__trust_check(limg_verdict **out, const limg_policy *policy, const limg__trust_image *img)
{
	limg_signatures *set = NULL;
	limg_verdict *v = NULL;
	const char *stages[4];
	bool bundle[4];
	size_t n = 0;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = limg_signatures_new(&set)) < 0)
		return rc;
	/* no signature needed (accept, reject), or none to be read: decided with none */
	if (!limg__policy_needs_signatures(policy, img->reference)) {
		rc = decide(&v, policy, img->reference, img->digest, img->index_digest, img->index_signatures, set);
		goto out;
	}
	if (!limg__policy_use_attachments(policy, img->reference)) {
		char note[900];
		snprintf(note, sizeof note, "(sigstore attachments are not read for %s: registries.d%s%s does not set "
		                            "use-sigstore-attachments for it)",
		         img->reference, policy->registries_d ? " " : "", policy->registries_d ? policy->registries_d : "");
		if ((rc = limg__signatures_note(set, note)) == 0)
			rc = decide(&v, policy, img->reference, img->digest, img->index_digest, img->index_signatures, set);
		goto out;
	}
	stages[n] = img->digest, bundle[n++] = false;
	stages[n] = img->digest, bundle[n++] = true;
	if (img->index_digest && img->index_signatures == LIMG_INDEX_SIGNATURES_ACCEPT) {
		stages[n] = img->index_digest, bundle[n++] = false;
		stages[n] = img->index_digest, bundle[n++] = true;
	}
	rc = LIMG_EREJECTED;
	for (size_t i = 0; i < n && rc == LIMG_EREJECTED; i++) {
		size_t before = set->count;
		rc = bundle[i] ? limg__gather_bundles(set, img->registry, img->repository, stages[i], img->cancel)
		               : limg__gather_sig_tag(set, img->registry, img->repository, stages[i], img->cancel);
		if (rc < 0)
			break;
		/* asked again only when there is something new to look at (and at the end) */
		if (set->count == before && i + 1 < n) {
			rc = LIMG_EREJECTED;
			continue;
		}
		limg_verdict_free(v);
		v = NULL;
		rc = decide(&v, policy, img->reference, img->digest, img->index_digest, img->index_signatures, set);
	}
out:
	limg_signatures_free(set);
	if (rc == 0 || rc == LIMG_EREJECTED) {
		if (out)
			*out = v;
		else
			limg_verdict_free(v);
		v = NULL;
	}
	limg_verdict_free(v);
	return rc;
}

/* ---- from a store --------------------------------------------------------- */

/* What the store keeps beside @digest: .sig manifests' signature layers, and bundles. */
static int gather_stored(limg_signatures *set, limg_store *s, const char *digest)
{
	limg_buf listing = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT, blob = LIMG_BUF_INIT;
	limg_manifest *index = NULL;
	char source[300];
	int rc;

	if ((rc = limg__store_referrers_read(&listing, s, digest)) < 0 || !listing.size)
		goto out;
	if ((rc = limg_manifest_parse(&index, listing.ptr, listing.size, LIMG_MEDIA_OCI_INDEX)) < 0) {
		snprintf(source, sizeof source, "the store's referrers of %s", digest);
		rc = limg__signatures_add_broken(set, source, limg_error_message(limg_error_last()));
		goto out;
	}
	for (size_t i = 0; i < limg_manifest_count(index) && rc == 0; i++) {
		const limg_descriptor *e = limg_manifest_entry(index, i);
		const char *tag = limg_descriptor_annotation(e, LIMG_REFERRER_TAG_KEY);
		const char *at = limg_descriptor_artifact_type(e);
		limg_manifest *m = NULL;
		if (!tag && !(at && !strcmp(at, LIMG_MEDIA_SIGSTORE_BUNDLE)))
			continue; /* an SBOM, say */
		snprintf(source, sizeof source, "stored %s", tag ? tag : limg_descriptor_digest(e));
		if (limg_store_blob_read(&bytes, s, limg_descriptor_digest(e), LIMG_MANIFEST_SIZE_MAX) < 0 ||
		    limg_manifest_parse(&m, bytes.ptr, bytes.size, LIMG_MEDIA_OCI_MANIFEST) < 0) {
			rc = limg__signatures_add_broken(set, source, limg_error_message(limg_error_last()));
			continue;
		}
		for (size_t k = 0; k < limg_manifest_count(m) && rc == 0; k++) {
			const limg_descriptor *l = limg_manifest_entry(m, k);
			bool simple = !strcmp(limg_descriptor_media_type(l), LIMG_MEDIA_SIMPLE_SIGNING);
			if (!simple && strcmp(limg_descriptor_media_type(l), LIMG_MEDIA_SIGSTORE_BUNDLE) != 0)
				continue;
			if (limg_store_blob_read(&blob, s, limg_descriptor_digest(l), LIMG_TRUST_SIGNATURE_MAX) < 0) {
				rc = limg__signatures_add_broken(set, source, limg_error_message(limg_error_last()));
				continue;
			}
			rc = simple ? limg_signatures_add_simple(set, blob.ptr ? blob.ptr : "", blob.size,
			                                         limg_descriptor_annotation(l, LIMG_ANNOTATION_COSIGN_SIGNATURE),
			                                         source)
			            : limg_signatures_add_bundle(set, blob.ptr ? blob.ptr : "", blob.size, source);
		}
		limg_manifest_free(m);
	}
out:
	limg_manifest_free(index);
	limg_buf_dispose(&listing);
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&blob);
	return rc;
}

int limg__trust_check_stored(limg_verdict **out, const limg_policy *policy, limg_store *store, const char *reference,
                             const char *digest, const char *index_digest, int index_signatures)
{
	limg_signatures *set = NULL;
	int rc;

	*out = NULL;
	if ((rc = limg_signatures_new(&set)) < 0)
		return rc;
	if ((rc = gather_stored(set, store, digest)) == 0 && (!index_digest || index_signatures != LIMG_INDEX_SIGNATURES_IGNORE))
		rc = index_digest ? gather_stored(set, store, index_digest) : 0;
	if (rc == 0 && !set->count)
		rc = limg__signatures_note(set, "(none is stored beside the image: pull it with its referrers)");
	if (rc == 0)
		rc = decide(out, policy, reference, digest, index_digest, index_signatures, set);
	limg_signatures_free(set);
	return rc;
}

/* ---- limg_verify -------------------------------------------------------------- */

/* The stored image a reference names: its top digest, and the platform's manifest. */
static int verify_stored(limg_verdict **out, const limg_policy *policy, const char *reference,
                         const limg_verify_opts *o)
{
	limg_reference *ref = NULL;
	limg_buf top = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	const char *digest;
	char *index = NULL;
	int rc;

	if ((rc = limg_reference_parse_docker(&ref, reference)) < 0)
		return rc;
	if (limg_reference_digest(ref)) {
		rc = limg_buf_set(&top, limg_reference_digest(ref), strlen(limg_reference_digest(ref)));
	} else if ((rc = limg_tags_lookup(&top, o->store, limg_reference_string(ref))) == LIMG_ENOTFOUND) {
		rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, reference, "No such image: %s",
		                           limg_reference_string(ref));
	}
	if (rc < 0)
		goto out;
	digest = top.ptr;
	if ((rc = limg_store_blob_read(&bytes, o->store, digest, LIMG_MANIFEST_SIZE_MAX)) < 0 ||
	    (rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL)) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		const limg_descriptor *d;
		if ((rc = limg_manifest_select(&d, m, o->platform)) < 0)
			goto out;
		if (!(index = limg__strdup(digest))) {
			rc = limg__error_oom();
			goto out;
		}
		digest = limg_descriptor_digest(d);
	}
	rc = limg__trust_check_stored(out, policy, o->store, reference, digest, index, o->index_signatures);
out:
	limg__free(index);
	limg_manifest_free(m);
	limg_buf_dispose(&top);
	limg_buf_dispose(&bytes);
	limg_reference_free(ref);
	return rc;
}

int limg_verify(limg_verdict **out, const limg_policy *policy, const char *reference, const limg_verify_opts *opts)
{
	limg_verify_opts o = LIMG_VERIFY_OPTS_INIT;
	limg_registry_call_opts co = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_session *own = NULL;
	limg_registry *r = NULL;
	limg_reference *ref = NULL;
	limg_remote_manifest *top = NULL;
	limg_manifest *m = NULL;
	limg__trust_image img;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!policy || !reference)
		return limg__error_invalid(!policy ? "policy" : "reference");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_verify_opts")) < 0)
		return rc;
	/* the handle's allocator (a call with neither allocates as the one it runs in) */
	LIMG__ALLOCATOR_SET(o.store     ? limg__context_allocator(limg__store_context(o.store))
	                    : o.session ? limg__context_allocator(limg__session_context(o.session))
	                                : limg__allocator_current());
	if (o.index_signatures < LIMG_INDEX_SIGNATURES_ACCEPT || o.index_signatures > LIMG_INDEX_SIGNATURES_IGNORE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "index_signatures",
		                             "invalid argument: index_signatures %d", o.index_signatures);
	if (o.store)
		return verify_stored(out, policy, reference, &o);
	if ((rc = limg_reference_parse_docker(&ref, reference)) < 0)
		return rc;
	if (!o.session && (rc = limg_session_new(&own, NULL, NULL, NULL)) < 0)
		goto out;
	if ((rc = limg_session_registry(&r, o.session ? o.session : own, limg_reference_domain(ref))) < 0)
		goto out;
	co.cancel = o.cancel;
	if ((rc = limg_registry_manifest_fetch(&top, r, limg_reference_path(ref),
	                                       limg_reference_digest(ref) ? limg_reference_digest(ref)
	                                                                  : limg_reference_tag(ref),
	                                       &co)) < 0 ||
	    (rc = limg_manifest_parse(&m, limg_remote_manifest_body(top), (size_t)limg_remote_manifest_size(top),
	                              limg_remote_manifest_media_type(top))) < 0)
		goto out;
	memset(&img, 0, sizeof img);
	img.registry = r;
	img.repository = limg_reference_path(ref);
	img.reference = reference;
	img.digest = limg_remote_manifest_digest(top);
	img.index_signatures = o.index_signatures;
	img.cancel = o.cancel;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
		const limg_descriptor *d;
		if ((rc = limg_manifest_select(&d, m, o.platform)) < 0)
			goto out;
		img.index_digest = img.digest;
		img.digest = limg_descriptor_digest(d);
	}
	rc = limg__trust_check(out, policy, &img);
out:
	limg_manifest_free(m);
	limg_remote_manifest_free(top);
	limg_registry_close(r);
	limg_session_free(own);
	limg_reference_free(ref);
	return rc;
}
