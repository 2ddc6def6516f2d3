/*
 * libimage: the context that holds settings shared by everything else.
 *
 * There is no global state to set up: create a context, pass it to the
 * functions that need settings, free it when done. A context may be used
 * from several threads at once once it is set up.
 */
#ifndef LIBIMAGE_CONTEXT_H
#define LIBIMAGE_CONTEXT_H

#include "common.h"

LIMG_BEGIN_DECL

/** Settings shared by stores, registries and pulls. @since 0.1 */
typedef struct limg_context limg_context;

/** Log levels; a message is delivered when its level <= the context's level. @since 0.1 */
typedef enum limg_log_level {
	LIMG_LOG_NONE = 0,
	LIMG_LOG_ERROR = 1,
	LIMG_LOG_WARN = 2,
	LIMG_LOG_INFO = 3,
	LIMG_LOG_DEBUG = 4,
	LIMG_LOG_TRACE = 5
} limg_log_level;

/**
 * Receives log messages. Messages never contain credentials or tokens.
 *
 * @param level a limg_log_level
 * @param message one line without a trailing newline; borrowed for the call
 * @param payload the payload given with the callback
 * @since 0.1
 */
typedef void (*limg_log_cb)(int level, const char *message, void *payload);

/** Options for limg_context_new(). Fields are only ever appended. @since 0.1 */
typedef struct limg_context_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *user_agent; /**< NULL: "libimage/<version>"; copied */
	limg_log_cb log;        /**< NULL: no logging */
	void *log_payload;      /**< passed to @ref log */
	int log_level;          /**< a limg_log_level; default LIMG_LOG_WARN */
} limg_context_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_CONTEXT_OPTS_INIT { sizeof(limg_context_opts), NULL, NULL, NULL, LIMG_LOG_WARN }

/**
 * Fills @p opts with the defaults, for callers that cannot use the macro.
 *
 * @param opts the struct to fill
 * @param size sizeof(*opts) as the caller knows it
 * @return 0, or LIMG_EINVALID if @p opts is NULL or @p size too small
 * @since 0.1
 */
LIMG_EXTERN(int) limg_context_opts_init(limg_context_opts *opts, size_t size);

/**
 * Creates a context.
 *
 * @param out receives the context; the caller frees it with limg_context_free()
 * @param opts options, or NULL for the defaults
 * @return 0, LIMG_EINVALID, LIMG_EVERSION (options newer than this library), LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_context_new(limg_context **out, const limg_context_opts *opts);

/** Frees a context; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_context_free(limg_context *ctx);

/**
 * The User-Agent sent to registries.
 * @return borrowed until the context is freed; never NULL for a valid context.
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_context_user_agent(const limg_context *ctx);

/**
 * Replaces the log callback and level. Not safe while other threads use @p ctx.
 *
 * @param ctx the context
 * @param log the callback, or NULL to stop logging
 * @param level the highest limg_log_level delivered
 * @param payload passed to @p log
 * @return 0 or LIMG_EINVALID
 * @since 0.1
 */
LIMG_EXTERN(int) limg_context_set_log(limg_context *ctx, limg_log_cb log, int level, void *payload);

LIMG_END_DECL

#endif /* LIBIMAGE_CONTEXT_H */
