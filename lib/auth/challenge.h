/* SPDX-License-Identifier: MIT */
/* WWW-Authenticate parsing (RFC 9110 section 11): several challenges, quoted strings. */
#ifndef LIMG_AUTH_CHALLENGE_H
#define LIMG_AUTH_CHALLENGE_H

#include <stddef.h>

#define LIMG_CHALLENGES_MAX 8

typedef struct {
	char scheme[16]; /* lowercased: "bearer", "basic", ... */
	char *realm, *service, *scope, *error;
} limg__challenge;

/* Parses a header into up to LIMG_CHALLENGES_MAX challenges. Returns 0, or
 * LIMG_EPROTOCOL (raised) for a malformed header. Free with _free. */
int limg__challenges_parse(limg__challenge *out, size_t *count, const char *header);
void limg__challenges_free(limg__challenge *c, size_t count);

#endif
