/* SPDX-License-Identifier: MIT */
/* Docker's human formats (github.com/docker/go-units) and a tabwriter. */
#ifndef LIMG_EXAMPLES_FORMAT_H
#define LIMG_EXAMPLES_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* units.HumanSizeWithPrecision(size, precision): "7.73MB", "111MB", "0B". */
void format_size(char *out, size_t cap, double size, int precision);
/* units.HumanDuration(seconds) + " ago": "9 days ago", "22 months ago". */
void format_ago(char *out, size_t cap, int64_t seconds);

/* docker's formatter.Ellipsis(s, max): at most @max runes, the last one
 * "…" when @s was longer. */
void format_ellipsis(char *out, size_t cap, const char *s, size_t max);

/* RFC 3339 ("2024-01-15T10:00:00.5Z", "...+02:00") to seconds since the
 * epoch; -1 when it is not that. */
int64_t parse_rfc3339(const char *text);

/* Go's time.Unix(t, 0).Format(time.RFC3339) in the local zone:
 * "2024-01-15T11:00:00+01:00", "...Z" in UTC. */
void format_rfc3339(char *out, size_t cap, int64_t t);

/* Go's text/tabwriter as Docker configures it (minwidth 10, padding 3):
 * add cells row by row, then print. */
struct table {
	char ***rows;
	size_t nrows, ncols, cap;
};
void table_add(struct table *t, size_t ncols, const char *const *cells);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* Go's text/tabwriter as Docker's formatter runs it (minwidth 10, padding
 * 3, spaces) over @text: cells end at a tab, lines at a newline, and a
 * column is as wide as its widest cell (in runes) in the block of lines
 * that have it. */
void tabwriter_print(FILE *out, const char *text, size_t len);

/* Writes @s as a JSON string (quoted, escaped; DEL and C1 controls too, so
 * that printed JSON cannot drive a terminal). */
void json_string(FILE *out, const char *s);

/* Copies JSON text (as the library formats it) to @out, escaping what a
 * terminal could act on inside its strings: DEL and C1 controls. */
void json_printable(FILE *out, const char *json);

/* @s made safe for a terminal in @out (truncated to @cap): control bytes,
 * DEL, C1 controls and bytes that are not UTF-8 become \xNN. Text from a
 * registry or a store written by others goes through this before printing. */
const char *format_printable(char *out, size_t cap, const char *s);

#endif
