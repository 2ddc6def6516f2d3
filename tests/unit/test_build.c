/* SPDX-License-Identifier: MIT */
/*
 * build: the compressor's bytes whatever its threads; tar entries (ustar,
 * PAX where needed) read back by libarchive; the layer order; layers from
 * directories and files (reproducible whatever the creation order and
 * times, parents present, whiteouts); a file that changes while it is read;
 * the builder's config edits, layers, history, a stored blob and a diff.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "compress/compress_internal.h"
#include "helpers.h"
#include "libimage/libimage.h"
#include "tar/entry.h"
#include "tar/stream.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct {
	unsigned char *p;
	size_t n, cap;
} bytes;

static int put_bytes(const void *data, size_t len, void *payload)
{
	bytes *b = payload;

	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return 0;
}

static unsigned char *sample(size_t n, uint32_t seed)
{
	unsigned char *p = malloc(n);

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (unsigned char)("layers of text, some of it repeated; 0123456789\n"[(seed >> 16) % 48]);
	}
	return p;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	chmod(path, mode);
}

static void make_dir(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void set_mtime(const char *dir, const char *name, time_t t)
{
	char path[4096];
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(lutimes(path, tv), 0);
}

/* A stored blob's bytes, decompressed. */
static bytes layer_tar(limg_store *s, const limg_layer *l)
{
	limg_buf blob = LIMG_BUF_INIT;
	limg_decompressor *d;
	bytes out = { 0 };

	ASSERT_OK(limg_store_blob_read(&blob, s, limg_layer_digest(l), 1 << 30));
	ASSERT_OK(limg_decompressor_new(&d, limg_layer_compression(l), 0));
	ASSERT_OK(limg_decompressor_update(d, blob.ptr, blob.size, put_bytes, &out));
	ASSERT_OK(limg_decompressor_finish(d));
	limg_decompressor_free(d);
	limg_buf_dispose(&blob);
	return out;
}

typedef struct {
	const bytes *b;
	size_t at;
} reader;

static int read_bytes(size_t *out_len, void *buf, size_t cap, void *payload)
{
	reader *r = payload;
	size_t k = r->b->n - r->at < cap ? r->b->n - r->at : cap;

	memcpy(buf, r->b->p + r->at, k);
	r->at += k;
	*out_len = k;
	return 0;
}

/* The entries of a tar, one line each: "type mode uid:gid mtime size name [-> link] [xattrs]". */
static char *listing(const bytes *tar)
{
	limg__tar_stream_opts o = { 0 };
	limg__tar_stream *st;
	limg__tar_entry e;
	reader r = { tar, 0 };
	bytes out = { 0 };
	char line[9000], diff_id[80];
	int64_t size;
	int rc;

	o.compression = LIMG_COMPRESSION_NONE;
	o.read = read_bytes;
	o.read_payload = &r;
	ASSERT_OK(limg__tar_stream_open(&st, &o));
	while ((rc = limg__tar_stream_next(st, &e)) == 0) {
		int n = snprintf(line, sizeof line, "%c %04o %lld:%lld %lld %lld %s%s%s", e.type, e.mode, (long long)e.uid,
		                 (long long)e.gid, (long long)e.mtime, (long long)e.size, e.name, e.link ? " -> " : "",
		                 e.link ? e.link : "");
		for (size_t i = 0; i < e.nxattrs; i++)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%.*s", e.xattrs[i].name, (int)e.xattrs[i].len,
			              (const char *)e.xattrs[i].value);
		line[n++] = '\n';
		put_bytes(line, (size_t)n, &out);
	}
	assert_int_equal(rc, LIMG_ITEROVER);
	ASSERT_OK(limg__tar_stream_finish(st, diff_id, &size));
	assert_int_equal(size, (int64_t)tar->n);
	limg__tar_stream_free(st);
	put_bytes("", 1, &out);
	return (char *)out.p;
}

/* ---- the compressor ----------------------------------------------------------- */

static bytes compress_with(int compression, int level, int threads, const unsigned char *in, size_t n, size_t step)
{
	limg__compressor *c;
	bytes out = { 0 };

	ASSERT_OK(limg__compressor_new(&c, compression, level, threads, put_bytes, &out));
	for (size_t i = 0; i < n; i += step)
		ASSERT_OK(limg__compressor_update(c, in + i, n - i < step ? n - i : step));
	ASSERT_OK(limg__compressor_finish(c));
	assert_int_equal(limg__compressor_bytes_out(c), (int64_t)out.n);
	limg__compressor_free(c);
	return out;
}

static void test_compressor_same_bytes_whatever_threads(void **state)
{
	size_t n = 5 * LIMG_GZIP_MEMBER_SIZE + 12345;
	unsigned char *in = sample(n, 7);
	const int kinds[] = { LIMG_COMPRESSION_GZIP, LIMG_COMPRESSION_ZSTD, LIMG_COMPRESSION_NONE };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		bytes one = compress_with(kinds[k], 0, 1, in, n, 65536);
		bytes three = compress_with(kinds[k], 0, 3, in, n, 7777);
		bytes back = { 0 };
		limg_decompressor *d;
		assert_int_equal(one.n, three.n);
		assert_memory_equal(one.p, three.p, one.n);
		/* several gzip members: read back by our own decompressor as one stream */
		ASSERT_OK(limg_decompressor_new(&d, kinds[k], 0));
		ASSERT_OK(limg_decompressor_update(d, one.p, one.n, put_bytes, &back));
		ASSERT_OK(limg_decompressor_finish(d));
		limg_decompressor_free(d);
		assert_int_equal(back.n, n);
		assert_memory_equal(back.p, in, n);
		if (kinds[k] == LIMG_COMPRESSION_GZIP) {
			/* a fixed header: no name, no time, OS 255 */
			static const unsigned char head[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 };
			assert_memory_equal(one.p, head, sizeof head);
			assert_true(one.n < n * 3 / 4);
		}
		free(one.p);
		free(three.p);
		free(back.p);
	}
	free(in);
}

static void test_compressor_levels(void **state)
{
	limg__compressor *c = NULL;
	bytes out = { 0 };

	(void)state;
	assert_int_equal(limg__compressor_new(&c, LIMG_COMPRESSION_GZIP, 13, 1, put_bytes, &out), LIMG_EINVALID);
	assert_int_equal(limg__compressor_new(&c, LIMG_COMPRESSION_ZSTD, 20, 1, put_bytes, &out), LIMG_EINVALID);
	assert_null(c);
	/* an empty stream is one empty member */
	out = compress_with(LIMG_COMPRESSION_GZIP, 1, 2, NULL, 0, 1);
	assert_true(out.n >= 18);
	free(out.p);
}

/* ---- tar entries ----------------------------------------------------------------- */

static void test_entries_read_back(void **state)
{
	bytes tar = { 0 };
	limg__tar_writer t = { .fd = -1, .write = put_bytes, .payload = &tar };
	char long_name[400], long_link[300], *list;
	static const char cap[] = { 1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	limg__tar_xattr xs[] = { { "user.b", "2", 1 }, { "security.capability", cap, sizeof cap }, { "user.a", "1", 1 } };

	(void)state;
	memset(long_name, 'n', sizeof long_name);
	long_name[120] = '/';
	long_name[sizeof long_name - 1] = '\0';
	memset(long_link, 'l', sizeof long_link);
	long_link[sizeof long_link - 1] = '\0';
	{
		limg__tar_entry e = { "dir", LIMG__TAR_DIR, 0755, 0, 0, NULL, NULL, 0, 0, NULL, 0, 0, NULL, 0 };
		ASSERT_OK(limg__tar_entry_write(&t, &e));
	}
	{
		/* a 200-byte name fits ustar's prefix and name */
		char mid[210];
		limg__tar_entry e = { mid, LIMG__TAR_REG, 04755, 1000, 1000, "user", "group", 1700000000, 3, NULL, 0, 0,
			              xs, 3 };
		memset(mid, 'm', 200);
		mid[100] = '/';
		mid[200] = '\0';
		ASSERT_OK(limg__tar_entry_write(&t, &e));
		ASSERT_OK(limg__tar_data(&t, "abc", 3));
		ASSERT_OK(limg__tar_pad(&t, 3));
	}
	{
		limg__tar_entry e = { long_name, LIMG__TAR_SYMLINK, 0777, 5000000, 7, NULL, NULL, -5, 0, long_link, 0, 0,
			              NULL, 0 };
		ASSERT_OK(limg__tar_entry_write(&t, &e));
	}
	{
		limg__tar_entry e = { "dev/null", LIMG__TAR_CHAR, 0666, 0, 0, NULL, NULL, 0, 0, NULL, 1, 3, NULL, 0 };
		ASSERT_OK(limg__tar_entry_write(&t, &e));
	}
	{
		limg__tar_entry e = { "hard", LIMG__TAR_HARDLINK, 0644, 0, 0, NULL, NULL, 0, 0, "dir", 0, 0, NULL, 0 };
		ASSERT_OK(limg__tar_entry_write(&t, &e));
	}
	ASSERT_OK(limg__tar_finish(&t));
	assert_int_equal(tar.n % 512, 0);
	list = listing(&tar);
	/* ustar where it suffices: the first entries have no PAX header in front */
	assert_memory_equal(tar.p, "dir/", 5);
	assert_non_null(strstr(list, "5 0755 0:0 0 0 dir/\n"));
	assert_non_null(strstr(list, "0 4755 1000:1000 1700000000 3 mmmm"));
	assert_non_null(strstr(list, "security.capability=\1"));
	assert_non_null(strstr(list, "user.a=1"));
	assert_non_null(strstr(list, "user.b=2"));
	{
		/* xattrs in name order in the PAX header, whatever the order given */
		const char *p = memmem(tar.p, tar.n, "SCHILY.xattr.security.capability=", 33);
		const char *q = memmem(tar.p, tar.n, "SCHILY.xattr.user.a=", 20);
		const char *r = memmem(tar.p, tar.n, "SCHILY.xattr.user.b=", 20);
		assert_true(p && q && r && p < q && q < r);
	}
	/* the long name, link, uid and the time before 1970 through PAX */
	assert_non_null(strstr(list, "2 0777 5000000:7 -5 0 nnnn"));
	assert_non_null(strstr(list, " -> llll"));
	assert_non_null(strstr(list, long_name));
	assert_non_null(strstr(list, long_link));
	assert_non_null(strstr(list, "3 0666 0:0 0 0 dev/null\n"));
	assert_non_null(strstr(list, "1 0644 0:0 0 0 hard -> dir\n"));
	free(list);
	free(tar.p);
}

static void test_entries_refused(void **state)
{
	bytes tar = { 0 };
	limg__tar_writer t = { .fd = -1, .write = put_bytes, .payload = &tar };
	char huge[5000];
	limg__tar_xattr bad[] = { { "user.a=b", "1", 1 } };
	limg__tar_entry e = { huge, LIMG__TAR_REG, 0644, 0, 0, NULL, NULL, 0, 0, NULL, 0, 0, NULL, 0 };

	(void)state;
	memset(huge, 'a', sizeof huge);
	huge[sizeof huge - 1] = '\0';
	assert_int_equal(limg__tar_entry_write(&t, &e), LIMG_ETOOBIG);
	e.name = "";
	assert_int_equal(limg__tar_entry_write(&t, &e), LIMG_EINVALID);
	e.name = "x";
	e.xattrs = bad;
	e.nxattrs = 1;
	assert_int_equal(limg__tar_entry_write(&t, &e), LIMG_EINVALID);
	assert_int_equal(tar.n, 0);
	free(tar.p);
}

static void test_layer_order(void **state)
{
	static const char *const sorted[] = { "a", "a/b", "a/b/c", "a/c", "a-b", "a.txt", "ab", "b" };

	(void)state;
	for (size_t i = 0; i < sizeof sorted / sizeof *sorted; i++)
		for (size_t j = 0; j < sizeof sorted / sizeof *sorted; j++) {
			int c = limg__tar_path_cmp(sorted[i], sorted[j]);
			assert_true(i < j ? c < 0 : i > j ? c > 0 : c == 0);
		}
}

/* ---- layers from directories and files ------------------------------------------- */

/* The same tree, made in the given order, with the given mtimes. */
static void make_tree(const char *root, bool reverse, time_t t)
{
	unsigned char *big = sample(3 << 20, 3);

	if (!reverse) {
		make_dir(root, "etc");
		write_file(root, "etc/conf", "x=1\n", 4, 0640);
		make_dir(root, "bin");
		write_file(root, "bin/tool", big, 3 << 20, 0755);
		write_file(root, "z", "z", 1, 0600);
	} else {
		write_file(root, "z", "z", 1, 0600);
		make_dir(root, "bin");
		write_file(root, "bin/tool", big, 3 << 20, 0755);
		make_dir(root, "etc");
		write_file(root, "etc/conf", "x=1\n", 4, 0640);
	}
	{
		char path[4096], target[4096];
		snprintf(path, sizeof path, "%s/bin/link", root);
		assert_int_equal(symlink("tool", path), 0);
		snprintf(path, sizeof path, "%s/bin/hard", root);
		snprintf(target, sizeof target, "%s/bin/tool", root);
		assert_int_equal(link(target, path), 0);
	}
	set_mtime(root, "etc/conf", t);
	set_mtime(root, "bin/tool", t + 5);
	set_mtime(root, "bin/link", t + 9);
	set_mtime(root, "etc", t + 1);
	set_mtime(root, "bin", t + 3);
	free(big);
}

static void test_dir_reproducible(void **state)
{
	char *a = make_tmpdir(), *b = make_tmpdir(), *sdir = make_tmpdir();
	limg_store *s;
	limg_layer *la, *lb, *lc;
	limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
	static const char *const removed[] = { "/usr/share/doc", "/etc/old" };
	char *list;
	bytes tar;

	(void)state;
	make_tree(a, false, 1600000000);
	make_tree(b, true, 1700000000);
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	o.epoch = 1650000000;
	o.removed = removed;
	o.removed_len = 2;
	o.prefix = "/app";
	ASSERT_OK(limg_layer_new_from_dir(&la, s, a, &o, NULL));
	o.threads = 1;
	ASSERT_OK(limg_layer_new_from_dir(&lb, s, b, &o, NULL));
	/* different creation orders, times and threads: the same layer */
	assert_string_equal(limg_layer_digest(la), limg_layer_digest(lb));
	assert_string_equal(limg_layer_diff_id(la), limg_layer_diff_id(lb));
	tar = layer_tar(s, la);
	assert_int_equal(tar.n, limg_layer_tar_size(la));
	list = listing(&tar);
	/* sorted, parents present (the prefix's and the whiteouts'), every time the epoch, owners 0:0 */
	assert_string_equal(list, "5 0700 0:0 1650000000 0 app/\n" /* the directory's own mode */
	                          "5 0755 0:0 1650000000 0 app/bin/\n"
	                          "0 0755 0:0 1650000000 3145728 app/bin/hard\n"
	                          "2 0777 0:0 1650000000 0 app/bin/link -> tool\n"
	                          "1 0755 0:0 1650000000 0 app/bin/tool -> app/bin/hard\n"
	                          "5 0755 0:0 1650000000 0 app/etc/\n"
	                          "0 0640 0:0 1650000000 4 app/etc/conf\n"
	                          "0 0600 0:0 1650000000 1 app/z\n"
	                          "5 0755 0:0 1650000000 0 etc/\n"
	                          "0 0644 0:0 1650000000 0 etc/.wh.old\n"
	                          "5 0755 0:0 1650000000 0 usr/\n"
	                          "5 0755 0:0 1650000000 0 usr/share/\n"
	                          "0 0644 0:0 1650000000 0 usr/share/.wh.doc\n");
	free(list);
	free(tar.p);
	/* clamped: a time before the epoch stays, a later one is the epoch */
	o.times = LIMG_TIMES_CLAMP;
	o.removed_len = 0;
	o.prefix = NULL;
	o.owner = LIMG_OWNER_KEEP;
	ASSERT_OK(limg_layer_new_from_dir(&lc, s, a, &o, NULL));
	tar = layer_tar(s, lc);
	list = listing(&tar);
	assert_non_null(strstr(list, "0 0640 0:0 1600000000 4 etc/conf\n"));
	assert_non_null(strstr(list, "0 0755 0:0 1600000005 3145728 bin/hard\n"));
	free(list);
	free(tar.p);
	limg_layer_free(la);
	limg_layer_free(lb);
	limg_layer_free(lc);
	limg_store_close(s);
	rm_tree(a);
	rm_tree(b);
	rm_tree(sdir);
}

typedef struct {
	char path[4096];
	bool done;
} change_run;

/* On the first progress report (inside the big file's copy), the file changes. */
static int change_file(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                       void *payload)
{
	change_run *c = payload;

	(void)digest, (void)kind, (void)done, (void)total, (void)detail;
	if (event == LIMG_EVENT_WRITING && !c->done) {
		int fd = open(c->path, O_WRONLY | O_APPEND);
		c->done = true;
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "more", 4), 4);
		close(fd);
	}
	return 0;
}

static size_t count_blobs(limg_store *s)
{
	limg_blob_iterator *it;
	const char *d;
	size_t n = 0;

	ASSERT_OK(limg_blob_iterator_new(&it, s));
	while (limg_blob_iterator_next(&d, NULL, it) == 0)
		n++;
	limg_blob_iterator_free(it);
	return n;
}

static void test_dir_file_changed_while_read(void **state)
{
	char *dir = make_tmpdir(), *sdir = make_tmpdir();
	unsigned char *big = sample(6 << 20, 5);
	limg_layer_callbacks cb = LIMG_LAYER_CALLBACKS_INIT;
	limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
	limg_layer *l = NULL;
	limg_store *s;
	change_run c = { "", false };

	(void)state;
	write_file(dir, "big", big, 6 << 20, 0644);
	snprintf(c.path, sizeof c.path, "%s/big", dir);
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	cb.progress = change_file;
	cb.payload = &c;
	o.compression = LIMG_LAYER_UNCOMPRESSED; /* what is tested is the reading */
	assert_int_equal(limg_layer_new_from_dir(&l, s, dir, &o, &cb), LIMG_ECONFLICT);
	assert_true(c.done);
	assert_null(l);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "changed while it was read"));
	/* nothing stored */
	assert_int_equal(count_blobs(s), 0);
	limg_store_close(s);
	free(big);
	rm_tree(dir);
	rm_tree(sdir);
}

static void test_dir_refusals(void **state)
{
	char *dir = make_tmpdir(), *sdir = make_tmpdir(), path[8192];
	limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
	static const char *const removed[] = { "/a" };
	static const char *const climbing[] = { "/../x" };
	limg_layer *l = NULL;
	limg_store *s;

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	snprintf(path, sizeof path, "%s/missing", dir);
	assert_int_equal(limg_layer_new_from_dir(&l, s, path, NULL, NULL), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	/* a path removed and written by one layer */
	make_dir(dir, "a");
	o.removed = removed;
	o.removed_len = 1;
	assert_int_equal(limg_layer_new_from_dir(&l, s, dir, &o, NULL), LIMG_ECONFLICT);
	o.removed = climbing;
	assert_int_equal(limg_layer_new_from_dir(&l, s, dir, &o, NULL), LIMG_EINVALID);
	/* a path longer than a layer may hold: 17 levels of 255-byte names */
	{
		/* made beneath descriptors: the path is longer than mkdir() takes */
		char name[256];
		int fd = open(dir, O_RDONLY | O_DIRECTORY), next;
		memset(name, 'd', 255);
		name[255] = '\0';
		for (int i = 0; i < 17; i++) {
			assert_int_equal(mkdirat(fd, name, 0755), 0);
			assert_true((next = openat(fd, name, O_RDONLY | O_DIRECTORY)) >= 0);
			close(fd);
			fd = next;
		}
		close(fd);
	}
	assert_int_equal(limg_layer_new_from_dir(&l, s, dir, NULL, NULL), LIMG_ETOOBIG);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	assert_null(l);
	assert_int_equal(count_blobs(s), 0);
	limg_store_close(s);
	/* the 17 levels go beneath descriptors too: their paths are longer than nftw() can remove */
	{
		char name[256];
		int fds[17];
		memset(name, 'd', 255);
		name[255] = '\0';
		assert_true((fds[0] = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
		for (int i = 1; i < 17; i++)
			assert_true((fds[i] = openat(fds[i - 1], name, O_RDONLY | O_DIRECTORY)) >= 0);
		for (int i = 16; i >= 0; i--) {
			assert_int_equal(unlinkat(fds[i], name, AT_REMOVEDIR), 0);
			close(fds[i]);
		}
	}
	rm_tree(dir);
	rm_tree(sdir);
}

static void test_files_layer(void **state)
{
	char *dir = make_tmpdir(), *sdir = make_tmpdir(), src[4096], *list;
	limg_layer_file f1 = LIMG_LAYER_FILE_INIT, f2 = LIMG_LAYER_FILE_INIT, f3 = LIMG_LAYER_FILE_INIT;
	const limg_layer_file *files[] = { &f1, &f2, &f3 };
	limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
	limg_layer *l = NULL;
	limg_store *s;
	bytes tar;

	(void)state;
	write_file(dir, "server", "#!/bin/sh\n", 10, 0700);
	snprintf(src, sizeof src, "%s/server", dir);
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	f1.path = "/ko-app/server";
	f1.source = src;
	f1.mode = 0555;
	f2.path = "var/run/ko/data.txt";
	f2.data = "data";
	f2.data_len = 4;
	f2.uid = f2.gid = 65532;
	f3.path = "/ko-app/current";
	f3.type = LIMG_FILE_SYMLINK;
	f3.link = "server";
	o.compression = LIMG_LAYER_UNCOMPRESSED;
	ASSERT_OK(limg_layer_new_from_files(&l, s, files, 3, &o, NULL));
	assert_int_equal(limg_layer_compression(l), LIMG_COMPRESSION_NONE);
	assert_int_equal(limg_layer_size(l), limg_layer_tar_size(l));
	tar = layer_tar(s, l);
	list = listing(&tar);
	assert_string_equal(list, "5 0755 0:0 0 0 ko-app/\n"
	                          "2 0777 0:0 0 0 ko-app/current -> server\n"
	                          "0 0555 0:0 0 10 ko-app/server\n"
	                          "5 0755 0:0 0 0 var/\n"
	                          "5 0755 0:0 0 0 var/run/\n"
	                          "5 0755 0:0 0 0 var/run/ko/\n"
	                          "0 0644 65532:65532 0 4 var/run/ko/data.txt\n");
	free(list);
	free(tar.p);
	limg_layer_free(l);
	/* a path listed twice */
	f2.path = "/ko-app/server";
	assert_int_equal(limg_layer_new_from_files(&l, s, files, 3, &o, NULL), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_FILE);
	limg_store_close(s);
	rm_tree(dir);
	rm_tree(sdir);
}

/* ---- the builder ------------------------------------------------------------------ */

static char *config_of(limg_store *s, const char *manifest_digest)
{
	limg_buf m = LIMG_BUF_INIT, c = LIMG_BUF_INIT;
	limg_manifest *man;
	char *text;

	ASSERT_OK(limg_store_blob_read(&m, s, manifest_digest, 1 << 20));
	ASSERT_OK(limg_manifest_parse(&man, m.ptr, m.size, NULL));
	ASSERT_OK(limg_store_blob_read(&c, s, limg_descriptor_digest(limg_manifest_config(man)), 1 << 20));
	text = strdup(c.ptr);
	limg_manifest_free(man);
	limg_buf_dispose(&m);
	limg_buf_dispose(&c);
	return text;
}

static void test_builder_config(void **state)
{
	char *sdir = make_tmpdir(), *a, *b;
	static const char *const ep[] = { "/bin/sh", "-c" }, *const check[] = { "CMD-SHELL", "true" };
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_healthcheck_opts ho = LIMG_HEALTHCHECK_OPTS_INIT;
	limg_builder *b1, *b2;
	limg_buf d1 = LIMG_BUF_INIT, d2 = LIMG_BUF_INIT;
	limg_store *s;

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	bo.platform = "linux/arm64";
	bo.set_created = 1;
	bo.created = 1700000000;
	ASSERT_OK(limg_builder_new(&b1, s, "scratch", &bo));
	ASSERT_OK(limg_builder_new(&b2, s, NULL, &bo));
	/* the same edits in another order: the same bytes */
	ASSERT_OK(limg_builder_set_label(b1, "b", "2"));
	ASSERT_OK(limg_builder_set_label(b1, "a", "1"));
	ASSERT_OK(limg_builder_set_entrypoint(b1, ep, 2));
	ASSERT_OK(limg_builder_set_user(b1, "1000"));
	ASSERT_OK(limg_builder_add_exposed_port(b1, "8000-8001"));
	ASSERT_OK(limg_builder_set_env(b1, "PATH", "/bin"));
	ASSERT_OK(limg_builder_set_env(b1, "A", "x"));
	ASSERT_OK(limg_builder_set_env(b1, "PATH", "/usr/bin"));
	ho.interval = 30000000000LL;
	ho.retries = 3;
	ASSERT_OK(limg_builder_set_healthcheck(b1, check, 2, &ho));

	ASSERT_OK(limg_builder_set_healthcheck(b2, check, 2, &ho));
	ASSERT_OK(limg_builder_set_env(b2, "PATH", "/usr/bin"));
	ASSERT_OK(limg_builder_add_exposed_port(b2, "8001/tcp"));
	ASSERT_OK(limg_builder_set_env(b2, "A", "x"));
	ASSERT_OK(limg_builder_set_label(b2, "a", "1"));
	ASSERT_OK(limg_builder_add_exposed_port(b2, "8000"));
	ASSERT_OK(limg_builder_set_user(b2, "1000"));
	ASSERT_OK(limg_builder_set_entrypoint(b2, ep, 2));
	ASSERT_OK(limg_builder_set_label(b2, "b", "2"));
	ASSERT_OK(limg_builder_commit(&d1, b1, "test/one:1"));
	ASSERT_OK(limg_builder_commit(&d2, b2, NULL));
	assert_string_equal(d1.ptr, d2.ptr);
	a = config_of(s, d1.ptr);
	assert_string_equal(a, "{\"architecture\":\"arm64\",\"created\":\"2023-11-14T22:13:20Z\",\"history\":[],\"os\":\"linux\","
	                       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"User\":\"1000\","
	                       "\"ExposedPorts\":{\"8000/tcp\":{},\"8001/tcp\":{}},\"Env\":[\"PATH=/usr/bin\",\"A=x\"],"
	                       "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":30000000000,\"Retries\":3},"
	                       "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Labels\":{\"a\":\"1\",\"b\":\"2\"}},\"variant\":\"v8\"}");
	/* removals, refusals */
	ASSERT_OK(limg_builder_set_env(b1, "A", NULL));
	ASSERT_OK(limg_builder_set_label(b1, "a", NULL));
	ASSERT_OK(limg_builder_set_entrypoint(b1, NULL, 0));
	assert_int_equal(limg_builder_add_exposed_port(b1, "70000"), LIMG_EINVALID);
	assert_int_equal(limg_builder_add_exposed_port(b1, "80/icmp"), LIMG_EINVALID);
	assert_int_equal(limg_builder_set_working_dir(b1, "relative"), LIMG_EINVALID);
	assert_int_equal(limg_builder_set_env(b1, "A=B", "x"), LIMG_EINVALID);
	assert_int_equal(limg_builder_set_healthcheck(b1, ep, 2, NULL), LIMG_EINVALID);
	assert_int_equal(limg_builder_set_platform(b1, "not a platform"), LIMG_EINVALID);
	limg_buf_dispose(&d1);
	ASSERT_OK(limg_builder_commit(&d1, b1, NULL));
	b = config_of(s, d1.ptr);
	assert_non_null(strstr(b, "\"Env\":[\"PATH=/usr/bin\"]"));
	assert_non_null(strstr(b, "\"Labels\":{\"b\":\"2\"}"));
	assert_null(strstr(b, "Entrypoint"));
	free(a);
	free(b);
	limg_buf_dispose(&d1);
	limg_buf_dispose(&d2);
	limg_builder_free(b1);
	limg_builder_free(b2);
	limg_store_close(s);
	rm_tree(sdir);
}

/* Layers appended with their history, a history entry without a layer, the
 * remaining config setters, a stored blob as a layer, and a diff against an image. */
static void test_builder_layers_history_and_diff(void **state)
{
	char *dir = make_tmpdir(), *changed = make_tmpdir(), *sdir = make_tmpdir(), *cfg, *list;
	static const char *const cmd[] = { "serve", "--port=80" };
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
	limg_layer *l = NULL, *same = NULL, *diff = NULL, *none = NULL;
	limg_builder *b;
	limg_buf d = LIMG_BUF_INIT, m = LIMG_BUF_INIT;
	limg_store *s;
	bytes tar;

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, sdir, NULL));
	write_file(dir, "a", "one", 3, 0644);
	write_file(dir, "kept", "same", 4, 0644);
	make_dir(dir, "sub");
	write_file(dir, "sub/b", "gone", 4, 0644);
	ASSERT_OK(limg_layer_new_from_dir(&l, s, dir, &o, NULL));

	bo.set_created = 1;
	bo.created = 1700000000;
	ASSERT_OK(limg_builder_new(&b, s, "scratch", &bo));
	ASSERT_OK(limg_builder_set_author(b, "someone"));
	ASSERT_OK(limg_builder_append_layer(b, l, "COPY . /", "the tree"));
	ASSERT_OK(limg_builder_add_history(b, "ENV MODE=prod", NULL));
	ASSERT_OK(limg_builder_set_cmd(b, cmd, 2));
	{
		static const char *const shell[] = { "/bin/bash", "-eu", "-c" }, *const onbuild[] = { "RUN make" };
		assert_int_equal(limg_builder_set_shell(b, shell, 0), LIMG_EINVALID); /* docker refuses SHELL [] */
		ASSERT_OK(limg_builder_set_shell(b, shell, 3));
		ASSERT_OK(limg_builder_set_onbuild(b, onbuild, 1));
	}
	ASSERT_OK(limg_builder_set_stop_signal(b, "SIGQUIT"));
	ASSERT_OK(limg_builder_add_volume(b, "/data"));
	ASSERT_OK(limg_builder_set_annotation(b, "org.opencontainers.image.source", "https://example.com/x"));
	assert_int_equal(limg_builder_set_annotation(b, "", "x"), LIMG_EINVALID);
	ASSERT_OK(limg_builder_commit(&d, b, "test/base:1"));
	limg_builder_free(b);
	cfg = config_of(s, d.ptr);
	assert_non_null(strstr(cfg, "\"author\":\"someone\""));
	assert_non_null(strstr(cfg, "\"Cmd\":[\"serve\",\"--port=80\"]"));
	assert_non_null(strstr(cfg, "\"StopSignal\":\"SIGQUIT\""));
	assert_non_null(strstr(cfg, "\"Shell\":[\"/bin/bash\",\"-eu\",\"-c\"]"));
	assert_non_null(strstr(cfg, "\"OnBuild\":[\"RUN make\"]"));
	assert_non_null(strstr(cfg, "\"Volumes\":{\"/data\":{}}"));
	assert_non_null(strstr(cfg, "{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"COPY . /\",\"comment\":\"the tree\"}"));
	assert_non_null(strstr(cfg, "\"created_by\":\"ENV MODE=prod\",\"empty_layer\":true}"));
	assert_non_null(strstr(cfg, limg_layer_diff_id(l)));
	ASSERT_OK(limg_store_blob_read(&m, s, d.ptr, 1 << 20));
	assert_non_null(strstr(m.ptr, "\"annotations\":{\"org.opencontainers.image.source\":\"https://example.com/x\"}"));
	free(cfg);

	/* the stored blob, found again: the same layer */
	ASSERT_OK(limg_layer_lookup(&same, s, limg_layer_digest(l)));
	assert_string_equal(limg_layer_diff_id(same), limg_layer_diff_id(l));
	assert_int_equal(limg_layer_size(same), limg_layer_size(l));
	assert_int_equal(limg_layer_tar_size(same), limg_layer_tar_size(l));
	assert_int_equal(limg_layer_lookup(&diff, s, "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
	                 LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_BLOB);

	/* what a changed copy changes: the edited file, the new one, a whiteout for the removed one */
	write_file(changed, "a", "two", 3, 0644);
	write_file(changed, "kept", "same", 4, 0644);
	make_dir(changed, "sub");
	write_file(changed, "c", "new", 3, 0644);
	o.compression = LIMG_LAYER_UNCOMPRESSED;
	ASSERT_OK(limg_layer_new_from_diff(&diff, s, "test/base:1", changed, &o, NULL));
	tar = layer_tar(s, diff);
	list = listing(&tar);
	assert_non_null(strstr(list, " 3 a\n"));
	assert_non_null(strstr(list, " 3 c\n"));
	assert_non_null(strstr(list, " sub/.wh.b\n"));
	assert_null(strstr(list, "kept"));
	assert_int_equal(limg_layer_new_from_diff(&none, s, "no/such:image", changed, &o, NULL) < 0, 1);
	assert_null(none);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_IMAGE);
	free(list);
	free(tar.p);
	limg_layer_free(diff);
	limg_layer_free(same);
	limg_layer_free(l);
	limg_buf_dispose(&d);
	limg_buf_dispose(&m);
	limg_store_close(s);
	rm_tree(dir);
	rm_tree(changed);
	rm_tree(sdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressor_same_bytes_whatever_threads),
		cmocka_unit_test(test_compressor_levels),
		cmocka_unit_test(test_entries_read_back),
		cmocka_unit_test(test_entries_refused),
		cmocka_unit_test(test_layer_order),
		cmocka_unit_test(test_dir_reproducible),
		cmocka_unit_test(test_dir_file_changed_while_read),
		cmocka_unit_test(test_dir_refusals),
		cmocka_unit_test(test_files_layer),
		cmocka_unit_test(test_builder_config),
		cmocka_unit_test(test_builder_layers_history_and_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
