/* SPDX-License-Identifier: MIT */
/* The inside of limg_context, for the layers that read its settings. */
#ifndef LIMG_CONTEXT_INTERNAL_H
#define LIMG_CONTEXT_INTERNAL_H

#include "libimage/context.h"

struct limg_context {
	char *user_agent;
	limg_log_cb log;
	void *log_payload;
	int log_level;
	limg_allocator allocator; /* zero: the C library's */
};

#endif
