/* SPDX-License-Identifier: MIT */
/*
 * limg-load: docker load, on libimage.
 *
 *   limg-load [OPTIONS] [-i FILE]     (or from stdin)
 *
 * Reads docker save archives (current and legacy), skopeo's and podman's
 * docker-archive and oci-archive tars, plain or gzip/zstd compressed, and
 * prints "Loaded image: NAME:TAG" or "Loaded image ID: sha256:..." per image,
 * after Docker's "The image ... already exists, renaming the old one ..."
 * when a tag moves to another image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "format.h"

/* moby's tarexport: the tag moves, the old image stays (untagged); the
 * library says so as it sets the tags (no listing of the store first) */
static int on_retagged(const char *reference, const char *old_id, void *payload)
{
	char shown[1024];

	(void)payload;
	printf("The image %s already exists, renaming the old one with ID %s to empty string\n",
	       format_printable(shown, sizeof shown, reference), old_id);
	return 0;
}

static int on_loaded(const char *reference, const char *image_id, void *payload)
{
	char shown[1024];

	(void)payload;
	if (reference)
		printf("Loaded image: %s\n", format_printable(shown, sizeof shown, reference));
	else
		printf("Loaded image ID: %s\n", image_id);
	fflush(stdout);
	return 0;
}

static const char options[] = "  -i, --input FILE      Read from tar archive file, instead of STDIN\n"
                              "  -q, --quiet           Suppress the load output (there is no progress bar to hide)\n";

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-load", .usage = "[OPTIONS]", .about = "Load an image from a tar archive or STDIN",
		           .uses = CLI_STORE | CLI_PLATFORM };
	limg_archive_load_opts opts = LIMG_ARCHIVE_LOAD_OPTS_INIT;
	limg_archive_load_callbacks cb = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;
	const char *input = NULL;
	limg_store *store = NULL;
	int fd = STDIN_FILENO, r, rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) != 0 || (r = cli_value(argc, argv, &i, "-i", &input)) != 0 ||
		    (r = cli_value(argc, argv, &i, "--input", &input)) != 0) {
			if (r < 0)
				return 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			/* docker's -q hides the progress bar; "Loaded image" lines are still printed */
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_unknown_flag(&cli, argv[i]);
		} else {
			return cli_bad_args(&cli, "accepts no arguments");
		}
	}
	if (!input && isatty(STDIN_FILENO)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	if (input && (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0) {
		const char *why = strerror(errno);

		/* Go's words for an errno are the C library's, lowercase: "open F: no such file or directory" */
		fprintf(stderr, "open %s: %c%s\n", input, why[0] >= 'A' && why[0] <= 'Z' ? why[0] - 'A' + 'a' : why[0], why + 1);
		return 1;
	}
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	opts.cancel = cli_cancel_on_signals();
	opts.platform = cli.platform; /* of an index: the image that must be whole (default this machine's) */
	cb.loaded = on_loaded;
	cb.retagged = on_retagged;
	if (limg_archive_load(store, fd, &opts, &cb) == 0)
		rc = 0;
	else /* the daemon reports a load's failure in its stream: no "Error response from daemon" */
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	cli_cancel_done(opts.cancel);
out:
	if (input)
		close(fd);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
