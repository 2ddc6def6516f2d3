/* SPDX-License-Identifier: MIT */
/* The strict TOML subset reader (see toml.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "toml.h"

#define DEPTH_MAX 8
#define ITEMS_MAX 10000

typedef struct {
	const char *p, *end;
	int line;
	const char *label;
	limg__toml *root;
	int items; /* in all: bounded */
} parser;

static int fail(parser *ps, const char *fmt, ...) LIMG_PRINTF(2, 3);

static int fail(parser *ps, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return limg__error_set(LIMG_ECORRUPT, "%s:%d: %s", ps->label, ps->line, what);
}

static limg__toml *node(parser *ps, limg__toml_type type)
{
	limg__toml *n;

	if (++ps->items > ITEMS_MAX || !(n = limg__calloc(1, sizeof *n)))
		return NULL;
	n->type = type;
	n->line = ps->line;
	return n;
}

void limg__toml_free(limg__toml *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++)
		limg__toml_free(t->items[i]);
	limg__free(t->items);
	limg__free(t->key);
	limg__free(t->string);
	limg__free(t);
}

static int append(limg__toml *parent, limg__toml *child)
{
	if (limg__array_grow((void **)&parent->items, &parent->cap, parent->count + 1, sizeof *parent->items) < 0)
		return -1;
	parent->items[parent->count++] = child;
	return 0;
}

const limg__toml *limg__toml_get(const limg__toml *table, const char *key)
{
	if (!table || table->type != LIMG_TOML_TABLE)
		return NULL;
	for (size_t i = 0; i < table->count; i++)
		if (!strcmp(table->items[i]->key, key))
			return table->items[i];
	return NULL;
}

static void skip_blank(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Whitespace, a comment, then the end of the line (or the text). */
static int end_of_line(parser *ps)
{
	skip_blank(ps);
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n') {
			if ((unsigned char)*ps->p < 0x20 && *ps->p != '\t' && *ps->p != '\r')
				return fail(ps, "a control character in a comment");
			ps->p++;
		}
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p < ps->end && *ps->p != '\n')
		return fail(ps, "unexpected '%c' after the value", *ps->p);
	if (ps->p < ps->end) {
		ps->p++;
		ps->line++;
	}
	return 0;
}

/* A basic ("...") or literal ('...') one-line string; *out is malloc'd. */
static int string(parser *ps, char **out)
{
	char quote = *ps->p;
	limg_buf s = LIMG_BUF_INIT;
	int rc = 0;

	if (ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote)
		return fail(ps, "multi-line strings are not supported in hosts.toml");
	ps->p++;
	for (;;) {
		unsigned char c;
		size_t n;
		if (ps->p >= ps->end || *ps->p == '\n') {
			rc = fail(ps, "a string that does not end on its line");
			break;
		}
		c = (unsigned char)*ps->p;
		if (c == (unsigned char)quote) {
			ps->p++;
			break;
		}
		if (c < 0x20 && c != '\t') {
			rc = fail(ps, "a control character in a string");
			break;
		}
		if (c == '\\' && quote == '"') {
			uint32_t cp = 0;
			int digits = 0;
			char e = ps->p + 1 < ps->end ? ps->p[1] : 0;
			const char *simple = strchr("btnfr\"\\", e);
			ps->p += 2;
			if (e && simple) {
				static const char map[] = "\b\t\n\f\r\"\\";
				char ch = map[simple - "btnfr\"\\"];
				if (limg__buf_put(&s, &ch, 1) < 0)
					rc = limg__error_oom();
				if (rc)
					break;
				continue;
			}
			if (e != 'u' && e != 'U') {
				rc = fail(ps, "an unknown escape in a string");
				break;
			}
			digits = e == 'u' ? 4 : 8;
			for (int i = 0; i < digits; i++, ps->p++) {
				char h = ps->p < ps->end ? *ps->p : 0;
				int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
				        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
				if (v < 0) {
					digits = -1;
					break;
				}
				cp = cp << 4 | (uint32_t)v;
			}
			if (digits < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
				rc = fail(ps, "a bad \\u escape in a string");
				break;
			}
			if (limg__buf_put_utf8(&s, cp) < 0) {
				rc = limg__error_oom();
				break;
			}
			continue;
		}
		if (!(n = limg__utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p)))) {
			rc = fail(ps, "a string that is not UTF-8");
			break;
		}
		if (limg__buf_put(&s, ps->p, n) < 0) {
			rc = limg__error_oom();
			break;
		}
		ps->p += n;
	}
	if (rc) {
		limg_buf_dispose(&s);
		return rc;
	}
	if (!s.ptr && !(s.ptr = limg__strdup("")))
		return limg__error_oom();
	*out = s.ptr;
	return 0;
}

static bool bare_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int key(parser *ps, char **out)
{
	const char *start = ps->p;

	*out = NULL;
	if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\''))
		return string(ps, out);
	while (ps->p < ps->end && bare_char(*ps->p))
		ps->p++;
	if (ps->p == start)
		return fail(ps, ps->p < ps->end ? "'%c' cannot start a key" : "a key is missing",
		            ps->p < ps->end ? *ps->p : ' ');
	if (!(*out = limg__strndup(start, (size_t)(ps->p - start))))
		return limg__error_oom();
	return 0;
}

static int value(parser *ps, limg__toml **out, int depth);

/* Whitespace, newlines and comments inside an array. */
static int array_blank(parser *ps)
{
	for (;;) {
		skip_blank(ps);
		if (ps->p < ps->end && *ps->p == '#') {
			int rc = end_of_line(ps);
			if (rc)
				return rc;
			continue;
		}
		if (ps->p < ps->end && (*ps->p == '\n' || *ps->p == '\r')) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
			continue;
		}
		return 0;
	}
}

static int array(parser *ps, limg__toml **out, int depth)
{
	limg__toml *a = node(ps, LIMG_TOML_ARRAY);
	int rc;

	if (!a)
		return ps->items > ITEMS_MAX ? fail(ps, "too many values") : limg__error_oom();
	if (depth >= DEPTH_MAX) {
		limg__toml_free(a);
		return fail(ps, "arrays nested too deep");
	}
	ps->p++;
	for (;;) {
		limg__toml *item;
		if ((rc = array_blank(ps)) < 0)
			break;
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			*out = a;
			return 0;
		}
		if ((rc = value(ps, &item, depth + 1)) < 0)
			break;
		if (append(a, item) < 0) {
			limg__toml_free(item);
			rc = limg__error_oom();
			break;
		}
		if ((rc = array_blank(ps)) < 0)
			break;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']')
			continue;
		rc = fail(ps, "an array needs ',' or ']' here");
		break;
	}
	limg__toml_free(a);
	return rc;
}

static int value(parser *ps, limg__toml **out, int depth)
{
	limg__toml *v;
	size_t left = (size_t)(ps->end - ps->p);
	int rc;

	*out = NULL;
	if (!left || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '#')
		return fail(ps, "a value is missing");
	if (*ps->p == '[')
		return array(ps, out, depth);
	if (*ps->p == '{')
		return fail(ps, "inline tables are not supported in hosts.toml");
	if (!(v = node(ps, LIMG_TOML_STRING)))
		return ps->items > ITEMS_MAX ? fail(ps, "too many values") : limg__error_oom();
	if (*ps->p == '"' || *ps->p == '\'') {
		if ((rc = string(ps, &v->string)) < 0) {
			limg__toml_free(v);
			return rc;
		}
	} else if (left >= 4 && !strncmp(ps->p, "true", 4) && (left == 4 || !bare_char(ps->p[4]))) {
		v->type = LIMG_TOML_BOOL;
		v->integer = 1;
		ps->p += 4;
	} else if (left >= 5 && !strncmp(ps->p, "false", 5) && (left == 5 || !bare_char(ps->p[5]))) {
		v->type = LIMG_TOML_BOOL;
		ps->p += 5;
	} else {
		const char *start = ps->p;
		bool neg = *ps->p == '-';
		int64_t n = 0;
		if (*ps->p == '+' || *ps->p == '-')
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9' || (*ps->p == '0' && ps->p + 1 < ps->end &&
		                                                          bare_char(ps->p[1]))) {
			limg__toml_free(v);
			ps->p = start;
			return fail(ps, "a value of a kind hosts.toml does not use (dates, floats, bare words)");
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
			if (n > (INT64_MAX - 9) / 10) {
				limg__toml_free(v);
				return fail(ps, "an integer too large");
			}
			n = n * 10 + (*ps->p++ - '0');
		}
		if (ps->p < ps->end && (bare_char(*ps->p) || *ps->p == '.' || *ps->p == ':')) {
			limg__toml_free(v);
			return fail(ps, "a value of a kind hosts.toml does not use (dates, floats, bare words)");
		}
		v->type = LIMG_TOML_INT;
		v->integer = neg ? -n : n;
	}
	*out = v;
	return 0;
}

/* [a."b".c]: the table it names, made where missing. */
static int header(parser *ps, limg__toml **current)
{
	limg__toml *t = ps->root;
	int rc;

	ps->p++;
	if (ps->p < ps->end && *ps->p == '[')
		return fail(ps, "arrays of tables are not supported in hosts.toml");
	for (;;) {
		char *k;
		limg__toml *next;
		skip_blank(ps);
		if ((rc = key(ps, &k)) < 0)
			return rc;
		next = (limg__toml *)limg__toml_get(t, k);
		if (next && next->type != LIMG_TOML_TABLE) {
			limg__free(k);
			return fail(ps, "%s is a value, not a table", next->key);
		}
		if (!next) {
			if (!(next = node(ps, LIMG_TOML_TABLE)) || append(t, next) < 0) {
				limg__free(k);
				limg__toml_free(next);
				return ps->items > ITEMS_MAX ? fail(ps, "too many values") : limg__error_oom();
			}
			next->key = k;
		} else {
			limg__free(k);
		}
		t = next;
		skip_blank(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			break;
		}
		return fail(ps, "a table header needs '.' or ']' here");
	}
	if (t->integer) /* (a table's integer: defined by a header already) */
		return fail(ps, "table [%s] defined twice", t->key);
	t->integer = 1;
	*current = t;
	return end_of_line(ps);
}

static int pair(parser *ps, limg__toml *table)
{
	limg__toml *v;
	char *k;
	int rc;

	if ((rc = key(ps, &k)) < 0)
		return rc;
	skip_blank(ps);
	if (ps->p < ps->end && *ps->p == '.') {
		limg__free(k);
		return fail(ps, "dotted keys are not supported in hosts.toml; use a [table]");
	}
	if (ps->p >= ps->end || *ps->p != '=') {
		limg__free(k);
		return fail(ps, "'=' expected after a key");
	}
	ps->p++;
	skip_blank(ps);
	if (limg__toml_get(table, k)) {
		rc = fail(ps, "key %s defined twice", k);
		limg__free(k);
		return rc;
	}
	if ((rc = value(ps, &v, 0)) < 0) {
		limg__free(k);
		return rc;
	}
	v->key = k;
	if (append(table, v) < 0) {
		limg__toml_free(v);
		return limg__error_oom();
	}
	return end_of_line(ps);
}

int limg__toml_parse(limg__toml **out, const char *text, size_t len, const char *label)
{
	parser ps = { text, text + len, 1, label, NULL, 0 };
	limg__toml *current;
	int rc = 0;

	*out = NULL;
	if (!(ps.root = node(&ps, LIMG_TOML_TABLE)))
		return limg__error_oom();
	ps.root->integer = 1;
	current = ps.root;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		ps.p += 3; /* a byte order mark */
	while (rc == 0 && ps.p < ps.end) {
		skip_blank(&ps);
		if (ps.p >= ps.end)
			break;
		if (*ps.p == '#' || *ps.p == '\n' || *ps.p == '\r')
			rc = end_of_line(&ps);
		else if (*ps.p == '[')
			rc = header(&ps, &current);
		else
			rc = pair(&ps, current);
	}
	if (rc < 0) {
		limg__toml_free(ps.root);
		return rc;
	}
	*out = ps.root;
	return 0;
}
