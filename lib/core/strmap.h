/* SPDX-License-Identifier: MIT */
/*
 * A map from strings to indexes (of an array the caller owns), for lookups
 * by name among many: open addressing over a keyed hash (SipHash-1-3 with a
 * random key per map), so that names an attacker chose (an archive's) cannot
 * be made to collide and turn lookups quadratic.
 */
#ifndef LIMG_CORE_STRMAP_H
#define LIMG_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char **keys; /* borrowed: they must outlive the map */
	size_t *values;
	size_t cap, count;
	uint64_t k0, k1;
} limg__strmap;

#define LIMG_STRMAP_INIT { NULL, NULL, 0, 0, 0, 0 }

/* Sets @key (borrowed, not copied) to @value, replacing an earlier value.
 * 0, or LIMG_ENOMEM (raised). */
int limg__strmap_put(limg__strmap *m, const char *key, size_t value);
/* True with *@value set when @key is in the map. */
bool limg__strmap_get(const limg__strmap *m, const char *key, size_t *value);
void limg__strmap_free(limg__strmap *m);

/* The same keyed hash, for tables of records of their own (a layer's
 * paths): the key drawn once per table, before its first slot is chosen. */
typedef struct {
	uint64_t k0, k1;
} limg__strhash_key;

void limg__strhash_key_draw(limg__strhash_key *key);
uint64_t limg__strhash(const limg__strhash_key *key, const char *s);

#endif
