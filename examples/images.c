/* SPDX-License-Identifier: MIT */
/*
 * limg-images: docker images (the classic table), on libimage.
 *
 *   limg-images [OPTIONS] [REPOSITORY[:TAG]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "format.h"
#include "render.h"
#include "value.h"

#define MAX_FILTERS 16

/* docker's formatter/image.go */
#define TABLE "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
#define TABLE_DIGESTS                                                                                             \
	"{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}" \
	"\t{{.Size}}"
#define RAW "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
#define RAW_DIGESTS                                                                                                 \
	"repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: "          \
	"{{.CreatedAt}}\nvirtual_size: {{.Size}}\n"

/* --filter texts, checked by the library (the same filters as the bindings'). */
struct filters {
	const char *text[MAX_FILTERS];
	size_t n;
};

static int add_filter(struct filters *f, const char *text)
{
	if (f->n == MAX_FILTERS) {
		fprintf(stderr, "Error response from daemon: too many filters\n");
		return -1;
	}
	f->text[f->n++] = text;
	return 0;
}

static const char options[] =
	"  -a, --all             Show all images (untagged ones too)\n"
	"      --digests         Show digests\n"
	"  -f, --filter K=V      Filter output: dangling=true|false, reference=PATTERN, before=IMAGE,\n"
	"                        since=IMAGE, label=KEY[=VALUE], label!=KEY[=VALUE]\n"
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only show image IDs\n";

/* The column titles of `docker images` tables (formatter/image.go). */
static struct value *header(void)
{
	static const char *const titles[][2] = {
		{ "Containers", "CONTAINERS" }, { "CreatedAt", "CREATED AT" },   { "CreatedSince", "CREATED" },
		{ "Digest", "DIGEST" },         { "ID", "IMAGE ID" },            { "Repository", "REPOSITORY" },
		{ "SharedSize", "SHARED SIZE" }, { "Size", "SIZE" },             { "Tag", "TAG" },
		{ "UniqueSize", "UNIQUE SIZE" }, { "VirtualSize", "SIZE" },
	};

	return render_titles(titles, sizeof titles / sizeof titles[0]);
}

/* One row as docker's imageContext shows it (its fields, in JSON's sorted order). */
static struct value *row_value(const limg_images_row *e, time_t now, int no_trunc)
{
	const char *id = limg_images_row_id(e);
	char short_id[80], created[64], size[32], virtual_size[32], created_at[64];
	const char *repo = limg_images_row_repository(e) ? limg_images_row_repository(e) : "<none>";
	const char *tag = limg_images_row_tag(e) ? limg_images_row_tag(e) : "<none>";
	const char *digest = limg_images_row_digest(e) ? limg_images_row_digest(e) : "<none>";
	struct value *v = value_struct("*formatter.imageContext");

	snprintf(short_id, sizeof short_id, "%s", id ? (no_trunc ? id : strchr(id, ':') + 1) : "<missing>");
	if (!no_trunc && id)
		short_id[12] = '\0';
	if (limg_images_row_created(e) >= 0) {
		time_t t = (time_t)limg_images_row_created(e);
		struct tm tm;
		format_ago(created, sizeof created, (int64_t)(now - t));
		gmtime_r(&t, &tm);
		strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	} else {
		created[0] = '\0'; /* the table says N/A */
		strcpy(created_at, "N/A");
	}
	/* an image the store holds only in part is not shown with a size, as if whole */
	if (limg_images_row_state(e) == LIMG_IMAGE_INCOMPLETE) {
		strcpy(size, "incomplete");
		strcpy(virtual_size, "incomplete");
	} else if (limg_images_row_state(e) == LIMG_IMAGE_DAMAGED) {
		strcpy(size, "damaged");
		strcpy(virtual_size, "damaged");
	} else if (limg_images_row_size(e) >= 0) {
		format_size(size, sizeof size, (double)limg_images_row_size(e), 3);
		format_size(virtual_size, sizeof virtual_size, (double)limg_images_row_size(e), 4);
	} else {
		strcpy(size, "N/A");
		strcpy(virtual_size, "N/A");
	}
	if (!v || value_set(v, "Containers", value_string("N/A"), false) < 0 ||
	    value_set(v, "CreatedAt", value_string(created_at), false) < 0 ||
	    value_set(v, "CreatedSince", value_string(created), false) < 0 ||
	    value_set(v, "Digest", value_string(digest), false) < 0 || value_set(v, "ID", value_string(short_id), false) < 0 ||
	    value_set(v, "Repository", value_string(repo), false) < 0 ||
	    value_set(v, "SharedSize", value_string("N/A"), false) < 0 || value_set(v, "Size", value_string(size), false) < 0 ||
	    value_set(v, "Tag", value_string(tag), false) < 0 || value_set(v, "UniqueSize", value_string("N/A"), false) < 0 ||
	    value_set(v, "VirtualSize", value_string(virtual_size), false) < 0) {
		value_free(v);
		return NULL;
	}
	return v;
}

/* The template --format and the other flags ask for (docker's NewImageFormat). */
static const char *choose_format(const char *format, int quiet, int digests, char **owned)
{
	*owned = NULL;
	if (!format || !strcmp(format, "table"))
		return quiet ? "{{.ID}}" : digests ? "table " TABLE_DIGESTS : "table " TABLE;
	if (!strcmp(format, "raw"))
		return quiet ? "image_id: {{.ID}}" : digests ? RAW_DIGESTS : RAW;
	/* a custom table with --digests gets the column when it lacks it */
	if (!strncmp(format, "table", 5) && digests && !strstr(format, "{{.Digest}}") &&
	    asprintf(owned, "%s\t{{.Digest}}", format) > 0)
		return *owned;
	return format;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-images", .usage = "[OPTIONS] [REPOSITORY[:TAG]]", .about = "List images",
			   .uses = CLI_STORE | CLI_PLATFORM };
	struct filters filters = { { 0 }, 0 };
	struct render render = { 0 };
	struct value *titles = NULL;
	limg_images_iterator_opts lo = LIMG_IMAGES_ITERATOR_OPTS_INIT;
	limg_images_iterator *it = NULL;
	const limg_images_row *e;
	limg_store *store = NULL;
	const char *v, *positional = NULL, *format = NULL;
	char *reference_filter = NULL, *owned_format = NULL;
	int all = 0, digests = 0, no_trunc = 0, quiet = 0, r, rc = 1;
	time_t now = time(NULL);

	cli_split_shorts(&argc, &argv, "aq");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((r = cli_option(&cli, argc, argv, &i)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(a, "-a") || !strcmp(a, "--all")) {
			all = 1;
		} else if (!strcmp(a, "--digests")) {
			digests = 1;
		} else if (!strcmp(a, "--no-trunc")) {
			no_trunc = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
		} else if ((r = cli_value(argc, argv, &i, "-f", &v)) != 0 ||
		           (r = cli_value(argc, argv, &i, "--filter", &v)) != 0) {
			if (r < 0 || add_filter(&filters, v) < 0)
				return 1;
		} else if ((r = cli_value(argc, argv, &i, "--format", &format)) != 0) {
			if (r < 0)
				return 1;
		} else if (cli_is_help(a)) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			return cli_unknown_flag(&cli, a);
		} else if (positional) {
			return cli_bad_args(&cli, "accepts at most 1 argument");
		} else {
			positional = a;
		}
	}
	if (positional) {
		/* a positional REPOSITORY[:TAG] is a reference filter, as in docker */
		if (asprintf(&reference_filter, "reference=%s", positional) < 0) {
			fprintf(stderr, "Error: out of memory\n");
			return 1;
		}
		if (add_filter(&filters, reference_filter) < 0)
			goto out;
	}
	if (render_open(&render, choose_format(format, quiet, digests, &owned_format), TABLE, stdout) < 0)
		goto out;
	/* only reads: a store that does not exist yet is an empty one */
	if (cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	lo.select = all ? LIMG_LIST_ALL : LIMG_LIST_TAGGED;
	lo.platform = cli.platform;
	lo.filters = filters.text;
	lo.filters_len = filters.n;
	if (store && limg_images_iterator_new(&it, store, &lo) < 0) {
		cli_fail();
		goto out;
	}
	rc = 0;
	while (rc == 0 && it && limg_images_iterator_next(&e, it) == 0) {
		struct value *row = row_value(e, now, no_trunc);
		if (!row) {
			fprintf(stderr, "Error: out of memory\n");
			rc = 1;
		} else if (render_row(&render, row, NULL) < 0) {
			rc = 1;
		}
		value_free(row);
	}
	if (rc == 0)
		titles = header();
out:
	if (rc == 0)
		render_finish(&render, titles);
	render_free(&render);
	value_free(titles);
	limg_images_iterator_free(it);
	limg_store_close(store);
	free(reference_filter);
	free(owned_format);
	cli_done(&cli);
	return rc;
}
