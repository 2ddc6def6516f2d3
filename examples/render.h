/* SPDX-License-Identifier: MIT */
/*
 * --format as Docker's formatter.Context reads it: "table" alone (the
 * program's own table), "table TEMPLATE" (a header row, then a row per
 * item, aligned by Go's tabwriter), "json" ({{json .}} per item), or any
 * other template, run per item. "\t" and "\n" written as two characters
 * mean a tab and a newline, as in docker.
 */
#ifndef LIMG_EXAMPLES_RENDER_H
#define LIMG_EXAMPLES_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "template.h"

struct render {
	struct template *tmpl;
	bool table;
	FILE *rows; /* a table's rows, until the widths are known */
	char *text;
	size_t len;
	FILE *out;
};

/* Prepares @format (NULL or "": "table"); @default_table is the program's
 * table (a template, without "table "). 0, or -1 after printing Docker's
 * "template parsing error: ..." to stderr. */
int render_open(struct render *r, const char *format, const char *default_table, FILE *out);

/* Runs the template for one item. 0, or -1 after printing the error
 * (@prefix in front of it: Docker's inspect says "template parsing error: "). */
int render_row(struct render *r, const struct value *item, const char *prefix);

/* A table's column titles for render_finish(): @n pairs of field name and
 * title ({"ID", "IMAGE ID"}, ...). NULL when out of memory. */
struct value *render_titles(const char *const (*pairs)[2], size_t n);

/* For a table: the header (the template run over @header, a map of field
 * names to column titles) and the rows, aligned. Then render_free(). */
void render_finish(struct render *r, const struct value *header);

/* Frees what @r holds, printing nothing more. */
void render_free(struct render *r);

#endif
