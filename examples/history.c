/* SPDX-License-Identifier: MIT */
/*
 * limg-history: docker history, on libimage.
 *
 *   limg-history [OPTIONS] IMAGE
 *
 * The steps that made an image, newest first, from its config's history:
 * IMAGE (the image ID on the newest step, "<missing>" on the others),
 * CREATED, CREATED BY, SIZE (what the step's layer unpacks to; 0B for a
 * step that made none) and COMMENT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "format.h"
#include "render.h"
#include "value.h"

/* docker's formatter_history.go */
#define TABLE_HUMAN "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
#define TABLE_RAW "{{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
/* created-at dates before this are not shown in human units (docker's "epoch") */
#define EPOCH_2000 946684800

static const char options[] =
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template\n"
	"  -H, --human           Print sizes and dates in human readable format (default true)\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only show image IDs\n";

struct how {
	int human, no_trunc;
	time_t now;
};

static struct value *header(void)
{
	static const char *const titles[][2] = {
		{ "Comment", "COMMENT" },     { "CreatedAt", "CREATED AT" }, { "CreatedBy", "CREATED BY" },
		{ "CreatedSince", "CREATED" }, { "ID", "IMAGE" },             { "Size", "SIZE" },
	};

	return render_titles(titles, sizeof titles / sizeof titles[0]);
}

/* One step as docker's historyContext shows it (its fields in JSON's sorted order). */
static struct value *step_value(const char *id, const char *created_text, const char *created_by, int64_t size,
                                const char *comment, const struct how *how)
{
	int64_t created = parse_rfc3339(created_text);
	char since[64] = "", at[64] = "", sz[32], *by = strdup(created_by ? created_by : ""), shown_by[4096];
	struct value *v = value_struct("*image.historyContext");
	int bad = !v || !by;

	if (bad) {
		free(by);
		value_free(v);
		return NULL;
	}
	for (char *p = by; *p; p++)
		if (*p == '\t')
			*p = ' '; /* docker puts tabs of a RUN line on one line */
	if (how->no_trunc)
		snprintf(shown_by, sizeof shown_by, "%s", by);
	else
		format_ellipsis(shown_by, sizeof shown_by, by, 45);
	free(by);
	format_rfc3339(at, sizeof at, created < 0 ? 0 : created);
	if (!how->human)
		snprintf(since, sizeof since, "%s", at);
	else if (created > EPOCH_2000)
		format_ago(since, sizeof since, (int64_t)how->now - created);
	if (size < 0)
		snprintf(sz, sizeof sz, "N/A"); /* a layer that is not stored */
	else if (how->human)
		format_size(sz, sizeof sz, (double)size, 3);
	else
		snprintf(sz, sizeof sz, "%lld", (long long)size);
	bad |= value_set(v, "Comment", value_string(comment), false) < 0;
	bad |= value_set(v, "CreatedAt", value_string(at), false) < 0;
	bad |= value_set(v, "CreatedBy", value_string(shown_by), false) < 0;
	bad |= value_set(v, "CreatedSince", value_string(since), false) < 0;
	bad |= value_set(v, "ID", value_string(id), false) < 0;
	bad |= value_set(v, "Size", value_string(sz), false) < 0;
	if (bad) {
		value_free(v);
		return NULL;
	}
	return v;
}

/* The steps, newest first: each one that made a layer takes the next layer of the manifest. */
static int print_steps(const limg_image *img, struct render *r, const struct how *how)
{
	const limg_config *c = limg_image_config(img);
	size_t n = limg_config_history_count(c), layers = 0;
	int64_t *sizes = calloc(n ? n : 1, sizeof *sizes);
	char id[80];

	if (!sizes) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		sizes[i] = limg_config_history_empty_layer(c, i) ? 0 : limg_image_layer_size(img, layers++);
	snprintf(id, sizeof id, "%s", how->no_trunc ? limg_image_id(img) : strchr(limg_image_id(img), ':') + 1);
	if (!how->no_trunc)
		id[12] = '\0';
	for (size_t k = n; k-- > 0;) {
		struct value *v = step_value(k + 1 == n ? id : "<missing>", limg_config_history_created(c, k),
		                             limg_config_history_created_by(c, k), sizes[k],
		                             limg_config_history_comment(c, k), how);
		int rc = v ? render_row(r, v, NULL) : -1;
		if (!v)
			fprintf(stderr, "Error: out of memory\n");
		value_free(v);
		if (rc < 0) {
			free(sizes);
			return -1;
		}
	}
	free(sizes);
	return 0;
}

/* -H, --human, with docker's =true / =false. */
static int human_flag(const char *arg, int *human)
{
	const char *v = !strncmp(arg, "--human", 7) ? arg + 7 : !strncmp(arg, "-H", 2) ? arg + 2 : NULL;

	if (!v || (*v && *v != '='))
		return 0;
	if (!*v || !strcmp(v, "=true") || !strcmp(v, "=1")) {
		*human = 1;
	} else if (!strcmp(v, "=false") || !strcmp(v, "=0")) {
		*human = 0;
	} else {
		fprintf(stderr, "invalid argument \"%s\" for \"-H, --human\" flag: use true or false\n", v + 1);
		return -1;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-history", .usage = "[OPTIONS] IMAGE", .about = "Show the history of an image",
		           .uses = CLI_STORE | CLI_PLATFORM };
	struct how how = { 1, 0, time(NULL) };
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	struct render render = { 0 };
	struct value *titles = NULL;
	limg_image *img = NULL;
	limg_store *store = NULL;
	const char *image = NULL, *format = NULL;
	int quiet = 0, r, rc = 1;

	cli_split_shorts(&argc, &argv, "Hq");
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "--format", &format)) != 0 ||
		    (r = human_flag(argv[i], &how.human)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "--no-trunc")) {
			how.no_trunc = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	/* docker's NewHistoryFormat: -q and -H=false choose the table */
	if (!format || !strcmp(format, "table"))
		format = quiet ? "{{.ID}}" : how.human ? "table " TABLE_HUMAN : "table " TABLE_RAW;
	if (render_open(&render, format, TABLE_HUMAN, stdout) < 0)
		goto out;
	/* only reads: a store that does not exist yet has no image */
	if (cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	lo.platform = cli.platform;
	if (!store || limg_image_lookup(&img, store, image, &lo) < 0) {
		if (!store || cli_not_found(LIMG_SUBJECT_IMAGE))
			cli_no_such_image(image);
		else
			cli_fail();
		goto out;
	}
	/* one the store holds in part: refused as unpack refuses it, not shown as if whole */
	if (limg_image_check_whole(store, img) < 0) {
		cli_fail();
		goto out;
	}
	if (print_steps(img, &render, &how) < 0)
		goto out;
	titles = header();
	render_finish(&render, titles);
	rc = 0;
out:
	render_free(&render);
	value_free(titles);
	limg_image_free(img);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
