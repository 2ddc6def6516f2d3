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

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct filters filters = { { 0 }, 0 };
	struct table table = { 0 };
	limg_images_list_opts lo = LIMG_IMAGES_LIST_OPTS_INIT;
	limg_image_iterator *it;
	const limg_image_entry *e;
	limg_store *store;
	int all = 0, digests = 0, no_trunc = 0, quiet = 0, json = 0;
	time_t now = time(NULL);

	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		const char *a = argv[i];
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (!strcmp(a, "-a") || !strcmp(a, "--all"))
			all = 1;
		else if (!strcmp(a, "--digests"))
			digests = 1;
		else if (!strcmp(a, "--no-trunc"))
			no_trunc = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = 1;
		else if ((!strcmp(a, "-f") || !strcmp(a, "--filter")) && i + 1 < argc) {
			if (add_filter(&filters, argv[++i]) < 0)
				return 1;
		} else if (!strncmp(a, "--filter=", 9)) {
			if (add_filter(&filters, argv[i] + 9) < 0)
				return 1;
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			const char *v = argv[++i];
			if (!strcmp(v, "json"))
				json = 1;
			else if (strcmp(v, "table")) {
				fprintf(stderr, "unsupported format %s: use table or json\n", v);
				return 1;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			usage(stderr);
			return 1;
		} else {
			/* a positional REPOSITORY[:TAG] is a reference filter, as in docker */
			static char positional[1024];
			snprintf(positional, sizeof positional, "reference=%s", a);
			if (add_filter(&filters, positional) < 0)
				return 1;
		}
	}
	if (cli_open_store(&cli, &store, 1) < 0)
		return 1;
	lo.untagged = all ? 2 : 0;
	lo.platform = cli.platform;
	lo.filters = filters.text;
	lo.filters_len = filters.n;
	if (limg_images_list(&it, store, &lo) < 0)
		return cli_fail(NULL);
	if (!quiet && !json) {
		const char *head[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
		const char *row[6];
		int n = 0;
		for (int c = 0; c < 6; c++)
			if (c != 2 || digests)
				row[n++] = head[c];
		table_add(&table, (size_t)n, row);
	}
	while (limg_image_iterator_next(&e, it) == 0) {
		const char *id = limg_image_entry_id(e);
		char short_id[80], created[64], size[32], created_at[64];
		const char *repo = limg_image_entry_repository(e) ? limg_image_entry_repository(e) : "<none>";
		const char *tag = limg_image_entry_tag(e) ? limg_image_entry_tag(e) : "<none>";

		snprintf(short_id, sizeof short_id, "%s", id ? (no_trunc ? id : id + 7) : "<missing>");
		if (!no_trunc && id)
			short_id[12] = '\0';
		if (limg_image_entry_created(e) >= 0) {
			time_t t = (time_t)limg_image_entry_created(e);
			struct tm tm;
			format_ago(created, sizeof created, (int64_t)(now - t));
			gmtime_r(&t, &tm);
			strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
		} else {
			strcpy(created, "N/A");
			strcpy(created_at, "N/A");
		}
		if (limg_image_entry_size(e) >= 0)
			format_size(size, sizeof size, (double)limg_image_entry_size(e), 3);
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
			json_string(stdout, limg_image_entry_digest(e));
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
				row[n++] = limg_image_entry_digest(e);
			row[n++] = short_id;
			row[n++] = created;
			row[n++] = size;
			table_add(&table, (size_t)n, row);
		}
	}
	table_print(&table, stdout);
	table_free(&table);
	limg_image_iterator_free(it);
	limg_store_close(store);
	return 0;
}
