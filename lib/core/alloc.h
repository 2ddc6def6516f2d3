/* SPDX-License-Identifier: MIT */
/*
 * Every byte libimage allocates for itself goes through these, never through
 * malloc() and free() directly (tests/checks/raw_alloc.py fails on them).
 *
 * The allocator is the one of the context of the handle a public call works
 * on: the call sets it for its thread with LIMG__ALLOCATOR_FROM(ctx), and the
 * threads libimage starts for it inherit it (limg__thread_start). Each block
 * remembers the allocator that made it, so limg__free() needs no context:
 * an image freed after its store's context, or in another thread, goes back
 * to where it came from.
 *
 * Memory that another library allocates (cJSON_Print, curl_easy_escape, ...)
 * goes back to that library's own free function, never to limg__free().
 */
#ifndef LIMG_ALLOC_H
#define LIMG_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "core.h" /* (which includes this file at its end) */

void *limg__malloc(size_t n);
void *limg__calloc(size_t count, size_t n);
void *limg__realloc(void *p, size_t n);
void limg__free(void *p);
char *limg__strdup(const char *s);
char *limg__strndup(const char *s, size_t n);
/* vasprintf()'s contract: the length, or -1 with *out undefined */
int limg__asprintf(char **out, const char *fmt, ...) LIMG_PRINTF(2, 3);
int limg__vasprintf(char **out, const char *fmt, va_list ap);

/* Frees what the C library allocated itself (realpath(p, NULL), getline()):
 * such memory never goes to limg__free(). */
void limg__libc_free(void *p);

/* The allocator of the calling thread now: the innermost public call's (NULL: the C library's). */
const limg_allocator *limg__allocator_current(void);
/* Makes @a the thread's allocator, returning the one it replaces. */
const limg_allocator *limg__allocator_swap(const limg_allocator *a);
/* The allocator of @ctx (NULL: the C library's). */
const limg_allocator *limg__context_allocator(const limg_context *ctx);

/* For the scope of the enclosing block (a public function's body): allocate
 * with @ctx's allocator, and restore the caller's on every return. */
#define LIMG__ALLOCATOR_FROM(ctx) LIMG__ALLOCATOR_SET(limg__context_allocator(ctx))
#define LIMG__ALLOCATOR_SET(a)                                                                         \
	const limg_allocator *limg__allocator_saved __attribute__((cleanup(limg__allocator_restore), unused)) = \
		limg__allocator_swap(a)
void limg__allocator_restore(const limg_allocator **saved);

#endif
