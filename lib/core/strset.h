/* SPDX-License-Identifier: MIT */
/* A set of strings (open addressing), for visited digests in graph walks
 * and a layer's paths: slots are chosen by strmap.h's keyed hash, so that
 * names an attacker wrote cannot be made to collide. */
#ifndef LIMG_CORE_STRSET_H
#define LIMG_CORE_STRSET_H

#include <stdbool.h>
#include <stddef.h>

#include "strmap.h"

typedef struct {
	char **slots;
	size_t cap, count;
	limg__strhash_key key; /* drawn when the first slot is made */
} limg__strset;

#define LIMG_STRSET_INIT { NULL, 0, 0, { 0, 0 } }

/* Adds a copy of @s. Returns 1 if added, 0 if present, LIMG_ENOMEM. */
int limg__strset_add(limg__strset *set, const char *s);
bool limg__strset_has(const limg__strset *set, const char *s);
void limg__strset_free(limg__strset *set);

#endif
