/* SPDX-License-Identifier: MIT */
/*
 * The library's allocations (see alloc.h). Each block carries a header with
 * the functions and payload that made it, so that it is freed by them
 * wherever and whenever it is freed.
 */
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "context_internal.h"

/* Kept a multiple of malloc()'s alignment, so the caller's bytes keep it. */
struct header {
	void *(*malloc_fn)(size_t n, void *payload);
	void *(*realloc_fn)(void *p, size_t n, void *payload);
	void (*free_fn)(void *p, void *payload);
	void *payload;
	size_t size; /* the caller's bytes, for a realloc without realloc_fn */
};
#define HEADER_SIZE ((sizeof(struct header) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

static _Thread_local const limg_allocator *current;

const limg_allocator *limg__allocator_current(void)
{
	return current;
}

const limg_allocator *limg__allocator_swap(const limg_allocator *a)
{
	const limg_allocator *was = current;

	current = a;
	return was;
}

void limg__allocator_restore(const limg_allocator **saved)
{
	current = *saved;
}

const limg_allocator *limg__context_allocator(const limg_context *ctx)
{
	return ctx && ctx->allocator.malloc ? &ctx->allocator : NULL;
}

int limg_allocator_init(limg_allocator *allocator, size_t size)
{
	static const limg_allocator defaults = LIMG_ALLOCATOR_INIT;

	return limg__opts_init(allocator, size, &defaults, sizeof defaults);
}

static void *libc_realloc(void *p, size_t n, void *payload)
{
	(void)payload;
	return realloc(p, n);
}

static void libc_free(void *p, void *payload)
{
	(void)payload;
	free(p);
}

static inline void *user_bytes(struct header *h)
{
	return (char *)h + HEADER_SIZE;
}

static inline struct header *header_of(void *p)
{
	return (struct header *)(void *)((char *)p - HEADER_SIZE);
}

/* Every entry point below calls the allocator itself (through these, always
 * inlined), so that a test's allocator finds the call site two frames up. */
#define INLINE static inline __attribute__((always_inline))
#define ENTRY __attribute__((noinline))

INLINE void *block_new(size_t n)
{
	const limg_allocator *a = current;
	struct header *h;

	if (n > SIZE_MAX - HEADER_SIZE)
		return NULL;
	if (!a) {
		if (!(h = malloc(HEADER_SIZE + n)))
			return NULL;
		h->malloc_fn = NULL;
		h->realloc_fn = libc_realloc;
		h->free_fn = libc_free;
		h->payload = NULL;
	} else {
		if (!(h = a->malloc(HEADER_SIZE + n, a->payload)))
			return NULL;
		h->malloc_fn = a->malloc;
		h->realloc_fn = a->realloc;
		h->free_fn = a->free;
		h->payload = a->payload;
	}
	h->size = n;
	return user_bytes(h);
}

INLINE char *copy_new(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = block_new(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

ENTRY void *limg__malloc(size_t n)
{
	return block_new(n);
}

ENTRY void *limg__calloc(size_t count, size_t n)
{
	void *p;

	if (n && count > SIZE_MAX / n)
		return NULL;
	if ((p = block_new(count * n)))
		memset(p, 0, count * n);
	return p;
}

ENTRY void *limg__realloc(void *p, size_t n)
{
	struct header *h, *grown;
	void *q;

	if (!p)
		return block_new(n);
	if (!n)
		n = 1; /* never realloc(p, 0)'s free-or-not */
	if (n > SIZE_MAX - HEADER_SIZE)
		return NULL;
	h = header_of(p);
	if (h->realloc_fn) {
		/* the block stays with the allocator that made it */
		if (!(grown = h->realloc_fn(h, HEADER_SIZE + n, h->payload)))
			return NULL;
		grown->size = n;
		return user_bytes(grown);
	}
	/* no realloc of its own: malloc, copy and free, with the same allocator */
	if (!(grown = h->malloc_fn(HEADER_SIZE + n, h->payload)))
		return NULL;
	*grown = *h;
	grown->size = n;
	q = user_bytes(grown);
	memcpy(q, p, h->size < n ? h->size : n);
	h->free_fn(h, h->payload);
	return q;
}

void limg__libc_free(void *p)
{
	free(p);
}

void limg__free(void *p)
{
	struct header *h;

	if (!p)
		return;
	h = header_of(p);
	h->free_fn(h, h->payload);
}

ENTRY char *limg__strndup(const char *s, size_t n)
{
	return copy_new(s, n);
}

ENTRY char *limg__strdup(const char *s)
{
	return copy_new(s, SIZE_MAX);
}

/* vsnprintf() into @small, or only the length when it does not fit */
static int measure(char *small, size_t cap, const char *fmt, va_list ap)
{
	return vsnprintf(small, cap, fmt, ap);
}

/* @out holds @n + 1 bytes: the text measured into @small, or formatted again */
static void fill(char *out, const char *small, size_t cap, int n, const char *fmt, va_list again)
{
	if ((size_t)n < cap)
		memcpy(out, small, (size_t)n + 1);
	else
		vsnprintf(out, (size_t)n + 1, fmt, again);
}

ENTRY int limg__vasprintf(char **out, const char *fmt, va_list ap)
{
	char small[256];
	va_list again;
	int n;

	va_copy(again, ap);
	if ((n = measure(small, sizeof small, fmt, ap)) >= 0 && (*out = block_new((size_t)n + 1)))
		fill(*out, small, sizeof small, n, fmt, again);
	else
		n = -1;
	va_end(again);
	return n;
}

/* Not a call of limg__vasprintf: the caller's site must stay two frames up. */
ENTRY int limg__asprintf(char **out, const char *fmt, ...)
{
	char small[256];
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	if ((n = measure(small, sizeof small, fmt, ap)) >= 0 && (*out = block_new((size_t)n + 1)))
		fill(*out, small, sizeof small, n, fmt, again);
	else
		n = -1;
	va_end(again);
	va_end(ap);
	return n;
}
