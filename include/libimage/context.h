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

/** Options for limg_context_new(); zero means the default. @since 1.0 */
typedef struct limg_context_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *user_agent; /**< NULL: "libimage/<version>"; copied */
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
