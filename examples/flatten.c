/* SPDX-License-Identifier: MIT */
/*
 * limg-flatten: crane flatten, on the store.
 *
 *   limg-flatten [OPTIONS] IMAGE
 *
 * One layer with what the image's layers unpack to (of an index: each
 * stored platform's image); prints the result as crane does.
 */
#include <stdio.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

static const char options[] =
	"  -t, --tag T           tag the new image (default: kept untagged)\n"
	"      --compression C   gzip (libdeflate, the default), zstd or none\n"
	"      --level N         compression level (gzip 1-12, default 6; zstd 1-19, default 3)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-flatten", .usage = "[OPTIONS] IMAGE",
		           .about = "Flatten an image's layers into one and store the result", .uses = CLI_STORE };
	limg_flatten_opts fo = LIMG_FLATTEN_OPTS_INIT;
	limg_layer_opts lo = LIMG_LAYER_OPTS_INIT;
	limg_store *store = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *image = NULL, *tag = NULL;
	int r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-t", &tag)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag", &tag)) != 0 || (r = build_layer_option(argc, argv, &i, &lo)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &image, options, NULL)) >= 0) {
			return r;
		}
	}
	if (!image)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	fo.compression = lo.compression;
	fo.level = lo.level;
	if (cli_open_store(&cli, &store, LIMG_STORE_EXISTING, 0) < 0)
		goto out;
	fo.cancel = cli_cancel_on_signals();
	if (limg_build_flatten(&digest, store, image, tag, &fo, NULL) == 0) {
		build_print_result(tag, digest.ptr);
		rc = 0;
	} else {
		build_fail(image);
	}
	cli_cancel_done(fo.cancel);
out:
	limg_buf_dispose(&digest);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
