/* SPDX-License-Identifier: MIT */
/*
 * limg-build: an image from a small JSON description, in one command.
 *
 *   limg-build [-t TARGET] FILE
 *
 * FILE's format is limg_build_spec()'s (build.h, README "Building
 * images"); its relative paths are relative to FILE's directory.
 * SOURCE_DATE_EPOCH sets the image's time and the layers' mtimes.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildcli.h"
#include "common.h"

#define SPEC_MAX (1 << 20)

static const char options[] =
	"  -t, --tag T           tag the image T (instead of the file's \"tag\")\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-build", .usage = "[OPTIONS] FILE",
		           .about = "Build an image from FILE, a JSON description (base, layers, config; see README)",
		           .uses = CLI_STORE };
	limg_spec_opts so = LIMG_SPEC_OPTS_INIT;
	limg_store *store = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *file = NULL, *tag = NULL;
	char *text = NULL, *dir_copy = NULL;
	size_t len = 0;
	FILE *f;
	int r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-t", &tag)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--tag", &tag)) != 0) {
			if (r < 0)
				return 1;
		} else if ((r = cli_one_argument(&cli, argv[i], &file, options,
		                                 "\nSOURCE_DATE_EPOCH sets the image's time and the layers' mtimes.")) >= 0) {
			return r;
		}
	}
	if (!file)
		return cli_bad_args(&cli, "requires exactly 1 argument");
	if (build_source_date_epoch(&so.epoch) < 0)
		return 1;
	so.set_epoch = getenv("SOURCE_DATE_EPOCH") && *getenv("SOURCE_DATE_EPOCH");
	if (!(f = fopen(file, "rb"))) {
		fprintf(stderr, "Error: cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (!(text = malloc(SPEC_MAX + 1)) || (len = fread(text, 1, SPEC_MAX + 1, f)) > SPEC_MAX || ferror(f)) {
		fprintf(stderr, "Error: cannot read %s (at most 1 MiB)\n", file);
		fclose(f);
		goto out;
	}
	fclose(f);
	dir_copy = strdup(file);
	so.dir = dir_copy ? dirname(dir_copy) : ".";
	so.tag = tag;
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	so.cancel = cli_cancel_on_signals();
	if (limg_build_spec(&digest, store, text, len, &so, NULL) == 0) {
		build_print_result(tag, digest.ptr);
		rc = 0;
	} else {
		build_fail(NULL); /* the base the file names, as the error names it */
	}
	cli_cancel_done(so.cancel);
out:
	free(text);
	free(dir_copy);
	limg_buf_dispose(&digest);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
