/* SPDX-License-Identifier: MIT */
/*
 * limg-test-fsck STORE [--gc]
 *
 * Test helper: runs limg_store_fsck and limg_snapshot_fsck (and with --gc,
 * limg_store_gc and limg_snapshot_gc first) and prints one line per
 * problem. Exits 0 when the store is sound.
 */
#include <stdio.h>
#include <string.h>

#include <libimage/libimage.h>

static int print(const char *object, int code, const char *message, void *payload)
{
	(void)payload;
	printf("%s %s %s\n", limg_error_name(code), object, message);
	return 0;
}

int main(int argc, char **argv)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_store_fsck_callbacks cb = LIMG_STORE_FSCK_CALLBACKS_INIT;
	limg_store *store;
	size_t problems = 0;
	int rc;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--gc"))) {
		fprintf(stderr, "usage: limg-test-fsck STORE [--gc]\n");
		return 2;
	}
	so.mode = LIMG_STORE_EXISTING;
	if (limg_store_open(&store, NULL, argv[1], &so) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		return 1;
	}
	cb.problem = print;
	rc = argc == 3 ? limg_store_gc(NULL, store, NULL, NULL) : 0;
	if (rc == 0 && argc == 3)
		rc = limg_snapshot_gc(NULL, store, NULL, NULL);
	if (rc == 0)
		rc = limg_store_fsck(&problems, store, NULL, &cb);
	if (rc == 0) {
		size_t more = 0;
		rc = limg_snapshot_fsck(&more, store, NULL, &cb);
		problems += more;
	}
	if (rc)
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	limg_store_close(store);
	return rc || problems ? 1 : 0;
}
