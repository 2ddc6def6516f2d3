/* SPDX-License-Identifier: MIT */
/*
 * WWW-Authenticate: challenge = scheme [ 1*SP #auth-param ], challenges
 * separated by commas, auth-param = token "=" ( token / quoted-string ).
 * A comma followed by a token that is not followed by "=" starts the next
 * challenge. Unknown parameters are skipped; values are bounded.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "challenge.h"
#include "core/core.h"

#define VALUE_MAX 4096

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] && is_tchar(p[n]))
		n++;
	return n;
}

static int malformed(const char *header, const char *why)
{
	char q[160];
	limg__quote(q, sizeof q, header, strlen(header));
	return limg__error_set(LIMG_EPROTOCOL, "malformed WWW-Authenticate header (%s): %s", why, q);
}

/* A token or quoted-string at *p, unescaped into a new string. */
static int read_value(char **out, const char **p, const char *header)
{
	const char *s = *p;
	char *v;
	size_t n = 0;

	if (*s == '"') {
		if (!(v = limg__malloc(VALUE_MAX + 1)))
			return limg__error_oom();
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (n == VALUE_MAX) {
				limg__free(v);
				return malformed(header, "value too long");
			}
			v[n++] = *s;
		}
		if (*s != '"') {
			limg__free(v);
			return malformed(header, "unterminated quoted string");
		}
		s++;
	} else {
		n = token_len(s);
		if (!n || n > VALUE_MAX)
			return malformed(header, "missing value");
		if (!(v = limg__malloc(n + 1)))
			return limg__error_oom();
		memcpy(v, s, n);
		s += n;
	}
	v[n] = '\0';
	*out = v;
	*p = s;
	return 0;
}

int limg__challenges_parse(limg__challenge *out, size_t *count, const char *header)
{
	const char *p = header;
	size_t n = 0;
	int rc = 0;

	*count = 0;
	memset(out, 0, sizeof *out * LIMG_CHALLENGES_MAX);
	if (!header)
		return malformed("", "empty");
	p = skip_ws(p);
	while (*p) {
		limg__challenge *c;
		size_t len = token_len(p);

		if (*p == ',') { /* empty list elements are allowed */
			p = skip_ws(p + 1);
			continue;
		}
		if (!len || len >= sizeof out->scheme) {
			rc = malformed(header, "expected an auth scheme");
			break;
		}
		if (n == LIMG_CHALLENGES_MAX) {
			rc = malformed(header, "too many challenges");
			break;
		}
		c = &out[n++];
		for (size_t i = 0; i < len; i++)
			c->scheme[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
		p = skip_ws(p + len);
		/* parameters until the next challenge */
		for (;;) {
			const char *name = p;
			size_t name_len = token_len(p);
			const char *after = skip_ws(p + name_len);
			char *value = NULL, **slot = NULL;

			if (!name_len || *after != '=')
				break; /* the end, or the next challenge's scheme */
			p = skip_ws(after + 1);
			if ((rc = read_value(&value, &p, header)) < 0)
				break;
#define PARAM(key, field)                                                        \
	if (name_len == sizeof key - 1 && !strncasecmp(name, key, name_len)) \
		slot = &c->field;
			PARAM("realm", realm)
			PARAM("service", service)
			PARAM("scope", scope)
			PARAM("error", error)
#undef PARAM
			if (slot) {
				limg__free(*slot);
				*slot = value;
			} else {
				limg__free(value);
			}
			p = skip_ws(p);
			if (*p == ',') {
				p = skip_ws(p + 1);
				continue;
			}
			if (*p) {
				rc = malformed(header, "expected a comma");
			}
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		limg__challenges_free(out, n);
		return rc;
	}
	if (!n)
		return malformed(header, "no challenge");
	*count = n;
	return 0;
}

void limg__challenges_free(limg__challenge *c, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		limg__free(c[i].realm);
		limg__free(c[i].service);
		limg__free(c[i].scope);
		limg__free(c[i].error);
		memset(&c[i], 0, sizeof c[i]);
	}
}
