/* SPDX-License-Identifier: MIT */
/* ECDSA P-256 verification with OpenSSL (why: p256.h). */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/core.h"
#include "p256.h"

struct limg__p256 {
	EVP_PKEY *pkey; /* read-only once loaded: verifications may share it across threads */
};

int limg__p256_load(limg__p256 **out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	limg__p256 *key;

	*out = NULL;
	if (!(key = limg__calloc(1, sizeof *key)))
		return limg__error_oom();
	key->pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (!key->pkey || p != der + len || EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(key->pkey) != 256) {
		ERR_clear_error();
		limg__p256_free(key);
		return limg__error_set(LIMG_ERROR, "OpenSSL cannot read the P-256 key that mbedTLS read");
	}
	*out = key;
	return 0;
}

int limg__p256_verify(const limg__p256 *key, const void *data, size_t len, const void *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
	         EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	/* a refusal leaves errors in this thread's queue, where libcurl's TLS would find them */
	ERR_clear_error();
	return ok ? 0 : LIMG_ESIGNATURE;
}

void limg__p256_free(limg__p256 *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	limg__free(key);
}
