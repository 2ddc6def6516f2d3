/* SPDX-License-Identifier: MIT */
/*
 * quickstart: the README's example, compiled with the project so that it
 * stays true.
 *
 *   quickstart STORE_DIR REFERENCE [PLATFORM]
 */
#include <stdio.h>

#include <libimage/libimage.h>

int main(int argc, char **argv)
{
	limg_store *store = NULL;
	limg_pull_result *result = NULL;
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT; /* zero is the default in every field */
	int status = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: quickstart STORE_DIR REFERENCE [PLATFORM]\n");
		return 2;
	}
	opts.platform = argc > 3 ? argv[3] : NULL; /* NULL: this machine's */

	if (limg_store_open(&store, NULL, argv[1], NULL) < 0 || limg_pull(&result, store, argv[2], &opts, NULL) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	} else {
		printf("%s is image %s\n", limg_pull_result_reference(result), limg_pull_result_image_id(result));
		status = 0;
	}
	limg_pull_result_free(result);
	limg_store_close(store);
	return status;
}
