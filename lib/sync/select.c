/* SPDX-License-Identifier: MIT */
/* Choosing tags (see select.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "select.h"

/* What Go's \d \s \w mean, outside and inside a bracket expression. */
static const char *class_of(char c, bool inside)
{
	switch (c) {
	case 'd': return inside ? "0-9" : "[0-9]";
	case 'D': return inside ? NULL : "[^0-9]";
	case 's': return inside ? "[:space:]" : "[[:space:]]";
	case 'S': return inside ? NULL : "[^[:space:]]";
	case 'w': return inside ? "[:alnum:]_" : "[[:alnum:]_]";
	case 'W': return inside ? NULL : "[^[:alnum:]_]";
	default: return NULL;
	}
}

/*
 * glibc's regcomp copies a repeated subexpression once per count ("x{3}" is
 * "xxx", "x+" is "xx*"), so nested repetitions multiply: "((a{999}){999})"
 * or a run of '+' after a group asks it for gigabytes. Refused first, as Go's
 * regexp (skopeo's) refuses them: a repetition of a repetition ("a**", "a+{2}"),
 * a count over 1000, nesting deeper than 100 groups, and a pattern whose
 * copies would exceed REGEX_MAX_NODES. Reads the POSIX form (translated).
 */
#define REGEX_MAX_NODES 100000
#define REGEX_MAX_DEPTH 100
#define REGEX_MAX_COUNT 1000

/* "{n}", "{n,}", "{n,m}" at @p: its largest count (n+1 for "{n,}"), its length in *len; -1 when not one. */
static long repeat_count(const char *p, size_t *len)
{
	const char *q = p + 1;
	long n = 0, m = -1;

	if (*q < '0' || *q > '9')
		return -1;
	while (*q >= '0' && *q <= '9' && n <= REGEX_MAX_COUNT)
		n = n * 10 + (*q++ - '0');
	if (*q == ',') {
		q++;
		m = *q >= '0' && *q <= '9' ? 0 : n + 1;
		while (*q >= '0' && *q <= '9' && m <= REGEX_MAX_COUNT)
			m = m * 10 + (*q++ - '0');
	}
	if (*q != '}')
		return -1;
	*len = (size_t)(q - p) + 1;
	return m > n ? m : n;
}

static const char *regex_too_costly(const char *ere)
{
	int64_t total[REGEX_MAX_DEPTH + 1] = { 0 }, last[REGEX_MAX_DEPTH + 1] = { 0 };
	bool repeated[REGEX_MAX_DEPTH + 1] = { false };
	int depth = 0;

	for (const char *p = ere; *p; p++) {
		int64_t atom = 0, factor = 0;
		size_t len;
		long count;

		if (*p == '[') {
			/* a bracket expression is one atom: ']' first (or after '^') is a member, so are [:x:] */
			p += p[1] == '^' ? 2 : 1;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p += p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=') && strchr(p + 2, ']')
				     ? strchr(p + 2, ']') - p + 1 : 1;
			if (!*p)
				return NULL; /* regcomp says what is wrong */
			atom = 1;
		} else if (*p == '\\') {
			if (!*++p)
				return NULL;
			atom = 1;
		} else if (*p == '(') {
			if (depth == REGEX_MAX_DEPTH)
				return "the expression nests too deeply";
			depth++;
			total[depth] = last[depth] = 0;
			repeated[depth] = false;
			continue;
		} else if (*p == ')' && depth > 0) {
			atom = total[depth] > 0 ? total[depth] : 1;
			depth--;
		} else if (*p == '|') {
			last[depth] = 0;
			repeated[depth] = false;
			continue;
		} else if (*p == '*' || *p == '?') {
			factor = 1;
		} else if (*p == '+') {
			factor = 2;
		} else if (*p == '{' && (count = repeat_count(p, &len)) >= 0) {
			if (count > REGEX_MAX_COUNT)
				return "a repeat count over 1000";
			factor = count > 1 ? count : 1;
			p += len - 1;
		} else {
			atom = 1;
		}
		if (factor) {
			if (repeated[depth])
				return "a repetition of a repetition (\"a**\", \"a+{2}\")";
			if (!last[depth])
				continue; /* nothing to repeat: regcomp decides */
			total[depth] += last[depth] * (factor - 1);
			last[depth] *= factor;
			repeated[depth] = true;
		} else {
			total[depth] += atom;
			last[depth] = atom;
			repeated[depth] = false;
		}
		if (total[depth] > REGEX_MAX_NODES)
			return "too large once its repetitions are spelled out";
	}
	return NULL;
}

int limg__sync_regex_compile(regex_t *re, const char *pattern, char *why, size_t cap)
{
	const char *costly;
	limg_buf ere = LIMG_BUF_INIT;
	bool inside = false;
	size_t n = strlen(pattern);
	int rc;

	for (size_t i = 0; i < n; i++) {
		char c = pattern[i];
		const char *put = NULL;
		char one[3] = { c, 0, 0 };

		if (inside) {
			bool first = pattern[i - 1] == '[' || (i >= 2 && pattern[i - 1] == '^' && pattern[i - 2] == '[');
			if (c == ']' && !first)
				inside = false;
			else if (c == '\\') {
				char e = i + 1 < n ? pattern[++i] : 0;
				if ((put = class_of(e, true)) == NULL) {
					if (e && strchr("\\]-^.", e)) {
						/* a literal: POSIX brackets take it without the backslash (']' first, '-' last) */
						if (e == ']' || e == '-' || e == '^') {
							snprintf(why, cap, "'\\%c' inside [...] is not POSIX: put ']' first, '-' last, '^' not first",
							         e);
							goto refuse;
						}
						one[0] = e;
						put = one;
					} else {
						snprintf(why, cap, "'\\%c' inside [...] is not POSIX extended regular expression syntax",
						         e ? e : '?');
						goto refuse;
					}
				}
			}
		} else if (c == '[') {
			inside = true;
			/* a leading ']' (or "^]") belongs to the expression */
			if (i + 1 < n && pattern[i + 1] == '^') {
				if ((rc = limg__buf_put(&ere, "[^", 2)) < 0)
					goto oom;
				i++;
				continue;
			}
		} else if (c == '\\') {
			char e = i + 1 < n ? pattern[i + 1] : 0;
			if ((put = class_of(e, false)) != NULL) {
				i++;
			} else if (e && strchr("pPAzQEC", e)) {
				snprintf(why, cap, "'\\%c' is Go regexp syntax, not POSIX", e);
				goto refuse;
			} else if (!e) {
				snprintf(why, cap, "a trailing backslash");
				goto refuse;
			} else {
				one[1] = e;
				put = one;
				i++;
			}
		} else if (c == '(' && i + 1 < n && pattern[i + 1] == '?') {
			snprintf(why, cap, "\"(?\" (flags, non-capturing groups) is Go regexp syntax, not POSIX");
			goto refuse;
		} else if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && pattern[i + 1] == '?') {
			snprintf(why, cap, "lazy quantifiers (\"%c?\") are Go regexp syntax, not POSIX", c);
			goto refuse;
		}
		if ((rc = put ? limg__buf_put(&ere, put, strlen(put)) : limg__buf_put(&ere, &c, 1)) < 0)
			goto oom;
	}
	if (!ere.ptr && limg_buf_set(&ere, "", 0) < 0)
		goto oom;
	if ((costly = regex_too_costly(ere.ptr)) != NULL) {
		snprintf(why, cap, "%s", costly);
		goto refuse;
	}
	if ((rc = regcomp(re, ere.ptr, REG_EXTENDED | REG_NOSUB)) != 0) {
		char msg[160];
		regerror(rc, re, msg, sizeof msg);
		snprintf(why, cap, "%s", msg);
		goto refuse;
	}
	limg_buf_dispose(&ere);
	return 0;
oom:
	snprintf(why, cap, "out of memory");
refuse:
	limg_buf_dispose(&ere);
	limg_error_clear();
	return -1;
}

static int pattern_error(const char *origin, const char *what, const char *text, const char *why)
{
	char q[200];

	limg__quote(q, sizeof q, text, strlen(text));
	return limg__error_set_about(LIMG_EPATTERN, origin ? LIMG_SUBJECT_FILE : LIMG_SUBJECT_OPTIONS,
	                             origin ? origin : what, "%s%s%s %s: %s", origin ? origin : "", origin ? ": " : "",
	                             what, q, why);
}

int limg__tag_filter_init(limg__tag_filter *f, const char *regex, const char *exclude, const char *range, int latest,
                          const char *origin)
{
	char why[200];

	memset(f, 0, sizeof *f);
	f->latest = latest;
	if (latest < 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "latest", "invalid argument: latest %d",
		                             latest);
	if ((regex && !(f->regex_text = limg__strdup(regex))) || (exclude && !(f->exclude_text = limg__strdup(exclude))) ||
	    (range && !(f->range_text = limg__strdup(range)))) {
		limg__tag_filter_dispose(f);
		return limg__error_oom();
	}
	if (regex) {
		if (limg__sync_regex_compile(&f->regex, regex, why, sizeof why) < 0) {
			limg__tag_filter_dispose(f);
			return pattern_error(origin, "tag regex", regex, why);
		}
		f->has_regex = true;
	}
	if (exclude) {
		if (limg__sync_regex_compile(&f->exclude, exclude, why, sizeof why) < 0) {
			limg__tag_filter_dispose(f);
			return pattern_error(origin, "tag exclude regex", exclude, why);
		}
		f->has_exclude = true;
	}
	if (range && limg__semver_parse(&f->range, range, why, sizeof why) < 0) {
		limg__tag_filter_dispose(f);
		return pattern_error(origin, "version range", range, why);
	}
	return 0;
}

void limg__tag_filter_dispose(limg__tag_filter *f)
{
	if (f->has_regex)
		regfree(&f->regex);
	if (f->has_exclude)
		regfree(&f->exclude);
	limg__semver_free(f->range);
	limg__free(f->regex_text);
	limg__free(f->exclude_text);
	limg__free(f->range_text);
	memset(f, 0, sizeof *f);
}

bool limg__tag_filter_any(const limg__tag_filter *f)
{
	return f->has_regex || f->has_exclude || f->range || f->latest > 0;
}

typedef struct {
	char *tag;
	limg__version v;
	size_t order;
} ranked;

static int by_version_desc(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	int c = limg__version_compare(&y->v, &x->v);

	/* the same version written twice ("v1.2", "1.2.0"): the tag's text decides, then the order */
	if (!c)
		c = strcmp(x->tag, y->tag);
	return c ? c : (x->order < y->order ? -1 : 1);
}

static int by_order(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

void limg__tag_filter_apply(const limg__tag_filter *f, char **tags, size_t n, size_t *chosen)
{
	size_t k = 0;
	ranked *r = NULL;

	for (size_t i = 0; i < n; i++) {
		limg__version v;
		bool keep = true;
		if (f->has_regex && regexec(&f->regex, tags[i], 0, NULL, 0) != 0)
			keep = false;
		if (keep && f->has_exclude && regexec(&f->exclude, tags[i], 0, NULL, 0) == 0)
			keep = false;
		if (keep && (f->range || f->latest > 0) && limg__version_parse(&v, tags[i]) < 0)
			keep = false; /* a range and "the highest" speak of versions only */
		if (keep && f->range && !limg__semver_match(f->range, &v))
			keep = false;
		if (keep) {
			char *t = tags[k];
			tags[k++] = tags[i];
			tags[i] = t;
		}
	}
	if (f->latest > 0 && (size_t)f->latest < k && (r = limg__calloc(k, sizeof *r))) {
		for (size_t i = 0; i < k; i++) {
			r[i].tag = tags[i];
			r[i].order = i;
			limg__version_parse(&r[i].v, tags[i]);
		}
		qsort(r, k, sizeof *r, by_version_desc);
		qsort(r, (size_t)f->latest, sizeof *r, by_order);
		/* the N highest first, in their listing order; the rest after them */
		{
			char **kept = limg__calloc(k, sizeof *kept);
			if (kept) {
				size_t w = 0;
				for (size_t i = 0; i < k; i++)
					kept[w++] = r[i].tag;
				memcpy(tags, kept, k * sizeof *kept);
				limg__free(kept);
				k = (size_t)f->latest;
			}
		}
		limg__free(r);
	}
	*chosen = k;
}
