/* SPDX-License-Identifier: MIT */
/* limg_context: settings shared by everything, and its log hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "libimage/version.h"
#include "context_internal.h"

int limg_context_opts_init(limg_context_opts *opts, size_t size)
{
	static const limg_context_opts defaults = LIMG_CONTEXT_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_context_new(limg_context **out, const limg_context_opts *opts)
{
	limg_context_opts o = LIMG_CONTEXT_OPTS_INIT;
	limg_allocator a = LIMG_ALLOCATOR_INIT;
	limg_context *ctx;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_context_opts")) < 0)
		return rc;
	if (o.allocator) {
		if ((rc = limg__opts_copy(&a, sizeof a, o.allocator, "limg_allocator")) < 0)
			return rc;
		/* none of the functions: the C library's (zero means the default) */
		if (!a.malloc != !a.free || (a.realloc && !a.malloc))
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "limg_allocator",
			                             "invalid argument: an allocator needs both malloc and free");
	}
	/* the context itself comes from its allocator */
	LIMG__ALLOCATOR_SET(a.malloc ? &a : NULL);
	if (!(ctx = limg__calloc(1, sizeof *ctx)))
		return limg__error_oom();
	ctx->allocator = a;
	if (!(ctx->user_agent = limg__strdup(o.user_agent ? o.user_agent : "libimage/" LIBIMAGE_VERSION))) {
		limg__free(ctx);
		return limg__error_oom();
	}
	*out = ctx;
	return 0;
}

void limg_context_free(limg_context *ctx)
{
	if (!ctx)
		return;
	limg__free(ctx->user_agent);
	limg__free(ctx);
}

const char *limg_context_user_agent(const limg_context *ctx)
{
	return ctx ? ctx->user_agent : NULL;
}

int limg_context_set_log(limg_context *ctx, limg_log_cb log, int level, void *payload)
{
	LIMG__ALLOCATOR_FROM(ctx);
	if (!ctx)
		return limg__error_invalid("ctx");
	if (level < LIMG_LOG_NONE || level > LIMG_LOG_TRACE)
		return limg__error_set(LIMG_EINVALID, "invalid argument: log level %d", level);
	ctx->log = log;
	ctx->log_level = level;
	ctx->log_payload = payload;
	return 0;
}

void limg__log(const limg_context *ctx, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!ctx || !ctx->log || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ctx->log(level, line, ctx->log_payload);
}

const char *limg__context_user_agent(const limg_context *ctx)
{
	return ctx ? ctx->user_agent : "libimage/" LIBIMAGE_VERSION;
}
