/* SPDX-License-Identifier: MIT */
/* Streaming hashers. mbedTLS stays inside this file. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/version.h>

#include "core/core.h"
#include "digest_internal.h"
#include "sha256_shani.h"

/* mbedTLS 2.x names the int-returning calls *_ret; 3.x dropped the suffix. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
# define sha256_starts mbedtls_sha256_starts_ret
# define sha256_update mbedtls_sha256_update_ret
# define sha256_finish mbedtls_sha256_finish_ret
# define sha512_starts mbedtls_sha512_starts_ret
# define sha512_update mbedtls_sha512_update_ret
# define sha512_finish mbedtls_sha512_finish_ret
#else
# define sha256_starts mbedtls_sha256_starts
# define sha256_update mbedtls_sha256_update
# define sha256_finish mbedtls_sha256_finish
# define sha512_starts mbedtls_sha512_starts
# define sha512_update mbedtls_sha512_update
# define sha512_finish mbedtls_sha512_finish
#endif

struct limg_hasher {
	int algorithm;
	bool finished;
	bool shani; /* sha256 on the CPU's SHA extensions */
	union {
		mbedtls_sha256_context sha256;
		mbedtls_sha512_context sha512;
		limg__sha256_shani fast;
	} u;
	char digest[7 + 1 + 128 + 1]; /* "sha512:" + hex + NUL */
};

static void start(limg_hasher *h)
{
	h->finished = false;
	h->digest[0] = '\0';
	h->shani = h->algorithm == LIMG_DIGEST_SHA256 && limg__sha256_shani_available();
	if (h->shani) {
		limg__sha256_shani_init(&h->u.fast);
	} else if (h->algorithm == LIMG_DIGEST_SHA256) {
		mbedtls_sha256_init(&h->u.sha256);
		sha256_starts(&h->u.sha256, 0);
	} else {
		mbedtls_sha512_init(&h->u.sha512);
		sha512_starts(&h->u.sha512, 0);
	}
}

static void release(limg_hasher *h)
{
	if (h->shani)
		return;
	if (h->algorithm == LIMG_DIGEST_SHA256)
		mbedtls_sha256_free(&h->u.sha256);
	else
		mbedtls_sha512_free(&h->u.sha512);
}

int limg_hasher_new(limg_hasher **out, int algorithm)
{
	limg_hasher *h;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!limg_digest_algorithm_name(algorithm))
		return limg__error_set(LIMG_EDIGEST_UNSUPPORTED, "unsupported digest algorithm: %d", algorithm);
	h = limg__malloc(sizeof *h);
	if (!h)
		return limg__error_oom();
	h->algorithm = algorithm;
	start(h);
	*out = h;
	return 0;
}

int limg_hasher_update(limg_hasher *h, const void *data, size_t len)
{
	if (!h || (!data && len))
		return limg__error_invalid(h ? "data" : "hasher");
	if (h->finished)
		return limg__error_set(LIMG_EINVALID, "hasher already finished; reset it first");
	if (!len)
		return 0;
	if (h->shani)
		limg__sha256_shani_update(&h->u.fast, data, len);
	else if (h->algorithm == LIMG_DIGEST_SHA256)
		sha256_update(&h->u.sha256, data, len);
	else
		sha512_update(&h->u.sha512, data, len);
	return 0;
}

int limg_hasher_finish(const char **out, limg_hasher *h)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t raw_len, o;
	const char *name;

	if (!out || !h)
		return limg__error_invalid(out ? "hasher" : "out");
	if (!h->finished) {
		if (h->shani) {
			limg__sha256_shani_finish(&h->u.fast, raw);
			raw_len = 32;
		} else if (h->algorithm == LIMG_DIGEST_SHA256) {
			sha256_finish(&h->u.sha256, raw);
			raw_len = 32;
		} else {
			sha512_finish(&h->u.sha512, raw);
			raw_len = 64;
		}
		name = limg_digest_algorithm_name(h->algorithm);
		o = strlen(name);
		memcpy(h->digest, name, o);
		h->digest[o++] = ':';
		for (size_t i = 0; i < raw_len; i++) {
			h->digest[o++] = hex[raw[i] >> 4];
			h->digest[o++] = hex[raw[i] & 15];
		}
		h->digest[o] = '\0';
		h->finished = true;
	}
	*out = h->digest;
	return 0;
}

void limg__sha256_hex(char out[65], const void *data, size_t len)
{
	limg_hasher h = { .algorithm = LIMG_DIGEST_SHA256 };
	const char *digest;

	start(&h);
	if (len)
		limg_hasher_update(&h, data, len);
	limg_hasher_finish(&digest, &h);
	memcpy(out, digest + 7, 65);
	release(&h);
}

int limg_hasher_verify(limg_hasher *h, const char *expected)
{
	const char *got;
	int rc;

	if (!expected)
		return limg__error_invalid("expected");
	if ((rc = limg_digest_validate(expected)) < 0)
		return rc;
	if ((rc = limg_hasher_finish(&got, h)) < 0)
		return rc;
	if (strcmp(got, expected) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "content does not match its digest: expected %s, got %s",
		                       expected, got);
	return 0;
}

int limg_hasher_reset(limg_hasher *h)
{
	if (!h)
		return limg__error_invalid("hasher");
	release(h);
	start(h);
	return 0;
}

void limg_hasher_free(limg_hasher *h)
{
	if (!h)
		return;
	release(h);
	limg__free(h);
}
