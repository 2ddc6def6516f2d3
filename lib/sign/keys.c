/* SPDX-License-Identifier: MIT */
/*
 * Public keys: ECDSA P-256 and RSA (PKCS#1 v1.5), both over SHA-256, as
 * sigstore's LoadVerifier gives containers/image. mbedTLS parses, and
 * verifies RSA; OpenSSL verifies ECDSA (p256.h says why); Ed25519 (which
 * mbedTLS 2.28 cannot verify) is named and refused.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "keys_internal.h"
#include "pem.h"
#include "sign_internal.h"

void limg__key_init(limg_key *key)
{
	memset(key, 0, sizeof *key);
	mbedtls_pk_init(&key->pk);
	pthread_mutex_init(&key->lock, NULL);
}

void limg_key_free(limg_key *key)
{
	if (!key)
		return;
	mbedtls_pk_free(&key->pk);
	limg__p256_free(key->p256);
	pthread_mutex_destroy(&key->lock);
	limg__free(key->label);
	limg__free(key);
}

const char *limg_key_algorithm(const limg_key *key)
{
	return !key ? NULL : key->rsa ? "rsa" : "ecdsa-p256";
}

const char *limg__key_label(const limg_key *key)
{
	return key && key->label ? key->label : "the key";
}

int limg__key_set_label(limg_key *key, const char *label)
{
	char clean[512];

	limg__sanitize(clean, sizeof clean, label, strlen(label));
	limg__free(key->label);
	return (key->label = limg__strdup(clean)) ? 0 : limg__error_oom();
}

/* The OID of Ed25519 (1.3.101.112) in DER: how a key mbedTLS does not know is named. */
static bool is_ed25519(const unsigned char *der, size_t len)
{
	static const unsigned char oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	return len >= sizeof oid && memmem(der, len, oid, sizeof oid) != NULL;
}

/* Accepts what containers/image can verify and mbedTLS can too. */
int limg__key_check_kind(limg_key *key, const char *what)
{
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&key->pk);

	if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA) {
		unsigned char der[256];
		int n;
		if (mbedtls_pk_ec(key->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1)
			return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
			                             "%s: an ECDSA key on another curve than P-256, which is not supported", what);
		/* OpenSSL gets the key as mbedTLS re-encodes it: what was read, and nothing else */
		if ((n = mbedtls_pk_write_pubkey_der(&key->pk, der, sizeof der)) <= 0)
			return limg__error_set_about(LIMG_ERROR, LIMG_SUBJECT_KEY, what, "%s: cannot encode the key", what);
		key->rsa = false;
		return limg__p256_load(&key->p256, der + sizeof der - n, (size_t)n);
	}
	if (t == MBEDTLS_PK_RSA) {
		if (mbedtls_pk_get_bitlen(&key->pk) < 2048)
			return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
			                             "%s: an RSA key of %zu bits; at least 2048 are required", what,
			                             mbedtls_pk_get_bitlen(&key->pk));
		mbedtls_rsa_set_padding(mbedtls_pk_rsa(key->pk), MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_SHA256);
		key->rsa = true;
		return 0;
	}
	return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
	                             "%s: not an ECDSA P-256 or RSA key, which are supported", what);
}

static int parse(limg_key **out, const void *data, size_t len, const char *what)
{
	limg_buf copy = LIMG_BUF_INIT, der = LIMG_BUF_INIT;
	limg_key *key;
	char label[80];
	int rc;

	*out = NULL;
	if (len > LIMG_SIGN_DOC_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_KEY, what, "%s: over %u bytes", what,
		                             LIMG_SIGN_DOC_MAX);
	if (!(key = limg__malloc(sizeof *key)))
		return limg__error_oom();
	limg__key_init(key);
	/* mbedTLS reads PEM only from NUL-terminated text */
	if ((rc = limg__buf_put(&copy, data, len)) < 0 || (rc = limg__buf_put(&copy, "", 1)) < 0)
		goto out;
	if (mbedtls_pk_parse_public_key(&key->pk, (const unsigned char *)copy.ptr,
	                                limg__pem_is(data, len) ? copy.size : len) != 0) {
		bool pem = limg__pem_decode(label, sizeof label, &der, data, len) == 0;
		const unsigned char *raw = pem ? (const unsigned char *)der.ptr : data;
		size_t raw_len = pem ? der.size : len;
		if (is_ed25519(raw, raw_len))
			rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
			                           "%s is an Ed25519 key, which libimage cannot verify (its mbedTLS has no "
			                           "Ed25519): use an ECDSA P-256 or RSA key",
			                           what);
		else if (pem && strstr(label, "PRIVATE KEY"))
			rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_KEY, what,
			                           "%s is a private key, where a public key is needed", what);
		else
			rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_KEY, what,
			                           "%s is not a public key (PEM or DER SubjectPublicKeyInfo)", what);
		goto out;
	}
	if ((rc = limg__key_check_kind(key, what)) < 0 || (rc = limg__key_set_label(key, what)) < 0)
		goto out;
	*out = key;
	key = NULL;
out:
	limg_key_free(key);
	limg_buf_dispose(&copy);
	limg_buf_dispose(&der);
	return rc;
}

int limg_key_parse(limg_key **out, const void *data, size_t len)
{
	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!data && len)
		return limg__error_invalid("data");
	return parse(out, data ? data : "", len, "the key");
}

int limg_key_load(limg_key **out, const char *path)
{
	limg_buf text = LIMG_BUF_INIT;
	char what[600];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!path || !*path)
		return limg__error_invalid("path");
	if ((rc = limg__fs_read(&text, path, LIMG_SIGN_DOC_MAX)) < 0) {
		limg_buf_dispose(&text);
		return rc == LIMG_ENOTFOUND ? limg__error_about(LIMG_SUBJECT_FILE, path) : rc;
	}
	limg__sanitize(what, sizeof what, path, strlen(path));
	rc = parse(out, text.ptr, text.size, what);
	limg_buf_dispose(&text);
	return rc;
}

int limg__key_verify_raw(const limg_key *key, const void *data, size_t len, const void *sig, size_t sig_len)
{
	unsigned char hash[32];
	limg_key *k = (limg_key *)key; /* the lock only */
	int rc;

	if (!key->rsa)
		return limg__p256_verify(key->p256, data, len, sig, sig_len);
	if (mbedtls_sha256_ret(data, len, hash, 0) != 0)
		return LIMG_ESIGNATURE;
	/* one verification at a time per key: mbedTLS contexts are not made for sharing */
	pthread_mutex_lock(&k->lock);
	rc = mbedtls_pk_verify(&k->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sig_len);
	pthread_mutex_unlock(&k->lock);
	return rc == 0 ? 0 : LIMG_ESIGNATURE;
}

int limg_key_verify(const limg_key *key, const void *data, size_t len, const char *signature)
{
	limg_buf sig = LIMG_BUF_INIT;
	int rc;

	if (!key)
		return limg__error_invalid("key");
	if ((!data && len) || !signature)
		return limg__error_invalid(!signature ? "signature" : "data");
	if (limg__base64_decode_any(&sig, signature, strlen(signature)) < 0 || !sig.size) {
		limg_buf_dispose(&sig);
		return limg__error_set_about(LIMG_ESIGNATURE, LIMG_SUBJECT_SIGNATURE, NULL, "the signature is not base64");
	}
	rc = limg__key_verify_raw(key, data ? data : "", len, sig.ptr, sig.size);
	limg_buf_dispose(&sig);
	if (rc < 0)
		return limg__error_set_about(LIMG_ESIGNATURE, LIMG_SUBJECT_SIGNATURE, NULL,
		                             "the signature does not verify with %s", limg__key_label(key));
	return 0;
}

int limg__key_hint(limg_buf *out, const limg_key *key)
{
	unsigned char der[4096], hash[32];
	int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&key->pk, der, sizeof der);

	if (n <= 0 || mbedtls_sha256_ret(der + sizeof der - n, (size_t)n, hash, 0) != 0)
		return limg__error_set(LIMG_ERROR, "cannot encode the public key");
	return limg__base64_encode(out, hash, sizeof hash) < 0 ? limg__error_oom() : 0;
}
