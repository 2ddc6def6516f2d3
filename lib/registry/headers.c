/* SPDX-License-Identifier: MIT */
/* Headers a registry sends whose grammar is more than one value: Link
 * (RFC 8288) and Content-Range (RFC 9110 14.4), read strictly. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "registry_internal.h"

#define LINK_TARGET_MAX (16u << 10)

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Does the rel value (a token, or a quoted list of them) hold "next"? */
static bool rel_is_next(const char *v, size_t n)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j] != ' ')
			j++;
		if (j - i == 4 && !strncasecmp(v + i, "next", 4))
			return true;
		i = j + 1;
	}
	return false;
}

char *limg__link_next(const char *link)
{
	const char *p = link;

	if (!link)
		return NULL;
	for (;;) {
		const char *target, *end;
		bool next = false;

		p = skip_space(p);
		if (*p != '<')
			return NULL; /* not a link-value: nothing trusted from here on */
		target = p + 1;
		if (!(end = strchr(target, '>')) || (size_t)(end - target) > LINK_TARGET_MAX)
			return NULL;
		p = end + 1;
		/* parameters: ; name=value or ; name="quoted, maybe with , or ;" */
		for (;;) {
			const char *name, *value;
			size_t nlen, vlen;
			p = skip_space(p);
			if (*p != ';')
				break;
			p = skip_space(p + 1);
			name = p;
			while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ')
				p++;
			nlen = (size_t)(p - name);
			p = skip_space(p);
			value = p;
			vlen = 0;
			if (*p == '=') {
				p = skip_space(p + 1);
				value = p;
				if (*p == '"') {
					const char *q = strchr(p + 1, '"');
					if (!q)
						return NULL;
					p = q + 1;
				} else {
					while (*p && *p != ';' && *p != ',' && *p != ' ')
						p++;
				}
				vlen = (size_t)(p - value);
			}
			if (nlen == 3 && !strncasecmp(name, "rel", 3) && rel_is_next(value, vlen))
				next = true;
		}
		if (next)
			return limg__strndup(target, (size_t)(end - target));
		p = skip_space(p);
		if (*p != ',')
			return NULL;
		p++;
	}
}

/* A decimal number of at most 18 digits (no sign, no space). */
static const char *number(const char *p, int64_t *out)
{
	int64_t v = 0;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		if (++digits > 18)
			return NULL;
		v = v * 10 + (*p++ - '0');
	}
	if (!digits)
		return NULL;
	*out = v;
	return p;
}

int limg__content_range_parse(const char *s, int64_t *first, int64_t *last, int64_t *total)
{
	const char *p;

	if (!s || strncasecmp(s, "bytes ", 6) != 0)
		return -1;
	p = skip_space(s + 6);
	if (!(p = number(p, first)) || *p++ != '-' || !(p = number(p, last)) || *p++ != '/')
		return -1;
	if (*p == '*') {
		*total = -1;
		p++;
	} else if (!(p = number(p, total))) {
		return -1;
	}
	if (*skip_space(p) || *last < *first || (*total >= 0 && *last >= *total))
		return -1;
	return 0;
}
