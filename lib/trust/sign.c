/* SPDX-License-Identifier: MIT */
/*
 * Writing signatures into a registry, as cosign does: a simple-signing
 * layer added to the `sha256-<hex>.sig` manifest (whose other signatures
 * are kept), or a Sigstore bundle attached as a referrer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "registry/registry_internal.h"
#include "sig_manifest.h"
#include "sign/sign_internal.h"
#include "trust_internal.h"

int limg_sign_opts_init(limg_sign_opts *opts, size_t size)
{
	static const limg_sign_opts defaults = LIMG_SIGN_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* Uploads bytes as a blob of @repo; *@digest receives its digest. */
static int upload_bytes(limg_buf *digest, limg_registry *r, const char *repo, const void *data, size_t len,
                        const limg_cancel *cancel)
{
	int rc;

	if ((rc = limg_digest_compute(digest, LIMG_DIGEST_SHA256, data, len)) < 0)
		return rc;
	return limg__sig_upload(r, repo, digest->ptr, data, len, cancel);
}

static int sign_simple(limg_registry *r, const char *repo, const char *digest, const limg_signer *signer,
                       const char *identity, const limg_cancel *cancel)
{
	limg_buf payload = LIMG_BUF_INIT, sig = LIMG_BUF_INIT, layer_digest = LIMG_BUF_INIT;
	cJSON *layers = NULL, *d, *ann;
	char tag[160];
	int rc;

	if ((rc = limg__sig_tag(tag, sizeof tag, digest)) < 0 || (rc = limg_signature_payload(&payload, digest, identity)) < 0 ||
	    (rc = limg_signer_sign(&sig, signer, payload.ptr, payload.size)) < 0 ||
	    (rc = upload_bytes(&layer_digest, r, repo, payload.ptr, payload.size, cancel)) < 0)
		goto out;
	if (!(layers = cJSON_CreateArray()) || !(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(layers, d) ||
	    !cJSON_AddStringToObject(d, "mediaType", LIMG_MEDIA_SIMPLE_SIGNING) ||
	    !cJSON_AddNumberToObject(d, "size", (double)payload.size) ||
	    !cJSON_AddStringToObject(d, "digest", layer_digest.ptr) || !(ann = cJSON_AddObjectToObject(d, "annotations")) ||
	    !cJSON_AddStringToObject(ann, LIMG_ANNOTATION_COSIGN_SIGNATURE, sig.ptr)) {
		rc = limg__error_oom();
		goto out;
	}
	rc = limg__sig_merge(r, repo, tag, layers, cancel);
out:
	cJSON_Delete(layers);
	limg_buf_dispose(&payload);
	limg_buf_dispose(&sig);
	limg_buf_dispose(&layer_digest);
	return rc;
}

static int sign_bundle(limg_registry *r, const char *repo, const char *digest, const char *media_type, int64_t size,
                       const limg_signer *signer, const limg_cancel *cancel)
{
	static const char *const annotations[] = {
		"dev.sigstore.bundle.content", "dsse-envelope",
		"dev.sigstore.bundle.predicateType", LIMG_COSIGN_SIGN_PREDICATE,
	};
	limg__artifact_blob blob;
	limg_buf bundle = LIMG_BUF_INIT;
	char name[600];
	int rc;

	snprintf(name, sizeof name, "%s/%s", limg_registry_domain(r), repo);
	if ((rc = limg_signature_bundle(&bundle, signer, digest, name)) < 0)
		return rc;
	memset(&blob, 0, sizeof blob);
	blob.media_type = LIMG_MEDIA_SIGSTORE_BUNDLE;
	blob.data = bundle.ptr;
	blob.len = bundle.size;
	rc = limg__registry_attach(NULL, r, repo, media_type, digest, size, LIMG_MEDIA_SIGSTORE_BUNDLE, &blob, 1,
	                           annotations, 4, LIMG_REFERRERS_AUTO, cancel);
	limg_buf_dispose(&bundle);
	return rc;
}

int limg__trust_sign(limg_registry *r, const char *repo, const char *digest, const char *media_type, int64_t size,
                     const limg_signer *signer, int format, const char *identity, const limg_cancel *cancel)
{
	int rc = format == LIMG_SIGNATURE_BUNDLE ? sign_bundle(r, repo, digest, media_type, size, signer, cancel)
	                                         : sign_simple(r, repo, digest, signer, identity, cancel);

	return rc < 0 ? limg__error_prefix("signing %s/%s@%s", limg_registry_domain(r), repo, digest) : 0;
}

int limg_sign(limg_buf *out_digest, const limg_signer *signer, const char *reference, const limg_sign_opts *opts)
{
	limg_sign_opts o = LIMG_SIGN_OPTS_INIT;
	limg_session *own = NULL;
	limg_registry *r = NULL;
	limg_reference *ref = NULL;
	limg_remote_manifest *top = NULL;
	limg_manifest *m = NULL;
	char identity[700];
	int rc;

	if (!signer || !reference)
		return limg__error_invalid(!signer ? "signer" : "reference");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_sign_opts")) < 0)
		return rc;
	/* the session's allocator (without one, the call's own session allocates as the caller) */
	LIMG__ALLOCATOR_SET(o.session ? limg__context_allocator(limg__session_context(o.session))
	                              : limg__allocator_current());
	if (o.format < LIMG_SIGNATURE_SIMPLE || o.format > LIMG_SIGNATURE_BUNDLE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "format", "invalid argument: format %d",
		                             o.format);
	if ((rc = limg_reference_parse_docker(&ref, reference)) < 0)
		return rc;
	/* skopeo's identity: the reference signed, with its tag; by digest, the repository */
	snprintf(identity, sizeof identity, "%s%s%s", limg_reference_name(ref), limg_reference_tag(ref) ? ":" : "",
	         limg_reference_tag(ref) ? limg_reference_tag(ref) : "");
	if (!o.session && (rc = limg_session_new(&own, NULL, NULL, NULL)) < 0)
		goto out;
	if ((rc = limg_session_registry(&r, o.session ? o.session : own, limg_reference_domain(ref))) < 0)
		goto out;
	/* the registry's own copy: a mirror's could be stale */
	if ((rc = limg__registry_manifest_fetch_origin(&top, r, limg_reference_path(ref),
	                                               limg_reference_digest(ref) ? limg_reference_digest(ref)
	                                                                          : limg_reference_tag(ref),
	                                               o.cancel)) < 0 ||
	    (rc = limg_manifest_parse(&m, limg_remote_manifest_body(top), (size_t)limg_remote_manifest_size(top),
	                              limg_remote_manifest_media_type(top))) < 0)
		goto out;
	if ((rc = limg__trust_sign(r, limg_reference_path(ref), limg_remote_manifest_digest(top),
	                           limg_remote_manifest_media_type(top), limg_remote_manifest_size(top), signer, o.format,
	                           o.identity ? o.identity : identity, o.cancel)) < 0)
		goto out;
	for (size_t i = 0; o.recursive && limg_manifest_kind(m) == LIMG_MANIFEST_INDEX && i < limg_manifest_count(m); i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		if ((rc = limg__trust_sign(r, limg_reference_path(ref), limg_descriptor_digest(d),
		                           limg_descriptor_media_type(d), limg_descriptor_size(d), signer, o.format,
		                           o.identity ? o.identity : identity, o.cancel)) < 0)
			goto out;
	}
	if (out_digest)
		rc = limg_buf_set(out_digest, limg_remote_manifest_digest(top), strlen(limg_remote_manifest_digest(top)));
out:
	limg_manifest_free(m);
	limg_remote_manifest_free(top);
	limg_registry_close(r);
	limg_session_free(own);
	limg_reference_free(ref);
	return rc;
}
