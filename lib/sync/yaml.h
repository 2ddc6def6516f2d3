/* SPDX-License-Identifier: MIT */
/*
 * A strict reader of the YAML that skopeo sync's source lists use: block
 * maps and lists (lists may sit at their key's indentation, as YAML
 * allows), plain, single- and double-quoted scalars on one line, flow
 * lists of scalars on one line ("[]", ["1.0", "2.0"]), "{}", comments, one
 * document (an opening "---" and a closing "..." allowed). Everything else
 * (anchors and aliases, tags, block scalars, multi-line values, flow maps
 * with members, complex keys, merge keys, several documents, tabs in
 * indentation, duplicate keys) is refused with the file and line, never
 * read some other way than a YAML library would read it.
 */
#ifndef LIMG_SYNC_YAML_H
#define LIMG_SYNC_YAML_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	LIMG_YAML_NULL = 0, /* "key:" with nothing after it, "~", "null" */
	LIMG_YAML_SCALAR,
	LIMG_YAML_LIST,
	LIMG_YAML_MAP
} limg__yaml_type;

typedef struct limg__yaml limg__yaml;
struct limg__yaml {
	limg__yaml_type type;
	int line;              /* where it starts (1-based) */
	bool quoted;           /* a scalar written in quotes: text, never a boolean or null */
	char *key;             /* a map member's key; NULL otherwise */
	char *text;            /* a scalar's text (NUL-terminated; a NUL inside is refused) */
	limg__yaml **items;    /* a list's items, or a map's members (each with its key) in order */
	size_t count, cap;
};

#define LIMG_YAML_DEPTH_MAX 32
#define LIMG_YAML_NODES_MAX 200000
#define LIMG_YAML_SCALAR_MAX (64u * 1024)

/* Reads a document. 0 with *@out (NULL for an empty document), or
 * LIMG_ECORRUPT (subject FILE, @label) with "label:line: what" for text it
 * refuses, LIMG_ETOOBIG past the bounds, LIMG_ENOMEM. */
int limg__yaml_parse(limg__yaml **out, const char *text, size_t len, const char *label);
void limg__yaml_free(limg__yaml *y);

/* A map's member by key, or NULL (also when @map is no map). */
const limg__yaml *limg__yaml_get(const limg__yaml *map, const char *key);

/* Booleans as YAML 1.2's core schema writes them (true, True, TRUE, ...):
 * 1 or 0 into *@out, or -1 when the scalar is no boolean. */
int limg__yaml_bool(const limg__yaml *y, bool *out);

#endif
