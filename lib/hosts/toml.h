/* SPDX-License-Identifier: MIT */
/*
 * The part of TOML that containerd's hosts.toml files use, read strictly:
 * comments, key = value pairs with bare or quoted keys, basic and literal
 * strings, booleans, integers, arrays (of those, and of arrays), and table
 * headers with dotted, quoted keys ([host."https://m:5000".header]).
 * Anything else (inline tables, multi-line strings, dates, floats, arrays
 * of tables, duplicate keys, a key defined twice as table and value) is
 * refused with its line number, never guessed at.
 */
#ifndef LIMG_HOSTS_TOML_H
#define LIMG_HOSTS_TOML_H

#include <stddef.h>
#include <stdint.h>

typedef enum { LIMG_TOML_STRING, LIMG_TOML_BOOL, LIMG_TOML_INT, LIMG_TOML_ARRAY, LIMG_TOML_TABLE } limg__toml_type;

typedef struct limg__toml limg__toml;
struct limg__toml {
	limg__toml_type type;
	char *key;          /* within its table; NULL for array items */
	char *string;
	int64_t integer;    /* also the boolean */
	limg__toml **items; /* a table's members or an array's items, in order */
	size_t count, cap;
	int line;           /* where it was defined */
};

/* Parses @text into a root table. 0, or LIMG_ECORRUPT with "<label>:<line>:
 * <what>" as the message. */
int limg__toml_parse(limg__toml **out, const char *text, size_t len, const char *label);
void limg__toml_free(limg__toml *t);

/* A member of a table, or NULL. */
const limg__toml *limg__toml_get(const limg__toml *table, const char *key);

#endif
