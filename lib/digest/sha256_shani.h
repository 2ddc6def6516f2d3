/* SPDX-License-Identifier: MIT */
/* SHA-256 on the x86 SHA extensions, used by the hasher when the CPU has them. */
#ifndef LIMG_SHA256_SHANI_H
#define LIMG_SHA256_SHANI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t state[8];
	uint8_t block[64];
	size_t fill;     /* bytes in block */
	uint64_t total;  /* bytes hashed */
} limg__sha256_shani;

/* True when this CPU (and this build) can run it; checked once. */
bool limg__sha256_shani_available(void);
/* Tests turn it off to compare it with the portable path. */
void limg__sha256_shani_set_enabled(bool enabled);
void limg__sha256_shani_init(limg__sha256_shani *c);
void limg__sha256_shani_update(limg__sha256_shani *c, const void *data, size_t len);
void limg__sha256_shani_finish(limg__sha256_shani *c, uint8_t out[32]);

#endif
