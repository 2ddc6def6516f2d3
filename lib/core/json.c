/* SPDX-License-Identifier: MIT */
/* The strict JSON pull reader; see json.h for what it refuses and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"

void limg__json_init(limg__json *j, const char *text, size_t len, const limg__json_fields *fields)
{
	memset(j, 0, sizeof *j);
	j->text = j->p = text ? text : "";
	j->end = j->p + (text ? len : 0);
	j->fields = fields;
}

void limg__json_dispose(limg__json *j)
{
	limg_buf_dispose(&j->keys);
}

int limg__json_fail(limg__json *j, const char *what)
{
	if (!j->failed) {
		j->failed = true;
		snprintf(j->why, sizeof j->why, "%s at byte %zu", what, (size_t)(j->p - j->text));
	}
	return -1;
}

int limg__json_oom(limg__json *j)
{
	if (!j->failed)
		j->oom = true;
	return limg__json_fail(j, "out of memory");
}

static void skip_ws(limg__json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

enum limg__json_type limg__json_peek(limg__json *j)
{
	if (j->failed)
		return LIMG_JSON_NONE;
	skip_ws(j);
	if (j->p >= j->end)
		return LIMG_JSON_NONE;
	switch (*j->p) {
	case '{':
		return LIMG_JSON_OBJECT;
	case '[':
		return LIMG_JSON_ARRAY;
	case '"':
		return LIMG_JSON_STRING;
	case 't':
	case 'f':
		return LIMG_JSON_BOOL;
	case 'n':
		return LIMG_JSON_NULL;
	default:
		return (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) ? LIMG_JSON_NUMBER : LIMG_JSON_NONE;
	}
}

/* The open objects' keys live in j->keys as a stack: slot 0 holds the
 * offset of the innermost object's header; each header is followed by that
 * object's keys, appended as "<len:size_t><bytes>\0", and checked for
 * duplicates when the object closes (sorting: hostile objects may hold
 * hundreds of thousands of keys). */
struct object_header {
	size_t prev;      /* offset of the enclosing object's header, or SIZE_MAX */
	size_t unpadded;  /* size of the stack before this header's alignment padding */
	size_t nkeys;
	uint64_t known[2]; /* known field names seen (by index), for the folded check */
};

static size_t *header_slot(limg__json *j)
{
	return (size_t *)(void *)j->keys.ptr;
}

static int keys_reserve(limg__json *j)
{
	if (!j->keys.ptr) {
		size_t none = SIZE_MAX;
		if (limg__buf_put(&j->keys, &none, sizeof none) < 0)
			return limg__json_oom(j);
	}
	return 0;
}

static int open_object(limg__json *j)
{
	struct object_header h = { 0, 0, 0, { 0, 0 } };
	size_t at;

	if (keys_reserve(j) < 0)
		return -1;
	h.unpadded = j->keys.size;
	/* keep headers aligned so they can be read in place */
	while (j->keys.size % sizeof(size_t))
		if (limg__buf_put(&j->keys, "", 1) < 0)
			return limg__json_oom(j);
	h.prev = *header_slot(j);
	at = j->keys.size;
	if (limg__buf_put(&j->keys, &h, sizeof h) < 0)
		return limg__json_oom(j);
	*header_slot(j) = at;
	return 0;
}

static struct object_header *header(limg__json *j)
{
	return (struct object_header *)(void *)(j->keys.ptr + *header_slot(j));
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

/* The index of @key in the reader's field names (sorted) after Go's case folding, or -1. */
static int known_index(const limg__json_fields *fields, const char *key, size_t n)
{
	const char *const *hit;
	char folded[32];
	size_t o = 0;

	if (!fields || n < 1 || n >= sizeof folded)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		if (o + 1 >= sizeof folded)
			return -1;
		if (c >= 'A' && c <= 'Z') {
			folded[o++] = (char)(c + 32);
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)key[i + 1] == 0x84 && (unsigned char)key[i + 2] == 0xAA) {
			folded[o++] = 'k'; /* U+212A KELVIN SIGN */
			i += 2;
		} else if (c == 0xC5 && i + 1 < n && (unsigned char)key[i + 1] == 0xBF) {
			folded[o++] = 's'; /* U+017F LATIN SMALL LETTER LONG S */
			i += 1;
		} else if (c >= 0x80) {
			return -1;
		} else {
			folded[o++] = (char)c;
		}
	}
	folded[o] = '\0';
	hit = bsearch(folded, fields->names, fields->count, sizeof fields->names[0], compare_names);
	return hit ? (int)(hit - fields->names) : -1;
}

bool limg__json_key_is(const char *key, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;

	for (; *name; name++) {
		unsigned char want = (unsigned char)(*name >= 'A' && *name <= 'Z' ? *name + 32 : *name);
		if (k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA) {
			if (want != 'k')
				return false;
			k += 3;
		} else if (k[0] == 0xC5 && k[1] == 0xBF) {
			if (want != 's')
				return false;
			k += 2;
		} else {
			if ((k[0] >= 'A' && k[0] <= 'Z' ? k[0] + 32 : k[0]) != want)
				return false;
			k++;
		}
	}
	return *k == 0;
}

static int add_key(limg__json *j, const char *key, size_t n)
{
	struct object_header *h = header(j);
	int k = known_index(j->fields, key, n);

	if (k >= 0 && k < 128) {
		uint64_t bit = 1ull << (k % 64);
		if (h->known[k / 64] & bit)
			return limg__json_fail(j, "duplicate key (as Go reads keys)");
		h->known[k / 64] |= bit;
	}
	h->nkeys++;
	if (limg__buf_put(&j->keys, &n, sizeof n) < 0 || limg__buf_put(&j->keys, key, n) < 0 ||
	    limg__buf_put(&j->keys, "", 1) < 0)
		return limg__json_oom(j);
	return 0;
}

static int compare_keys(const void *a, const void *b, void *arena)
{
	const char *base = arena;
	size_t oa = *(const size_t *)a, ob = *(const size_t *)b, la, lb;
	int c;

	memcpy(&la, base + oa, sizeof la);
	memcpy(&lb, base + ob, sizeof lb);
	c = memcmp(base + oa + sizeof la, base + ob + sizeof lb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* Closes the current object: its keys must be distinct. */
static int close_object(limg__json *j)
{
	struct object_header *h = header(j);
	size_t at = *header_slot(j), n = h->nkeys, prev = h->prev, unpadded = h->unpadded, *offs = NULL, o;
	int rc = 0;

	if (n > 1 && n <= 8) {
		/* the usual small object: comparing pairs beats sorting */
		size_t small[8];
		o = at + sizeof *h;
		for (size_t i = 0; i < n; i++) {
			size_t len;
			small[i] = o;
			memcpy(&len, j->keys.ptr + o, sizeof len);
			o += sizeof len + len + 1;
		}
		for (size_t a = 1; a < n && !rc; a++)
			for (size_t b = 0; b < a && !rc; b++)
				if (!compare_keys(&small[a], &small[b], j->keys.ptr))
					rc = limg__json_fail(j, "duplicate key");
	} else if (n > 8) {
		if (!(offs = limg__malloc(n * sizeof *offs)))
			return limg__json_oom(j);
		o = at + sizeof *h;
		for (size_t i = 0; i < n; i++) {
			size_t len;
			offs[i] = o;
			memcpy(&len, j->keys.ptr + o, sizeof len);
			o += sizeof len + len + 1;
		}
		qsort_r(offs, n, sizeof *offs, compare_keys, j->keys.ptr);
		for (size_t i = 1; i < n && !rc; i++)
			if (!compare_keys(&offs[i - 1], &offs[i], j->keys.ptr))
				rc = limg__json_fail(j, "duplicate key");
		limg__free(offs);
	}
	j->keys.size = unpadded;
	*header_slot(j) = prev;
	return rc;
}

static int expect(limg__json *j, char c, const char *what)
{
	skip_ws(j);
	if (j->p >= j->end || *j->p != c)
		return limg__json_fail(j, what);
	j->p++;
	return 0;
}

int limg__json_begin_object(limg__json *j)
{
	if (j->failed || expect(j, '{', "expected an object") < 0)
		return -1;
	if (j->depth == LIMG_JSON_DEPTH_MAX)
		return limg__json_fail(j, "nested too deeply");
	j->depth++;
	j->first[j->depth] = true;
	return open_object(j);
}

int limg__json_begin_array(limg__json *j)
{
	if (j->failed || expect(j, '[', "expected an array") < 0)
		return -1;
	if (j->depth == LIMG_JSON_DEPTH_MAX)
		return limg__json_fail(j, "nested too deeply");
	j->depth++;
	j->first[j->depth] = true;
	return 0;
}

static int utf8_seq(limg__json *j, const unsigned char *s, const unsigned char *end, size_t *used)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp, min;

	if (c < 0xC2 || c > 0xF4)
		return limg__json_fail(j, "invalid UTF-8");
	n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if ((size_t)(end - s) < n)
		return limg__json_fail(j, "invalid UTF-8");
	cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return limg__json_fail(j, "invalid UTF-8");
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return limg__json_fail(j, "invalid UTF-8");
	*used = n;
	return 0;
}

static int hex4(limg__json *j, const char *s, unsigned *out)
{
	unsigned v = 0;

	if (j->end - s < 4)
		return limg__json_fail(j, "bad \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return limg__json_fail(j, "bad \\u escape");
	}
	*out = v;
	return 0;
}

/* Reads a string literal at j->p into @out (or only validates, when NULL). */
static int read_string(limg__json *j, limg_buf *out)
{
	const unsigned char *s, *end = (const unsigned char *)j->end;

	if (out)
		out->size = 0;
	if (expect(j, '"', "expected a string") < 0)
		return -1;
	s = (const unsigned char *)j->p;
	for (;;) {
		const unsigned char *run = s;
		while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (out && s > run && limg__buf_put(out, run, (size_t)(s - run)) < 0)
			return limg__json_oom(j);
		if (s >= end) {
			j->p = (const char *)s;
			return limg__json_fail(j, "unterminated string");
		}
		if (*s == '"') {
			s++;
			break;
		}
		if (*s < 0x20) {
			j->p = (const char *)s;
			return limg__json_fail(j, "control character in a string");
		}
		if (*s >= 0x80) {
			size_t n;
			j->p = (const char *)s;
			if (utf8_seq(j, s, end, &n) < 0)
				return -1;
			if (out && limg__buf_put(out, s, n) < 0)
				return limg__json_oom(j);
			s += n;
			continue;
		}
		/* an escape */
		j->p = (const char *)s;
		if (s + 1 >= end)
			return limg__json_fail(j, "unterminated string");
		{
			char c = (char)s[1], plain = 0;
			unsigned cp, lo;
			switch (c) {
			case '"': plain = '"'; break;
			case '\\': plain = '\\'; break;
			case '/': plain = '/'; break;
			case 'b': plain = '\b'; break;
			case 'f': plain = '\f'; break;
			case 'n': plain = '\n'; break;
			case 'r': plain = '\r'; break;
			case 't': plain = '\t'; break;
			case 'u':
				if (hex4(j, (const char *)s + 2, &cp) < 0)
					return -1;
				s += 6;
				if (cp == 0)
					return limg__json_fail(j, "\\u0000 in a string");
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return limg__json_fail(j, "unpaired surrogate");
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(j, (const char *)s + 2, &lo) < 0 ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return limg__json_fail(j, "unpaired surrogate");
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					s += 6;
				}
				if (out && limg__buf_put_utf8(out, cp) < 0)
					return limg__json_oom(j);
				continue;
			default:
				return limg__json_fail(j, "bad escape");
			}
			if (out && limg__buf_put(out, &plain, 1) < 0)
				return limg__json_oom(j);
			s += 2;
		}
	}
	j->p = (const char *)s;
	if (out && limg__buf_grow(out, out->size + 1) < 0)
		return limg__json_oom(j);
	if (out)
		out->ptr[out->size] = '\0';
	return 0;
}

/* Moves past a member separator: "," between members, nothing before the first. */
static int separator(limg__json *j, char close, const char *what)
{
	skip_ws(j);
	if (j->p >= j->end)
		return limg__json_fail(j, what);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	if (!j->first[j->depth]) {
		if (*j->p != ',')
			return limg__json_fail(j, what);
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == close)
			return limg__json_fail(j, "trailing comma");
	}
	j->first[j->depth] = false;
	return 1;
}

int limg__json_next_key(limg__json *j, limg_buf *key)
{
	limg_buf local = LIMG_BUF_INIT;
	limg_buf *k = key ? key : &local;
	int rc;

	if (j->failed)
		return -1;
	if ((rc = separator(j, '}', "expected \",\" or \"}\" in an object")) <= 0) {
		if (rc == 0 && close_object(j) < 0)
			rc = -1;
		return rc;
	}
	if (read_string(j, k) < 0 || add_key(j, k->ptr, k->size) < 0 || expect(j, ':', "expected \":\"") < 0)
		rc = -1;
	limg_buf_dispose(&local);
	return rc;
}

int limg__json_next_item(limg__json *j)
{
	if (j->failed)
		return -1;
	return separator(j, ']', "expected \",\" or \"]\" in an array");
}

int limg__json_string(limg__json *j, limg_buf *out)
{
	if (j->failed)
		return -1;
	return read_string(j, out);
}

static int scan_number(limg__json *j, bool *integer)
{
	const char *s = j->p;

	*integer = true;
	if (s < j->end && *s == '-')
		s++;
	if (s >= j->end || *s < '0' || *s > '9')
		return limg__json_fail(j, "bad number");
	if (*s == '0')
		s++;
	else
		while (s < j->end && *s >= '0' && *s <= '9')
			s++;
	if (s < j->end && *s == '.') {
		*integer = false;
		s++;
		if (s >= j->end || *s < '0' || *s > '9')
			return limg__json_fail(j, "bad number");
		while (s < j->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < j->end && (*s == 'e' || *s == 'E')) {
		*integer = false;
		s++;
		if (s < j->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= j->end || *s < '0' || *s > '9')
			return limg__json_fail(j, "bad number");
		while (s < j->end && *s >= '0' && *s <= '9')
			s++;
	}
	j->p = s;
	return 0;
}

int limg__json_int64(limg__json *j, int64_t *out)
{
	const char *start;
	bool integer, negative;
	uint64_t v = 0;

	if (limg__json_peek(j) != LIMG_JSON_NUMBER)
		return limg__json_fail(j, "expected a number");
	start = j->p;
	if (scan_number(j, &integer) < 0)
		return -1;
	if (!integer) {
		j->p = start;
		return limg__json_fail(j, "expected an integer");
	}
	negative = *start == '-';
	for (const char *s = start + negative; s < j->p; s++) {
		if (v > (UINT64_MAX - 9) / 10) {
			j->p = start;
			return limg__json_fail(j, "integer out of range");
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (uint64_t)INT64_MAX + negative) {
		j->p = start;
		return limg__json_fail(j, "integer out of range");
	}
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int literal(limg__json *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return limg__json_fail(j, "bad literal");
	j->p += n;
	return 0;
}

int limg__json_skip(limg__json *j, const char **start, size_t *len)
{
	enum limg__json_type t = limg__json_peek(j);
	const char *from = j->p;
	bool integer;
	int rc = 0;

	switch (t) {
	case LIMG_JSON_OBJECT:
		if (limg__json_begin_object(j) < 0)
			return -1;
		while ((rc = limg__json_next_key(j, NULL)) == 1)
			if (limg__json_skip(j, NULL, NULL) < 0)
				return -1;
		break;
	case LIMG_JSON_ARRAY:
		if (limg__json_begin_array(j) < 0)
			return -1;
		while ((rc = limg__json_next_item(j)) == 1)
			if (limg__json_skip(j, NULL, NULL) < 0)
				return -1;
		break;
	case LIMG_JSON_STRING:
		rc = read_string(j, NULL);
		break;
	case LIMG_JSON_NUMBER:
		rc = scan_number(j, &integer);
		break;
	case LIMG_JSON_BOOL:
		rc = literal(j, *j->p == 't' ? "true" : "false");
		break;
	case LIMG_JSON_NULL:
		rc = literal(j, "null");
		break;
	default:
		return limg__json_fail(j, j->p >= j->end ? "unexpected end" : "expected a value");
	}
	if (rc < 0)
		return -1;
	if (start)
		*start = from;
	if (len)
		*len = (size_t)(j->p - from);
	return 0;
}

int limg__json_finish(limg__json *j)
{
	if (j->failed)
		return -1;
	skip_ws(j);
	return j->p == j->end ? 0 : limg__json_fail(j, "text after the document");
}

int limg__json_check(const char *text, size_t len, const limg__json_fields *fields, char *why, size_t cap)
{
	limg__json j;
	int rc;

	limg__json_init(&j, text, len, fields);
	rc = limg__json_skip(&j, NULL, NULL) < 0 || limg__json_finish(&j) < 0 ? (j.oom ? LIMG_ENOMEM : -1) : 0;
	if (rc < 0 && why)
		snprintf(why, cap, "%s", j.why);
	limg__json_dispose(&j);
	return rc;
}

int limg__json_parse(cJSON **out, const char *text, size_t len, const limg__json_fields *fields, char *why,
                     size_t cap)
{
	int rc;

	*out = NULL;
	if ((rc = limg__json_check(text, len, fields, why, cap)) < 0)
		return rc;
	if (!(*out = cJSON_ParseWithLength(text ? text : "", len))) {
		snprintf(why, cap, "out of memory");
		return LIMG_ENOMEM; /* the text was checked: only memory fails */
	}
	return 0;
}

int limg__json_put_string(limg_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (limg__buf_put(out, "\"", 1) < 0)
		return LIMG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t en = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (i > run && limg__buf_put(out, s + run, i - run) < 0)
			return LIMG_ENOMEM;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			en = 6;
		}
		if (limg__buf_put(out, esc, en) < 0)
			return LIMG_ENOMEM;
		run = i + 1;
	}
	if (n > run && limg__buf_put(out, s + run, n - run) < 0)
		return LIMG_ENOMEM;
	return limg__buf_put(out, "\"", 1) < 0 ? LIMG_ENOMEM : 0;
}

char *limg__json_print(const cJSON *doc, bool pretty)
{
	char *text = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc), *copy;

	if (!text)
		return NULL;
	copy = limg__strdup(text);
	cJSON_free(text); /* cJSON's own */
	return copy;
}
