/* SPDX-License-Identifier: MIT */
/* Values for --format templates: building, reading JSON, and printing as Go does. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "value.h"

#define JSON_DEPTH_MAX 64

static struct value *value_new(enum value_kind kind)
{
	struct value *v = calloc(1, sizeof *v);

	if (v)
		v->kind = kind;
	return v;
}

struct value *value_null(enum value_nil nil_as)
{
	struct value *v = value_new(VALUE_NULL);

	if (v)
		v->nil_as = nil_as;
	return v;
}

struct value *value_bool(bool b)
{
	struct value *v = value_new(VALUE_BOOL);

	if (v)
		v->b = b;
	return v;
}

struct value *value_int(int64_t i)
{
	struct value *v = value_new(VALUE_INT);

	if (v)
		v->i = i;
	return v;
}

struct value *value_string(const char *s)
{
	struct value *v = value_new(VALUE_STRING);

	if (v && !(v->s = strdup(s ? s : ""))) {
		free(v);
		return NULL;
	}
	return v;
}

struct value *value_array(void)
{
	return value_new(VALUE_ARRAY);
}

struct value *value_map(void)
{
	return value_new(VALUE_OBJECT);
}

struct value *value_struct(const char *type_name)
{
	struct value *v = value_new(VALUE_OBJECT);

	if (v) {
		v->is_struct = true;
		v->type_name = type_name;
	}
	return v;
}

void value_free(struct value *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->kind == VALUE_ARRAY && i < v->n; i++)
		value_free(v->items[i]);
	for (size_t i = 0; v->kind == VALUE_OBJECT && i < v->n; i++) {
		free(v->members[i].key);
		value_free(v->members[i].value);
	}
	free(v->items);
	free(v->members);
	free(v->s);
	free(v);
}

struct value *value_copy(const struct value *v)
{
	struct value *c = value_new(v->kind);

	if (!c)
		return NULL;
	c->nil_as = v->nil_as;
	c->b = v->b;
	c->i = v->i;
	c->f = v->f;
	c->raw = v->raw;
	c->is_struct = v->is_struct;
	c->type_name = v->type_name;
	if (v->s && !(c->s = strdup(v->s)))
		goto fail;
	for (size_t i = 0; v->kind == VALUE_ARRAY && i < v->n; i++)
		if (value_push(c, value_copy(v->items[i])) < 0)
			goto fail;
	for (size_t i = 0; v->kind == VALUE_OBJECT && i < v->n; i++)
		if (value_set(c, v->members[i].key, value_copy(v->members[i].value), v->members[i].omitempty) < 0)
			goto fail;
	return c;
fail:
	value_free(c);
	return NULL;
}

/* Room for one more item or member. */
static int grow(struct value *v, size_t elem)
{
	void **slot = v->kind == VALUE_ARRAY ? (void **)&v->items : (void **)&v->members;
	size_t cap = v->cap ? v->cap * 2 : 8;
	void *p;

	if (v->n < v->cap)
		return 0;
	if (!(p = realloc(*slot, cap * elem)))
		return -1;
	*slot = p;
	v->cap = cap;
	return 0;
}

int value_push(struct value *array, struct value *item)
{
	if (!item || array->kind != VALUE_ARRAY || grow(array, sizeof *array->items) < 0) {
		value_free(item);
		return -1;
	}
	array->items[array->n++] = item;
	return 0;
}

int value_set(struct value *object, const char *key, struct value *item, bool omitempty)
{
	struct member *m = NULL;
	char *k;

	if (!item || object->kind != VALUE_OBJECT) {
		value_free(item);
		return -1;
	}
	for (size_t i = 0; i < object->n && !m; i++)
		if (!strcmp(object->members[i].key, key))
			m = &object->members[i];
	if (m) {
		value_free(m->value);
		m->value = item;
		m->omitempty = omitempty;
		return 0;
	}
	if (grow(object, sizeof *object->members) < 0 || !(k = strdup(key))) {
		value_free(item);
		return -1;
	}
	object->members[object->n++] = (struct member){ k, item, omitempty };
	return 0;
}

struct value *value_get(const struct value *object, const char *key)
{
	for (size_t i = 0; object && object->kind == VALUE_OBJECT && i < object->n; i++)
		if (!strcmp(object->members[i].key, key))
			return object->members[i].value;
	return NULL;
}

bool value_truthy(const struct value *v)
{
	switch (v ? v->kind : VALUE_MISSING) {
	case VALUE_BOOL: return v->b;
	case VALUE_INT: return v->i != 0;
	case VALUE_FLOAT: return v->f != 0;
	case VALUE_STRING: return v->s[0] != '\0';
	case VALUE_ARRAY: return v->n > 0;
	case VALUE_OBJECT: return v->is_struct || v->n > 0; /* a struct is always true in Go */
	default: return false;
	}
}

/* ---- reading JSON ------------------------------------------------------ */

struct reader {
	const char *p;
	char *why;
	size_t cap;
};

static struct value *fail(struct reader *r, const char *what)
{
	if (!r->why[0])
		snprintf(r->why, r->cap, "%s", what);
	return NULL;
}

static void skip_space(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned x = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = x;
	return 0;
}

static void put_utf8(char **o, unsigned cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xC0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xE0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*u++ = (unsigned char)(0xF0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	*o = (char *)u;
}

/* A JSON string at r->p (the quote), decoded into a new C string. */
static char *read_string(struct reader *r)
{
	const char *end = r->p + 1;
	char *out, *o;

	while (*end && *end != '"')
		end += *end == '\\' && end[1] ? 2 : 1;
	if (*end != '"' || !(out = o = malloc((size_t)(end - r->p) + 1))) {
		fail(r, *end != '"' ? "unterminated string" : "out of memory");
		return NULL;
	}
	for (const char *p = r->p + 1; p < end; p++) {
		unsigned cp, lo;
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u':
			if (hex4(p + 1, &cp) < 0)
				goto bad;
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' && hex4(p + 3, &lo) == 0 &&
			    lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD;
			}
			if (!cp)
				goto bad; /* no NUL inside a C string */
			put_utf8(&o, cp);
			break;
		case '"': case '\\': case '/': *o++ = *p; break;
		default: goto bad;
		}
	}
	*o = '\0';
	r->p = end + 1;
	return out;
bad:
	free(out);
	fail(r, "bad escape in a string");
	return NULL;
}

static struct value *read_value(struct reader *r, int depth);

static struct value *read_number(struct reader *r)
{
	const char *start = r->p;
	char *end;
	struct value *v;
	bool integral = true;

	if (*r->p == '-')
		r->p++;
	if (!(*r->p >= '0' && *r->p <= '9'))
		return fail(r, "bad number");
	while ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' || *r->p == 'E' || *r->p == '+' ||
	       *r->p == '-') {
		if (*r->p == '.' || *r->p == 'e' || *r->p == 'E')
			integral = false;
		r->p++;
	}
	errno = 0;
	if (integral) {
		long long x = strtoll(start, &end, 10);
		if (end == r->p && !errno)
			return value_int(x);
	}
	if (!(v = value_new(VALUE_FLOAT)))
		return fail(r, "out of memory");
	v->f = strtod(start, &end);
	if (end != r->p) {
		value_free(v);
		return fail(r, "bad number");
	}
	return v;
}

static struct value *read_container(struct reader *r, int depth, bool object)
{
	struct value *v = object ? value_map() : value_array();

	if (!v)
		return fail(r, "out of memory");
	r->p++;
	skip_space(r);
	if (*r->p == (object ? '}' : ']')) {
		r->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct value *item;
		skip_space(r);
		if (object) {
			if (*r->p != '"' || !(key = read_string(r)))
				goto bad;
			skip_space(r);
			if (*r->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		item = read_value(r, depth + 1);
		if (!item || (object ? value_set(v, key, item, false) : value_push(v, item)) < 0) {
			free(key);
			goto bad;
		}
		free(key);
		skip_space(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ == (object ? '}' : ']'))
			return v;
		goto bad;
	}
bad:
	value_free(v);
	return fail(r, object ? "bad object" : "bad array");
}

static struct value *read_value(struct reader *r, int depth)
{
	char *s;
	struct value *v;

	if (depth > JSON_DEPTH_MAX)
		return fail(r, "nested too deeply");
	skip_space(r);
	switch (*r->p) {
	case '{': return read_container(r, depth, true);
	case '[': return read_container(r, depth, false);
	case '"':
		if (!(s = read_string(r)))
			return NULL;
		v = value_string(s);
		free(s);
		return v ? v : fail(r, "out of memory");
	case 't':
		if (strncmp(r->p, "true", 4))
			break;
		r->p += 4;
		return value_bool(true);
	case 'f':
		if (strncmp(r->p, "false", 5))
			break;
		r->p += 5;
		return value_bool(false);
	case 'n':
		if (strncmp(r->p, "null", 4))
			break;
		r->p += 4;
		return value_null(NIL_PLAIN);
	default:
		return read_number(r);
	}
	return fail(r, "unexpected text");
}

struct value *value_parse_json(const char *text, char *why, size_t cap)
{
	struct reader r = { text ? text : "", why, cap };
	struct value *v;

	why[0] = '\0';
	if (!(v = read_value(&r, 0)))
		return NULL;
	skip_space(&r);
	if (*r.p) {
		value_free(v);
		return fail(&r, "text after the value");
	}
	return v;
}

/* ---- writing ---------------------------------------------------------- */

/* Go's shortest representation of a float64 that reads back the same. */
static void write_float(FILE *out, double f, bool json)
{
	char buf[40];

	if (isnan(f) || isinf(f)) {
		fputs(json ? "null" : isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf", out);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	fputs(buf, out);
}

static bool empty(const struct value *v)
{
	switch (v->kind) {
	case VALUE_MISSING:
	case VALUE_NULL: return true;
	case VALUE_BOOL: return !v->b;
	case VALUE_INT: return !v->i;
	case VALUE_FLOAT: return v->f == 0;
	case VALUE_STRING: return !v->s[0];
	case VALUE_ARRAY: return !v->n;
	case VALUE_OBJECT: return !v->is_struct && !v->n;
	}
	return false;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct member *const *)a)->key, (*(const struct member *const *)b)->key);
}

/* The members in the order they print: a struct's as declared, a map's sorted. */
static const struct member **ordered(const struct value *v)
{
	const struct member **m = malloc((v->n ? v->n : 1) * sizeof *m);

	if (!m)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		m[i] = &v->members[i];
	if (!v->is_struct)
		qsort(m, v->n, sizeof *m, by_key);
	return m;
}

static void newline(FILE *out, const char *indent, int level)
{
	fputc('\n', out);
	for (int i = 0; i < level; i++)
		fputs(indent, out);
}

static void write_json(FILE *out, const struct value *v, const char *indent, int level)
{
	const struct member **m;
	size_t shown = 0;

	switch (v->kind) {
	case VALUE_MISSING:
	case VALUE_NULL: fputs("null", out); return;
	case VALUE_BOOL: fputs(v->b ? "true" : "false", out); return;
	case VALUE_INT: fprintf(out, "%lld", (long long)v->i); return;
	case VALUE_FLOAT: write_float(out, v->f, true); return;
	case VALUE_STRING: json_string(out, v->s); return;
	case VALUE_ARRAY:
		fputc('[', out);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				fputc(',', out);
			if (indent)
				newline(out, indent, level + 1);
			write_json(out, v->items[i], indent, level + 1);
		}
		if (indent && v->n)
			newline(out, indent, level);
		fputc(']', out);
		return;
	case VALUE_OBJECT:
		if (!(m = ordered(v)))
			return;
		fputc('{', out);
		for (size_t i = 0; i < v->n; i++) {
			if (m[i]->omitempty && empty(m[i]->value))
				continue;
			if (shown++)
				fputc(',', out);
			if (indent)
				newline(out, indent, level + 1);
			json_string(out, m[i]->key);
			fputs(indent ? ": " : ":", out);
			write_json(out, m[i]->value, indent, level + 1);
		}
		if (indent && shown)
			newline(out, indent, level);
		fputc('}', out);
		free(m);
		return;
	}
}

void value_write_json(FILE *out, const struct value *v, const char *indent)
{
	write_json(out, v, indent, 0);
}

void value_print(FILE *out, const struct value *v)
{
	const struct member **m;

	switch (v ? v->kind : VALUE_MISSING) {
	case VALUE_MISSING: fputs("<no value>", out); return;
	case VALUE_NULL: fputs(v->nil_as == NIL_SLICE ? "[]" : v->nil_as == NIL_MAP ? "map[]" : "<nil>", out); return;
	case VALUE_BOOL: fputs(v->b ? "true" : "false", out); return;
	case VALUE_INT: fprintf(out, "%lld", (long long)v->i); return;
	case VALUE_FLOAT: write_float(out, v->f, false); return;
	case VALUE_STRING: {
		size_t cap = strlen(v->s) * 4 + 1;
		if (v->raw) {
			fputs(v->s, out);
			return;
		}
		char small[512], *tmp = cap <= sizeof small ? small : malloc(cap);
		if (tmp)
			fputs(format_printable(tmp, cap, v->s), out);
		if (tmp != small)
			free(tmp);
		return;
	}
	case VALUE_ARRAY:
		fputc('[', out);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				fputc(' ', out);
			value_print(out, v->items[i]);
		}
		fputc(']', out);
		return;
	case VALUE_OBJECT:
		if (!(m = ordered(v)))
			return;
		fputs(v->is_struct ? "{" : "map[", out);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				fputc(' ', out);
			if (!v->is_struct) {
				struct value key = { .kind = VALUE_STRING, .s = m[i]->key };
				value_print(out, &key);
				fputc(':', out);
			}
			value_print(out, m[i]->value);
		}
		fputs(v->is_struct ? "}" : "]", out);
		free(m);
		return;
	}
}
