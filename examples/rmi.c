/* SPDX-License-Identifier: MIT */
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

static const char options[] = "  -f, --force           Force removal of the image (an ID tagged in several repositories)\n";

static int on_step(int event, const char *what, void *payload)
{
	(void)payload;
	if (event == LIMG_REMOVE_UNTAGGED)
		printf("Untagged: %s\n", what);
	else if (event == LIMG_REMOVE_DELETED)
		printf("Deleted: %s\n", what);
	return 0; /* other (newer) events: not shown */
}

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-rmi", .usage = "[OPTIONS] IMAGE [IMAGE...]", .about = "Remove one or more images",
		           .uses = CLI_STORE };
	limg_images_remove_opts opts = LIMG_IMAGES_REMOVE_OPTS_INIT;
	limg_images_remove_callbacks cb = LIMG_IMAGES_REMOVE_CALLBACKS_INIT;
	limg_store *store = NULL, *ro = NULL;
	char **images = calloc((size_t)argc, sizeof *images);
	int status = 1, n = 0, r;

	if (!images) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	cb.removed = on_step;
	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) < 0)
			goto out;
		if (r)
			continue;
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
			opts.force = 1;
		} else if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, options);
			status = 0;
			goto out;
		} else if (argv[i][0] != '-' || !argv[i][1]) {
			images[n++] = argv[i];
		} else {
			status = cli_unknown_flag(&cli, argv[i]);
			goto out;
		}
	}
	if (!n) {
		status = cli_bad_args(&cli, "requires at least 1 argument");
		goto out;
	}
	/* an existing store, written only once there is something to remove (a mistyped
	 * --store makes none; a name another tool's layout lacks leaves it as it was) */
	if (cli_open_store(&cli, &ro, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	status = 0;
	for (int i = 0; i < n; i++) {
		limg_buf found = LIMG_BUF_INIT;
		int missing = !ro || (limg_images_lookup(&found, ro, images[i]) < 0 && cli_not_found(LIMG_SUBJECT_IMAGE));

		limg_buf_dispose(&found);
		if (missing) {
			cli_no_such_image(images[i]);
			if (!opts.force)
				status = 1;
			continue;
		}
		/* (another lookup error: the removal says it) */
		if (cli_store_to_change(&cli, &store) < 0) {
			status = 1;
			break;
		}
		if (limg_images_remove(store, images[i], &opts, &cb) < 0) {
			if (cli_not_found(LIMG_SUBJECT_IMAGE))
				cli_no_such_image(images[i]);
			else
				fprintf(stderr, "Error response from daemon: %s\n", limg_error_message(limg_error_last()));
			/* with -f, a missing image is reported but is no failure */
			if (!(opts.force && cli_not_found(LIMG_SUBJECT_IMAGE)))
				status = 1;
		}
	}
out:
	limg_store_close(store);
	limg_store_close(ro);
	free(images);
	cli_done(&cli);
	return status;
}
