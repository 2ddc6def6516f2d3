/* SPDX-License-Identifier: MIT */
/* Lexical path cleaning (see path.h). */
#include <stdbool.h>
#include <string.h>

#include "path.h"

/* @clamp: ".." at the start stays there instead of failing. */
static int clean(const char *in, char *out, size_t cap, size_t name_max, bool clamp)
{
	size_t o = 0;
	const char *p = in;

	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* "//" and "." say nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;
			if (!o && !clamp)
				return -1; /* above the start */
			out[o] = '\0';
			slash = strrchr(out, '/');
			o = slash ? (size_t)(slash - out) : 0;
		} else {
			if (o + (o ? 1 : 0) + n + 1 > cap || (name_max && n > name_max))
				return -2;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

int limg__path_clean(const char *in, char *out, size_t cap, size_t name_max)
{
	return clean(in, out, cap, name_max, false);
}

int limg__path_clean_clamped(const char *in, char *out, size_t cap)
{
	return clean(in, out, cap, 0, true);
}
