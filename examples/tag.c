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
#include "format.h"

int main(int argc, char **argv)
{
	struct cli cli = { .name = "limg-tag", .usage = "[OPTIONS] SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		           .about = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", .uses = CLI_STORE };
	const char *args[2];
	int n = 0, r, rc = 1;
	limg_store *store = NULL, *ro = NULL;
	limg_buf found = LIMG_BUF_INIT;
	limg_reference *target = NULL;

	for (int i = 1; i < argc; i++) {
		if ((r = cli_option(&cli, argc, argv, &i)) < 0)
			return 1;
		if (r)
			continue;
		if (cli_is_help(argv[i])) {
			cli_help(&cli, stdout, "");
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return cli_unknown_flag(&cli, argv[i]);
		if (n == 2)
			return cli_bad_args(&cli, "requires exactly 2 arguments");
		args[n++] = argv[i];
	}
	if (n != 2)
		return cli_bad_args(&cli, "requires exactly 2 arguments");
	if (limg_reference_parse_docker(&target, args[1]) < 0) {
		char shown[300];
		/* docker's client says it before asking the daemon: no daemon prefix */
		fprintf(stderr, "Error parsing reference: \"%s\" is not a valid repository/tag: %s\n",
		        format_printable(shown, sizeof shown, args[1]), limg_error_message(limg_error_last()));
		goto out;
	}
	if (limg_reference_digest(target)) {
		fprintf(stderr, "refusing to create a tag with a digest reference\n");
		goto out;
	}
	/* an existing store, written only when SOURCE is in it (a mistyped --store makes
	 * none; another tool's layout that lacks it is left as it was) */
	if (cli_open_store(&cli, &ro, LIMG_STORE_READ_ONLY, 1) < 0)
		goto out;
	if ((!ro || limg_images_lookup(&found, ro, args[0]) < 0) && (!ro || cli_not_found(LIMG_SUBJECT_IMAGE))) {
		cli_no_such_image(args[0]);
		goto out;
	}
	/* (another lookup error, such as a change a killed writer left for the next one to
	 * finish, which a read-only opening cannot: the tag below finishes it or says it) */
	if (cli_store_to_change(&cli, &store) < 0)
		goto out;
	/* SOURCE as docker tag finds it: a reference, an ID or a unique ID prefix */
	if (limg_images_tag(store, args[0], limg_reference_string(target)) < 0) {
		if (cli_not_found(LIMG_SUBJECT_IMAGE))
			cli_no_such_image(args[0]);
		else
			cli_fail();
	} else {
		rc = 0;
	}
out:
	limg_reference_free(target);
	limg_buf_dispose(&found);
	limg_store_close(store);
	limg_store_close(ro);
	cli_done(&cli);
	return rc;
}
