/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON reader (RFC 8259) for documents that come from registries,
 * archives and store directories. It refuses what two JSON readers could
 * read differently: duplicate keys in an object (and keys that Go's
 * decoder folds together, when they fold to a known field name), "\u0000",
 * unpaired surrogates, invalid UTF-8, raw control characters, and nesting
 * deeper than LIMG_JSON_DEPTH_MAX. cJSON, Go and Python then all see one
 * document.
 *
 * It is a pull reader: the caller walks objects and arrays and reads the
 * values it wants; limg__json_skip() validates what it does not want. The
 * first problem is kept in j->why (with its byte offset); every function
 * returns a negative value once something is wrong, and the caller raises
 * the error of its own kind (LIMG_EMANIFEST, LIMG_ECORRUPT, ...).
 */
#ifndef LIMG_CORE_JSON_H
#define LIMG_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "libimage/common.h"

#define LIMG_JSON_DEPTH_MAX 64

/* Field names of one kind of document (manifests and configs name theirs:
 * manifest/fields.c), lowercase and sorted. Go's decoder matches struct
 * fields case-insensitively (also folding U+212A KELVIN SIGN to k and
 * U+017F LONG S to s), so {"layers":..,"LAYERS":..} would be read as its
 * last member there and as its first by cJSON: two keys that fold to one of
 * these names are refused as duplicates. At most 128 names. */
typedef struct {
	const char *const *names;
	size_t count;
} limg__json_fields;

enum limg__json_type {
	LIMG_JSON_NONE = 0, /* an error, or the end of the text */
	LIMG_JSON_OBJECT,
	LIMG_JSON_ARRAY,
	LIMG_JSON_STRING,
	LIMG_JSON_NUMBER,
	LIMG_JSON_BOOL,
	LIMG_JSON_NULL
};

typedef struct {
	const char *text, *p, *end;
	int depth;
	bool first[LIMG_JSON_DEPTH_MAX + 1]; /* no member read yet at this depth */
	bool failed;
	bool oom;                            /* failed for want of memory, not for the text */
	char why[200];
	const limg__json_fields *fields;     /* may be NULL: only exact duplicates are refused */
	limg_buf keys;                       /* decoded keys of the open objects (duplicate checks) */
} limg__json;

void limg__json_init(limg__json *j, const char *text, size_t len, const limg__json_fields *fields);
void limg__json_dispose(limg__json *j);

/* The type of the next value (whitespace skipped), or LIMG_JSON_NONE. */
enum limg__json_type limg__json_peek(limg__json *j);

/* Objects: begin consumes "{"; next_key gives 1 and the decoded key in
 * @key (NUL-terminated), 0 at "}", -1 on error. The caller then reads or
 * skips the value. Duplicate keys of the object are refused here. */
int limg__json_begin_object(limg__json *j);
int limg__json_next_key(limg__json *j, limg_buf *key);

/* Arrays: begin consumes "["; next_item gives 1 when a value follows, 0 at "]". */
int limg__json_begin_array(limg__json *j);
int limg__json_next_item(limg__json *j);

/* Values. A string is decoded into @out (NUL-terminated; replaced). */
int limg__json_string(limg__json *j, limg_buf *out);
/* An integer in int64 range, written without fraction or exponent (as Go's
 * int64 fields demand). */
int limg__json_int64(limg__json *j, int64_t *out);
/* Any value, validated; *@start and *@len (may be NULL) give its text. */
int limg__json_skip(limg__json *j, const char **start, size_t *len);
/* Only whitespace may remain. */
int limg__json_finish(limg__json *j);

/* True when @key is @name as Go's decoder matches struct fields: ASCII case
 * folded, and the Kelvin sign and long s read as k and s. */
bool limg__json_key_is(const char *key, const char *name);

/* Sets j->why (the first problem wins) and returns -1. */
int limg__json_fail(limg__json *j, const char *what);
/* Fails for want of memory (j->oom): callers answer LIMG_ENOMEM, not a corrupt text. */
int limg__json_oom(limg__json *j);

/* Validates a whole document. 0, or -1 with the reason in @why. */
int limg__json_check(const char *text, size_t len, const limg__json_fields *fields, char *why, size_t cap);

/* The only way text reaches cJSON: validated by limg__json_check() first.
 * 0 with the document in *@out (the caller's, cJSON_Delete), or -1 with the
 * reason in @why. */
int limg__json_parse(cJSON **out, const char *text, size_t len, const limg__json_fields *fields, char *why,
                     size_t cap);

/* limg__json_print(, true) (@pretty) or limg__json_print(, false) into memory of the
 * library's allocator (limg__free); NULL when either runs out. */
char *limg__json_print(const cJSON *doc, bool pretty);

/* Appends @s (of @n bytes) as a JSON string literal, quotes included. */
int limg__json_put_string(limg_buf *out, const char *s, size_t n);

#endif
