/* SPDX-License-Identifier: MIT */
/*
 * limg-rebase: crane rebase, on the store.
 *
 *   limg-rebase IMAGE --old-base OLD --new-base NEW [-t TARGET]
 *
 * IMAGE's own layers (those above OLD's) on top of NEW's, after checking
 * that IMAGE really sits on OLD; prints the result as crane does.
 */
#include <stdio.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

static int usage(int help)
{
	fprintf(help ? stdout : stderr,
	        "Usage: limg-rebase IMAGE --old-base OLD --new-base NEW [-t TARGET] [OPTIONS]\n\n"
	        "Move an image's own layers from the base it was built on to another\n\nOptions:\n"
	        "  --old-base OLD       the base IMAGE was built on\n"
	        "  --new-base NEW       the base to put under it\n"
	        "  -t, --tag T          tag the new image (default: kept untagged)\n"
	        "  --no-base-annotations  do not record NEW in org.opencontainers.image.base.*\n" CLI_COMMON_USAGE);
	return help ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_rebase_opts ro = LIMG_REBASE_OPTS_INIT;
	limg_store *store = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *image = NULL, *tag = NULL, *old_base = NULL, *new_base = NULL;
	int r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-t", &tag)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag", &tag)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--old-base", &old_base)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--new-base", &new_base)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "--no-base-annotations")) {
			ro.no_base_annotations = 1;
		} else if (argv[i][0] == '-' || image) {
			return usage(cli_is_help(argv[i]));
		} else {
			image = argv[i];
		}
	}
	if (!image || !old_base || !new_base) {
		fprintf(stderr, "\"limg-rebase\" requires IMAGE, --old-base and --new-base.\n");
		return 1;
	}
	ro.platform = cli.platform;
	if (cli_open_store(&cli, &store, LIMG_STORE_EXISTING, 0) < 0)
		goto out;
	ro.cancel = cli_cancel_on_signals();
	if (limg_build_rebase(&digest, store, image, old_base, new_base, tag, &ro) == 0) {
		build_print_result(tag, digest.ptr);
		rc = 0;
	} else if (cli_not_found(LIMG_SUBJECT_IMAGE)) {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	} else {
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	}
	cli_cancel_done(ro.cancel);
out:
	limg_buf_dispose(&digest);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
