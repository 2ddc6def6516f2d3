/* SPDX-License-Identifier: MIT */
/*
 * Shell-style matching of references, as `docker images REPO` does it: a
 * port of Go's path.Match (bytes rather than runes: references are ASCII),
 * tried on the familiar string, then on the familiar name.
 */
#include <string.h>

#include "core/core.h"
#include "reference_internal.h"

typedef struct {
	const char *p;
	size_t n;
} str_t;

enum { NO_MATCH = 0, MATCH = 1, BAD = -1 };

/* Splits off a run of "*" and the chunk of pattern up to the next one. */
static void scan_chunk(str_t *pattern, bool *star, str_t *chunk)
{
	size_t i;
	bool inrange = false;

	*star = false;
	while (pattern->n && pattern->p[0] == '*') {
		pattern->p++;
		pattern->n--;
		*star = true;
	}
	for (i = 0; i < pattern->n; i++) {
		char c = pattern->p[i];
		if (c == '\\') {
			if (i + 1 < pattern->n)
				i++;
		} else if (c == '[') {
			inrange = true;
		} else if (c == ']') {
			inrange = false;
		} else if (c == '*' && !inrange) {
			break;
		}
	}
	chunk->p = pattern->p;
	chunk->n = i;
	pattern->p += i;
	pattern->n -= i;
}

/* One possibly escaped character of a class. */
static int get_esc(str_t *chunk, unsigned char *r)
{
	if (!chunk->n || chunk->p[0] == '-' || chunk->p[0] == ']')
		return BAD;
	if (chunk->p[0] == '\\') {
		chunk->p++;
		chunk->n--;
		if (!chunk->n)
			return BAD;
	}
	*r = (unsigned char)chunk->p[0];
	chunk->p++;
	chunk->n--;
	return chunk->n ? 0 : BAD;
}

/* Matches @chunk at the start of @s; on MATCH, *@rest is what is left of s.
 * After a failure the chunk is still read to the end to report BAD syntax. */
static int match_chunk(str_t chunk, str_t s, str_t *rest)
{
	bool failed = false;

	while (chunk.n) {
		if (!failed && !s.n)
			failed = true;
		switch (chunk.p[0]) {
		case '[': {
			unsigned char r = 0, lo, hi;
			bool negated = false, match = false;
			int nrange = 0;
			if (!failed) {
				r = (unsigned char)s.p[0];
				s.p++;
				s.n--;
			}
			chunk.p++;
			chunk.n--;
			if (chunk.n && chunk.p[0] == '^') {
				negated = true;
				chunk.p++;
				chunk.n--;
			}
			for (;;) {
				if (chunk.n && chunk.p[0] == ']' && nrange > 0) {
					chunk.p++;
					chunk.n--;
					break;
				}
				if (get_esc(&chunk, &lo) < 0)
					return BAD;
				hi = lo;
				if (chunk.p[0] == '-') {
					chunk.p++;
					chunk.n--;
					if (get_esc(&chunk, &hi) < 0)
						return BAD;
				}
				if (lo <= r && r <= hi)
					match = true;
				nrange++;
			}
			if (match == negated)
				failed = true;
			break;
		}
		case '?':
			if (!failed) {
				if (s.p[0] == '/')
					failed = true;
				s.p++;
				s.n--;
			}
			chunk.p++;
			chunk.n--;
			break;
		case '\\':
			chunk.p++;
			chunk.n--;
			if (!chunk.n)
				return BAD;
			/* fall through */
		default:
			if (!failed) {
				if (chunk.p[0] != s.p[0])
					failed = true;
				s.p++;
				s.n--;
			}
			chunk.p++;
			chunk.n--;
			break;
		}
	}
	if (failed)
		return NO_MATCH;
	*rest = s;
	return MATCH;
}

static int path_match(const char *pat, const char *name)
{
	str_t pattern = { pat, strlen(pat) }, s = { name, strlen(name) };

	while (pattern.n) {
		bool star;
		str_t chunk, t;
		int m;

		scan_chunk(&pattern, &star, &chunk);
		if (star && !chunk.n)
			return memchr(s.p, '/', s.n) ? NO_MATCH : MATCH; /* trailing "*" */
		m = match_chunk(chunk, s, &t);
		if (m == MATCH && (!t.n || pattern.n)) {
			s = t;
			continue;
		}
		if (m == BAD)
			return BAD;
		if (star) {
			bool found = false;
			for (size_t i = 0; i < s.n && s.p[i] != '/'; i++) {
				str_t sub = { s.p + i + 1, s.n - i - 1 };
				m = match_chunk(chunk, sub, &t);
				if (m == MATCH) {
					if (!pattern.n && t.n)
						continue;
					s = t;
					found = true;
					break;
				}
				if (m == BAD)
					return BAD;
			}
			if (found)
				continue;
		}
		/* No match: still report a malformed rest of the pattern. */
		while (pattern.n) {
			str_t empty = { "", 0 };
			scan_chunk(&pattern, &star, &chunk);
			if (match_chunk(chunk, empty, &t) == BAD)
				return BAD;
		}
		return NO_MATCH;
	}
	return s.n == 0 ? MATCH : NO_MATCH;
}

int limg_reference_familiar_match(int *out_matched, const limg_reference *ref, const char *pattern)
{
	int m;

	if (!out_matched)
		return limg__error_invalid("out_matched");
	*out_matched = 0;
	if (!ref || !pattern)
		return limg__error_invalid(ref ? "pattern" : "reference");
	m = path_match(pattern, limg_reference_familiar_string(ref));
	if (m == NO_MATCH && limg_reference_name(ref))
		m = path_match(pattern, limg_reference_familiar_name(ref));
	if (m == BAD) {
		char q[256];
		limg__quote(q, sizeof q, pattern, strlen(pattern));
		return limg__error_set(LIMG_EPATTERN, "syntax error in pattern: %s", q);
	}
	*out_matched = m == MATCH;
	return 0;
}
