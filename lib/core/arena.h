/* SPDX-License-Identifier: MIT */
/* An arena: many small allocations freed together (parsed index.json, listings). */
#ifndef LIMG_CORE_ARENA_H
#define LIMG_CORE_ARENA_H

#include <stddef.h>

typedef struct limg__arena_chunk limg__arena_chunk;

typedef struct {
	limg__arena_chunk *head;
	size_t chunk_size; /* 0: 64 KiB */
} limg__arena;

#define LIMG_ARENA_INIT { NULL, 0 }

/* @n bytes aligned for any type, or NULL (no error raised). */
void *limg__arena_alloc(limg__arena *a, size_t n);
/* A NUL-terminated copy of @n bytes of @s, or NULL. */
char *limg__arena_strndup(limg__arena *a, const char *s, size_t n);
void limg__arena_free(limg__arena *a);

#endif
