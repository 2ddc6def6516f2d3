/* SPDX-License-Identifier: MIT */
/* Docker's size and duration formats, and its table layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	/* cells end at a tab, rows at a newline, as Docker's formatter feeds its tabwriter */
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			fprintf(f, "%s%s", c ? "\t" : "", t->rows[r][c]);
		fputc('\n', f);
	}
	if (fclose(f) == 0)
		tabwriter_print(out, text, len);
	free(text);
}

struct tw_cell {
	const char *text;
	size_t len, width; /* bytes, runes */
};

struct tw_line {
	struct tw_cell *cells;
	size_t n;
};

struct tabwriter {
	FILE *out;
	struct tw_line *lines;
	size_t nlines;
	size_t *widths; /* of the columns to the left of the one being formatted */
	size_t nwidths;
};

#define TW_MINWIDTH 10
#define TW_PADDING 3

static size_t runes(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static void tw_write_lines(struct tabwriter *t, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *line = &t->lines[i];
		for (size_t j = 0; j < line->n; j++) {
			const struct tw_cell *c = &line->cells[j];
			fwrite(c->text, 1, c->len, t->out);
			for (size_t k = c->width; j < t->nwidths && k < t->widths[j]; k++)
				fputc(' ', t->out);
		}
		if (i + 1 < t->nlines)
			fputc('\n', t->out); /* the last line is the text after the last newline */
	}
}

/* Go's tabwriter.format: a column's width is set by the block of
 * consecutive lines that have a cell in it, then the columns to its right
 * are formatted within that block. */
static void tw_format(struct tabwriter *t, size_t line0, size_t line1)
{
	size_t column = t->nwidths;

	for (size_t this = line0; this < line1; this++) {
		size_t width = TW_MINWIDTH;
		if (column + 1 >= t->lines[this].n)
			continue;
		tw_write_lines(t, line0, this);
		line0 = this;
		for (; this < line1 && column + 1 < t->lines[this].n; this++)
			if (t->lines[this].cells[column].width + TW_PADDING > width)
				width = t->lines[this].cells[column].width + TW_PADDING;
		t->widths[t->nwidths++] = width;
		tw_format(t, line0, this);
		t->nwidths--;
		line0 = this;
	}
	tw_write_lines(t, line0, line1);
}

void tabwriter_print(FILE *out, const char *text, size_t len)
{
	struct tabwriter t = { out, NULL, 0, NULL, 0 };
	struct tw_cell *cells, *next;
	size_t maxcells = 1, nlines = 1, ncells = 1;

	for (size_t i = 0; i < len; i++) {
		nlines += text[i] == '\n';
		ncells += text[i] == '\n' || text[i] == '\t';
	}
	t.lines = calloc(nlines, sizeof *t.lines);
	next = cells = calloc(ncells, sizeof *cells);
	if (!t.lines || !cells)
		goto out;
	/* a line's cells lie side by side in @cells; the last one ends at the newline */
	t.lines[0].cells = cells;
	for (size_t i = 0, start = 0; i <= len; i++) {
		struct tw_line *line = &t.lines[t.nlines];
		if (i < len && text[i] != '\t' && text[i] != '\n')
			continue;
		*next++ = (struct tw_cell){ text + start, i - start, runes(text + start, i - start) };
		if (++line->n > maxcells)
			maxcells = line->n;
		start = i + 1;
		if (i < len && text[i] == '\n')
			t.lines[++t.nlines].cells = next;
	}
	t.nlines++;
	if ((t.widths = calloc(maxcells, sizeof *t.widths)))
		tw_format(&t, 0, t.nlines);
out:
	free(cells);
	free(t.lines);
	free(t.widths);
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

/* encoding/json's short escapes: the letter after the backslash, or 0. */
static char short_escape(unsigned char c)
{
	switch (c) {
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\b': return 'b';
	case '\f': return 'f';
	}
	return 0;
}

void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', out);
	while (*p) {
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (short_escape(*p)) {
			fprintf(out, "\\%c", short_escape(*p));
			p++;
		} else if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			/* U+2028, U+2029: encoding/json escapes them */
			fprintf(out, "\\u%04x", 0x2000 + (p[2] - 0x80));
			p += 3;
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

void format_ellipsis(char *out, size_t cap, const char *s, size_t max)
{
	size_t runes_seen = 0, i = 0, cut = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (runes_seen == (max ? max - 1 : 0))
				cut = i; /* where the "…" goes if it is needed */
			runes_seen++;
		}
	if (runes_seen <= max) {
		snprintf(out, cap, "%s", s);
		return;
	}
	snprintf(out, cap, "%.*s\xe2\x80\xa6", (int)cut, s);
}

int64_t parse_rfc3339(const char *text)
{
	struct tm tm = { 0 };
	int n = 0, oh = 0, om = 0;
	const char *p;
	int64_t t;

	if (!text || sscanf(text, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	                    &tm.tm_min, &tm.tm_sec, &n) != 6 || !n)
		return -1;
	p = text + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && !p[1])
		return t;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && strlen(p) == 6)
		return t - (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	return -1;
}

void format_rfc3339(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char zone[32];

	localtime_r(&tt, &tm);
	if (tm.tm_gmtoff == 0) {
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	snprintf(zone, sizeof zone, "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+', (int)(labs(tm.tm_gmtoff) / 3600 % 100),
	         (int)(labs(tm.tm_gmtoff) % 3600 / 60));
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	strncat(out, zone, cap - strlen(out) - 1);
}
