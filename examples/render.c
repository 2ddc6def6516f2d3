/* SPDX-License-Identifier: MIT */
/* Docker's formatter.Context: table, json or a template, row by row. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "render.h"

/* What docker's preFormat does: "table" off, spaces trimmed, \t and \n
 * written as two characters made a tab and a newline. */
static char *pre_format(const char *format, const char *default_table, bool *table)
{
	const char *f = format && *format ? format : "table";
	char *out, *o;

	*table = !strncmp(f, "table", 5);
	if (!strcmp(f, "table"))
		f = default_table;
	else if (!strcmp(f, "json"))
		f = "{{json .}}";
	else if (*table)
		f += 5;
	while (*f == ' ')
		f++;
	if (!(out = o = malloc(strlen(f) + 1)))
		return NULL;
	for (; *f; f++) {
		if (f[0] == '\\' && (f[1] == 't' || f[1] == 'n')) {
			*o++ = f[1] == 't' ? '\t' : '\n';
			f++;
		} else {
			*o++ = *f;
		}
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

int render_open(struct render *r, const char *format, const char *default_table, FILE *out)
{
	char err[512], *text;

	memset(r, 0, sizeof *r);
	r->out = out;
	if (!(text = pre_format(format, default_table, &r->table))) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	r->tmpl = template_parse(text, err, sizeof err);
	free(text);
	if (!r->tmpl) {
		fprintf(stderr, "template parsing error: %s\n", err);
		return -1;
	}
	if (r->table && !(r->rows = open_memstream(&r->text, &r->len))) {
		fprintf(stderr, "Error: out of memory\n");
		template_free(r->tmpl);
		r->tmpl = NULL;
		return -1;
	}
	return 0;
}

int render_row(struct render *r, const struct value *item, const char *prefix)
{
	char err[512];

	if (template_execute(r->tmpl, item, false, r->table ? r->rows : r->out, err, sizeof err) < 0) {
		fprintf(stderr, "%s%s\n", prefix ? prefix : "", err);
		return -1;
	}
	fputc('\n', r->table ? r->rows : r->out);
	return 0;
}

struct value *render_titles(const char *const (*pairs)[2], size_t n)
{
	struct value *h = value_map();

	for (size_t i = 0; h && i < n; i++)
		if (value_set(h, pairs[i][0], value_string(pairs[i][1]), false) < 0) {
			value_free(h);
			return NULL;
		}
	return h;
}

void render_free(struct render *r)
{
	if (r->rows)
		fclose(r->rows);
	free(r->text);
	template_free(r->tmpl);
	memset(r, 0, sizeof *r);
}

void render_finish(struct render *r, const struct value *header)
{
	char *all = NULL, err[512];
	size_t len = 0;
	FILE *f;

	if (r->table && r->rows) {
		fclose(r->rows);
		r->rows = NULL;
		/* the header is the same template over the column titles */
		if ((f = open_memstream(&all, &len))) {
			/* a header that fails is printed as far as it went, as docker does */
			(void)template_execute(r->tmpl, header, true, f, err, sizeof err);
			fputc('\n', f);
			if (r->text)
				fwrite(r->text, 1, r->len, f);
			if (fclose(f) == 0)
				tabwriter_print(r->out, all, len);
			free(all);
		}
	}
	render_free(r);
}
