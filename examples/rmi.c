/*
 * limg-rmi: docker rmi, on libimage.
 *
 *   limg-rmi [OPTIONS] IMAGE...
 *
 * Prints "Untagged: ..." and "Deleted: sha256:..." lines; blobs no image
 * needs any more are removed from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: limg-rmi [OPTIONS] IMAGE...\n\nRemove one or more images\n\nOptions:\n" CLI_COMMON_USAGE
	             "  -f, --force          remove an image ID tagged in several repositories\n");
}

static int on_step(int event, const char *what, void *payload)
{
	(void)payload;
	printf("%s: %s\n", event == LIMG_REMOVE_UNTAGGED ? "Untagged" : "Deleted", what);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	limg_images_remove_opts opts = LIMG_IMAGES_REMOVE_OPTS_INIT;
	limg_store *store;
	char **images = calloc((size_t)argc, sizeof *images);
	int status = 0, n = 0;

	opts.cb = on_step;
	for (int i = 1; i < argc; i++) {
		int r = cli_option(&cli, argc, argv, &i);
		if (r < 0)
			return 1;
		if (r)
			continue;
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			opts.force = 1;
		else if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		else if (argv[i][0] != '-')
			images[n++] = argv[i];
		else
			return usage(stderr), 1;
	}
	if (!n) {
		fprintf(stderr, "\"limg-rmi\" requires at least 1 argument.\n");
		return 1;
	}
	if (cli_open_store(&cli, &store, 1) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (limg_images_remove(store, images[i], &opts) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(limg_error_last()));
			/* with -f, a missing image is reported but is no failure */
			if (!(opts.force && limg_error_code(limg_error_last()) == LIMG_ENOTFOUND))
				status = 1;
		}
	}
	limg_store_close(store);
	free(images);
	return status;
}
