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
	limg_context *ctx;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_context_opts")) < 0)
		return rc;

	ctx = limg__calloc(1, sizeof *ctx);
	if (!ctx)
		return limg__error_oom();
	ctx->user_agent = limg__strdup(o.user_agent ? o.user_agent : "libimage/" LIBIMAGE_VERSION);
	if (!ctx->user_agent) {
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
