/* SPDX-License-Identifier: MIT */
/* What a key is inside (only the files that speak mbedTLS see this). */
#ifndef LIMG_SIGN_KEYS_INTERNAL_H
#define LIMG_SIGN_KEYS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <mbedtls/pk.h>

#include "libimage/sign.h"
#include "p256.h"

struct limg_key {
	mbedtls_pk_context pk;
	bool rsa;             /* else ECDSA P-256 */
	limg__p256 *p256;     /* ECDSA P-256: the key as OpenSSL verifies it (p256.h) */
	char *label;          /* where it came from, printable */
	pthread_mutex_t lock; /* mbedTLS contexts are used by one thread at a time */
};

struct limg_signer {
	mbedtls_pk_context pk; /* ECDSA P-256 */
	pthread_mutex_t lock;
};

void limg__key_init(limg_key *key);
/* ECDSA P-256 or RSA of 2048 bits and more; else LIMG_EUNSUPPORTED (raised, naming @what). */
int limg__key_check_kind(limg_key *key, const char *what);

#endif
