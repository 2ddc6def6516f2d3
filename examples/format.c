/* Docker's size and duration formats, and its table layout. */
#include <stdlib.h>
#include <string.h>

#include "format.h"

void format_size(char *out, size_t cap, double size, int precision)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
	size_t i = 0;

	while (size >= 1000 && i < sizeof units / sizeof units[0] - 1) {
		size /= 1000;
		i++;
	}
	snprintf(out, cap, "%.*g%s", precision, size, units[i]);
}

void format_ago(char *out, size_t cap, int64_t seconds)
{
	int64_t minutes = seconds / 60;
	int64_t hours = (int64_t)((double)seconds / 3600.0 + 0.5);

	if (seconds < 1)
		snprintf(out, cap, "Less than a second ago");
	else if (seconds == 1)
		snprintf(out, cap, "1 second ago");
	else if (seconds < 60)
		snprintf(out, cap, "%lld seconds ago", (long long)seconds);
	else if (minutes == 1)
		snprintf(out, cap, "About a minute ago");
	else if (minutes < 60)
		snprintf(out, cap, "%lld minutes ago", (long long)minutes);
	else if (hours == 1)
		snprintf(out, cap, "About an hour ago");
	else if (hours < 48)
		snprintf(out, cap, "%lld hours ago", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, cap, "%lld days ago", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(out, cap, "%lld weeks ago", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(out, cap, "%lld months ago", (long long)(hours / 24 / 30));
	else
		snprintf(out, cap, "%lld years ago", (long long)(seconds / 3600 / 24 / 365));
}

void table_add(struct table *t, size_t ncols, const char *const *cells)
{
	char **row = calloc(ncols, sizeof *row);

	if (!row)
		return;
	for (size_t i = 0; i < ncols; i++)
		row[i] = strdup(cells[i] ? cells[i] : "");
	if (t->nrows == t->cap) {
		size_t n = t->cap ? t->cap * 2 : 16;
		char ***rows = realloc(t->rows, n * sizeof *rows);
		if (!rows)
			return;
		t->rows = rows;
		t->cap = n;
	}
	t->rows[t->nrows++] = row;
	if (ncols > t->ncols)
		t->ncols = ncols;
}

void table_print(struct table *t, FILE *out)
{
	size_t *width = calloc(t->ncols ? t->ncols : 1, sizeof *width);

	/* every column but the last is as wide as its widest cell plus 3, at least 10 */
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c + 1 < t->ncols; c++) {
			size_t w = strlen(t->rows[r][c]) + 3;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t c = 0; c + 1 < t->ncols; c++)
		if (width[c] < 10)
			width[c] = 10;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c + 1 < t->ncols)
				fprintf(out, "%-*s", (int)width[c], t->rows[r][c]);
			else
				fputs(t->rows[r][c], out);
		}
		fputc('\n', out);
	}
	free(width);
}

void table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	memset(t, 0, sizeof *t);
}

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}
