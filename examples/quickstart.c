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
	limg_store *store;
	limg_image *img;
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT; /* size-carrying options, NULL = defaults */
	int status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: quickstart STORE_DIR REFERENCE [PLATFORM]\n");
		return 2;
	}
	opts.platform = argc > 3 ? argv[3] : NULL;

	if (limg_store_open(&store, NULL, argv[1], NULL) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		return 1;
	}
	if (limg_pull(&img, store, argv[2], &opts, NULL) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		status = 1;
	} else {
		printf("%s is image %s\n", limg_image_reference(img), limg_image_id(img));
	}
	limg_image_free(img);
	limg_store_close(store);
	return status;
}
