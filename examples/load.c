/* SPDX-License-Identifier: MIT */
/*
 * limg-load: docker load, on libimage.
 *
 *   limg-load [OPTIONS] [-i FILE]     (or from stdin)
 *
 * Reads docker save archives (current and legacy), skopeo's and podman's
 * docker-archive and oci-archive tars, plain or gzip/zstd compressed, and
 * prints "Loaded image: NAME:TAG" or "Loaded image ID: sha256:..." per image.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static int on_loaded(const char *reference, const char *image_id, void *payload)
{
	(void)payload;
	if (reference)
		printf("Loaded image: %s\n", reference);
	else
		printf("Loaded image ID: %s\n", image_id);
	fflush(stdout);
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to, "Usage: limg-load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n\nOptions:\n"
	            "  -i, --input FILE     read from a tar archive file, instead of STDIN\n"
	            "  -q, --quiet          suppress the load output\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_archive_load_opts opts = LIMG_ARCHIVE_LOAD_OPTS_INIT;
	limg_archive_load_callbacks cb = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;
	const char *input = NULL;
	limg_store *store = NULL;
	int fd = STDIN_FILENO, quiet = 0, r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-i", &input)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--input", &input)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (cli_is_help(argv[i])) {
			return usage(stdout), 0;
		} else {
			return usage(stderr), 1;
		}
	}
	if (!input && isatty(STDIN_FILENO)) {
		fprintf(stderr, "Error: requested load from stdin, but stdin is empty\n");
		return 1;
	}
	if (input && (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "Error: open %s: %m\n", input);
		return 1;
	}
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	opts.cancel = cli_cancel_on_signals();
	opts.platform = cli.platform; /* of an index: the image that must be whole (default this machine's) */
	if (!quiet)
		cb.loaded = on_loaded;
	if (limg_archive_load(store, fd, &opts, &cb) == 0)
		rc = 0;
	else
		fprintf(stderr, "Error: %s\n", limg_error_message(limg_error_last()));
	cli_cancel_done(opts.cancel);
out:
	if (input)
		close(fd);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
