/* SPDX-License-Identifier: MIT */
/*
 * limg-test-import STORE SRCDIR [REFERENCE DIGEST]
 *
 * Test helper: ingests every blob under SRCDIR/blobs/sha256/ into STORE
 * through the public writer API, then tags DIGEST as REFERENCE.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libimage/libimage.h>

static int fail(const char *what)
{
	fprintf(stderr, "limg-test-import: %s: %s\n", what, limg_error_message(limg_error_last()));
	return 1;
}

int main(int argc, char **argv)
{
	char dir[4096], path[8192], digest[300];
	limg_store *store;
	DIR *d;
	struct dirent *e;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: %s STORE SRCDIR [REFERENCE DIGEST]\n", argv[0]);
		return 2;
	}
	if (limg_store_open(&store, NULL, argv[1], NULL) < 0)
		return fail(argv[1]);
	snprintf(dir, sizeof dir, "%s/blobs/sha256", argv[2]);
	if (!(d = opendir(dir))) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d))) {
		limg_blob_writer *w;
		char buf[65536];
		size_t n;
		FILE *f;
		int rc;

		if (e->d_name[0] == '.')
			continue;
		snprintf(digest, sizeof digest, "sha256:%s", e->d_name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		rc = limg_blob_writer_open(&w, store, digest, -1);
		if (rc == LIMG_EEXISTS)
			continue;
		if (rc < 0)
			return fail(digest);
		if (!(f = fopen(path, "rb"))) {
			perror(path);
			return 1;
		}
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			if (limg_blob_writer_write(w, buf, n) < 0)
				return fail(digest);
		fclose(f);
		if (limg_blob_writer_commit(w) < 0)
			return fail(digest);
		limg_blob_writer_close(w);
	}
	closedir(d);
	if (argc == 5 && limg_tags_set(store, argv[3], argv[4]) < 0)
		return fail(argv[3]);
	limg_store_close(store);
	return 0;
}
