/* SPDX-License-Identifier: MIT */
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
	/* cells may hold text from a registry or another tool's index.json: a
	 * newline there must not forge a row, nor an escape drive the terminal */
	for (size_t i = 0; i < ncols; i++) {
		const char *c = cells[i] ? cells[i] : "";
		size_t cap = strlen(c) * 4 + 1; /* every byte escaped, at worst */
		char small[1024], *tmp = cap <= sizeof small ? small : malloc(cap);
		row[i] = tmp ? strdup(format_printable(tmp, cap, c)) : NULL;
		if (tmp != small)
			free(tmp);
		if (!row[i])
			goto fail; /* out of memory: the row is left out */
	}
	if (t->nrows == t->cap) {
		size_t n = t->cap ? t->cap * 2 : 16;
		char ***rows = realloc(t->rows, n * sizeof *rows);
		if (!rows)
			goto fail;
		t->rows = rows;
		t->cap = n;
	}
	t->rows[t->nrows++] = row;
	if (ncols > t->ncols)
		t->ncols = ncols;
	return;
fail:
	for (size_t i = 0; i < ncols; i++)
		free(row[i]);
	free(row);
}

void table_print(struct table *t, FILE *out)
{
	size_t *width = calloc(t->ncols ? t->ncols : 1, sizeof *width);

	if (!width)
		return;
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

/* The length of a valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3
	           : s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* A C1 control (U+0080..U+009F): terminals may read it as ESC [. */
static int is_c1(const unsigned char *s)
{
	return s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F;
}

void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', out);
	while (*p) {
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else if (n == 2 && is_c1(p)) {
			fprintf(out, "\\u%04x", p[1]);
			p += 2;
		} else if (!n) {
			fputs("\\ufffd", out); /* not UTF-8: JSON cannot carry the byte */
			p++;
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
	fputc('"', out);
}

void json_printable(FILE *out, const char *json)
{
	const unsigned char *p = (const unsigned char *)(json ? json : "null");

	for (; *p; p++) {
		if (*p == 0x7f)
			fputs("\\u007f", out);
		else if (is_c1(p))
			fprintf(out, "\\u%04x", *++p);
		else
			fputc(*p, out);
	}
}

const char *format_printable(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (!cap)
		return out;
	while (*p) {
		size_t n = utf8_len(p);
		int escape = *p < 0x20 || *p == 0x7f || !n || (n == 2 && is_c1(p));
		size_t need = escape ? 4 : n;
		if (o + need + 1 > cap)
			break;
		if (escape) {
			snprintf(out + o, 5, "\\x%02x", *p);
			o += 4;
			p++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
	}
	out[o] = '\0';
	return out;
}
