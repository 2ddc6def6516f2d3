/* SPDX-License-Identifier: MIT */
/*
 * ECDSA P-256 verification through OpenSSL's libcrypto, which libcurl maps
 * into every process already: 20-25x mbedTLS 2.28's speed here (2.5 ms a
 * signature against 0.1 ms), which is what verifying 1,000 signatures in
 * under a second needs. mbedTLS still parses every key (the strict reader
 * and the checks stay one) and signs.
 */
#ifndef LIMG_SIGN_P256_H
#define LIMG_SIGN_P256_H

#include <stddef.h>

typedef struct limg__p256 limg__p256;

/* @der: a SubjectPublicKeyInfo that mbedTLS accepted as a P-256 key. */
int limg__p256_load(limg__p256 **out, const unsigned char *der, size_t len);
/* 0 when @sig (ASN.1 DER, as cosign writes it) signs SHA-256(@data); LIMG_ESIGNATURE else (not raised). */
int limg__p256_verify(const limg__p256 *key, const void *data, size_t len, const void *sig, size_t sig_len);
void limg__p256_free(limg__p256 *key);

#endif
