/* SPDX-License-Identifier: MIT */
/*
 * cosign v3's signatures: a Sigstore bundle (v0.1 to v0.3) holding a DSSE
 * envelope (signed over its pre-authentication encoding) of an in-toto
 * statement whose subject is the manifest digest. Read strictly where it
 * matters (the bundle's and the envelope's fields), written as cosign does
 * for a key (a public-key hint, no certificate, no transparency log).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "sign_internal.h"

#define INTOTO_TYPE "application/vnd.in-toto+json"
#define SIGS_MAX 16
#define SUBJECTS_MAX 1024

static const char *const bundle_types[] = {
	LIMG_MEDIA_SIGSTORE_BUNDLE,
	"application/vnd.dev.sigstore.bundle+json;version=0.1",
	"application/vnd.dev.sigstore.bundle+json;version=0.2",
	"application/vnd.dev.sigstore.bundle+json;version=0.3",
};

int limg__dsse_pae(limg_buf *out, const char *type, const void *body, size_t len)
{
	char head[96];
	size_t tlen = strlen(type);
	int n = snprintf(head, sizeof head, "DSSEv1 %zu ", tlen);

	out->size = 0;
	if (limg__buf_put(out, head, (size_t)n) < 0 || limg__buf_put(out, type, tlen) < 0)
		return LIMG_ENOMEM;
	n = snprintf(head, sizeof head, " %zu ", len);
	if (limg__buf_put(out, head, (size_t)n) < 0 || limg__buf_put(out, body, len) < 0)
		return LIMG_ENOMEM;
	return 0;
}

static bool only_fields(const cJSON *obj, const char *const *names, size_t n, const char **unknown)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, obj) {
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= !strcmp(m->string, names[i]);
		if (!known) {
			*unknown = m->string;
			return false;
		}
	}
	return true;
}

static int broken(limg__sig *sig, const char *fmt, const char *arg)
{
	char msg[300], q[100] = "";

	if (arg)
		limg__quote(q, sizeof q, arg, strlen(arg));
	snprintf(msg, sizeof msg, fmt, q);
	limg__free(sig->broken);
	return (sig->broken = limg__strdup(msg)) ? 0 : limg__error_oom();
}

static int read_envelope(limg__sig *sig, const cJSON *env)
{
	static const char *const env_fields[] = { "payload", "payloadType", "signatures" };
	static const char *const sig_fields[] = { "sig", "keyid" };
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(env, "payload");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(env, "payloadType");
	const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures"), *s;
	const char *unknown = "";
	int rc;

	if (!cJSON_IsObject(env))
		return broken(sig, "the bundle's dsseEnvelope is not an object%s", NULL);
	if (!only_fields(env, env_fields, 3, &unknown))
		return broken(sig, "the DSSE envelope has an unknown field %s", unknown);
	if (!cJSON_IsString(type) || strcmp(type->valuestring, INTOTO_TYPE) != 0)
		return broken(sig, "the DSSE payload type is %s, not an in-toto statement",
		              cJSON_IsString(type) ? type->valuestring : "(none)");
	if (!cJSON_IsString(payload) ||
	    limg__base64_decode_any(&sig->payload, payload->valuestring, strlen(payload->valuestring)) < 0)
		return broken(sig, "the DSSE payload is not base64%s", NULL);
	if (!cJSON_IsArray(sigs) || !cJSON_GetArraySize(sigs) || cJSON_GetArraySize(sigs) > SIGS_MAX)
		return broken(sig, "the DSSE envelope has no signatures, or too many%s", NULL);
	if ((rc = limg__dsse_pae(&sig->signed_bytes, INTOTO_TYPE, sig->payload.ptr, sig->payload.size)) < 0)
		return limg__error_oom();
	if (!(sig->sigs = limg__calloc((size_t)cJSON_GetArraySize(sigs), sizeof *sig->sigs)))
		return limg__error_oom();
	cJSON_ArrayForEach(s, sigs) {
		const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(s, "sig");
		const cJSON *keyid = cJSON_GetObjectItemCaseSensitive(s, "keyid");
		if (!cJSON_IsObject(s) || !only_fields(s, sig_fields, 2, &unknown))
			return broken(sig, "a DSSE signature has an unknown field %s", cJSON_IsObject(s) ? unknown : "(none)");
		if ((keyid && !cJSON_IsString(keyid)) || !cJSON_IsString(b64) ||
		    limg__base64_decode_any(&sig->sigs[sig->nsigs], b64->valuestring, strlen(b64->valuestring)) < 0 ||
		    !sig->sigs[sig->nsigs].size) {
			limg_buf_dispose(&sig->sigs[sig->nsigs]);
			return broken(sig, "a DSSE signature is not base64%s", NULL);
		}
		sig->nsigs++;
	}
	return 0;
}

int limg__bundle_read(limg__sig *sig, const void *data, size_t len)
{
	static const char *const fields[] = { "mediaType", "verificationMaterial", "dsseEnvelope", "messageSignature" };
	const cJSON *type, *material, *key, *hint;
	const char *unknown = "";
	cJSON *root = NULL;
	char why[200];
	bool known = false;
	int rc;

	sig->kind = LIMG_SIG_BUNDLE;
	if (limg__json_parse(&root, data, len, NULL, why, sizeof why) < 0)
		return broken(sig, "the bundle is not valid, unambiguous JSON (%s)", why);
	type = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
	for (size_t i = 0; cJSON_IsString(type) && i < sizeof bundle_types / sizeof *bundle_types; i++)
		known |= !strcmp(type->valuestring, bundle_types[i]);
	if (!cJSON_IsObject(root))
		rc = broken(sig, "the bundle is not a JSON object%s", NULL);
	else if (!known)
		rc = broken(sig, "the bundle's media type %s is not a Sigstore bundle v0.1-0.3",
		            cJSON_IsString(type) ? type->valuestring : "(none)");
	else if (!only_fields(root, fields, 4, &unknown))
		rc = broken(sig, "the bundle has an unknown field %s", unknown);
	else if (!cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope"))
		rc = broken(sig, "the bundle holds a message signature (of a blob), not a DSSE envelope%s", NULL);
	else if ((rc = read_envelope(sig, cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope"))) == 0 && !sig->broken) {
		/* the key hint, when there is one (certificates are for later: Fulcio is not supported) */
		material = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
		key = cJSON_GetObjectItemCaseSensitive(material, "publicKey");
		hint = cJSON_GetObjectItemCaseSensitive(key, "hint");
		if (cJSON_IsString(hint) && !(sig->hint = limg__strdup(hint->valuestring)))
			rc = limg__error_oom();
	}
	cJSON_Delete(root);
	return rc;
}

/* ---- in-toto statements ------------------------------------------------- */

void limg__statement_dispose(limg__statement *s)
{
	for (size_t i = 0; i < s->count; i++)
		limg__free(s->digests[i]);
	limg__free(s->digests);
	limg__free(s->predicate_type);
	memset(s, 0, sizeof *s);
}

int limg__statement_parse(limg__statement *out, const void *data, size_t len, char *why, size_t cap)
{
	const cJSON *type, *subjects, *subject, *ptype;
	cJSON *root = NULL;
	char jwhy[200];
	int rc = LIMG_ESIGNATURE;

	memset(out, 0, sizeof *out);
	if (limg__json_parse(&root, data, len, NULL, jwhy, sizeof jwhy) < 0) {
		snprintf(why, cap, "the statement is not valid, unambiguous JSON (%s)", jwhy);
		return rc;
	}
	type = cJSON_GetObjectItemCaseSensitive(root, "_type");
	subjects = cJSON_GetObjectItemCaseSensitive(root, "subject");
	ptype = cJSON_GetObjectItemCaseSensitive(root, "predicateType");
	if (!cJSON_IsString(type) || (strcmp(type->valuestring, "https://in-toto.io/Statement/v1") != 0 &&
	                              strcmp(type->valuestring, "https://in-toto.io/Statement/v0.1") != 0)) {
		snprintf(why, cap, "the payload is not an in-toto statement");
		goto out;
	}
	if (!cJSON_IsString(ptype) || !cJSON_IsArray(subjects) || !cJSON_GetArraySize(subjects) ||
	    cJSON_GetArraySize(subjects) > SUBJECTS_MAX) {
		snprintf(why, cap, "the statement lacks a predicate type or subjects");
		goto out;
	}
	if (!(out->predicate_type = limg__strdup(ptype->valuestring)) ||
	    !(out->digests = limg__calloc((size_t)cJSON_GetArraySize(subjects) * 2, sizeof *out->digests))) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(subject, subjects) {
		const cJSON *digests = cJSON_GetObjectItemCaseSensitive(subject, "digest"), *d;
		if (!cJSON_IsObject(digests)) {
			snprintf(why, cap, "a statement subject has no digests");
			goto out;
		}
		cJSON_ArrayForEach(d, digests) {
			char text[200];
			if (!cJSON_IsString(d)) {
				snprintf(why, cap, "a statement subject's digest is not a string");
				goto out;
			}
			if (strcmp(d->string, "sha256") != 0 && strcmp(d->string, "sha512") != 0)
				continue; /* other algorithms name other things */
			snprintf(text, sizeof text, "%s:%s", d->string, d->valuestring);
			if (strlen(d->valuestring) > 128 || limg__digest_check(text, strlen(text), NULL) != 0) {
				snprintf(why, cap, "a statement subject's %s digest is malformed", d->string);
				goto out;
			}
			if (out->count < (size_t)cJSON_GetArraySize(subjects) * 2 &&
			    !(out->digests[out->count++] = limg__strdup(text))) {
				rc = limg__error_oom();
				goto out;
			}
		}
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		limg__statement_dispose(out);
	return rc;
}

/* ---- writing: cosign sign --key (v3) ------------------------------------ */

int limg_signature_bundle(limg_buf *out, const limg_signer *signer, const char *digest, const char *name)
{
	limg_buf statement = LIMG_BUF_INIT, pae = LIMG_BUF_INIT, sig = LIMG_BUF_INIT, b64 = LIMG_BUF_INIT;
	limg_buf hint = LIMG_BUF_INIT, doc = LIMG_BUF_INIT;
	limg_key *key = NULL;
	int rc, algo;

	if (!out)
		return limg__error_invalid("out");
	if (!signer)
		return limg__error_invalid("signer");
	if (!digest || limg__digest_check(digest, strlen(digest), &algo) != 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_NONE, digest, "invalid argument: digest");
	if (algo != LIMG_DIGEST_SHA256)
		return limg__error_set(LIMG_EUNSUPPORTED, "cosign signs sha256 digests only, not %s", digest);
#define PUT(b, s) limg__buf_put((b), (s), strlen(s))
	if ((rc = PUT(&statement, "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":")) < 0 ||
	    (rc = limg__json_put_string(&statement, name ? name : "", name ? strlen(name) : 0)) < 0 ||
	    (rc = PUT(&statement, ",\"digest\":{\"sha256\":\"")) < 0 || (rc = PUT(&statement, digest + 7)) < 0 ||
	    (rc = PUT(&statement, "\"}}],\"predicateType\":\"" LIMG_COSIGN_SIGN_PREDICATE "\",\"predicate\":{}}")) < 0)
		goto out;
	if ((rc = limg__dsse_pae(&pae, INTOTO_TYPE, statement.ptr, statement.size)) < 0 ||
	    (rc = limg_signer_sign(&sig, signer, pae.ptr, pae.size)) < 0 || (rc = limg__signer_key(&key, signer)) < 0 ||
	    (rc = limg__key_hint(&hint, key)) < 0)
		goto out;
	if ((rc = limg__base64_encode(&b64, statement.ptr, statement.size)) < 0)
		goto out;
	if ((rc = PUT(&doc, "{\"mediaType\":\"" LIMG_MEDIA_SIGSTORE_BUNDLE "\",\"verificationMaterial\":{\"publicKey\""
	                    ":{\"hint\":\"")) < 0 ||
	    (rc = PUT(&doc, hint.ptr)) < 0 ||
	    (rc = PUT(&doc, "\"},\"tlogEntries\":[]},\"dsseEnvelope\":{\"payload\":\"")) < 0 ||
	    (rc = PUT(&doc, b64.ptr)) < 0 ||
	    (rc = PUT(&doc, "\",\"payloadType\":\"" INTOTO_TYPE "\",\"signatures\":[{\"sig\":\"")) < 0 ||
	    (rc = PUT(&doc, sig.ptr)) < 0 || (rc = PUT(&doc, "\",\"keyid\":\"\"}]}}")) < 0)
		goto out;
#undef PUT
	limg_buf_dispose(out);
	*out = doc;
	memset(&doc, 0, sizeof doc);
out:
	limg_key_free(key);
	limg_buf_dispose(&statement);
	limg_buf_dispose(&pae);
	limg_buf_dispose(&sig);
	limg_buf_dispose(&b64);
	limg_buf_dispose(&hint);
	limg_buf_dispose(&doc);
	return rc;
}
