/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 with the x86 SHA extensions (SHA-NI): several times the speed of
 * a portable implementation, which matters because every pulled byte is
 * hashed. The round structure follows Intel's published description of
 * the instructions; the hasher falls back to mbedTLS elsewhere.
 */
#include <stdatomic.h>
#include <string.h>

#include "sha256_shani.h"

/* atomics: hashers start on several threads at once (parallel layers, a
 * sync's images), and the first of them fills the cache */
static atomic_bool enabled = true;

void limg__sha256_shani_set_enabled(bool on)
{
	atomic_store_explicit(&enabled, on, memory_order_relaxed);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

bool limg__sha256_shani_available(void)
{
	static atomic_int cached = -1;
	unsigned a, b, c, d;
	int known = atomic_load_explicit(&cached, memory_order_relaxed);

	if (known < 0) {
		/* threads that get here together compute the same answer */
		known = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
		        __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
		atomic_store_explicit(&cached, known, memory_order_relaxed);
	}
	return atomic_load_explicit(&enabled, memory_order_relaxed) && known == 1;
}

/* Hashes @blocks 64-byte blocks. Each step does four rounds; the message
 * schedule for later steps is computed in the same pass. */
TARGET static void compress(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, tmp, msg, w[4], abef, cdgh;

	tmp = _mm_loadu_si128((const __m128i *)&state[0]);
	s1 = _mm_loadu_si128((const __m128i *)&state[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);    /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);      /* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);      /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xF0);   /* CDGH */

	while (blocks--) {
		abef = s0;
		cdgh = s1;
		/* unrolled, so that the four message words stay in registers */
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			if (i < 4)
				w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), mask);
			msg = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			if (i >= 3 && i <= 14) {
				tmp = _mm_alignr_epi8(w[i & 3], w[(i - 1) & 3], 4);
				w[(i + 1) & 3] = _mm_add_epi32(w[(i + 1) & 3], tmp);
				w[(i + 1) & 3] = _mm_sha256msg2_epu32(w[(i + 1) & 3], w[i & 3]);
			}
			msg = _mm_shuffle_epi32(msg, 0x0E);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
			if (i >= 1 && i <= 12)
				w[(i - 1) & 3] = _mm_sha256msg1_epu32(w[(i - 1) & 3], w[i & 3]);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
		data += 64;
	}

	tmp = _mm_shuffle_epi32(s0, 0x1B);     /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);      /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xF0);   /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);      /* ABEF */
	_mm_storeu_si128((__m128i *)&state[0], s0);
	_mm_storeu_si128((__m128i *)&state[4], s1);
}
#else
bool limg__sha256_shani_available(void)
{
	(void)enabled;
	return false;
}

static void compress(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	(void)state;
	(void)data;
	(void)blocks;
}
#endif

void limg__sha256_shani_init(limg__sha256_shani *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(c->state, iv, sizeof iv);
	c->fill = 0;
	c->total = 0;
}

void limg__sha256_shani_update(limg__sha256_shani *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->total += len;
	if (c->fill) {
		size_t take = 64 - c->fill < len ? 64 - c->fill : len;
		memcpy(c->block + c->fill, p, take);
		c->fill += take;
		p += take;
		len -= take;
		if (c->fill < 64)
			return;
		compress(c->state, c->block, 1);
		c->fill = 0;
	}
	if (len >= 64) {
		compress(c->state, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(c->block, p, len);
	c->fill = len;
}

void limg__sha256_shani_finish(limg__sha256_shani *c, uint8_t out[32])
{
	uint64_t bits = c->total * 8;

	c->block[c->fill++] = 0x80;
	if (c->fill > 56) {
		memset(c->block + c->fill, 0, 64 - c->fill);
		compress(c->state, c->block, 1);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, 56 - c->fill);
	for (int i = 0; i < 8; i++)
		c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(c->state, c->block, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->state[i];
	}
}
