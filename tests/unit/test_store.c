/* SPDX-License-Identifier: MIT */
/* store: layout, ingest (verify, commit, resume, private copies), reads, listing, fsck, gc, disk full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/store_internal.h"

struct fixture {
	char *dir;
	limg_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = make_tmpdir();
	if (limg_store_open(&f->store, NULL, f->dir, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	limg_store_close(f->store);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static char *read_all(const char *path)
{
	limg_buf b = LIMG_BUF_INIT;
	FILE *fp = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!fp)
		return NULL;
	b.ptr = malloc(1);
	b.ptr[0] = 0;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		b.ptr = realloc(b.ptr, b.size + n + 1);
		memcpy(b.ptr + b.size, chunk, n);
		b.size += n;
		b.ptr[b.size] = 0;
	}
	fclose(fp);
	return b.ptr;
}

static void test_layout_created(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f->dir, "oci-layout"), *text = read_all(p);

	assert_string_equal(text, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(text);
	free(p);
	p = path_in(f->dir, "index.json");
	text = read_all(p);
	assert_non_null(strstr(text, "\"schemaVersion\":2"));
	assert_non_null(strstr(text, "\"manifests\":[]"));
	free(text);
	free(p);
	assert_string_equal(limg_store_path(f->store), f->dir);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	limg_store_opts opts = LIMG_STORE_OPTS_INIT;
	limg_store *s = NULL;
	char *missing = path_in(f->dir, "nope"), *file = path_in(f->dir, "oci-layout"), *layout;

	opts.mode = LIMG_STORE_EXISTING;
	assert_int_equal(limg_store_open(&s, NULL, missing, &opts), LIMG_ENOTFOUND);
	assert_null(s);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_string_equal(limg_error_object(limg_error_last()), missing);
	assert_int_equal(limg_store_open(&s, NULL, file, NULL), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_int_equal(limg_store_open(&s, NULL, NULL, NULL), LIMG_EINVALID);
	/* a mode this library does not know */
	opts.mode = 7;
	assert_int_equal(limg_store_open(&s, NULL, f->dir, &opts), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_OPTIONS);
	opts.mode = LIMG_STORE_EXISTING;
	/* an existing layout opens without create */
	ASSERT_OK(limg_store_open(&s, NULL, f->dir, &opts));
	limg_store_close(s);
	/* a foreign layout version is refused, and left as it was */
	layout = path_in(f->dir, "oci-layout");
	FILE *fp = fopen(layout, "w");
	fputs("{\"imageLayoutVersion\":\"2.0.0\"}", fp);
	fclose(fp);
	assert_int_equal(limg_store_open(&s, NULL, f->dir, NULL), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "oci-layout"));
	free(layout);
	free(missing);
	free(file);
}

/* A layout another tool wrote (no .libimage), opened read-only: read as it
 * is, nothing made in it, every write refused. */
static void test_read_only(void **state)
{
	struct fixture *f = *state;
	limg_store_opts opts = LIMG_STORE_OPTS_INIT;
	limg_store *s = NULL;
	limg_blob_writer *w = NULL;
	limg_buf b = LIMG_BUF_INIT;
	test_image img;
	char *layout = path_in(f->dir, "foreign"), *meta, *plain = path_in(f->dir, "plain"), cmd[8192];
	struct stat before, after;
	int64_t size;

	ASSERT_OK(put_image(f->store, "ro:v1", NULL, 0, NULL, &img));
	snprintf(cmd, sizeof cmd, "mkdir '%s' && cp -r '%s/blobs' '%s/oci-layout' '%s/index.json' '%s/'", layout, f->dir,
	         f->dir, f->dir, layout);
	assert_int_equal(system(cmd), 0);
	meta = path_in(layout, ".libimage");
	opts.mode = LIMG_STORE_READ_ONLY;
	ASSERT_OK(limg_store_open(&s, NULL, layout, &opts));
	assert_int_equal(access(meta, F_OK), -1); /* nothing made */
	ASSERT_OK(limg_store_blob_read(&b, s, img.config, 1 << 20));
	ASSERT_OK(limg_tags_lookup(&b, s, "ro:v1"));
	assert_string_equal(b.ptr, img.manifest);
	assert_int_equal(stat(layout, &before), 0);
	/* every write is refused, naming the store */
	assert_int_equal(limg_blob_writer_open(&w, s, digest_of("x", 1), 1), LIMG_EINVALID);
	assert_null(w);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "read-only"));
	assert_int_equal(limg_tags_set(s, "ro:v2", img.manifest), LIMG_EINVALID);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_int_equal(limg_tags_remove(s, "ro:v1"), LIMG_EINVALID);
	assert_int_equal(limg_store_blob_delete(s, img.layer), LIMG_EINVALID);
	assert_int_equal(limg_store_gc(NULL, s, NULL, NULL), LIMG_EINVALID);
	ASSERT_OK(limg_store_blob_stat(&size, s, img.layer)); /* still there */
	ASSERT_OK(limg_tags_lookup(&b, s, "ro:v1"));
	assert_int_equal(stat(layout, &after), 0);
	assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	assert_int_equal(access(meta, F_OK), -1);
	limg_store_close(s);
	/* no store there: said so, and nothing made (nor in a directory that is no layout) */
	assert_int_equal(mkdir(plain, 0755), 0);
	assert_int_equal(limg_store_open(&s, NULL, plain, &opts), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_int_equal(count_files(plain), 0);
	opts.mode = LIMG_STORE_EXISTING;
	assert_int_equal(limg_store_open(&s, NULL, plain, &opts), LIMG_ENOTFOUND);
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", plain);
	assert_int_equal(system(cmd), 0);
	limg_buf_dispose(&b);
	free(layout);
	free(meta);
	free(plain);
}

static void test_ingest_and_read(void **state)
{
	struct fixture *f = *state;
	const char *data = "hello, blobs";
	char digest[200], *file;
	int64_t size;
	limg_buf b = LIMG_BUF_INIT;
	limg_blob_writer *w;
	struct stat st;

	strcpy(digest, digest_of(data, strlen(data)));
	assert_int_equal(limg_store_blob_stat(&size, f->store, digest), LIMG_ENOTFOUND);
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, (int64_t)strlen(data)));
	assert_int_equal(limg_blob_writer_offset(w), 0);
	ASSERT_OK(limg_blob_writer_write(w, data, 5));
	ASSERT_OK(limg_blob_writer_write(w, data + 5, strlen(data) - 5));
	/* nothing under blobs/ until commit */
	assert_int_equal(limg_store_blob_stat(&size, f->store, digest), LIMG_ENOTFOUND);
	ASSERT_OK(limg_blob_writer_commit(w));
	assert_int_equal(limg_blob_writer_write(w, "x", 1), LIMG_EINVALID);
	limg_blob_writer_close(w);

	ASSERT_OK(limg_store_blob_stat(&size, f->store, digest));
	assert_int_equal(size, (int64_t)strlen(data));
	ASSERT_OK(limg_store_blob_read(&b, f->store, digest, 1024));
	assert_string_equal(b.ptr, data);
	assert_int_equal(limg_store_blob_read(&b, f->store, digest, 4), LIMG_ETOOBIG);
	ASSERT_OK(limg_store_blob_path(&b, f->store, digest));
	file = path_in(f->dir, "blobs/sha256/");
	assert_int_equal(strncmp(b.ptr, file, strlen(file)), 0);
	assert_int_equal(stat(b.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444); /* committed blobs are read-only */
	free(file);
	limg_buf_dispose(&b);
	/* the ingest area is empty again */
	file = path_in(f->dir, ".libimage/ingest");
	assert_int_equal(count_files(file), 0);
	free(file);

	assert_int_equal(limg_blob_writer_open(&w, f->store, digest, -1), LIMG_EEXISTS);
	assert_null(w);
}

static void test_bad_digests_touch_nothing(void **state)
{
	struct fixture *f = *state;
	limg_blob_writer *w;
	int64_t size;
	const char *bad[] = { "sha256:../../../../etc/passwd", "sha256/../x", "", "md5:d41d8cd98f00b204e9800998ecf8427e",
		              "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855" };
	size_t files = count_files(f->dir); /* oci-layout, index.json, the index lock */

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_true(limg_blob_writer_open(&w, f->store, bad[i], -1) < 0);
		assert_true(limg_store_blob_stat(&size, f->store, bad[i]) < 0);
		assert_true(limg_store_blob_delete(f->store, bad[i]) < 0);
	}
	assert_int_equal(count_files(f->dir), files);
}

static void test_mismatch_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	limg_blob_writer *w;
	char digest[200], *ingest = path_in(f->dir, ".libimage/ingest"), *blobs = path_in(f->dir, "blobs");

	strcpy(digest, digest_of("right", 5));
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, 5));
	ASSERT_OK(limg_blob_writer_write(w, "wrong", 5));
	assert_int_equal(limg_blob_writer_commit(w), LIMG_EDIGEST_MISMATCH);
	assert_non_null(strstr(limg_error_message(limg_error_last()), digest));
	limg_blob_writer_close(w);
	assert_int_equal(count_files(blobs), 0);
	assert_int_equal(count_files(ingest), 0);

	/* too many bytes for the declared size */
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, 5));
	assert_int_equal(limg_blob_writer_write(w, "right!", 6), LIMG_EDIGEST_MISMATCH);
	limg_blob_writer_close(w);
	/* too few */
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, 5));
	ASSERT_OK(limg_blob_writer_write(w, "righ", 4));
	assert_int_equal(limg_blob_writer_commit(w), LIMG_EDIGEST_MISMATCH);
	limg_blob_writer_close(w);
	assert_int_equal(count_files(blobs), 0);
	assert_int_equal(count_files(ingest), 0);
	free(ingest);
	free(blobs);
}

static void test_resume_rehashes(void **state)
{
	struct fixture *f = *state;
	static char data[300000];
	char digest[200], partial[400];
	limg_blob_writer *w;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7 + i / 251);
	strcpy(digest, digest_of(data, sizeof data));

	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof data));
	ASSERT_OK(limg_blob_writer_write(w, data, 100000));
	limg_blob_writer_close(w); /* interrupted */

	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof data));
	assert_int_equal(limg_blob_writer_offset(w), 100000);
	ASSERT_OK(limg_blob_writer_write(w, data + 100000, 50000));
	limg_blob_writer_close(w); /* interrupted again */

	/* damage the partial data: the re-hash must not trust it */
	snprintf(partial, sizeof partial, "%s/.libimage/ingest/sha256-%s", f->dir, digest + 7);
	int fd = open(partial, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "XX", 2, 1234), 2);
	close(fd);
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof data));
	assert_int_equal(limg_blob_writer_offset(w), 150000);
	ASSERT_OK(limg_blob_writer_write(w, data + 150000, sizeof data - 150000));
	assert_int_equal(limg_blob_writer_commit(w), LIMG_EDIGEST_MISMATCH);
	limg_blob_writer_close(w);

	/* the damaged data is gone: the next attempt starts over and succeeds */
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof data));
	assert_int_equal(limg_blob_writer_offset(w), 0);
	ASSERT_OK(limg_blob_writer_write(w, data, sizeof data));
	ASSERT_OK(limg_blob_writer_commit(w));
	limg_blob_writer_close(w);
	assert_int_equal(fsck_problems(f->store, digest, NULL, NULL), 0);
}

static void test_oversized_partial_discarded(void **state)
{
	struct fixture *f = *state;
	char digest[200], partial[400];
	limg_blob_writer *w;
	FILE *fp;

	strcpy(digest, digest_of("abc", 3));
	snprintf(partial, sizeof partial, "%s/.libimage/ingest/sha256-%s", f->dir, digest + 7);
	fp = fopen(partial, "w");
	fputs("this is longer than three bytes", fp);
	fclose(fp);
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, 3));
	assert_int_equal(limg_blob_writer_offset(w), 0);
	ASSERT_OK(limg_blob_writer_write(w, "abc", 3));
	ASSERT_OK(limg_blob_writer_commit(w));
	limg_blob_writer_close(w);
}

static void test_concurrent_writers_one_copy(void **state)
{
	struct fixture *f = *state;
	char digest[200], *tmp = path_in(f->dir, ".libimage/tmp"), *blobs = path_in(f->dir, "blobs");
	limg_blob_writer *a, *b;

	strcpy(digest, digest_of("shared layer", 12));
	ASSERT_OK(limg_blob_writer_open(&a, f->store, digest, 12));
	assert_int_equal(limg_blob_writer_open(&b, f->store, digest, 12), 0); /* private copy */
	ASSERT_OK(limg_blob_writer_write(a, "shared layer", 12));
	ASSERT_OK(limg_blob_writer_write(b, "shared layer", 12));
	ASSERT_OK(limg_blob_writer_commit(b));
	ASSERT_OK(limg_blob_writer_commit(a));
	limg_blob_writer_close(a);
	limg_blob_writer_close(b);
	assert_int_equal(count_files(blobs), 1);
	assert_int_equal(count_files(tmp), 0);
	free(tmp);
	free(blobs);
}

static void test_abort(void **state)
{
	struct fixture *f = *state;
	char digest[200], *ingest = path_in(f->dir, ".libimage/ingest");
	limg_blob_writer *w;

	strcpy(digest, digest_of("abc", 3));
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, 3));
	ASSERT_OK(limg_blob_writer_write(w, "ab", 2));
	ASSERT_OK(limg_blob_writer_abort(w));
	assert_int_equal(limg_blob_writer_commit(w), LIMG_EINVALID);
	limg_blob_writer_close(w);
	assert_int_equal(count_files(ingest), 0);
	free(ingest);
}

static void test_iterate_and_delete(void **state)
{
	struct fixture *f = *state;
	limg_blob_iterator *it;
	const char *d, *prev = NULL;
	char prevbuf[200] = "";
	int64_t size;
	int n = 0;

	for (int i = 0; i < 20; i++) {
		char text[32];
		snprintf(text, sizeof text, "blob number %d", i);
		ASSERT_OK(put_text(f->store, text, NULL));
	}
	ASSERT_OK(limg_blob_iterator_new(&it, f->store));
	while (limg_blob_iterator_next(&d, &size, it) == 0) {
		assert_true(strcmp(prevbuf, d) < 0);
		strcpy(prevbuf, d);
		assert_true(size >= 13);
		n++;
		prev = d;
	}
	(void)prev;
	assert_int_equal(limg_blob_iterator_next(&d, &size, it), LIMG_ITEROVER);
	limg_blob_iterator_free(it);
	assert_int_equal(n, 20);

	ASSERT_OK(limg_store_blob_delete(f->store, prevbuf));
	assert_int_equal(limg_store_blob_delete(f->store, prevbuf), LIMG_ENOTFOUND);
}

static void corrupt_blob(const char *dir, const char *digest)
{
	char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, digest + 7);
	chmod(path, 0644);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "!", 1, 0), 1);
	close(fd);
}

static void test_reader_detects_corruption(void **state)
{
	struct fixture *f = *state;
	char digest[200], buf[4];
	limg_blob_reader *r;
	limg_buf b = LIMG_BUF_INIT;
	size_t n, total = 0;
	int rc;

	ASSERT_OK(put_text(f->store, "some stored content", digest));
	ASSERT_OK(limg_blob_reader_open(&r, f->store, digest));
	while ((rc = limg_blob_reader_read(&n, r, buf, sizeof buf)) == 0 && n)
		total += n;
	assert_int_equal(rc, 0);
	assert_int_equal(total, 19);
	limg_blob_reader_close(r);

	corrupt_blob(f->dir, digest);
	ASSERT_OK(limg_blob_reader_open(&r, f->store, digest));
	while ((rc = limg_blob_reader_read(&n, r, buf, sizeof buf)) == 0 && n)
		;
	assert_int_equal(rc, LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "blobs/sha256/"));
	limg_blob_reader_close(r);
	assert_int_equal(limg_store_blob_read(&b, f->store, digest, 1024), LIMG_ECORRUPT);
	assert_null(b.ptr);
}

/* An image: config + 2 layers + manifest, and an index over it and one
 * absent platform manifest. Returns the index digest. */
static void make_image(limg_store *s, const char *tag, char *manifest_out, char *index_out, char layers[2][200],
                       char *config_out)
{
	char manifest[4096], index[4096], config[200], l0[200], l1[200], text[64];
	size_t config_size, l0_size, l1_size;

	snprintf(text, sizeof text, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"t\":\"%s\"}", tag);
	config_size = strlen(text);
	ASSERT_OK(put_text(s, text, config));
	snprintf(text, sizeof text, "layer zero of %s", tag);
	l0_size = strlen(text);
	ASSERT_OK(put_text(s, text, l0));
	snprintf(text, sizeof text, "layer one of %s", tag);
	l1_size = strlen(text);
	ASSERT_OK(put_text(s, text, l1));
	/* 1.0: descriptors must give the blobs' real sizes (fsck and tags check them) */
	snprintf(manifest, sizeof manifest,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
	         "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu},"
	         "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu}]}",
	         config, config_size, l0, l0_size, l1, l1_size);
	ASSERT_OK(put_text(s, manifest, manifest_out));
	snprintf(index, sizeof index,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	         "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	         "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
	         "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":10,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
	         manifest_out, strlen(manifest));
	ASSERT_OK(put_text(s, index, index_out));
	if (layers) {
		strcpy(layers[0], l0);
		strcpy(layers[1], l1);
	}
	if (config_out)
		strcpy(config_out, config);
}

struct problems {
	int count;
	int codes[16];
	char subjects[16][256];
	char messages[16][1024];
};

static int on_problem(const char *subject, int code, const char *message, void *payload)
{
	struct problems *p = payload;
	if (p->count < 16) {
		p->codes[p->count] = code;
		snprintf(p->subjects[p->count], 256, "%s", subject);
		snprintf(p->messages[p->count], 1024, "%s", message);
	}
	p->count++;
	return 0;
}

static void test_fsck(void **state)
{
	struct fixture *f = *state;
	char manifest[200], index[200], layers[2][200], config[200];
	struct problems p = { 0 };
	limg_blob_writer *w;

	make_image(f->store, "fsck", manifest, index, layers, config);
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/fsck:1", index));
	assert_int_equal(fsck_problems(f->store, NULL, on_problem, &p), 0);
	assert_int_equal(p.count, 0); /* the absent arm64 manifest is normal */

	/* an unfinished ingest is not a problem either */
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest_of("pending", 7), 7));
	ASSERT_OK(limg_blob_writer_write(w, "pend", 4));
	limg_blob_writer_close(w);
	assert_int_equal(fsck_problems(f->store, NULL, on_problem, &p), 0);

	corrupt_blob(f->dir, layers[0]);
	ASSERT_OK(limg_store_blob_delete(f->store, config));
	/* 1.0: fsck succeeds and says how many problems it found */
	assert_int_equal(fsck_problems(f->store, NULL, on_problem, &p), 2);
	assert_int_equal(p.count, 2);
	for (int i = 0; i < 2; i++) {
		if (p.codes[i] == LIMG_ECORRUPT) {
			assert_string_equal(p.subjects[i], layers[0]);
			assert_non_null(strstr(p.messages[i], "blobs/sha256/"));
		} else {
			assert_int_equal(p.codes[i], LIMG_ENOTFOUND);
			assert_string_equal(p.subjects[i], config);
		}
	}
	/* one blob alone */
	assert_int_equal(fsck_problems(f->store, layers[1], NULL, NULL), 0);
	assert_int_equal(fsck_problems(f->store, layers[0], NULL, NULL), 1);
}

static void test_fsck_corrupt_index(void **state)
{
	struct fixture *f = *state;
	char *index = path_in(f->dir, "index.json"), digest[200];
	struct problems p = { 0 };
	FILE *fp;

	ASSERT_OK(put_text(f->store, "still here", digest));
	fp = fopen(index, "w");
	fputs("{\"schemaVersion\":2,\"manifests\":[{\"digest\":", fp); /* truncated */
	fclose(fp);
	assert_int_equal(fsck_problems(f->store, NULL, on_problem, &p), 1);
	assert_int_equal(p.count, 1);
	assert_string_equal(p.subjects[0], index);
	assert_non_null(strstr(p.messages[0], "index.json"));
	/* the blobs stay usable, and gc refuses to run blind */
	assert_int_equal(fsck_problems(f->store, digest, NULL, NULL), 0);
	assert_int_equal(limg_store_gc(NULL, f->store, NULL, NULL), LIMG_ECORRUPT);
	assert_int_equal(count_files(f->dir) >= 3, 1);
	int64_t size;
	ASSERT_OK(limg_store_blob_stat(&size, f->store, digest));
	free(index);
}

struct removed {
	int count;
	char what[32][200];
};

static int on_removed(const char *what, int64_t size, void *payload)
{
	struct removed *r = payload;
	(void)size;
	if (r->count < 32)
		snprintf(r->what[r->count], 200, "%s", what);
	r->count++;
	return 0;
}

static void test_gc(void **state)
{
	struct fixture *f = *state;
	char m1[200], i1[200], m2[200], i2[200], c2[200], stray[200], layers2[2][200];
	struct removed r = { 0 };
	limg_store_gc_opts opts = LIMG_STORE_GC_OPTS_INIT;
	limg_store_gc_callbacks cb = LIMG_STORE_GC_CALLBACKS_INIT;
	limg_blob_writer *w;
	int64_t size, reclaimed = -1, stray_size = (int64_t)strlen("stray blob");
	char stale[400];

	make_image(f->store, "kept", m1, i1, NULL, NULL);
	make_image(f->store, "dropped", m2, i2, layers2, c2);
	ASSERT_OK(put_text(f->store, "stray blob", stray));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/kept:1", i1));
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/dropped:1", i2));
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest_of("stale", 5), 5));
	ASSERT_OK(limg_blob_writer_write(w, "sta", 3));
	limg_blob_writer_close(w);
	/* a day and more old: stale by the default ingest_max_age */
	snprintf(stale, sizeof stale, "%s/.libimage/ingest/sha256-%s", f->dir, digest_of("stale", 5) + 7);
	{
		struct timeval tv[2] = { { time(NULL) - 2 * 86400, 0 }, { time(NULL) - 2 * 86400, 0 } };
		assert_int_equal(utimes(stale, tv), 0);
	}

	/* dry run: reports, removes nothing */
	opts.dry_run = 1;
	opts.keep_ingests = 1;
	cb.removed = on_removed;
	cb.payload = &r;
	ASSERT_OK(limg_store_gc(&reclaimed, f->store, &opts, &cb));
	assert_int_equal(r.count, 1);
	assert_string_equal(r.what[0], stray);
	assert_int_equal(reclaimed, stray_size); /* what it would reclaim */
	ASSERT_OK(limg_store_blob_stat(&size, f->store, stray));

	/* untag and forget "dropped": its five blobs and the stray go, "kept" stays */
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/library/dropped:1"));
	ASSERT_OK(limg_tags_remove_untagged(f->store, i2));
	r.count = 0;
	{
		const char *gone[] = { i2, m2, c2, layers2[0], layers2[1] };
		int64_t expected = stray_size + 3; /* and the 3 bytes of the stale ingest */
		for (size_t i = 0; i < 5; i++) {
			ASSERT_OK(limg_store_blob_stat(&size, f->store, gone[i]));
			expected += size;
		}
		stray_size = expected;
	}
	opts.dry_run = 0;
	opts.keep_ingests = 0; /* ingest_max_age 0: the default, a day */
	ASSERT_OK(limg_store_gc(&reclaimed, f->store, &opts, &cb));
	assert_int_equal(r.count, 7); /* stray, index, manifest, config, 2 layers, stale ingest */
	assert_int_equal(reclaimed, stray_size); /* every byte removed */
	assert_int_equal(limg_store_blob_stat(&size, f->store, stray), LIMG_ENOTFOUND);
	assert_int_equal(limg_store_blob_stat(&size, f->store, i2), LIMG_ENOTFOUND);
	assert_int_equal(limg_store_blob_stat(&size, f->store, layers2[1]), LIMG_ENOTFOUND);
	ASSERT_OK(limg_store_blob_stat(&size, f->store, i1));
	ASSERT_OK(limg_store_blob_stat(&size, f->store, m1));
	assert_int_equal(fsck_problems(f->store, NULL, NULL, NULL), 0);
	char *ingest = path_in(f->dir, ".libimage/ingest");
	assert_int_equal(count_files(ingest), 0);
	free(ingest);
}

static size_t count_entries(const char *dir)
{
	char cmd[4096];
	FILE *f;
	size_t n = 0;
	snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | wc -l", dir);
	if ((f = popen(cmd, "r"))) {
		if (fscanf(f, "%zu", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

/* Held areas: verified blobs out of blobs/ until committed; the rest goes
 * with the area, and gc removes an area whose owner died (its lock free). */
static void test_held_area(void **state)
{
	struct fixture *f = *state;
	limg__held *h;
	limg_blob_writer *w;
	char kept[200], dropped[200], path[4200];
	int64_t size;
	int fd;

	snprintf(kept, sizeof kept, "%s", digest_of("kept", 4));
	snprintf(dropped, sizeof dropped, "%s", digest_of("dropped", 7));
	ASSERT_OK(limg__held_new(&h, f->store));
	/* by its digest (checked), and unnamed (named by its content) */
	ASSERT_OK(limg__held_writer_open(&w, h, kept, 4));
	ASSERT_OK(limg_blob_writer_write(w, "kept", 4));
	ASSERT_OK(limg_blob_writer_commit(w));
	limg_blob_writer_close(w);
	ASSERT_OK(limg__held_writer_open(&w, h, NULL, -1));
	ASSERT_OK(limg_blob_writer_write(w, "dropped", 7));
	ASSERT_OK(limg_blob_writer_commit(w));
	assert_string_equal(limg__blob_writer_digest(w), dropped);
	limg_blob_writer_close(w);
	/* a lie is refused, and leaves nothing */
	ASSERT_OK(limg__held_writer_open(&w, h, kept, 4));
	ASSERT_OK(limg_blob_writer_write(w, "lies", 4));
	assert_int_equal(limg_blob_writer_commit(w), LIMG_EDIGEST_MISMATCH);
	limg_blob_writer_close(w);
	/* held, not stored */
	assert_int_equal(limg_store_blob_stat(&size, f->store, kept), LIMG_ENOTFOUND);
	ASSERT_OK(limg__held_open(&fd, h, kept));
	close(fd);
	ASSERT_OK(limg__held_commit(h, kept));
	ASSERT_OK(limg__held_commit(h, kept)); /* (stored already: fine) */
	ASSERT_OK(limg_store_blob_stat(&size, f->store, kept));
	assert_int_equal(size, 4);
	limg__held_free(h);
	assert_int_equal(limg_store_blob_stat(&size, f->store, dropped), LIMG_ENOTFOUND);
	snprintf(path, sizeof path, "%s/.libimage/tmp", f->dir);
	assert_int_equal(count_entries(path), 0);

	/* an area whose owner died: gc removes it once it is a minute old; a live one stays */
	{
		limg__held *live;
		char dead[4000];
		struct timeval tv[2] = { { time(NULL) - 120, 0 }, { time(NULL) - 120, 0 } };
		limg_store_gc_opts opts = LIMG_STORE_GC_OPTS_INIT;
		ASSERT_OK(limg__held_new(&live, f->store));
		snprintf(dead, sizeof dead, "%s/.libimage/tmp/held-Abc123", f->dir);
		assert_int_equal(mkdir(dead, 0700), 0);
		snprintf(path, sizeof path, "%s/sha256-%s", dead, dropped + 7);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(utimes(dead, tv), 0);
		ASSERT_OK(limg_store_gc(NULL, f->store, &opts, NULL));
		assert_int_equal(access(dead, F_OK), -1);
		snprintf(path, sizeof path, "%s/.libimage/tmp", f->dir);
		assert_int_equal(count_entries(path), 1); /* the live one */
		limg__held_free(live);
		assert_int_equal(count_entries(path), 0);
	}
}

/* A referrer (a signature: its payload layer and manifest) of the image's
 * platform manifest, and a referrer of that referrer. */
static void make_referrer(limg_store *s, const char *subject, const char *payload, char *digest_out)
{
	char layer[200], empty[200], manifest[4096];

	ASSERT_OK(put_text(s, payload, layer));
	ASSERT_OK(put_text(s, "{}", empty));
	snprintf(manifest, sizeof manifest,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	         "\"artifactType\":\"application/vnd.example.sig\","
	         "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
	         "\"layers\":[{\"mediaType\":\"application/vnd.example.sig\",\"digest\":\"%s\",\"size\":%zu}],"
	         "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
	         "\"size\":1}}",
	         empty, layer, strlen(payload), subject);
	ASSERT_OK(put_text(s, manifest, digest_out));
	ASSERT_OK(limg__store_referrer_add(s, subject, "application/vnd.oci.image.manifest.v1+json", digest_out,
	                                   (int64_t)strlen(manifest), "application/vnd.example.sig", NULL, 0));
}

/* Referrers are kept beside their subject while it is kept, and go with it. */
static void test_gc_keeps_referrers(void **state)
{
	struct fixture *f = *state;
	char m1[200], i1[200], sig[200], sig_of_sig[200], orphan[200], *sidecar, *text;
	limg_buf listing = LIMG_BUF_INIT;
	int64_t size;

	make_image(f->store, "signed", m1, i1, NULL, NULL);
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/signed:1", i1));
	make_referrer(f->store, m1, "a signature", sig);
	make_referrer(f->store, sig, "a signature of the signature", sig_of_sig);
	make_referrer(f->store, "sha256:2222222222222222222222222222222222222222222222222222222222222222",
	              "of an image the store never had", orphan);
	/* once only, however often it is added */
	ASSERT_OK(limg__store_referrer_add(f->store, m1, "application/vnd.oci.image.manifest.v1+json", sig, 1, NULL,
	                                   NULL, 0));
	ASSERT_OK(limg__store_referrers_read(&listing, f->store, m1));
	assert_non_null(strstr(listing.ptr, sig));
	assert_null(strstr(strstr(listing.ptr, sig) + 1, sig));
	/* a manifest cannot refer to itself */
	assert_int_equal(limg__store_referrer_add(f->store, m1, "application/vnd.oci.image.manifest.v1+json", m1, 1, NULL,
	                                          NULL, 0),
	                 LIMG_EINVALID);

	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	ASSERT_OK(limg_store_blob_stat(&size, f->store, sig));
	ASSERT_OK(limg_store_blob_stat(&size, f->store, sig_of_sig));
	assert_int_equal(limg_store_blob_stat(&size, f->store, orphan), LIMG_ENOTFOUND);
	assert_int_equal(fsck_problems(f->store, NULL, NULL, NULL), 0);
	/* the layout stays what OCI readers know: index.json lists the image alone */
	sidecar = path_in(f->dir, "index.json");
	text = read_all(sidecar);
	assert_null(strstr(text, sig));
	free(text);
	free(sidecar);

	/* the image goes: its referrers and their listings go with it */
	ASSERT_OK(limg_tags_remove(f->store, "docker.io/library/signed:1"));
	ASSERT_OK(limg_tags_remove_untagged(f->store, i1));
	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	assert_int_equal(limg_store_blob_stat(&size, f->store, sig), LIMG_ENOTFOUND);
	assert_int_equal(limg_store_blob_stat(&size, f->store, sig_of_sig), LIMG_ENOTFOUND);
	sidecar = path_in(f->dir, ".libimage/referrers");
	assert_int_equal(count_files(sidecar), 0);
	free(sidecar);
	ASSERT_OK(limg__store_referrers_read(&listing, f->store, m1));
	assert_int_equal(listing.size, 0);
	limg_buf_dispose(&listing);
}

static void test_disk_full(void **state)
{
	struct fixture *f = *state;
	static char big[2 << 20];
	char digest[200], *blobs = path_in(f->dir, "blobs");
	struct rlimit old, small;
	limg_blob_writer *w;
	int rc = 0;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i % 251);
	strcpy(digest, digest_of(big, sizeof big));
	/* a 1 MiB file size limit stands in for a full disk */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 1 << 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof big));
	for (size_t off = 0; off < sizeof big && rc == 0; off += 65536)
		rc = limg_blob_writer_write(w, big + off, 65536);
	assert_int_equal(rc, LIMG_ENOSPACE);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "File too large"));
	assert_int_equal(limg_blob_writer_offset(w), 1 << 20);
	limg_blob_writer_close(w);
	assert_int_equal(count_files(blobs), 0);
	/* the store keeps working, and the ingest resumes when there is room */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	ASSERT_OK(put_text(f->store, "small and fine", NULL));
	ASSERT_OK(limg_blob_writer_open(&w, f->store, digest, sizeof big));
	assert_int_equal(limg_blob_writer_offset(w), 1 << 20);
	ASSERT_OK(limg_blob_writer_write(w, big + (1 << 20), sizeof big - (1 << 20)));
	ASSERT_OK(limg_blob_writer_commit(w));
	limg_blob_writer_close(w);
	assert_int_equal(fsck_problems(f->store, NULL, NULL, NULL), 0);
	free(blobs);
}

/* Sets or unsets (NULL) an environment variable. */
static void set_env(const char *name, const char *value)
{
	if (value)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void test_default_path(void **state)
{
	static const char *const names[] = { "LIBIMAGE_STORE", "XDG_DATA_HOME", "HOME" };
	char *saved[3];
	limg_buf out = LIMG_BUF_INIT;

	(void)state;
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;

	set_env("LIBIMAGE_STORE", "/srv/images");
	set_env("XDG_DATA_HOME", "/home/u/.data");
	set_env("HOME", "/home/u");
	ASSERT_OK(limg_store_default_path(&out));
	assert_string_equal(out.ptr, "/srv/images");
	assert_int_equal(out.size, strlen("/srv/images"));
	set_env("LIBIMAGE_STORE", ""); /* empty is unset */
	ASSERT_OK(limg_store_default_path(&out));
	assert_string_equal(out.ptr, "/home/u/.data/libimage");
	set_env("LIBIMAGE_STORE", NULL);
	ASSERT_OK(limg_store_default_path(&out));
	assert_string_equal(out.ptr, "/home/u/.data/libimage");
	set_env("XDG_DATA_HOME", NULL);
	ASSERT_OK(limg_store_default_path(&out));
	assert_string_equal(out.ptr, "/home/u/.local/share/libimage");
	set_env("HOME", NULL);
	limg_buf_dispose(&out);
	assert_int_equal(limg_store_default_path(&out), LIMG_ENOTFOUND);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_STORE);
	assert_null(out.ptr);
	assert_int_equal(limg_store_default_path(NULL), LIMG_EINVALID);

	for (int i = 0; i < 3; i++) {
		set_env(names[i], saved[i]);
		free(saved[i]);
	}
	limg_buf_dispose(&out);
}

/* fsck succeeds whatever it finds, says how many problems, and reports each once. */
static void test_fsck_counts_problems(void **state)
{
	struct fixture *f = *state;
	limg_store_fsck_callbacks cb = LIMG_STORE_FSCK_CALLBACKS_INIT;
	limg_store_fsck_opts opts = LIMG_STORE_FSCK_OPTS_INIT;
	char good[200], damaged[200];
	struct problems p = { 0 };
	size_t problems = 99;

	ASSERT_OK(put_text(f->store, "a sound blob", good));
	ASSERT_OK(put_text(f->store, "a blob that will rot", damaged));
	ASSERT_OK(limg_store_fsck(&problems, f->store, NULL, NULL));
	assert_int_equal(problems, 0);
	corrupt_blob(f->dir, damaged);
	cb.problem = on_problem;
	cb.payload = &p;
	ASSERT_OK(limg_store_fsck(&problems, f->store, NULL, &cb));
	assert_int_equal(problems, 1);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.codes[0], LIMG_ECORRUPT);
	assert_string_equal(p.subjects[0], damaged);
	/* without a callback the count is the same */
	ASSERT_OK(limg_store_fsck(&problems, f->store, NULL, NULL));
	assert_int_equal(problems, 1);
	/* one blob */
	opts.digest = good;
	ASSERT_OK(limg_store_fsck(&problems, f->store, &opts, &cb));
	assert_int_equal(problems, 0);
	assert_int_equal(p.count, 1);
	opts.digest = damaged;
	ASSERT_OK(limg_store_fsck(&problems, f->store, &opts, &cb));
	assert_int_equal(problems, 1);
	assert_int_equal(p.count, 2);
	/* misuse */
	assert_int_equal(limg_store_fsck(NULL, f->store, NULL, NULL), LIMG_EINVALID);
	/* a cancelled check */
	{
		limg_cancel *c;
		ASSERT_OK(limg_cancel_new(&c));
		limg_cancel_request(c);
		opts.digest = NULL;
		opts.cancel = c;
		assert_int_equal(limg_store_fsck(&problems, f->store, &opts, NULL), LIMG_ECANCELLED);
		limg_cancel_free(c);
	}
}

/* A descriptor whose size is not the blob's: named as such, not as bad JSON. */
static void test_size_mismatch_named(void **state)
{
	struct fixture *f = *state;
	const char *config_text = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
	char config[200], manifest_text[1024], manifest[200], said[64];
	struct problems p = { 0 };

	ASSERT_OK(put_text(f->store, config_text, config));
	snprintf(said, sizeof said, "as 5 bytes, but the blob has %zu", strlen(config_text));
	snprintf(manifest_text, sizeof manifest_text,
	         "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\","
	         "\"config\":{\"mediaType\":\"" LIMG_MEDIA_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":5},\"layers\":[]}",
	         config);
	ASSERT_OK(put_text(f->store, manifest_text, manifest));
	assert_int_equal(limg_tags_set(f->store, "sized:1", manifest), LIMG_ECORRUPT);
	assert_non_null(strstr(limg_error_message(limg_error_last()), said));
	assert_null(strstr(limg_error_message(limg_error_last()), "JSON"));
	assert_string_equal(limg_error_object(limg_error_last()), config);
	/* fsck says it once, of the blob, when something reaches it */
	/* refused: index.json has no entry for it */
	assert_int_equal(limg_tags_remove_untagged(f->store, manifest), LIMG_ENOTFOUND);
	{
		FILE *fp;
		char *index = path_in(f->dir, "index.json");
		fp = fopen(index, "w");
		fprintf(fp,
		        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"digest\":"
		        "\"%s\",\"size\":%zu}]}",
		        manifest, strlen(manifest_text));
		fclose(fp);
		free(index);
	}
	assert_int_equal(fsck_problems(f->store, NULL, on_problem, &p), 1);
	assert_int_equal(p.codes[0], LIMG_ECORRUPT);
	assert_string_equal(p.subjects[0], config);
	assert_non_null(strstr(p.messages[0], said));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_digests_touch_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatch_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_rehashes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_partial_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers_one_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterate_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_detects_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsck_corrupt_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_keeps_referrers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test_setup_teardown(test_fsck_counts_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_mismatch_named, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
