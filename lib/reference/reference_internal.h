/* SPDX-License-Identifier: MIT */
/* Building reference objects; shared by the parse and normalize files. */
#ifndef LIMG_REFERENCE_INTERNAL_H
#define LIMG_REFERENCE_INTERNAL_H

#include "libimage/reference.h"
#include "grammar.h"

struct limg_reference {
	const char *full;          /* name[:tag][@digest], or the bare digest */
	const char *name;          /* NULL for a bare digest */
	const char *domain;        /* "" when none */
	const char *path;          /* NULL for a bare digest */
	const char *tag;           /* NULL when none */
	const char *digest;        /* NULL when none */
	const char *familiar;      /* a suffix of full */
	const char *familiar_name; /* a suffix of name */
	char text[];               /* all of the above, in one allocation */
};

/* One piece of text: pointer and length (len 0 with ptr NULL: absent). */
typedef struct {
	const char *ptr;
	size_t len;
} limg__span;

/* Makes a reference from its parts; name.ptr NULL means a bare digest. */
int limg__ref_build(limg_reference **out, limg__span name, size_t domain_len, limg__span tag,
                    limg__span digest);

/* Strict parse of @s (@n bytes) into spans. Returns 0 or an error code
 * without raising it. */
int limg__ref_scan(const char *s, size_t n, limg__ref_spans *sp);

/* Raises @code with a message naming @input. */
int limg__ref_raise(int code, const char *input, size_t n);

#endif
