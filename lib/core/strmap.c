/* SPDX-License-Identifier: MIT */
/* The string map of strmap.h: linear probing, grown at half full, slots
 * chosen by SipHash-1-3 under a key drawn when the map is first used. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core.h"
#include "strmap.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                           \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                 \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                 \
	} while (0)

static uint64_t siphash13(uint64_t k0, uint64_t k1, const unsigned char *p, size_t n)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&m, p + i, 8); /* (little-endian hosts; on others the hash differs but stays keyed) */
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static size_t slot_of(const limg__strmap *m, const char **keys, size_t cap, const char *key)
{
	size_t i = (size_t)siphash13(m->k0, m->k1, (const unsigned char *)key, strlen(key)) & (cap - 1);

	while (keys[i] && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void draw_key(limg__strmap *m)
{
	uint64_t k[2];

	if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
		/* no entropy yet (early boot): the address and the clock still differ per map */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] = (uint64_t)(uintptr_t)m ^ ((uint64_t)ts.tv_nsec << 20);
		k[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&k;
	}
	m->k0 = k[0];
	m->k1 = k[1] | 1; /* never both zero: the key is drawn */
}

void limg__strhash_key_draw(limg__strhash_key *key)
{
	limg__strmap m;

	draw_key(&m);
	key->k0 = m.k0;
	key->k1 = m.k1;
}

uint64_t limg__strhash(const limg__strhash_key *key, const char *s)
{
	return siphash13(key->k0, key->k1, (const unsigned char *)s, strlen(s));
}

int limg__strmap_put(limg__strmap *m, const char *key, size_t value)
{
	size_t i;

	if (!m->cap)
		draw_key(m);
	if ((m->count + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		const char **keys = limg__calloc(cap, sizeof *keys);
		size_t *values = limg__calloc(cap, sizeof *values);
		if (!keys || !values || cap < m->cap) {
			limg__free(keys);
			limg__free(values);
			return limg__error_oom();
		}
		for (size_t j = 0; j < m->cap; j++)
			if (m->keys[j]) {
				size_t s = slot_of(m, keys, cap, m->keys[j]);
				keys[s] = m->keys[j];
				values[s] = m->values[j];
			}
		limg__free(m->keys);
		limg__free(m->values);
		m->keys = keys;
		m->values = values;
		m->cap = cap;
	}
	i = slot_of(m, m->keys, m->cap, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->count++;
	}
	m->values[i] = value;
	return 0;
}

bool limg__strmap_get(const limg__strmap *m, const char *key, size_t *value)
{
	size_t i;

	if (!m->cap)
		return false;
	i = slot_of(m, m->keys, m->cap, key);
	if (!m->keys[i])
		return false;
	*value = m->values[i];
	return true;
}

void limg__strmap_free(limg__strmap *m)
{
	limg__free(m->keys);
	limg__free(m->values);
	memset(m, 0, sizeof *m);
}
