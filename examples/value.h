/* SPDX-License-Identifier: MIT */
/*
 * What --format templates see: a tree of values shaped like the Go values
 * Docker's templates walk (strings, numbers, slices, maps and structs),
 * printed as Go's fmt prints them and as encoding/json encodes them.
 */
#ifndef LIMG_EXAMPLES_VALUE_H
#define LIMG_EXAMPLES_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum value_kind {
	VALUE_MISSING, /* a map key that is not there: Go prints "<no value>" */
	VALUE_NULL,    /* a nil; nil_as says how Go prints it */
	VALUE_BOOL,
	VALUE_INT,
	VALUE_FLOAT,
	VALUE_STRING,
	VALUE_ARRAY,
	VALUE_OBJECT
};

/* How a nil prints with %v: a nil interface or pointer, a nil slice, a nil map. */
enum value_nil { NIL_PLAIN, NIL_SLICE, NIL_MAP };

struct value;

struct member {
	char *key;
	struct value *value;
	bool omitempty; /* json leaves it out when empty (Go's ",omitempty") */
};

struct value {
	enum value_kind kind;
	enum value_nil nil_as;
	bool b;
	int64_t i;
	double f;
	char *s;
	bool raw;             /* VALUE_STRING: safe to print as it is (a template's own text, or text made safe) */
	struct value **items; /* VALUE_ARRAY */
	struct member *members; /* VALUE_OBJECT, in insertion order */
	size_t n, cap;
	/* VALUE_OBJECT: a struct (fields in order; a field it lacks is an
	 * error naming type_name) or, when false, a map (keys sorted when
	 * printed, a missing key is "<no value>") */
	bool is_struct;
	const char *type_name;
};

/* Constructors: NULL when out of memory. */
struct value *value_null(enum value_nil nil_as);
struct value *value_bool(bool b);
struct value *value_int(int64_t i);
struct value *value_string(const char *s);   /* NULL s: "" */
struct value *value_array(void);
struct value *value_map(void);
struct value *value_struct(const char *type_name);
/* A deep copy. */
struct value *value_copy(const struct value *v);
void value_free(struct value *v);

/* Appends @item to an array (taking it; freed on failure). 0 or -1. */
int value_push(struct value *array, struct value *item);
/* Sets @key of an object (taking @item; freed on failure), replacing one there. 0 or -1. */
int value_set(struct value *object, const char *key, struct value *item, bool omitempty);
/* The member @key of an object, or NULL. */
struct value *value_get(const struct value *object, const char *key);

/* Go's truth: false, 0, nil, "" and empty slices and maps are false. */
bool value_truthy(const struct value *v);

/* Reads JSON text (as the library formats it) into a tree of maps, arrays
 * and scalars. NULL, with the reason in @why, when it is not JSON. */
struct value *value_parse_json(const char *text, char *why, size_t cap);

/* encoding/json: compact (@indent NULL, as Docker's json function) or
 * indented (json.MarshalIndent with @indent per level, as docker inspect).
 * Struct fields in order (omitempty ones left out when empty), map keys
 * sorted, HTML not escaped, and what a terminal could act on escaped. */
void value_write_json(FILE *out, const struct value *v, const char *indent);

/* fmt's %v: "[a b]", "map[k:v]", "{a b}", "<nil>", "<no value>". Strings
 * not marked raw are made safe for a terminal (control bytes become \xNN). */
void value_print(FILE *out, const struct value *v);

#endif
