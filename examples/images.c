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

#define MAX_FILTERS 16

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

static void usage(FILE *out)
{
	fprintf(out, "Usage: limg-images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\nOptions:\n" CLI_COMMON_USAGE
	             "  -a, --all            show untagged images too\n"
	             "      --digests        show digests\n"
	             "  -f, --filter K=V     dangling=true|false, reference=PATTERN, before=IMAGE, since=IMAGE,\n"
	             "                       label=KEY[=VALUE], label!=KEY[=VALUE]\n"
	             "      --format FORMAT  table (default) or json\n"
	             "      --no-trunc       do not truncate IDs\n"
	             "  -q, --quiet          only show image IDs\n");
}

static void print_row(struct table *table, const limg_images_row *e, time_t now, int digests, int no_trunc,
                      int quiet, int json)
{
	const char *id = limg_images_row_id(e);
	char short_id[80], created[64], size[32], created_at[64];
	const char *repo = limg_images_row_repository(e) ? limg_images_row_repository(e) : "<none>";
	const char *tag = limg_images_row_tag(e) ? limg_images_row_tag(e) : "<none>";

	snprintf(short_id, sizeof short_id, "%s", id ? (no_trunc ? id : id + 7) : "<missing>");
	if (!no_trunc && id)
		short_id[12] = '\0';
	if (limg_images_row_created(e) >= 0) {
		time_t t = (time_t)limg_images_row_created(e);
		struct tm tm;
		format_ago(created, sizeof created, (int64_t)(now - t));
		gmtime_r(&t, &tm);
		strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	} else {
		strcpy(created, "N/A");
		strcpy(created_at, "N/A");
	}
	/* an image the store holds only in part is not shown with a size, as if whole */
	if (limg_images_row_state(e) == LIMG_IMAGE_INCOMPLETE)
		strcpy(size, "incomplete");
	else if (limg_images_row_state(e) == LIMG_IMAGE_DAMAGED)
		strcpy(size, "damaged");
	else if (limg_images_row_size(e) >= 0)
		format_size(size, sizeof size, (double)limg_images_row_size(e), 3);
	else
		strcpy(size, "N/A");
	if (quiet) {
		printf("%s\n", short_id);
	} else if (json) {
		printf("{\"Containers\":\"N/A\",\"CreatedAt\":");
		json_string(stdout, created_at);
		printf(",\"CreatedSince\":");
		json_string(stdout, created);
		printf(",\"Digest\":");
		json_string(stdout, limg_images_row_digest(e));
		printf(",\"ID\":");
		json_string(stdout, short_id);
		printf(",\"Repository\":");
		json_string(stdout, repo);
		printf(",\"SharedSize\":\"N/A\",\"Size\":");
		json_string(stdout, size);
		printf(",\"Tag\":");
		json_string(stdout, tag);
		printf(",\"UniqueSize\":\"N/A\",\"VirtualSize\":");
		json_string(stdout, size);
		printf("}\n");
	} else {
		const char *row[6];
		int n = 0;
		row[n++] = repo;
		row[n++] = tag;
		if (digests)
			row[n++] = limg_images_row_digest(e);
		row[n++] = short_id;
		row[n++] = created;
		row[n++] = size;
		table_add(table, (size_t)n, row);
	}
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct filters filters = { { 0 }, 0 };
	struct table table = { 0 };
	limg_images_iterator_opts lo = LIMG_IMAGES_ITERATOR_OPTS_INIT;
	limg_images_iterator *it = NULL;
	const limg_images_row *e;
	limg_store *store = NULL;
	const char *v, *positional = NULL;
	char *reference_filter = NULL;
	int all = 0, digests = 0, no_trunc = 0, quiet = 0, json = 0, r, rc = 1;
	time_t now = time(NULL);

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
		} else if ((r = cli_value(argc, argv, &i, "--format", &v)) != 0) {
			if (r < 0)
				return 1;
			if (!strcmp(v, "json")) {
				json = 1;
			} else if (strcmp(v, "table")) {
				fprintf(stderr, "unsupported format %s: use table or json\n", v);
				return 1;
			}
		} else if (cli_is_help(a)) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			usage(stderr);
			return 1;
		} else if (positional) {
			fprintf(stderr, "\"limg-images\" accepts at most 1 argument.\n");
			return 1;
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
	if (!quiet && !json) {
		const char *head[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
		const char *row[6];
		int n = 0;
		for (int c = 0; c < 6; c++)
			if (c != 2 || digests)
				row[n++] = head[c];
		table_add(&table, (size_t)n, row);
	}
	while (it && limg_images_iterator_next(&e, it) == 0)
		print_row(&table, e, now, digests, no_trunc, quiet, json);
	table_print(&table, stdout);
	rc = 0;
out:
	table_free(&table);
	limg_images_iterator_free(it);
	limg_store_close(store);
	free(reference_filter);
	cli_done(&cli);
	return rc;
}
