/* SPDX-License-Identifier: MIT */
/* Bump allocation in growing chunks; one free for everything. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "arena.h"

struct limg__arena_chunk {
	limg__arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *limg__arena_alloc(limg__arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	limg__arena_chunk *c = a->head;
	size_t want = (n + align - 1) / align * align;

	if (!want)
		want = align;
	if (!c || c->cap - c->used < want) {
		size_t cap = a->chunk_size ? a->chunk_size : 64 * 1024;
		if (cap < want)
			cap = want;
		if (!(c = limg__malloc(sizeof *c + cap)))
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* a big allocation gets its own chunk behind the current one, so the
		 * current one's free space is not wasted */
		if (a->head && want > (a->chunk_size ? a->chunk_size : 64 * 1024) / 4) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used += want;
	return (char *)c->data + c->used - want;
}

char *limg__arena_strndup(limg__arena *a, const char *s, size_t n)
{
	char *p = limg__arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void limg__arena_free(limg__arena *a)
{
	limg__arena_chunk *c = a->head;

	while (c) {
		limg__arena_chunk *next = c->next;
		limg__free(c);
		c = next;
	}
	a->head = NULL;
}
