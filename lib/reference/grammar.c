/* SPDX-License-Identifier: MIT */
/*
 * Hand-written matchers for the reference grammar. The Go regexps they
 * reproduce (distribution/reference regexp.go) are quoted beside each one.
 */
#include <string.h>

#include "grammar.h"

#define FAIL ((size_t)-1)

static inline bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static inline bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static inline char at(const char *s, size_t i, bool fold)
{
	char c = s[i];
	return (fold && c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c);
}

/* domainComponent = [a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?
 * domainName = domainComponent(\.domainComponent)*
 * ipv6 = \[[a-fA-F0-9:]+\]   host = domainName | ipv6   domain = host(:[0-9]+)? */
bool limg__ref_match_domain(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		i = 1;
		while (i < n && (is_hex(s[i]) || s[i] == ':'))
			i++;
		if (i == 1 || i >= n || s[i] != ']')
			return false;
		i++;
	} else {
		for (;;) {
			size_t start = i;
			while (i < n && (is_alnum(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* pathComponent = [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
 * Returns the end of the component, or FAIL when none starts at @i. A
 * separator not followed by [a-z0-9] is left for the caller to reject. */
static inline size_t scan_component(const char *s, size_t i, size_t n, bool fold)
{
	if (i >= n || !is_lower_alnum(at(s, i, fold)))
		return FAIL;
	while (i < n && is_lower_alnum(at(s, i, fold)))
		i++;
	while (i < n) {
		size_t j = i;
		char c = s[j];
		if (c == '.') {
			j++;
		} else if (c == '_') {
			j++;
			if (j < n && s[j] == '_')
				j++;
		} else if (c == '-') {
			while (j < n && s[j] == '-')
				j++;
		} else {
			break;
		}
		if (j >= n || !is_lower_alnum(at(s, j, fold)))
			break;
		while (j < n && is_lower_alnum(at(s, j, fold)))
			j++;
		i = j;
	}
	return i;
}

/* path = pathComponent(/pathComponent)*; returns where it ends, or FAIL. */
static inline size_t scan_path(const char *s, size_t i, size_t n, bool fold)
{
	for (;;) {
		i = scan_component(s, i, n, fold);
		if (i == FAIL)
			return FAIL;
		if (i < n && s[i] == '/') {
			i++;
			continue;
		}
		return i;
	}
}

/* The domain, when the text before the first "/" is one. Taking it is never
 * worse than not: the rest must match the same path grammar either way. */
static inline size_t split_domain(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);

	if (slash && limg__ref_match_domain(s, (size_t)(slash - s)))
		return (size_t)(slash - s);
	return 0;
}

bool limg__ref_match_name(const char *s, size_t n, size_t *domain_len)
{
	size_t d = split_domain(s, n);
	size_t end = scan_path(s, d ? d + 1 : 0, n, false);

	if (end != n)
		return false;
	if (domain_len)
		*domain_len = d;
	return true;
}

bool limg__ref_match_path(const char *s, size_t n)
{
	return scan_path(s, 0, n, false) == n;
}

bool limg__ref_match_tag(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* digest = [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,} */
bool limg__ref_match_digest(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || !is_alpha(s[i]))
			return false;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.')) {
			i++;
			continue;
		}
		break;
	}
	if (i >= n || s[i] != ':')
		return false;
	i++;
	if (n - i < 32)
		return false;
	for (; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

bool limg__ref_match_identifier(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* reference = name(?::tag)?(?:@digest)? */
bool limg__ref_match_reference(const char *s, size_t n, bool fold, limg__ref_spans *out)
{
	size_t d = split_domain(s, n);
	size_t i = scan_path(s, d ? d + 1 : 0, n, fold);
	size_t t;

	if (i == FAIL)
		return false;
	out->name_len = i;
	out->domain_len = d;
	out->tag_off = out->tag_len = 0;
	out->digest_off = out->digest_len = 0;
	if (i < n && s[i] == ':') {
		t = ++i;
		while (i < n && s[i] != '@')
			i++;
		if (!limg__ref_match_tag(s + t, i - t))
			return false;
		out->tag_off = t;
		out->tag_len = i - t;
	}
	if (i < n && s[i] == '@') {
		i++;
		if (!limg__ref_match_digest(s + i, n - i))
			return false;
		out->digest_off = i;
		out->digest_len = n - i;
		i = n;
	}
	return i == n;
}
