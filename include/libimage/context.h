/* SPDX-License-Identifier: MIT */
/**
 * @file context.h
 * @brief The context: settings shared by the stores, registries and
 *        sessions made with it (user agent, logging).
 *
 * There is no global state to set up: create a context, give it to the
 * handles that need settings, free it after them. A context may be used
 * from several threads at once once it is set up. Every operation logs
 * through the context of the handle it works on; NULL is a context with
 * the defaults (no logging).
 */
#ifndef LIBIMAGE_CONTEXT_H
#define LIBIMAGE_CONTEXT_H

#include "common.h"

LIMG_BEGIN_DECL

/** Settings shared by stores, registries and sessions. @since 1.0 */
typedef struct limg_context limg_context;

/** Log levels; a message is delivered when its level <= the context's level. @since 1.0 */
typedef enum limg_log_level {
	LIMG_LOG_NONE = 0,  /**< nothing */
	LIMG_LOG_ERROR = 1, /**< failures the library reports as errors as well */
	LIMG_LOG_WARN = 2,  /**< something was skipped or worked around */
	LIMG_LOG_INFO = 3,  /**< one line per step of an operation */
	LIMG_LOG_DEBUG = 4, /**< requests, endpoints, decisions */
	LIMG_LOG_TRACE = 5  /**< everything */
} limg_log_level;

/**
 * Receives log messages. Messages never contain credentials or tokens.
 *
 * @param level a limg_log_level
 * @param message one line without a trailing newline; borrowed for the call
 * @param payload the payload given with the callback
 * @since 1.0
 */
typedef void (*limg_log_cb)(int level, const char *message, void *payload);

/**
 * Where the library's memory comes from, for programs that account for it
 * or must survive its exhaustion (an embedded runtime's arena, a test that
 * fails allocations one by one).
 *
 * Every block libimage allocates for itself while a call works on a handle
 * made with the context (a store, registry or session; the threads the call
 * starts too) comes from @c malloc and goes back through @c free of the same
 * allocator, even when it is freed later, from another thread or after the
 * context is gone. When @c malloc returns NULL the call fails with
 * LIMG_ENOMEM, undoes what it did and frees what it allocated. Functions
 * that take no handle (limg_reference_parse(), limg_manifest_parse(), ...)
 * use the allocator of the call they run in, else the C library's.
 * Memory of the libraries underneath (libcurl, zlib, mbedTLS, ...) is theirs.
 *
 * The functions may be called from any thread at once, and must not call
 * libimage. @since 1.0
 */
typedef struct limg_allocator {
	size_t size; /**< sizeof the struct as the caller knows it */
	/** @p n bytes aligned as malloc()'s, or NULL. Required with @c free; neither: the C library's. */
	void *(*malloc)(size_t n, void *payload);
	/** As realloc(), never with a NULL @p p or a zero @p n; NULL: malloc, copy and free. */
	void *(*realloc)(void *p, size_t n, void *payload);
	/** Frees what @c malloc or @c realloc returned (never NULL). Required with @c malloc. */
	void (*free)(void *p, void *payload);
	void *payload; /**< passed to the functions */
} limg_allocator;

/** Static initializer: no functions, which means the C library's (set @c malloc and @c free). @since 1.0 */
#define LIMG_ALLOCATOR_INIT LIMG_SIZED_INIT(limg_allocator)

/**
 * Fills @p allocator with zeros and its size, for callers that cannot use the macro.
 *
 * @param allocator the struct to fill
 * @param size sizeof(*allocator) as the caller knows it
 * @return 0, or LIMG_EINVALID if @p allocator is NULL or @p size too small
 * @since 1.0
 */
LIMG_EXTERN(int) limg_allocator_init(limg_allocator *allocator, size_t size);

/** Options for limg_context_new(); zero means the default. @since 1.0 */
typedef struct limg_context_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *user_agent; /**< NULL: "libimage/<version>"; copied */
	/** NULL: the C library's malloc() and free(); copied (the payload is
	 *  the caller's, and must live as long as anything the library allocated
	 *  with it: every handle made with the context and every object they returned) */
	const limg_allocator *allocator;
} limg_context_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_CONTEXT_OPTS_INIT LIMG_SIZED_INIT(limg_context_opts)

/**
 * Fills @p opts with the defaults, for callers that cannot use the macro.
 *
 * @param opts the struct to fill
 * @param size sizeof(*opts) as the caller knows it
 * @return 0, or LIMG_EINVALID if @p opts is NULL or @p size too small
 * @since 1.0
 */
LIMG_EXTERN(int) limg_context_opts_init(limg_context_opts *opts, size_t size);

/**
 * Creates a context.
 *
 * @param out receives the context; the caller frees it with limg_context_free()
 * @param opts options, or NULL for the defaults
 * @return 0, LIMG_EINVALID, LIMG_EVERSION (options newer than this library), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_context_new(limg_context **out, const limg_context_opts *opts);

/** Frees a context; NULL is accepted. Free it after every handle made with it. @since 1.0 */
LIMG_EXTERN(void) limg_context_free(limg_context *ctx);

/**
 * The User-Agent sent to registries.
 * @return borrowed until the context is freed; never NULL for a valid context.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_context_user_agent(const limg_context *ctx);

/**
 * Sets the log callback and level (by default nothing is logged). Not safe
 * while other threads use @p ctx.
 *
 * @param ctx the context
 * @param log the callback, or NULL to stop logging
 * @param level the highest limg_log_level delivered
 * @param payload passed to @p log
 * @return 0 or LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_context_set_log(limg_context *ctx, limg_log_cb log, int level, void *payload);

LIMG_END_DECL

#endif /* LIBIMAGE_CONTEXT_H */
