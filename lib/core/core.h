/* SPDX-License-Identifier: MIT */
/*
 * Internal core helpers shared by every layer: error raising, option-struct
 * checks, buffers and logging. Nothing here is exported.
 */
#ifndef LIMG_CORE_H
#define LIMG_CORE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libimage/common.h"
#include "libimage/context.h"
#include "libimage/errors.h"

#if defined(__GNUC__)
# define LIMG_PRINTF(f, a) __attribute__((format(printf, f, a)))
# define LIMG_LIKELY(x) __builtin_expect(!!(x), 1)
# define LIMG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
# define LIMG_PRINTF(f, a)
# define LIMG_LIKELY(x) (x)
# define LIMG_UNLIKELY(x) (x)
#endif

/* Records the thread's last error and returns @code, so callers can
 * `return limg__error_set(...)`. */
int limg__error_set(int code, const char *fmt, ...) LIMG_PRINTF(2, 3);
int limg__error_oom(void);
/* Puts "<prefix>: " in front of the last error's message, keeping its code
 * and details; returns the code. */
int limg__error_prefix(const char *fmt, ...) LIMG_PRINTF(1, 2);
/* Says what the last error was about: a limg_subject and the thing's name
 * (escaped here; NULL for none). Returns the last error's code. */
int limg__error_about(int subject, const char *object);
/* limg__error_set(), then limg__error_about(). */
int limg__error_set_about(int code, int subject, const char *object, const char *fmt, ...) LIMG_PRINTF(4, 5);
/* The rule of errors.h for what a caller's callback returned (@rc, not 0):
 * a positive value becomes LIMG_EUSER, a negative one is returned as it is;
 * the message says that @what was stopped by the callback. */
int limg__error_after_callback(int rc, const char *what);
/* An argument was NULL or otherwise unusable; @what names it. */
int limg__error_invalid(const char *what);
/* Adds HTTP details to the last error (used by the network layers). */
void limg__error_set_http(int http_status, const char *registry_code);
void limg__error_set_retry_after(long seconds);

/* A copy of the thread's last error, to carry it to another thread. */
typedef struct {
	int code, http_status, subject;
	long retry_after;
	char registry_code[64];
	char object[256];
	char message[1024];
} limg__error_copy;
void limg__error_save(limg__error_copy *copy);
int limg__error_restore(const limg__error_copy *copy);

/* limg_cancel_link() that accepts a NULL @parent (nothing to follow). */
struct limg_cancel;
int limg__cancel_follow(struct limg_cancel *child, const struct limg_cancel *parent);
/* Milliseconds of CLOCK_MONOTONIC. */
int64_t limg__now_ms(void);

/* pthread_create() for libimage's threads, which allocate as the call that
 * starts them (see alloc.h); 0 or an errno value, as pthread_create(). */
int limg__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);
/* Names the calling thread (libimage's own threads only; see thread.c). */
void limg__thread_name(const char *name);

/* Writes @s (of @n bytes) into @dst as printable, quoted, truncated text,
 * so that hostile input can be named in a message without harm. */
void limg__quote(char *dst, size_t cap, const char *s, size_t n);
/* The same without the quotes. */
void limg__sanitize(char *dst, size_t cap, const char *s, size_t n);

/* Checks a caller's options struct: its size field must cover at least the
 * size field, and bytes past what this build knows must be zero (a newer
 * caller asking for something we cannot do). */
int limg__opts_check(const void *opts, size_t known_size, const char *name);

/* RFC 3339 ("2024-01-15T10:00:00.123Z", "...+02:00") to seconds since the epoch, or -1. */
int64_t limg__parse_rfc3339(const char *text);

/* The body of every limg_x_opts_init(): zero @size bytes, copy what this
 * build knows of @defaults, set the size field. */
int limg__opts_init(void *opts, size_t size, const void *defaults, size_t known_size);
/* Copies a caller's options over the defaults in @dst (known_size bytes),
 * after limg__opts_check. NULL @src keeps the defaults. */
int limg__opts_copy(void *dst, size_t known_size, const void *src, const char *name);

/* Makes room for @need elements of @elem bytes in *@array, whose capacity
 * *@cap doubles as it grows (sizes checked for overflow). 0, or LIMG_ENOMEM
 * (raised) with *@array unchanged. */
int limg__array_grow(void **array, size_t *cap, size_t need, size_t elem);

/* Buffer growth; all return 0 or LIMG_ENOMEM (error raised). */
int limg__buf_grow(limg_buf *buf, size_t need);
int limg__buf_put(limg_buf *buf, const void *data, size_t len);

/* UTF-8 (utf8.c): the length of the one valid sequence at @s (at most @n bytes),
 * or 0 (invalid, overlong, a surrogate, beyond U+10FFFF); @cp appended encoded. */
size_t limg__utf8_len(const unsigned char *s, size_t n);
int limg__buf_put_utf8(limg_buf *out, uint32_t cp);

void limg__log(const limg_context *ctx, int level, const char *fmt, ...) LIMG_PRINTF(3, 4);
/* The context's User-Agent, or the default for a NULL context. */
const char *limg__context_user_agent(const limg_context *ctx);

/* The library's malloc(), free(), strdup(), ... */
#include "alloc.h"

#endif /* LIMG_CORE_H */
