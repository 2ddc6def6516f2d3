/* SPDX-License-Identifier: MIT */
/*
 * Private keys that sign: ECDSA P-256 in PEM (SEC 1, PKCS#8, PKCS#8
 * encrypted) through mbedTLS, and cosign's encrypted format (scrypt, then
 * NaCl secretbox around a PKCS#8 key) through libsodium.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <sodium.h>

#include "core/base64.h"
#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "keys_internal.h"
#include "pem.h"
#include "sign_internal.h"

int limg_signer_opts_init(limg_signer_opts *opts, size_t size)
{
	static const limg_signer_opts defaults = LIMG_SIGNER_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

void limg_signer_free(limg_signer *signer)
{
	if (!signer)
		return;
	mbedtls_pk_free(&signer->pk); /* wipes the key */
	pthread_mutex_destroy(&signer->lock);
	limg__free(signer);
}

/* The scrypt settings go-securesystemslib writes (legacy, standard, OWASP):
 * it accepts only these, so that a tampered file cannot ask for gigabytes. */
static bool known_scrypt(double n, double r, double p)
{
	return (n == 32768 || n == 65536 || n == 131072) && r == 8 && p == 1;
}

static int b64_field(limg_buf *out, const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsString(v) || limg__base64_decode(out, v->valuestring, strlen(v->valuestring)) < 0)
		return -1;
	return 0;
}

/* cosign's "ENCRYPTED SIGSTORE PRIVATE KEY": JSON {kdf, cipher, ciphertext}; the plain text is PKCS#8 DER. */
static int decrypt_cosign(limg_buf *plain, const limg_buf *doc, const char *passphrase, const char *what)
{
	limg_buf salt = LIMG_BUF_INIT, nonce = LIMG_BUF_INIT, ct = LIMG_BUF_INIT;
	const cJSON *kdf, *params, *cipher, *name, *n, *r, *p;
	unsigned char key[crypto_secretbox_KEYBYTES];
	cJSON *root = NULL;
	char why[200];
	int rc = LIMG_ECORRUPT;

	if (sodium_init() < 0)
		return limg__error_set(LIMG_ERROR, "libsodium cannot start");
	if (limg__json_parse(&root, doc->ptr, doc->size, NULL, why, sizeof why) < 0) {
		limg__error_set_about(rc, LIMG_SUBJECT_KEY, what, "%s: the encrypted key is not valid JSON (%s)", what, why);
		goto out;
	}
	kdf = cJSON_GetObjectItemCaseSensitive(root, "kdf");
	params = cJSON_GetObjectItemCaseSensitive(kdf, "params");
	cipher = cJSON_GetObjectItemCaseSensitive(root, "cipher");
	name = cJSON_GetObjectItemCaseSensitive(kdf, "name");
	n = cJSON_GetObjectItemCaseSensitive(params, "N");
	r = cJSON_GetObjectItemCaseSensitive(params, "r");
	p = cJSON_GetObjectItemCaseSensitive(params, "p");
	if (!cJSON_IsString(name) || strcmp(name->valuestring, "scrypt") != 0 || !cJSON_IsNumber(n) ||
	    !cJSON_IsNumber(r) || !cJSON_IsNumber(p)) {
		limg__error_set_about(rc, LIMG_SUBJECT_KEY, what, "%s: the encrypted key does not use scrypt", what);
		goto out;
	}
	if (!known_scrypt(n->valuedouble, r->valuedouble, p->valuedouble)) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
		                           "%s: unexpected scrypt parameters (N=%.0f r=%.0f p=%.0f)", what, n->valuedouble,
		                           r->valuedouble, p->valuedouble);
		goto out;
	}
	name = cJSON_GetObjectItemCaseSensitive(cipher, "name");
	if (!cJSON_IsString(name) || strcmp(name->valuestring, "nacl/secretbox") != 0) {
		limg__error_set_about(rc, LIMG_SUBJECT_KEY, what, "%s: the encrypted key does not use nacl/secretbox", what);
		goto out;
	}
	if (b64_field(&salt, kdf, "salt") < 0 || b64_field(&nonce, cipher, "nonce") < 0 ||
	    b64_field(&ct, root, "ciphertext") < 0 || nonce.size != crypto_secretbox_NONCEBYTES ||
	    ct.size < crypto_secretbox_MACBYTES || !salt.size) {
		limg__error_set_about(rc, LIMG_SUBJECT_KEY, what, "%s: the encrypted key's salt, nonce or ciphertext is "
		                                                  "malformed", what);
		goto out;
	}
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)passphrase, strlen(passphrase),
	                                          (const uint8_t *)salt.ptr, salt.size, (uint64_t)n->valuedouble,
	                                          (uint32_t)r->valuedouble, (uint32_t)p->valuedouble, key,
	                                          sizeof key) != 0) {
		rc = limg__error_set(LIMG_ENOMEM, "%s: no memory for scrypt", what);
		goto out;
	}
	if ((rc = limg__buf_grow(plain, ct.size)) < 0)
		goto out;
	if (crypto_secretbox_open_easy((unsigned char *)plain->ptr, (const unsigned char *)ct.ptr, ct.size,
	                               (const unsigned char *)nonce.ptr, key) != 0) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_KEY, what,
		                           "%s: wrong passphrase (or a damaged key file)", what);
		goto out;
	}
	plain->size = ct.size - crypto_secretbox_MACBYTES;
	rc = 0;
out:
	sodium_memzero(key, sizeof key);
	cJSON_Delete(root);
	limg_buf_dispose(&salt);
	limg_buf_dispose(&nonce);
	limg_buf_dispose(&ct);
	return rc;
}

static void wipe(limg_buf *b)
{
	if (b->ptr)
		sodium_memzero(b->ptr, b->reserved ? b->reserved : b->size);
	limg_buf_dispose(b);
}

static int parse(limg_signer **out, const void *data, size_t len, const char *passphrase, const char *what)
{
	limg_buf text = LIMG_BUF_INIT, der = LIMG_BUF_INIT, plain = LIMG_BUF_INIT;
	limg_signer *s = NULL;
	char label[80] = "";
	int rc, mrc;

	*out = NULL;
	if (len > LIMG_SIGN_DOC_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_KEY, what, "%s: over %u bytes", what,
		                             LIMG_SIGN_DOC_MAX);
	if (!(s = limg__calloc(1, sizeof *s)))
		return limg__error_oom();
	mbedtls_pk_init(&s->pk);
	pthread_mutex_init(&s->lock, NULL);
	if (limg__pem_is(data, len) && limg__pem_decode(label, sizeof label, &der, data, len) == 0 &&
	    (!strcmp(label, "ENCRYPTED SIGSTORE PRIVATE KEY") || !strcmp(label, "ENCRYPTED COSIGN PRIVATE KEY"))) {
		if (!passphrase) {
			rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_KEY, what,
			                           "%s is encrypted: a passphrase is needed", what);
			goto out;
		}
		if ((rc = decrypt_cosign(&plain, &der, passphrase, what)) < 0)
			goto out;
		mrc = mbedtls_pk_parse_key(&s->pk, (const unsigned char *)plain.ptr, plain.size, NULL, 0);
	} else {
		/* mbedTLS reads PEM only from NUL-terminated text */
		if ((rc = limg__buf_put(&text, data, len)) < 0 || (rc = limg__buf_put(&text, "", 1)) < 0)
			goto out;
		mrc = mbedtls_pk_parse_key(&s->pk, (const unsigned char *)text.ptr, limg__pem_is(data, len) ? text.size : len,
		                           (const unsigned char *)passphrase, passphrase ? strlen(passphrase) : 0);
	}
	if (mrc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_KEY, what, "%s is encrypted: a passphrase is needed",
		                           what);
		goto out;
	}
	if (mrc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_KEY, what, "%s: wrong passphrase", what);
		goto out;
	}
	if (mrc != 0) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_KEY, what,
		                           "%s is not a private key (PEM: EC PRIVATE KEY, PRIVATE KEY, ENCRYPTED SIGSTORE "
		                           "PRIVATE KEY)", what);
		goto out;
	}
	if ((mbedtls_pk_get_type(&s->pk) != MBEDTLS_PK_ECKEY && mbedtls_pk_get_type(&s->pk) != MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_ec(s->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		rc = limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_KEY, what,
		                           "%s is not an ECDSA P-256 key, the only kind libimage signs with", what);
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	limg_signer_free(s);
	wipe(&text);
	wipe(&der);
	wipe(&plain);
	return rc;
}

int limg_signer_parse(limg_signer **out, const void *data, size_t len, const limg_signer_opts *opts)
{
	limg_signer_opts o = LIMG_SIGNER_OPTS_INIT;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!data && len)
		return limg__error_invalid("data");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_signer_opts")) < 0)
		return rc;
	return parse(out, data ? data : "", len, o.passphrase, "the private key");
}

int limg_signer_load(limg_signer **out, const char *path, const limg_signer_opts *opts)
{
	limg_signer_opts o = LIMG_SIGNER_OPTS_INIT;
	limg_buf text = LIMG_BUF_INIT;
	char what[600];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!path || !*path)
		return limg__error_invalid("path");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_signer_opts")) < 0)
		return rc;
	if ((rc = limg__fs_read(&text, path, LIMG_SIGN_DOC_MAX)) < 0) {
		wipe(&text);
		return rc == LIMG_ENOTFOUND ? limg__error_about(LIMG_SUBJECT_FILE, path) : rc;
	}
	limg__sanitize(what, sizeof what, path, strlen(path));
	rc = parse(out, text.ptr, text.size, o.passphrase, what);
	wipe(&text);
	return rc;
}

int limg_signer_public_key(limg_buf *out, const limg_signer *signer)
{
	unsigned char pem[4096];
	limg_signer *s = (limg_signer *)signer;
	int mrc;

	if (!out)
		return limg__error_invalid("out");
	if (!signer)
		return limg__error_invalid("signer");
	pthread_mutex_lock(&s->lock);
	mrc = mbedtls_pk_write_pubkey_pem(&s->pk, pem, sizeof pem);
	pthread_mutex_unlock(&s->lock);
	if (mrc != 0)
		return limg__error_set(LIMG_ERROR, "cannot encode the public key");
	return limg_buf_set(out, pem, strlen((const char *)pem));
}

int limg__signer_key(limg_key **out, const limg_signer *signer)
{
	limg_buf pem = LIMG_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = limg_signer_public_key(&pem, signer)) == 0)
		rc = limg_key_parse(out, pem.ptr, pem.size);
	limg_buf_dispose(&pem);
	return rc;
}

/* mbedTLS's random source for ECDSA's blinding (the nonce itself is RFC 6979's). */
static int random_bytes(void *unused, unsigned char *buf, size_t len)
{
	(void)unused;
	while (len) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int limg_signer_sign(limg_buf *out, const limg_signer *signer, const void *data, size_t len)
{
	unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	limg_signer *s = (limg_signer *)signer;
	size_t sig_len = 0;
	int mrc;

	if (!out)
		return limg__error_invalid("out");
	if (!signer || (!data && len))
		return limg__error_invalid(!signer ? "signer" : "data");
	if (mbedtls_sha256_ret(data ? data : "", len, hash, 0) != 0)
		return limg__error_set(LIMG_ERROR, "cannot hash what is to be signed");
	pthread_mutex_lock(&s->lock);
	mrc = mbedtls_pk_sign(&s->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &sig_len, random_bytes, NULL);
	pthread_mutex_unlock(&s->lock);
	if (mrc != 0)
		return limg__error_set(LIMG_ERROR, "signing failed (mbedTLS error -0x%04x)", (unsigned)-mrc);
	return limg__base64_encode(out, sig, sig_len) < 0 ? limg__error_oom() : 0;
}
