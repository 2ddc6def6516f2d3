/* SPDX-License-Identifier: MIT */
/*
 * limg-tag: docker tag, on libimage.
 *
 *   limg-tag [OPTIONS] SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
 *
 * SOURCE is a reference or an image ID (or a unique prefix of one).
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: limg-tag [OPTIONS] SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
	             "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n\nOptions:\n" CLI_COMMON_USAGE);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *args[2];
	int n = 0, r, rc = 1;
	limg_store *store = NULL;
	limg_reference *target = NULL;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) < 0)
			return 1;
		if (r)
			continue;
		if (cli_is_help(argv[i]))
			return usage(stdout), 0;
		if (argv[i][0] == '-' || n == 2)
			return usage(stderr), 1;
		args[n++] = argv[i];
	}
	if (n != 2) {
		fprintf(stderr, "\"limg-tag\" requires exactly 2 arguments.\n");
		return 1;
	}
	if (limg_reference_parse_docker(&target, args[1]) < 0) {
		cli_fail();
		goto out;
	}
	if (limg_reference_digest(target)) {
		fprintf(stderr, "Error response from daemon: refusing to create a tag with a digest reference\n");
		goto out;
	}
	if (cli_open_store(&cli, &store, LIMG_STORE_CREATE, 0) < 0)
		goto out;
	/* SOURCE as docker tag finds it: a reference, an ID or a unique ID prefix */
	if (limg_images_tag(store, args[0], limg_reference_string(target)) < 0)
		cli_fail();
	else
		rc = 0;
out:
	limg_reference_free(target);
	limg_store_close(store);
	cli_done(&cli);
	return rc;
}
