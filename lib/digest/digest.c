/* SPDX-License-Identifier: MIT */
/* Parsing and validating "algorithm:hex" digests. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest_internal.h"

struct limg_digest {
	int algorithm;
	size_t hex_offset;
	char str[]; /* "algorithm:hex" */
};

static const struct {
	int id;
	const char *name;
	size_t name_len;
	size_t hex_len;
} algorithms[] = {
	{ LIMG_DIGEST_SHA256, "sha256", 6, 64 },
	{ LIMG_DIGEST_SHA512, "sha512", 6, 128 },
};

const char *limg_digest_algorithm_name(int algorithm)
{
	for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
		if (algorithms[i].id == algorithm)
			return algorithms[i].name;
	return NULL;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_lower_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

/* go-digest's DigestRegexp, anchored:
 * [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+ */
static bool matches_digest_pattern(const char *s, size_t n, size_t colon)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;
		while (i < colon && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == colon)
			break;
		if (!strchr(".+_-", s[i]))
			return false;
		i++;
	}
	if (colon + 1 >= n)
		return false;
	for (i = colon + 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '=' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int limg__digest_check(const char *s, size_t n, int *algo)
{
	const char *colon = memchr(s, ':', n);
	size_t i, alg_len, hex_len;

	if (!colon || colon == s || (size_t)(colon - s) + 1 == n)
		return LIMG_EDIGEST_FORMAT;
	alg_len = (size_t)(colon - s);
	hex_len = n - alg_len - 1;
	for (i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
		if (algorithms[i].name_len == alg_len && !memcmp(algorithms[i].name, s, alg_len))
			break;
	if (i == sizeof algorithms / sizeof algorithms[0])
		return matches_digest_pattern(s, n, alg_len) ? LIMG_EDIGEST_UNSUPPORTED : LIMG_EDIGEST_FORMAT;
	if (hex_len != algorithms[i].hex_len)
		return LIMG_EDIGEST_LENGTH;
	for (size_t j = alg_len + 1; j < n; j++)
		if (!is_lower_hex(s[j]))
			return LIMG_EDIGEST_FORMAT;
	if (algo)
		*algo = algorithms[i].id;
	return 0;
}

int limg__digest_raise(int code, const char *s, size_t n)
{
	char q[256];

	limg__quote(q, sizeof q, s, n);
	return limg__error_set(code, "%s: %s", limg_strerror(code), q);
}

int limg_digest_validate(const char *str)
{
	int rc;

	if (!str)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(str, strlen(str), NULL)) < 0)
		return limg__digest_raise(rc, str, strlen(str));
	return 0;
}

int limg_digest_parse(limg_digest **out, const char *str)
{
	limg_digest *d;
	size_t n;
	int rc, algo = 0;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!str)
		return limg__error_invalid("digest");
	n = strlen(str);
	if ((rc = limg__digest_check(str, n, &algo)) < 0)
		return limg__digest_raise(rc, str, n);
	d = limg__malloc(sizeof *d + n + 1);
	if (!d)
		return limg__error_oom();
	d->algorithm = algo;
	d->hex_offset = (size_t)(strchr(str, ':') - str) + 1;
	memcpy(d->str, str, n + 1);
	*out = d;
	return 0;
}

void limg_digest_free(limg_digest *digest)
{
	limg__free(digest);
}

const char *limg_digest_string(const limg_digest *digest)
{
	return digest ? digest->str : NULL;
}

const char *limg_digest_hex(const limg_digest *digest)
{
	return digest ? digest->str + digest->hex_offset : NULL;
}

int limg_digest_algorithm(const limg_digest *digest)
{
	return digest ? digest->algorithm : 0;
}

int limg_digest_equal(const limg_digest *a, const limg_digest *b)
{
	return a && b && strcmp(a->str, b->str) == 0;
}
