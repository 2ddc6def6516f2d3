/* SPDX-License-Identifier: MIT */
/*
 * limg-save: docker save, on libimage.
 *
 *   limg-save [OPTIONS] -o FILE IMAGE...     (or to stdout when it is no terminal)
 *
 * Writes the archive Docker 25+ writes (an OCI layout with manifest.json and
 * repositories). With -o, the file appears whole or not at all.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static const char options[] = "  -o, --output FILE     Write to a file, instead of STDOUT\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-save", .usage = "[OPTIONS] IMAGE [IMAGE...]",
		           .about = "Save one or more images to a tar archive (streamed to STDOUT by default)",
		           .uses = CLI_STORE | CLI_PLATFORM };
	limg_archive_save_opts opts = LIMG_ARCHIVE_SAVE_OPTS_INIT;
	const char **images = calloc((size_t)argc, sizeof *images);
	const char *output = NULL;
	char *tmp = NULL;
	limg_store *store = NULL;
	size_t n = 0;
	int fd = STDOUT_FILENO, r, rc = 1;

	if (!images) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-o", &output)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--output", &output)) != 0) {
			if (r < 0)
				goto out;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			rc = 0;
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_unknown_flag(&cli, argv[i]);
			goto out;
		} else {
			images[n++] = argv[i];
		}
	}
	if (!n) {
		rc = cli_bad_args(&cli, "requires at least 1 argument");
		goto out;
	}
	if (!output && isatty(STDOUT_FILENO)) {
		/* docker's CLI says it itself: no "Error" in front */
		fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
		goto out;
	}
	/* only reads: a store that does not exist yet has no image */
	if (cli_open_store(&cli, &store, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	if (!store) {
		cli_no_such_image(images[0]);
		goto out;
	}
	if (output) {
		/* written beside the target and renamed when complete */
		if (asprintf(&tmp, "%s.tmp-XXXXXX", output) < 0) {
			tmp = NULL;
			fprintf(stderr, "Error: out of memory\n");
			goto out;
		}
		if ((fd = mkstemp(tmp)) < 0) {
			fprintf(stderr, "Error: cannot create %s: %m\n", output);
			free(tmp);
			tmp = NULL;
			goto out;
		}
		fchmod(fd, 0644);
	}
	opts.cancel = cli_cancel_on_signals();
	opts.platform = cli.platform;
	if (limg_archive_save(store, images, n, fd, &opts, NULL) < 0) {
		if (cli_not_found(LIMG_SUBJECT_IMAGE) && limg_error_object(limg_error_last()))
			cli_no_such_image(limg_error_object(limg_error_last()));
		else if (cli_not_found(LIMG_SUBJECT_IMAGE))
			fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(limg_error_last()));
		else
			fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	} else if (output && (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, output) < 0)) {
		fprintf(stderr, "Error: cannot write %s: %m\n", output);
		fd = -1;
	} else {
		fd = -1;
		rc = 0;
	}
	if (output && fd >= 0)
		close(fd);
	if (rc != 0 && tmp)
		unlink(tmp);
	cli_cancel_done(opts.cancel);
out:
	limg_store_close(store);
	free(tmp);
	free(images);
	cli_done(&cli);
	return rc;
}
