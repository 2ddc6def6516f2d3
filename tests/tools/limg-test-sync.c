/* SPDX-License-Identifier: MIT */
/*
 * limg-test-sync: limg_sync() through the library's own calls, for the
 * integration tests (limg-sync is an example program; this reads every
 * accessor of the report and builds the list without YAML).
 *
 *   limg-test-sync [OPTIONS] registry|store DESTINATION SOURCE...
 *
 * SOURCE: "store:PATH" (limg_sync_list_add_store), "dir:PATH"
 * (limg_sync_list_add_dir), "REPOSITORY=TAG,TAG"
 * (limg_sync_list_add with those tags), or a repository or image as
 * limg_sync_list_add reads it.
 * OPTIONS: --creds DOMAIN USER PASSWORD (limg_sync_list_set_registry_opts:
 *          the list's credentials for that registry), --dry-run
 *
 * Prints one line per image of the report, tab-separated: status, source,
 * destination, digest ("-" when none), error name ("-" when none), bytes,
 * reason; then "count N" (limg_sync_report_count), "tally COPIED UP_TO_DATE
 * FAILED WOULD_COPY" (limg_sync_report_tally), "json {...}"
 * (limg_sync_report_json) and "rc NAME" (what limg_sync returned). Exits 0
 * when limg_sync returned 0, 2 when it returned LIMG_EPARTIAL, else 1.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libimage/libimage.h>

static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, limg_error_message(limg_error_last()));
	return 1;
}

/* "REPOSITORY=TAG,TAG": the repository with exactly those tags. */
static int add_with_tags(limg_sync_list *list, const char *arg)
{
	limg_sync_select sel = LIMG_SYNC_SELECT_INIT;
	const char *tags[64];
	char *copy = strdup(arg), *eq, *tok, *save = NULL;
	int rc;

	if (!copy)
		return LIMG_ENOMEM;
	eq = strchr(copy, '=');
	*eq = '\0';
	for (tok = strtok_r(eq + 1, ",", &save); tok && sel.tags_len < 64; tok = strtok_r(NULL, ",", &save))
		tags[sel.tags_len++] = tok;
	sel.tags = tags;
	rc = limg_sync_list_add(list, copy, &sel);
	free(copy);
	return rc;
}

int main(int argc, char **argv)
{
	limg_sync_opts opts = LIMG_SYNC_OPTS_INIT;
	limg_sync_list *list = NULL;
	limg_sync_report *report = NULL;
	limg_buf json = LIMG_BUF_INIT;
	int i = 1, rc, status = 1;

	if (limg_sync_list_new(&list) < 0)
		return fail("limg_sync_list_new");
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--creds") && i + 3 < argc) {
			limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
			ro.username = argv[i + 2];
			ro.password = argv[i + 3];
			if (limg_sync_list_set_registry_opts(list, argv[i + 1], &ro) < 0) {
				limg_sync_list_free(list);
				return fail("limg_sync_list_set_registry_opts");
			}
			i += 3;
		} else if (!strcmp(argv[i], "--dry-run")) {
			opts.dry_run = 1;
		} else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			limg_sync_list_free(list);
			return 1;
		}
	}
	if (argc - i < 3) {
		fprintf(stderr, "usage: limg-test-sync [OPTIONS] registry|store DESTINATION SOURCE...\n");
		limg_sync_list_free(list);
		return 1;
	}
	opts.target = !strcmp(argv[i], "store") ? LIMG_SYNC_TO_STORE
	              : !strcmp(argv[i], "dir")  ? LIMG_SYNC_TO_DIR
	                                         : LIMG_SYNC_TO_REGISTRY;
	for (int s = i + 2; s < argc; s++) {
		if (!strncmp(argv[s], "store:", 6))
			rc = limg_sync_list_add_store(list, argv[s] + 6);
		else if (!strncmp(argv[s], "dir:", 4))
			rc = limg_sync_list_add_dir(list, argv[s] + 4);
		else if (strchr(argv[s], '='))
			rc = add_with_tags(list, argv[s]);
		else
			rc = limg_sync_list_add(list, argv[s], NULL);
		if (rc < 0) {
			limg_sync_list_free(list);
			return fail(argv[s]);
		}
	}
	rc = limg_sync(&report, NULL, list, argv[i + 1], &opts, NULL);
	if (report) {
		size_t n = limg_sync_report_count(report);
		for (size_t k = 0; k < n; k++) {
			const limg_sync_image *m = limg_sync_report_image(report, k);
			const char *digest = limg_sync_image_digest(m);
			int err = limg_sync_image_error(m);
			printf("%d\t%s\t%s\t%s\t%s\t%lld\t%s\n", limg_sync_image_status(m), limg_sync_image_source(m),
			       limg_sync_image_destination(m), digest ? digest : "-", err ? limg_error_name(err) : "-",
			       (long long)limg_sync_image_bytes(m), limg_sync_image_reason(m));
		}
		if (limg_sync_report_image(report, n) != NULL) {
			fprintf(stderr, "limg_sync_report_image: an image past the end\n");
			rc = LIMG_ERROR;
		}
		printf("count %zu\n", n);
		printf("tally %zu %zu %zu %zu\n", limg_sync_report_tally(report, LIMG_SYNC_COPIED),
		       limg_sync_report_tally(report, LIMG_SYNC_UP_TO_DATE), limg_sync_report_tally(report, LIMG_SYNC_FAILED),
		       limg_sync_report_tally(report, LIMG_SYNC_WOULD_COPY));
		if (limg_sync_report_json(&json, report) < 0) {
			fail("limg_sync_report_json");
			rc = LIMG_ERROR;
		} else {
			printf("json %s\n", json.ptr);
		}
	}
	printf("rc %s\n", rc ? limg_error_name(rc) : "0");
	if (rc < 0 && rc != LIMG_EPARTIAL)
		fprintf(stderr, "limg_sync: %s\n", limg_error_message(limg_error_last()));
	status = rc == 0 ? 0 : rc == LIMG_EPARTIAL ? 2 : 1;
	limg_buf_dispose(&json);
	limg_sync_report_free(report);
	limg_sync_list_free(list);
	return status;
}
