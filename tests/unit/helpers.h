/* Shared helpers for the store and tag tests: scratch directories and blobs. */
#ifndef LIMG_TEST_HELPERS_H
#define LIMG_TEST_HELPERS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libimage/libimage.h"

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

/* A fresh directory under $TMPDIR (or /tmp); free the result with rm_tree(). */
static inline char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = malloc(strlen(base) + 32);
	sprintf(p, "%s/limg-test-XXXXXX", base);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static inline void rm_tree(char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

/* Digest of @len bytes, into a static buffer (one at a time). */
static inline const char *digest_of(const void *data, size_t len)
{
	static char out[8 + 128 + 1];
	limg_buf b = LIMG_BUF_INIT;
	if (limg_digest_compute(&b, LIMG_DIGEST_SHA256, data, len) != 0)
		abort();
	snprintf(out, sizeof out, "%s", b.ptr);
	limg_buf_dispose(&b);
	return out;
}

/* Stores @len bytes as a blob; returns 0 or the error. @digest_out may be NULL. */
static inline int put_blob(limg_store *s, const void *data, size_t len, char *digest_out)
{
	char digest[8 + 128 + 1];
	limg_blob_writer *w;
	int rc;

	snprintf(digest, sizeof digest, "%s", digest_of(data, len));
	if (digest_out)
		strcpy(digest_out, digest);
	rc = limg_blob_writer_open(&w, s, digest, (int64_t)len);
	if (rc == LIMG_EEXISTS)
		return 0;
	if (rc < 0)
		return rc;
	if ((rc = limg_blob_writer_write(w, data, len)) == 0)
		rc = limg_blob_writer_commit(w);
	limg_blob_writer_free(w);
	return rc;
}

static inline int put_text(limg_store *s, const char *text, char *digest_out)
{
	return put_blob(s, text, strlen(text), digest_out);
}

static inline char *path_in(const char *dir, const char *rel)
{
	char *p = malloc(strlen(dir) + strlen(rel) + 2);
	sprintf(p, "%s/%s", dir, rel);
	return p;
}

static inline size_t count_files(const char *dir)
{
	char cmd[4096];
	FILE *f;
	size_t n = 0;
	snprintf(cmd, sizeof cmd, "find '%s' -type f 2>/dev/null | wc -l", dir);
	if ((f = popen(cmd, "r"))) {
		if (fscanf(f, "%zu", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

#endif
