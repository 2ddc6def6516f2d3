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

/* Go's text/tabwriter as Docker configures it (minwidth 10, padding 3):
 * add cells row by row, then print. */
struct table {
	char ***rows;
	size_t nrows, ncols, cap;
};
void table_add(struct table *t, size_t ncols, const char *const *cells);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* Writes @s as a JSON string (quoted, escaped). */
void json_string(FILE *out, const char *s);

#endif
