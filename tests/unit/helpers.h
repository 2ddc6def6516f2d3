/* SPDX-License-Identifier: MIT */
/* Shared helpers for the unit tests: ASSERT_OK, scratch directories and blobs. */
#ifndef LIMG_TEST_HELPERS_H
#define LIMG_TEST_HELPERS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libimage/libimage.h"

/* Like libgit2's cl_git_pass(): @expr must return 0; otherwise the test
 * fails and says what the library said (code, subject, object, message).
 * Include cmocka.h before using it. */
#define ASSERT_OK(expr)                                                                                         \
	do {                                                                                                    \
		int assert_ok_rc_ = (expr);                                                                     \
		if (assert_ok_rc_ != 0) {                                                                       \
			const limg_error *assert_ok_e_ = limg_error_last();                                     \
			const char *assert_ok_name_ = limg_error_name(assert_ok_rc_);                           \
			const char *assert_ok_subject_ = limg_subject_name(limg_error_subject(assert_ok_e_));   \
			print_error("%s:%d: %s returned %d (%s): %s [subject %s, object \"%s\"]\n", __FILE__, \
			            __LINE__, #expr, assert_ok_rc_, assert_ok_name_ ? assert_ok_name_ : "?",   \
			            limg_error_message(assert_ok_e_),                                           \
			            assert_ok_subject_ ? assert_ok_subject_ : "?", limg_error_object(assert_ok_e_)); \
			fail();                                                                                 \
		}                                                                                               \
	} while (0)

/* Skips the running test, saying why: the skip is printed, appended to
 * $LIMG_SKIP_LOG, and a failure under LIMG_REQUIRE_ALL=1 (tests/run.sh as
 * root, where every privilege is at hand). Include cmocka.h first. */
#define SKIP_BECAUSE(why)                                                                                       \
	do {                                                                                                    \
		const char *skip_log_ = getenv("LIMG_SKIP_LOG");                                                \
		const char *skip_all_ = getenv("LIMG_REQUIRE_ALL");                                             \
		FILE *skip_f_;                                                                                  \
		print_message("SKIPPED %s: %s\n", __func__, (why));                                             \
		if (skip_log_ && (skip_f_ = fopen(skip_log_, "a"))) {                                           \
			fprintf(skip_f_, "%s: %s: %s\n", __FILE__, __func__, (why));                            \
			fclose(skip_f_);                                                                        \
		}                                                                                               \
		if (skip_all_ && !strcmp(skip_all_, "1"))                                                       \
			fail_msg("%s: skipped where every test must run (LIMG_REQUIRE_ALL=1)", (why));          \
		skip();                                                                                         \
	} while (0)

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
	limg_blob_writer_close(w);
	return rc;
}

static inline int put_text(limg_store *s, const char *text, char *digest_out)
{
	return put_blob(s, text, strlen(text), digest_out);
}

/* limg_store_fsck() of the whole store (@digest NULL) or of one blob:
 * the number of problems found, or the negative error of the check. */
static inline long fsck_problems(limg_store *s, const char *digest, limg_problem_cb cb, void *payload)
{
	limg_store_fsck_opts opts = LIMG_STORE_FSCK_OPTS_INIT;
	limg_store_fsck_callbacks callbacks = LIMG_STORE_FSCK_CALLBACKS_INIT;
	size_t problems = 99;
	int rc;

	opts.digest = digest;
	callbacks.problem = cb;
	callbacks.payload = payload;
	rc = limg_store_fsck(&problems, s, &opts, &callbacks);
	return rc < 0 ? rc : (long)problems;
}

/* What the OCI layout checker that shares no code with libimage
 * (tests/integration/fixtures/ocilayout.py) finds wrong in @dir: 0 when
 * the layout is sound, else the checker's exit status (it prints the
 * problems), -1 when it could not run. */
static inline int layout_problems(const char *dir)
{
	char cmd[8192];
	int rc;

	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", LIMG_TEST_LAYOUT_CHECKER, dir);
	rc = system(cmd);
	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* @store is sound as limg_store_fsck judges it and as the independent
 * layout checker does. */
#define ASSERT_SOUND(store)                                                     \
	do {                                                                    \
		assert_int_equal(fsck_problems((store), NULL, NULL, NULL), 0); \
		assert_int_equal(layout_problems(limg_store_path(store)), 0);  \
	} while (0)

/* Appends one ustar member to @tar (@type '0' a file, '5' a directory,
 * '2' a symlink to @content); end the archive with tar_finish(). */
static inline void tar_add(limg_buf *tar, const char *name, const char *content, char type)
{
	char h[512];
	size_t len = type == '0' && content ? strlen(content) : 0, pad = (512 - len % 512) % 512;
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	snprintf(h, 100, "%s", name);
	snprintf(h + 100, 8, "%07o", type == '5' ? 0755u : 0644u);
	snprintf(h + 108, 8, "%07o", 0u);
	snprintf(h + 116, 8, "%07o", 0u);
	snprintf(h + 124, 12, "%011o", (unsigned)(len & 077777777777u));
	snprintf(h + 136, 12, "%011o", 1700000000u);
	h[156] = type;
	if (type == '2' && content)
		snprintf(h + 157, 100, "%s", content);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	{
		/* (a limg_buf holds the library's memory: grown here, copied in) */
		size_t at = tar->size;
		char *grown = malloc(at + 512 + len + pad);
		if (!grown)
			abort();
		if (at)
			memcpy(grown, tar->ptr, at);
		memcpy(grown + at, h, 512);
		if (len)
			memcpy(grown + at + 512, content, len);
		memset(grown + at + 512 + len, 0, pad);
		if (limg_buf_set(tar, grown, at + 512 + len + pad) != 0)
			abort();
		free(grown);
	}
}

/* Ends a tar made by tar_add(): two zero blocks. */
static inline void tar_finish(limg_buf *tar)
{
	char *grown = calloc(1, tar->size + 1024);
	if (!grown)
		abort();
	if (tar->size)
		memcpy(grown, tar->ptr, tar->size);
	if (limg_buf_set(tar, grown, tar->size + 1024) != 0)
		abort();
	free(grown);
}

/* The digests of an image put_image() stored. */
typedef struct {
	char manifest[140], config[140], layer[140], diff_id[140];
	size_t manifest_size;
} test_image;

/* The config put_image() writes when given none: "%s" is the layer's diff_id. */
#define TEST_CONFIG_DEFAULT                                                                                     \
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-15T10:00:00Z\","                     \
	"\"config\":{\"Env\":[\"PATH=/usr/bin\"],\"Cmd\":[\"/bin/sh\"]},"                                         \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}"

/* Stores an OCI image of one uncompressed layer (@layer, @layer_len bytes;
 * NULL: a small tar with one file) and a config made from @config_fmt (NULL:
 * TEST_CONFIG_DEFAULT; "%s" there is the diff_id), and tags it @tag (NULL:
 * untagged, not in index.json). 0 or the failing call's code. */
static inline int put_image(limg_store *s, const char *tag, const void *layer, size_t layer_len, const char *config_fmt,
                            test_image *out)
{
	char config[4096], manifest[4096];
	limg_buf tar = LIMG_BUF_INIT;
	int rc;

	memset(out, 0, sizeof *out);
	if (!layer) {
		tar_add(&tar, "etc/", NULL, '5');
		tar_add(&tar, "etc/hello", tag ? tag : "hello", '0');
		tar_finish(&tar);
		layer = tar.ptr;
		layer_len = tar.size;
	}
	snprintf(out->diff_id, sizeof out->diff_id, "%s", digest_of(layer, layer_len));
	if ((rc = put_blob(s, layer, layer_len, out->layer)) != 0)
		goto done;
	snprintf(config, sizeof config, config_fmt ? config_fmt : TEST_CONFIG_DEFAULT, out->diff_id);
	if ((rc = put_text(s, config, out->config)) != 0)
		goto done;
	snprintf(manifest, sizeof manifest,
	         "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\","
	         "\"config\":{\"mediaType\":\"" LIMG_MEDIA_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":%zu},"
	         "\"layers\":[{\"mediaType\":\"" LIMG_MEDIA_OCI_LAYER "\",\"digest\":\"%s\",\"size\":%zu}]}",
	         out->config, strlen(config), out->layer, layer_len);
	out->manifest_size = strlen(manifest);
	if ((rc = put_text(s, manifest, out->manifest)) != 0)
		goto done;
	if (tag)
		rc = limg_tags_set(s, tag, out->manifest);
done:
	limg_buf_dispose(&tar);
	return rc;
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
