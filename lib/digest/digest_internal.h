/* SPDX-License-Identifier: MIT */
/* Digest helpers for the other layers (no error raised unless named so). */
#ifndef LIMG_DIGEST_INTERNAL_H
#define LIMG_DIGEST_INTERNAL_H

#include <stddef.h>

#include "libimage/digest.h"

/* Validates the @n bytes at @s as a digest, go-digest's way. Returns 0 or a
 * LIMG_EDIGEST_* code, and the algorithm in *@algo when valid. Raises nothing. */
int limg__digest_check(const char *s, size_t n, int *algo);

/* Raises the error for a code from limg__digest_check, naming the input. */
int limg__digest_raise(int code, const char *s, size_t n);

/* The SHA-256 of @len bytes at @data as 64 hex digits and a NUL, on the
 * stack: for checksums that must not fail when memory runs out. */
void limg__sha256_hex(char out[65], const void *data, size_t len);

#endif
