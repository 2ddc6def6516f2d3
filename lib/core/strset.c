/* SPDX-License-Identifier: MIT */
/* A string set with linear probing; grows at 50% load. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "strset.h"

static size_t find_slot(const limg__strset *set, char **slots, size_t cap, const char *s)
{
	size_t i = (size_t)limg__strhash(&set->key, s) & (cap - 1);
	while (slots[i] && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

bool limg__strset_has(const limg__strset *set, const char *s)
{
	return set->cap && set->slots[find_slot(set, set->slots, set->cap, s)] != NULL;
}

int limg__strset_add(limg__strset *set, const char *s)
{
	size_t i;

	if ((set->count + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		char **slots = limg__calloc(cap, sizeof *slots);
		if (!slots)
			return limg__error_oom();
		if (!set->cap)
			limg__strhash_key_draw(&set->key);
		for (size_t j = 0; j < set->cap; j++)
			if (set->slots[j])
				slots[find_slot(set, slots, cap, set->slots[j])] = set->slots[j];
		limg__free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	i = find_slot(set, set->slots, set->cap, s);
	if (set->slots[i])
		return 0;
	if (!(set->slots[i] = limg__strdup(s)))
		return limg__error_oom();
	set->count++;
	return 1;
}

void limg__strset_free(limg__strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		limg__free(set->slots[i]);
	limg__free(set->slots);
	set->slots = NULL;
	set->cap = set->count = 0;
}
