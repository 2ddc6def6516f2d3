/* SPDX-License-Identifier: MIT */
/*
 * quickstart: the README's example, compiled with the project so that it
 * stays true. From its first #include to the end of pull_image() it is the
 * README's "Using the library", line for line (tests/checks/readme_quickstart.py).
 *
 *   quickstart STORE_DIR REFERENCE [PLATFORM]
 */
#include <stdio.h>

#include <libimage/libimage.h>

/* Pulls ref ("redis") into the store at dir ("/var/lib/myapp/images") for
 * platform ("linux/arm64"; NULL: this machine's). Returns 0, or 1 after saying why. */
int pull_image(const char *dir, const char *ref, const char *platform)
{
	limg_store *store = NULL;
	limg_pull_result *result = NULL;
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT; /* { sizeof opts }: zero is the default everywhere */
	int status = 1;

	opts.platform = platform;
	if (limg_store_open(&store, NULL, dir, NULL) < 0 || limg_pull(&result, store, ref, &opts, NULL) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	} else {
		printf("%s is image %s\n", limg_pull_result_reference(result), limg_pull_result_image_id(result));
		status = 0;
	}
	limg_pull_result_free(result); /* NULL when nothing was pulled, as store is when nothing was opened */
	limg_store_close(store);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: quickstart STORE_DIR REFERENCE [PLATFORM]\n");
		return 2;
	}
	return pull_image(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
}
