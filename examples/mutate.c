/* SPDX-License-Identifier: MIT */
/*
 * limg-mutate: crane mutate, on the store.
 *
 *   limg-mutate IMAGE [--entrypoint X] [--cmd X] [--env K=V]... [--label K=V]...
 *               [--user U] [--workdir W] [--expose P]... [-t TARGET]
 *
 * Edits the image's config (and manifest annotations) and stores the
 * result; prints it as crane does (NAME@DIGEST, or the digest).
 */
#include <stdio.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

static const char options[] =
	"  -t, --tag T           tag the new image (default: kept untagged)\n" BUILD_CONFIG_USAGE;

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-mutate", .usage = "[OPTIONS] IMAGE",
		           .about = "Edit an image's config and store the result", .uses = CLI_STORE | CLI_PLATFORM };
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_store *store = NULL;
	limg_builder *b = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *image = NULL, *tag = NULL;
	int r, rc = 1;

	/* first the image and the common options; the edits once there is a builder */
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-t", &tag)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag", &tag)) != 0) {
			if (r < 0)
				return 1;
		} else if (build_is_config_option(argc, argv, i)) {
			if (!strchr(argv[i], '='))
				i++;
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options,
		                                 "\nSOURCE_DATE_EPOCH, when set, is the new image's time (else the image's stays).")) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (build_apply_epoch(&bo, NULL) < 0)
		return 1;
	bo.platform = cli.platform;
	bo.no_base_annotations = 1; /* the image is edited, not built on */
	if (cli_open_store(&cli, &store, LIMG_STORE_EXISTING, 0) < 0)
		goto out;
	if (limg_builder_new(&b, store, image, &bo) < 0) {
		build_fail(image);
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if (!build_is_config_option(argc, argv, i)) {
			/* skip what the first pass took, values included */
			const char *v;
			struct cli skip = { .uses = cli.uses };
			if (cli_option(&skip, argc, argv, &i) == 0 && cli_value(argc, argv, &i, "-t", &v) == 0)
				cli_value(argc, argv, &i, "--tag", &v);
			continue;
		}
		if (build_config_option(argc, argv, &i, b) < 0)
			goto out;
	}
	if (limg_builder_commit(&digest, b, tag) < 0) {
		cli_fail();
		goto out;
	}
	build_print_result(tag, digest.ptr);
	rc = 0;
out:
	limg_buf_dispose(&digest);
	limg_builder_free(b);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
