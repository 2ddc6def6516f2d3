/* SPDX-License-Identifier: MIT */
/*
 * The strict YAML subset reader (see yaml.h). A cursor walks the text; the
 * column of what it points at is the indentation that decides where a
 * block belongs, also in the middle of a line ("- key: value" opens a map
 * at the column of "key").
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "yaml.h"

typedef struct {
	const char *text, *p, *end;
	const char *line_start; /* where the cursor's line starts: columns count from here */
	int line;
	const char *label;
	size_t nodes;
	int depth;
} parser;

static int fail(parser *ps, const char *fmt, ...) LIMG_PRINTF(2, 3);

static int fail(parser *ps, const char *fmt, ...)
{
	char what[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_FILE, ps->label, "%s:%d: %s", ps->label, ps->line, what);
}

void limg__yaml_free(limg__yaml *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->count; i++)
		limg__yaml_free(y->items[i]);
	limg__free(y->items);
	limg__free(y->key);
	limg__free(y->text);
	limg__free(y);
}

static int node(parser *ps, limg__yaml **out, limg__yaml_type type)
{
	if (++ps->nodes > LIMG_YAML_NODES_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, ps->label, "%s: more than %d values",
		                             ps->label, LIMG_YAML_NODES_MAX);
	if (!(*out = limg__calloc(1, sizeof **out)))
		return limg__error_oom();
	(*out)->type = type;
	(*out)->line = ps->line;
	return 0;
}

static int append(limg__yaml *parent, limg__yaml *child)
{
	int rc = limg__array_grow((void **)&parent->items, &parent->cap, parent->count + 1, sizeof *parent->items);

	if (rc < 0)
		return rc;
	parent->items[parent->count++] = child;
	return 0;
}

const limg__yaml *limg__yaml_get(const limg__yaml *map, const char *key)
{
	if (!map || map->type != LIMG_YAML_MAP)
		return NULL;
	for (size_t i = 0; i < map->count; i++)
		if (!strcmp(map->items[i]->key, key))
			return map->items[i];
	return NULL;
}

int limg__yaml_bool(const limg__yaml *y, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" }, *const no[] = { "false", "False", "FALSE" };

	if (!y || y->type != LIMG_YAML_SCALAR || y->quoted)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(y->text, yes[i]))
			return *out = true, 1;
		if (!strcmp(y->text, no[i]))
			return *out = false, 0;
	}
	return -1;
}

/* ---- the cursor ------------------------------------------------------- */

static int column(const parser *ps)
{
	return (int)(ps->p - ps->line_start);
}

static bool at_eol(const parser *ps)
{
	return ps->p >= ps->end || *ps->p == '\n' || (*ps->p == '\r' && (ps->p + 1 >= ps->end || ps->p[1] == '\n'));
}

static void skip_spaces(parser *ps)
{
	while (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
}

/* Past the end of the line (its '\n' included). */
static void next_line(parser *ps)
{
	while (ps->p < ps->end && *ps->p != '\n')
		ps->p++;
	if (ps->p < ps->end) {
		ps->p++;
		ps->line++;
	}
	ps->line_start = ps->p;
}

/* A comment runs to the end of its line; no control characters in it. */
static int skip_comment(parser *ps)
{
	if (ps->p < ps->end && *ps->p == '#')
		for (; !at_eol(ps); ps->p++)
			if ((unsigned char)*ps->p < 0x20 && *ps->p != '\t')
				return fail(ps, "a control character in a comment");
	return 0;
}

/* Spaces, a comment, then the end of the line: or what is there is refused. */
static int end_of_line(parser *ps)
{
	int rc;

	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
	if (ps->p < ps->end && *ps->p == '#' && ps->p > ps->line_start && ps->p[-1] != ' ' && ps->p[-1] != '\t')
		return fail(ps, "a '#' right after a value (a comment needs a space before it)");
	if ((rc = skip_comment(ps)) < 0)
		return rc;
	if (!at_eol(ps))
		return fail(ps, "unexpected text after the value");
	next_line(ps);
	return 0;
}

/* Moves to the next line that holds something (blank lines and comments
 * are passed over) and to its first character: the column is its
 * indentation. -1 at the end of the text; a tab in the indentation, a
 * second document or a directive are refused. On a line with something
 * left at the cursor, nothing moves. */
static int peek(parser *ps, int *col)
{
	int rc;

	for (;;) {
		bool fresh = ps->p == ps->line_start;
		skip_spaces(ps);
		if (ps->p < ps->end && *ps->p == '\t') {
			/* tabs: fine on a line with nothing else, never as indentation */
			const char *q = ps->p;
			while (q < ps->end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < ps->end && *q != '\n' && *q != '\r' && *q != '#')
				return fail(ps, "a tab in the indentation (YAML allows only spaces there)");
			ps->p = q;
		}
		if (ps->p >= ps->end) {
			*col = -1;
			return 0;
		}
		if (*ps->p == '#' || at_eol(ps)) {
			if ((rc = skip_comment(ps)) < 0)
				return rc;
			if (!at_eol(ps))
				return fail(ps, "a control character in a comment");
			if (ps->p >= ps->end) {
				*col = -1;
				return 0;
			}
			next_line(ps);
			continue;
		}
		if (fresh && column(ps) == 0) {
			if (ps->end - ps->p >= 3 && (!strncmp(ps->p, "---", 3) || !strncmp(ps->p, "...", 3)) &&
			    (ps->end - ps->p == 3 || ps->p[3] == ' ' || ps->p[3] == '\n' || ps->p[3] == '\r')) {
				*col = -1; /* a document marker: the caller decides what it means here */
				return 1;
			}
			if (*ps->p == '%')
				return fail(ps, "directives (%%YAML, %%TAG) are not supported");
		}
		*col = column(ps);
		return 0;
	}
}

/* ---- scalars ------------------------------------------------------------ */

static int put_utf8(parser *ps, limg_buf *out, uint32_t cp)
{
	if (cp == 0)
		return fail(ps, "a NUL character (\\0) in a string");
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return fail(ps, "an escape that is no Unicode character");
	return limg__buf_put_utf8(out, cp);
}

/* Text copied into @out as it is: valid UTF-8, no control characters. */
static int put_text(parser *ps, limg_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len;
		if (c < 0x20 && c != '\t')
			return fail(ps, "a control character in a value");
		if (c == 0x7F)
			return fail(ps, "a control character in a value");
		if (!(len = limg__utf8_len((const unsigned char *)s + i, n - i)))
			return fail(ps, "a value that is no valid UTF-8");
		i += len;
	}
	if (out->size + n > LIMG_YAML_SCALAR_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, ps->label, "%s:%d: a value longer than %u bytes",
		                             ps->label, ps->line, LIMG_YAML_SCALAR_MAX);
	return limg__buf_put(out, s, n);
}

static int hex_value(parser *ps, int digits, uint32_t *cp)
{
	*cp = 0;
	for (int i = 0; i < digits; i++, ps->p++) {
		char c = ps->p < ps->end ? *ps->p : 0;
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return fail(ps, "an escape with too few hex digits");
		*cp = *cp << 4 | (uint32_t)v;
	}
	return 0;
}

/* "..." on one line, with YAML's escapes. */
static int double_quoted(parser *ps, limg_buf *out)
{
	int rc;

	ps->p++;
	for (;;) {
		const char *run = ps->p;
		uint32_t cp;
		char c;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p != '\n' && *ps->p != '\r')
			ps->p++;
		if ((rc = put_text(ps, out, run, (size_t)(ps->p - run))) < 0)
			return rc;
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail(ps, "a quoted value must end on its line (multi-line values are not supported)");
		if (*ps->p++ == '"')
			return 0;
		c = ps->p < ps->end ? *ps->p++ : 0;
		switch (c) {
		case 'a': cp = 7; break;
		case 'b': cp = 8; break;
		case 't': case '\t': cp = 9; break;
		case 'n': cp = 10; break;
		case 'v': cp = 11; break;
		case 'f': cp = 12; break;
		case 'r': cp = 13; break;
		case 'e': cp = 27; break;
		case ' ': cp = ' '; break;
		case '"': cp = '"'; break;
		case '/': cp = '/'; break;
		case '\\': cp = '\\'; break;
		case 'N': cp = 0x85; break;
		case '_': cp = 0xA0; break;
		case 'L': cp = 0x2028; break;
		case 'P': cp = 0x2029; break;
		case 'x': if ((rc = hex_value(ps, 2, &cp)) < 0) return rc; break;
		case 'u': if ((rc = hex_value(ps, 4, &cp)) < 0) return rc; break;
		case 'U': if ((rc = hex_value(ps, 8, &cp)) < 0) return rc; break;
		case '0': return fail(ps, "a NUL character (\\0) in a string");
		default:
			/* "\." is a YAML error (a regular expression wants '\\.' in double quotes, or single quotes) */
			return fail(ps, "an unknown escape in a double-quoted value (write \\\\ for a backslash, or use single "
			                "quotes)");
		}
		if (cp < 0x20 && cp != '\t')
			return fail(ps, "a control character in a value");
		if ((rc = put_utf8(ps, out, cp)) < 0)
			return rc;
	}
}

/* '...' on one line; '' is a quote. */
static int single_quoted(parser *ps, limg_buf *out)
{
	int rc;

	ps->p++;
	for (;;) {
		const char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '\'' && *ps->p != '\n' && *ps->p != '\r')
			ps->p++;
		if ((rc = put_text(ps, out, run, (size_t)(ps->p - run))) < 0)
			return rc;
		if (ps->p >= ps->end || *ps->p != '\'')
			return fail(ps, "a quoted value must end on its line (multi-line values are not supported)");
		ps->p++;
		if (ps->p < ps->end && *ps->p == '\'') {
			if ((rc = limg__buf_put(out, "'", 1)) < 0)
				return rc;
			ps->p++;
			continue;
		}
		return 0;
	}
}

static bool plain_stop(const parser *ps, const char *q, bool flow)
{
	if (q >= ps->end || *q == '\n' || *q == '\r')
		return true;
	if (*q == ':' && (q + 1 >= ps->end || q[1] == ' ' || q[1] == '\n' || q[1] == '\r' || (flow && q[1] == ',')))
		return true;
	if (*q == '#' && q > ps->p && (q[-1] == ' ' || q[-1] == '\t'))
		return true;
	return flow && (*q == ',' || *q == '[' || *q == ']' || *q == '{' || *q == '}');
}

/* What YAML does with these at the start of a value is more than this
 * reader does: refused, with what to write instead. */
static int refuse_indicator(parser *ps)
{
	switch (*ps->p) {
	case '&': return fail(ps, "anchors (&) are not supported");
	case '*': return fail(ps, "aliases (*) are not supported");
	case '!': return fail(ps, "tags (!) are not supported");
	case '|':
	case '>': return fail(ps, "block scalars (| and >) are not supported: write the value on one line, in quotes "
	                          "if it starts with '>' (\">=1.2\")");
	case '%':
	case '@':
	case '`': return fail(ps, "a value cannot start with '%c': quote it", *ps->p);
	case '?': return fail(ps, "complex keys (?) are not supported");
	default: return 0;
	}
}

/* A plain (unquoted) scalar: up to ": ", " #", the end of the line (and in
 * a flow list, up to , [ ] { }); trailing spaces are not part of it. */
static int plain(parser *ps, limg_buf *out, bool flow)
{
	const char *start = ps->p, *q = ps->p, *last;
	int rc;

	if ((rc = refuse_indicator(ps)) < 0)
		return rc;
	if ((*q == '-' || *q == ':') && (q + 1 >= ps->end || q[1] == ' ' || q[1] == '\n' || q[1] == '\r'))
		return fail(ps, "a list or a mapping where a value was expected");
	while (!plain_stop(ps, q, flow))
		q++;
	last = q;
	while (last > start && (last[-1] == ' ' || last[-1] == '\t'))
		last--;
	ps->p = q;
	return put_text(ps, out, start, (size_t)(last - start));
}

/* A scalar at the cursor, into a new node: quoted or plain; "~", "null"
 * and nothing at all are null. */
static int scalar(parser *ps, limg__yaml **out, bool flow)
{
	limg_buf text = LIMG_BUF_INIT;
	bool quoted = ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'');
	int rc;

	if ((rc = node(ps, out, LIMG_YAML_SCALAR)) < 0)
		return rc;
	rc = !quoted ? plain(ps, &text, flow) : *ps->p == '"' ? double_quoted(ps, &text) : single_quoted(ps, &text);
	if (rc == 0 && !text.ptr)
		rc = limg_buf_set(&text, "", 0);
	if (rc < 0) {
		limg_buf_dispose(&text);
		limg__yaml_free(*out);
		*out = NULL;
		return rc;
	}
	(*out)->quoted = quoted;
	(*out)->text = text.ptr;
	if (!quoted && (!text.size || !strcmp(text.ptr, "~") || !strcmp(text.ptr, "null") || !strcmp(text.ptr, "Null") ||
	                !strcmp(text.ptr, "NULL")))
		(*out)->type = LIMG_YAML_NULL;
	return 0;
}

/* [a, "b", 'c'] on one line; {} (an empty map) too. */
static int flow(parser *ps, limg__yaml **out)
{
	limg__yaml *item;
	int rc;

	if (*ps->p == '{') {
		ps->p++;
		skip_spaces(ps);
		if (ps->p >= ps->end || *ps->p != '}')
			return fail(ps, "flow maps ({...}) are supported only empty ({})");
		ps->p++;
		return node(ps, out, LIMG_YAML_MAP);
	}
	if ((rc = node(ps, out, LIMG_YAML_LIST)) < 0)
		return rc;
	ps->p++;
	for (;;) {
		skip_spaces(ps);
		if (ps->p < ps->end && *ps->p == ']')
			break;
		if (at_eol(ps))
			goto fail_eol;
		if (*ps->p == '[' || *ps->p == '{' || *ps->p == ',' || *ps->p == ']') {
			rc = fail(ps, *ps->p == ',' || *ps->p == ']' ? "an empty item in a flow list"
			                                              : "nested flow collections are not supported");
			goto fail;
		}
		if ((rc = scalar(ps, &item, true)) < 0)
			goto fail;
		if (item->type == LIMG_YAML_NULL && !item->quoted && !*item->text) {
			limg__yaml_free(item);
			rc = fail(ps, "an empty item in a flow list");
			goto fail;
		}
		if ((rc = append(*out, item)) < 0) {
			limg__yaml_free(item);
			goto fail;
		}
		skip_spaces(ps);
		if (ps->p < ps->end && *ps->p == ':') {
			rc = fail(ps, "maps inside a flow list are not supported");
			goto fail;
		}
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']')
			break;
		if (at_eol(ps))
			goto fail_eol;
		rc = fail(ps, "expected ',' or ']' in a flow list");
		goto fail;
	}
	ps->p++;
	return 0;
fail_eol:
	rc = fail(ps, "a flow list must end on its line");
fail:
	limg__yaml_free(*out);
	*out = NULL;
	return rc;
}

/* ---- blocks ------------------------------------------------------------- */

static int block(parser *ps, int indent, limg__yaml **out);

/* Whether the cursor's line (from the cursor) is "key: ..." rather than a value. */
static bool looks_like_key(const parser *ps)
{
	const char *q = ps->p;

	if (q < ps->end && (*q == '"' || *q == '\'')) {
		char quote = *q++;
		while (q < ps->end && *q != '\n') {
			if (*q == '\\' && quote == '"' && q + 1 < ps->end) {
				q += 2;
				continue;
			}
			if (*q == quote) {
				if (quote == '\'' && q + 1 < ps->end && q[1] == '\'') {
					q += 2;
					continue;
				}
				q++;
				break;
			}
			q++;
		}
		while (q < ps->end && *q == ' ')
			q++;
		return q < ps->end && *q == ':' && (q + 1 >= ps->end || q[1] == ' ' || q[1] == '\n' || q[1] == '\r');
	}
	if (q < ps->end && (*q == '[' || *q == '{'))
		return false;
	for (; q < ps->end && *q != '\n'; q++) {
		if (*q == '#' && q > ps->p && q[-1] == ' ')
			return false;
		if (*q == ':' && (q + 1 >= ps->end || q[1] == ' ' || q[1] == '\n' || q[1] == '\r'))
			return true;
	}
	return false;
}

/* The value after "key:" or "- ": on the same line, or a block on the next lines. */
static int value(parser *ps, int indent, bool list_item, limg__yaml **out)
{
	int col, rc;

	skip_spaces(ps);
	if (at_eol(ps) || *ps->p == '#') {
		/* nothing here: a block below, deeper (or a list at the key's indentation) */
		if ((rc = end_of_line(ps)) < 0)
			return rc;
		if ((rc = peek(ps, &col)) < 0)
			return rc;
		if (rc == 0 && col > indent)
			return block(ps, col, out);
		if (rc == 0 && col == indent && !list_item && *ps->p == '-' &&
		    (ps->p + 1 >= ps->end || ps->p[1] == ' ' || ps->p[1] == '\n' || ps->p[1] == '\r'))
			return block(ps, col, out);
		return node(ps, out, LIMG_YAML_NULL);
	}
	if (list_item && (looks_like_key(ps) || (*ps->p == '-' && (ps->p + 1 >= ps->end || ps->p[1] == ' '))))
		return block(ps, column(ps), out); /* "- key: v" or "- - x": a block that starts here */
	if (*ps->p == '-' && (ps->p + 1 >= ps->end || ps->p[1] == ' ' || ps->p[1] == '\n'))
		return fail(ps, "a list cannot start on the line of its key");
	if (*ps->p == '[' || *ps->p == '{')
		rc = flow(ps, out);
	else if (looks_like_key(ps))
		return fail(ps, "a map cannot start on the line of its key");
	else
		rc = scalar(ps, out, false);
	if (rc == 0 && (rc = end_of_line(ps)) < 0) {
		limg__yaml_free(*out);
		*out = NULL;
	}
	if (rc == 0 && (*out)->type != LIMG_YAML_LIST && (*out)->type != LIMG_YAML_MAP && !list_item) {
		/* a plain value that goes on, deeper, on the next line: not supported */
		if ((rc = peek(ps, &col)) == 0 && col > indent)
			rc = fail(ps, "a value that goes on over several lines is not supported");
		if (rc < 0) {
			limg__yaml_free(*out);
			*out = NULL;
			return rc;
		}
		rc = 0;
	}
	return rc;
}

static int map(parser *ps, int indent, limg__yaml **out)
{
	int col, rc;

	if ((rc = node(ps, out, LIMG_YAML_MAP)) < 0)
		return rc;
	for (;;) {
		limg_buf key = LIMG_BUF_INIT;
		limg__yaml *v = NULL;
		int line;

		if ((rc = peek(ps, &col)) < 0)
			goto fail;
		if (rc == 1 || col < indent)
			return 0;
		if (col > indent) {
			rc = fail(ps, "unexpected indentation");
			goto fail;
		}
		if (*ps->p == '-' && (ps->p + 1 >= ps->end || ps->p[1] == ' ' || ps->p[1] == '\n' || ps->p[1] == '\r'))
			return 0; /* a list item at the map's indentation ends it (the caller's list goes on) */
		line = ps->line;
		if (!looks_like_key(ps)) {
			rc = fail(ps, "expected \"key: value\"");
			goto fail;
		}
		if (*ps->p == '"')
			rc = double_quoted(ps, &key);
		else if (*ps->p == '\'')
			rc = single_quoted(ps, &key);
		else if (*ps->p == '<' && ps->p + 1 < ps->end && ps->p[1] == '<')
			rc = fail(ps, "merge keys (<<) are not supported");
		else
			rc = plain(ps, &key, false);
		if (rc == 0 && !key.ptr)
			rc = limg_buf_set(&key, "", 0);
		skip_spaces(ps);
		if (rc == 0 && (ps->p >= ps->end || *ps->p != ':'))
			rc = fail(ps, "expected ':' after the key");
		if (rc == 0 && limg__yaml_get(*out, key.ptr)) {
			char q[120];
			limg__quote(q, sizeof q, key.ptr, key.size);
			rc = fail(ps, "the key %s appears twice", q);
		}
		if (rc < 0) {
			limg_buf_dispose(&key);
			goto fail;
		}
		ps->p++;
		if ((rc = value(ps, indent, false, &v)) < 0) {
			limg_buf_dispose(&key);
			goto fail;
		}
		v->key = key.ptr;
		v->line = line;
		if ((rc = append(*out, v)) < 0) {
			limg__yaml_free(v);
			goto fail;
		}
	}
fail:
	limg__yaml_free(*out);
	*out = NULL;
	return rc;
}

static int list(parser *ps, int indent, limg__yaml **out)
{
	int col, rc;

	if ((rc = node(ps, out, LIMG_YAML_LIST)) < 0)
		return rc;
	for (;;) {
		limg__yaml *v = NULL;
		int line;

		if ((rc = peek(ps, &col)) < 0)
			goto fail;
		if (rc == 1 || col < indent)
			return 0;
		if (col > indent) {
			rc = fail(ps, "unexpected indentation");
			goto fail;
		}
		line = ps->line;
		if (*ps->p != '-' || !(ps->p + 1 >= ps->end || ps->p[1] == ' ' || ps->p[1] == '\n' || ps->p[1] == '\r'))
			return 0; /* the list ends; what follows belongs to an outer map */
		ps->p++;
		if ((rc = value(ps, indent, true, &v)) < 0)
			goto fail;
		v->line = line;
		if ((rc = append(*out, v)) < 0) {
			limg__yaml_free(v);
			goto fail;
		}
	}
fail:
	limg__yaml_free(*out);
	*out = NULL;
	return rc;
}

/* The block at the cursor (at column @indent): a list, a map, or one value on its own line. */
static int block(parser *ps, int indent, limg__yaml **out)
{
	int rc, col;

	*out = NULL;
	if (++ps->depth > LIMG_YAML_DEPTH_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, ps->label, "%s:%d: nested deeper than %d levels",
		                             ps->label, ps->line, LIMG_YAML_DEPTH_MAX);
	if (*ps->p == '-' && (ps->p + 1 >= ps->end || ps->p[1] == ' ' || ps->p[1] == '\n' || ps->p[1] == '\r'))
		rc = list(ps, indent, out);
	else if ((rc = refuse_indicator(ps)) < 0)
		;
	else if (looks_like_key(ps))
		rc = map(ps, indent, out);
	else if ((rc = *ps->p == '[' || *ps->p == '{' ? flow(ps, out) : scalar(ps, out, false)) == 0 &&
	         (rc = end_of_line(ps)) == 0 && (rc = peek(ps, &col)) == 0 && col >= indent)
		rc = fail(ps, "a value that goes on over several lines is not supported");
	if (rc < 0) {
		limg__yaml_free(*out);
		*out = NULL;
	}
	ps->depth--;
	return rc < 0 ? rc : 0;
}

int limg__yaml_parse(limg__yaml **out, const char *text, size_t len, const char *label)
{
	parser ps;
	int col, rc;

	*out = NULL;
	memset(&ps, 0, sizeof ps);
	ps.text = ps.p = ps.line_start = text;
	ps.end = text + len;
	ps.line = 1;
	ps.label = label ? label : "(list)";
	if (memchr(text, '\0', len))
		return fail(&ps, "a NUL byte in the text");
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		ps.p = ps.line_start = text + 3; /* a byte order mark */
	if ((rc = peek(&ps, &col)) < 0)
		return rc;
	if (rc == 1) {
		if (*ps.p == '.')
			return fail(&ps, "\"...\" before any document");
		ps.p += 3;
		if ((rc = end_of_line(&ps)) < 0 || (rc = peek(&ps, &col)) < 0)
			return rc;
		if (rc == 1 && *ps.p == '-')
			return fail(&ps, "several documents in one file are not supported");
	}
	if (rc == 0 && col >= 0 && (rc = block(&ps, col, out)) < 0)
		return rc;
	if ((rc = peek(&ps, &col)) < 0)
		goto fail;
	if (rc == 1 && *ps.p == '.') {
		ps.p += 3;
		if ((rc = end_of_line(&ps)) < 0 || (rc = peek(&ps, &col)) < 0)
			goto fail;
		if (rc == 0 && col < 0)
			return 0;
	}
	if (rc == 1) {
		rc = fail(&ps, "several documents in one file are not supported");
		goto fail;
	}
	if (col >= 0) {
		rc = fail(&ps, *out && (*out)->type != LIMG_YAML_SCALAR ? "unexpected indentation"
		                                                         : "text after the end of the document");
		goto fail;
	}
	return 0;
fail:
	limg__yaml_free(*out);
	*out = NULL;
	return rc;
}
