/* SPDX-License-Identifier: MIT */
/*
 * Docker-style parsing: normalization to docker.io/library, the default tag,
 * canonical-only and any-reference parsing (distribution/reference normalize.go).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "reference_internal.h"

#define DOCKER_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define LIBRARY "library/"

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

static bool span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* What Docker does to a reference before the strict parse: split off the
 * domain by its looks, default it to docker.io, add library/ for official
 * images. Writes "domain/remainder" into @dst (room for @n + 32 bytes) and
 * returns its length, or a negative code (raised). */
static long normalize_text(char *dst, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	const char *domain = DOCKER_DOMAIN, *rest = s;
	size_t domain_len = sizeof DOCKER_DOMAIN - 1, rest_len = n, o = 0;
	bool library;
	char q[256];

	if (limg__ref_match_identifier(s, n)) {
		limg__sanitize(q, sizeof q, s, n);
		return limg__error_set(LIMG_EREF_HEXNAME,
		                       "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", q);
	}
	if (slash) {
		const char *first = s;
		size_t first_len = (size_t)(slash - s);
		bool is_domain = span_is(first, first_len, "localhost") || memchr(first, '.', first_len) ||
		                 memchr(first, ':', first_len) || has_upper(first, first_len);
		if (span_is(first, first_len, LEGACY_DOMAIN) || is_domain) {
			if (!span_is(first, first_len, LEGACY_DOMAIN)) {
				domain = first;
				domain_len = first_len;
			}
			rest = slash + 1;
			rest_len = n - first_len - 1;
		}
	}
	library = span_is(domain, domain_len, DOCKER_DOMAIN) && !memchr(rest, '/', rest_len);

	/* The repository part (before any ":") must be lowercase. */
	{
		const char *colon = memchr(rest, ':', rest_len);
		size_t remote_len = colon ? (size_t)(colon - rest) : rest_len;
		if (has_upper(rest, remote_len)) {
			limg__sanitize(q, sizeof q, rest, remote_len);
			return limg__error_set(LIMG_EREF_UPPERCASE,
			                       "invalid reference format: repository name (%s%s) must be lowercase",
			                       library ? LIBRARY : "", q);
		}
	}

	memcpy(dst + o, domain, domain_len);
	o += domain_len;
	dst[o++] = '/';
	if (library) {
		memcpy(dst + o, LIBRARY, sizeof LIBRARY - 1);
		o += sizeof LIBRARY - 1;
	}
	memcpy(dst + o, rest, rest_len);
	o += rest_len;
	return (long)o;
}

/* How the default-tag rule treats the parsed parts. */
enum tag_policy { TAGS_AS_GIVEN, TAGS_DOCKER };

static int parse_normalized(limg_reference **out, const char *str, enum tag_policy policy)
{
	char stack[512], *text = stack;
	limg__ref_spans sp;
	limg__span name, tag = { NULL, 0 }, digest = { NULL, 0 };
	size_t n;
	long len;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!str)
		return limg__error_invalid("reference");
	n = strlen(str);
	if (n + 32 > sizeof stack) {
		if (n > ((size_t)-1) - 32 || !(text = limg__malloc(n + 32)))
			return limg__error_oom();
	}
	if ((len = normalize_text(text, str, n)) < 0) {
		rc = (int)len;
		goto done;
	}
	if ((rc = limg__ref_scan(text, (size_t)len, &sp)) < 0) {
		rc = limg__ref_raise(rc, str, n);
		goto done;
	}
	name.ptr = text;
	name.len = sp.name_len;
	if (sp.tag_len) {
		tag.ptr = text + sp.tag_off;
		tag.len = sp.tag_len;
	}
	if (sp.digest_len) {
		digest.ptr = text + sp.digest_off;
		digest.len = sp.digest_len;
	}
	if (policy == TAGS_DOCKER) {
		if (digest.ptr) {
			tag.ptr = NULL; /* a digest pins the image; a tag beside it is ignored */
			tag.len = 0;
		} else if (!tag.ptr) {
			tag.ptr = "latest";
			tag.len = 6;
		}
	}
	rc = limg__ref_build(out, name, sp.domain_len, tag, digest);
done:
	if (text != stack)
		limg__free(text);
	return rc;
}

int limg_reference_parse_normalized(limg_reference **out, const char *str)
{
	return parse_normalized(out, str, TAGS_AS_GIVEN);
}

int limg_reference_parse_docker(limg_reference **out, const char *str)
{
	return parse_normalized(out, str, TAGS_DOCKER);
}

int limg_reference_parse_canonical(limg_reference **out, const char *str)
{
	int rc = parse_normalized(out, str, TAGS_AS_GIVEN);

	if (rc < 0)
		return rc;
	if (strcmp(limg_reference_string(*out), str) != 0) {
		char q[256];
		limg__quote(q, sizeof q, str, strlen(str));
		rc = limg__error_set(LIMG_EREF_NOTCANONICAL, "repository name must be canonical: %s (canonical form: %s)",
		                     q, limg_reference_string(*out));
		limg_reference_free(*out);
		*out = NULL;
	}
	return rc;
}

int limg_reference_parse_any(limg_reference **out, const char *str)
{
	static const limg__span none = { NULL, 0 };
	char digest[7 + 64];
	size_t n;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!str)
		return limg__error_invalid("reference");
	n = strlen(str);
	if (limg__ref_match_identifier(str, n)) {
		limg__span d = { digest, sizeof digest };
		memcpy(digest, "sha256:", 7);
		memcpy(digest + 7, str, 64);
		return limg__ref_build(out, none, 0, none, d);
	}
	if (limg__digest_check(str, n, NULL) == 0) {
		limg__span d = { str, n };
		return limg__ref_build(out, none, 0, none, d);
	}
	return parse_normalized(out, str, TAGS_AS_GIVEN);
}
