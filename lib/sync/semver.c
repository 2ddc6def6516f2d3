/* SPDX-License-Identifier: MIT */
/*
 * Versions and ranges (see semver.h). A comparator with a partial version
 * ("1.2", "1.x") stands for every version it could be, as Masterminds
 * reads it: "=1.2" is 1.2.x, "<=1.2" is below 1.3.0, ">1.2" from 1.3.0 on;
 * every comparator is turned into an interval (or, for "!=", the outside
 * of one) and a version must be in all of an alternative's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "semver.h"

#define COMPARATORS_MAX 64
#define ALTERNATIVES_MAX 32

/* Digits as a number; false past 2^63 or when empty. */
static bool number(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* A pre-release: dot-separated [0-9A-Za-z-]+, numeric ones without leading zeros. */
static bool valid_pre(const char *s, size_t n)
{
	size_t start = 0;

	if (!n)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;
			bool numeric = true;
			if (!len)
				return false;
			for (size_t k = start; k < i; k++)
				numeric &= s[k] >= '0' && s[k] <= '9';
			if (numeric && len > 1 && s[start] == '0')
				return false;
			start = i + 1;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* "v"? N(.N(.N)?)? (-pre)? (+build)?; components may be x, X or * when @wild is given:
 * *wild receives how many components are fixed (3: none missing). */
static int parse_partial(limg__version *v, const char *text, size_t n, int *wild)
{
	uint64_t *part[3] = { &v->major, &v->minor, &v->patch };
	const char *p = text, *end = text + n, *plus;
	int fixed = 0;

	memset(v, 0, sizeof *v);
	if (p < end && (*p == 'v' || *p == 'V'))
		p++;
	if ((plus = memchr(p, '+', (size_t)(end - p)))) {
		if (!valid_pre(plus + 1, (size_t)(end - plus - 1)))
			return -1;
		end = plus; /* build metadata: not part of the version's precedence */
	}
	for (int i = 0; i < 3; i++) {
		const char *q = p;
		while (q < end && *q != '.' && *q != '-')
			q++;
		if (q - p == 1 && (*p == 'x' || *p == 'X' || *p == '*')) {
			if (!wild)
				return -1;
		} else if (!number(p, (size_t)(q - p), part[i]) || (fixed < i)) {
			return -1;
		} else {
			fixed++;
		}
		p = q;
		if (p >= end || *p == '-')
			break;
		p++; /* the '.' */
		if (i == 2)
			return -1; /* a fourth component */
	}
	if (p < end) {
		size_t len = (size_t)(end - p - 1);
		if (*p != '-' || !valid_pre(p + 1, len) || len >= sizeof v->pre)
			return -1;
		memcpy(v->pre, p + 1, len);
		v->pre[len] = '\0';
	}
	if (wild)
		*wild = fixed;
	else if (!fixed)
		return -1;
	return 0;
}

int limg__version_parse(limg__version *v, const char *text)
{
	return parse_partial(v, text, strlen(text), NULL);
}

static int compare_pre(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : !*a ? 1 : -1; /* a release is above its pre-releases */
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		uint64_t na, nb;
		bool da = number(a, la, &na), db = number(b, lb, &nb);
		int c;
		if (da && db)
			c = na < nb ? -1 : na > nb;
		else if (da != db)
			c = da ? -1 : 1; /* numeric identifiers are below alphanumeric ones */
		else if ((c = strncmp(a, b, la < lb ? la : lb)) == 0)
			c = la < lb ? -1 : la > lb;
		if (c)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return *a ? 1 : *b ? -1 : 0;
}

int limg__version_compare(const limg__version *a, const limg__version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return compare_pre(a->pre, b->pre);
}

/* ---- ranges --------------------------------------------------------------- */

/* One comparator as an interval [low, high) (or its outside, for "!="). */
typedef struct {
	bool has_low, low_open, has_high, high_closed, negate, none;
	limg__version low, high;
	bool names_pre; /* the comparator's version has a pre-release: pre-releases may match it */
} comparator;

typedef struct {
	comparator c[COMPARATORS_MAX];
	size_t n;
} alternative;

struct limg__semver_range {
	alternative alt[ALTERNATIVES_MAX];
	size_t n;
};

/* The first version past everything @v (with @fixed components) stands for. */
static limg__version next_after(const limg__version *v, int fixed)
{
	limg__version n = *v;

	n.pre[0] = '\0';
	if (fixed <= 1) {
		n.major++;
		n.minor = n.patch = 0;
	} else if (fixed == 2) {
		n.minor++;
		n.patch = 0;
	} else {
		n.patch++;
	}
	return n;
}

static void set_low(comparator *c, const limg__version *v, bool open)
{
	c->has_low = true;
	c->low = *v;
	c->low_open = open;
}

static void set_high(comparator *c, const limg__version *v, bool closed)
{
	c->has_high = true;
	c->high = *v;
	c->high_closed = closed;
}

/* What "op version" means, as an interval. */
static int make(comparator *c, const char *op, const limg__version *v, int fixed, char *why, size_t cap)
{
	limg__version nx = next_after(v, fixed);

	memset(c, 0, sizeof *c);
	c->names_pre = v->pre[0] != '\0';
	if (!*op || !strcmp(op, "=") || !strcmp(op, "!=")) {
		c->negate = op[0] == '!';
		if (!fixed) {
			c->none = c->negate; /* "*": everything (its negation, nothing) */
			c->negate = false;
			return 0;
		}
		set_low(c, v, false);
		if (fixed == 3)
			set_high(c, v, true);
		else
			set_high(c, &nx, false);
	} else if (!strcmp(op, ">")) {
		if (fixed == 3)
			set_low(c, v, true);
		else if (fixed)
			set_low(c, &nx, false);
		else
			c->none = true;
	} else if (!strcmp(op, ">=") || !strcmp(op, "=>")) {
		set_low(c, v, false);
	} else if (!strcmp(op, "<")) {
		set_high(c, v, false);
	} else if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (fixed == 3)
			set_high(c, v, true);
		else if (fixed)
			set_high(c, &nx, false);
	} else if (!strcmp(op, "~") || !strcmp(op, "~>")) {
		set_low(c, v, false);
		if (fixed) {
			limg__version hi = next_after(v, fixed >= 2 ? 2 : 1);
			set_high(c, &hi, false);
		}
	} else if (!strcmp(op, "^")) {
		limg__version hi = *v;
		set_low(c, v, false);
		hi.pre[0] = '\0';
		if (v->major > 0 || fixed <= 1)
			hi = next_after(v, 1);
		else if (v->minor > 0 || fixed == 2)
			hi = next_after(v, 2);
		else
			hi = next_after(v, 3);
		set_high(c, &hi, false);
	} else {
		snprintf(why, cap, "unknown operator \"%s\"", op);
		return -1;
	}
	return 0;
}

static bool in(const comparator *c, const limg__version *v)
{
	bool inside = true;

	if (c->none)
		return false;
	/* a pre-release only where the comparator asks for pre-releases */
	if (v->pre[0] && !c->names_pre)
		return false;
	if (c->has_low) {
		int k = limg__version_compare(v, &c->low);
		inside = c->low_open ? k > 0 : k >= 0;
	}
	if (inside && c->has_high) {
		int k = limg__version_compare(v, &c->high);
		inside = c->high_closed ? k <= 0 : k < 0;
	}
	return c->negate ? !inside : inside;
}

bool limg__semver_match(const limg__semver_range *r, const limg__version *v)
{
	for (size_t i = 0; i < r->n; i++) {
		bool all = true;
		for (size_t k = 0; k < r->alt[i].n && all; k++)
			all = in(&r->alt[i].c[k], v);
		if (all)
			return true;
	}
	return false;
}

void limg__semver_free(limg__semver_range *r)
{
	limg__free(r);
}

static bool version_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '*' || c == '+';
}

/* One alternative: comparators apart by spaces or commas, or "A - B". */
static int parse_alternative(alternative *a, const char *s, size_t n, char *why, size_t cap)
{
	const char *p = s, *end = s + n;

	a->n = 0;
	for (;;) {
		char op[3] = "";
		size_t on = 0;
		const char *vs;
		limg__version v;
		int fixed;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p >= end)
			break;
		while (p < end && strchr("=!<>~^", *p) && on < 2)
			op[on++] = *p++;
		op[on] = '\0';
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		vs = p;
		while (p < end && version_char(*p))
			p++;
		if (p == vs || parse_partial(&v, vs, (size_t)(p - vs), &fixed) < 0) {
			snprintf(why, cap, "\"%.*s\" is no version", (int)(p > vs ? p - vs : 1), p > vs ? vs : p < end ? p : "?");
			return -1;
		}
		if (a->n + 2 > COMPARATORS_MAX) {
			snprintf(why, cap, "more than %d comparators", COMPARATORS_MAX);
			return -1;
		}
		/* "A - B": a hyphen with spaces around it */
		{
			const char *q = p;
			while (q < end && *q == ' ')
				q++;
			if (!on && q > p && q + 1 < end && *q == '-' && q[1] == ' ') {
				limg__version hi;
				int hi_fixed;
				const char *hs;
				q += 2;
				while (q < end && *q == ' ')
					q++;
				hs = q;
				while (q < end && version_char(*q))
					q++;
				if (q == hs || parse_partial(&hi, hs, (size_t)(q - hs), &hi_fixed) < 0) {
					snprintf(why, cap, "a range \"A - B\" without a version after the hyphen");
					return -1;
				}
				if (make(&a->c[a->n++], ">=", &v, fixed, why, cap) < 0 ||
				    make(&a->c[a->n++], "<=", &hi, hi_fixed, why, cap) < 0)
					return -1;
				p = q;
				continue;
			}
		}
		if (make(&a->c[a->n++], op, &v, fixed, why, cap) < 0)
			return -1;
		if (p < end && *p != ' ' && *p != '\t' && *p != ',') {
			snprintf(why, cap, "unexpected '%c'", *p);
			return -1;
		}
	}
	if (!a->n) {
		snprintf(why, cap, "an empty range");
		return -1;
	}
	return 0;
}

int limg__semver_parse(limg__semver_range **out, const char *text, char *why, size_t cap)
{
	limg__semver_range *r;
	const char *p = text;

	*out = NULL;
	if (!(r = limg__calloc(1, sizeof *r))) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (;;) {
		const char *bar = strstr(p, "||");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (r->n == ALTERNATIVES_MAX) {
			snprintf(why, cap, "more than %d alternatives", ALTERNATIVES_MAX);
			limg__free(r);
			return -1;
		}
		if (parse_alternative(&r->alt[r->n++], p, n, why, cap) < 0) {
			limg__free(r);
			return -1;
		}
		if (!bar)
			break;
		p = bar + 2;
	}
	*out = r;
	return 0;
}
