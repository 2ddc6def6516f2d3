/* SPDX-License-Identifier: MIT */
/*
 * limg-rebase: crane rebase, on the store.
 *
 *   limg-rebase [OPTIONS] IMAGE --old-base OLD --new-base NEW
 *
 * IMAGE's own layers (those above OLD's) on top of NEW's, after checking
 * that IMAGE really sits on OLD; prints the result as crane does.
 */
#include <stdio.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

static const char options[] =
	"      --old-base OLD    the base IMAGE was built on\n"
	"      --new-base NEW    the base to put under it\n"
	"  -t, --tag T           tag the new image (default: kept untagged)\n"
	"      --no-base-annotations  do not record NEW in org.opencontainers.image.base.*\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-rebase", .usage = "[OPTIONS] IMAGE --old-base OLD --new-base NEW",
		           .about = "Move an image's own layers from the base it was built on to another",
		           .uses = CLI_STORE | CLI_PLATFORM };
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
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (!old_base || !new_base) {
		/* cobra's words (crane rebase) for a required flag left out */
		fprintf(stderr, "Error: required flag(s) %s not set\nSee 'limg-rebase --help'.\n",
		        !old_base && !new_base ? "\"new-base\", \"old-base\"" : !old_base ? "\"old-base\"" : "\"new-base\"");
		return 1;
	}
	ro.platform = cli.platform;
	if (cli_open_store(&cli, &store, LIMG_STORE_EXISTING, 0) < 0)
		goto out;
	ro.cancel = cli_cancel_on_signals();
	if (limg_build_rebase(&digest, store, image, old_base, new_base, tag, &ro) == 0) {
		build_print_result(tag, digest.ptr);
		rc = 0;
	} else {
		build_fail(NULL); /* which of the three images is missing: the error names it */
	}
	cli_cancel_done(ro.cancel);
out:
	limg_buf_dispose(&digest);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
