/* SPDX-License-Identifier: MIT */
/*
 * The store under several processes: concurrent tag writers lose nothing,
 * concurrent ingests of one digest both succeed with one copy landing,
 * and writers killed with SIGKILL at random points leave a store that fsck
 * finds clean and an ingest that resumes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

#define BLOB_SIZE (48u << 20)

/* Content of the big test blob at any offset, so any process can produce it. */
static void fill(unsigned char *buf, size_t len, uint64_t offset)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ull;
		buf[i] = (unsigned char)(x >> 56);
	}
}

static char big_digest[200];

static void compute_big_digest(void)
{
	static unsigned char chunk[1 << 20];
	limg_hasher *h;
	const char *d;

	limg_hasher_new(&h, LIMG_DIGEST_SHA256);
	for (uint64_t off = 0; off < BLOB_SIZE; off += sizeof chunk) {
		fill(chunk, sizeof chunk, off);
		limg_hasher_update(h, chunk, sizeof chunk);
	}
	limg_hasher_finish(&d, h);
	strcpy(big_digest, d);
	limg_hasher_free(h);
}

/* Ingests the big blob from wherever the store has it; @pace_us sleeps
 * between 256 KiB chunks. Returns the offset it started from, or -1. */
static int64_t ingest_big(const char *dir, int pace_us, int *rc_out)
{
	static unsigned char chunk[256 << 10];
	limg_store *s;
	limg_blob_writer *w;
	int64_t start;
	int rc;

	if ((rc = limg_store_open(&s, NULL, dir, NULL)) != 0) {
		*rc_out = rc;
		return -1;
	}
	rc = limg_blob_writer_open(&w, s, big_digest, BLOB_SIZE);
	if (rc == LIMG_EEXISTS) {
		*rc_out = 0;
		limg_store_close(s);
		return BLOB_SIZE;
	}
	if (rc) {
		*rc_out = rc;
		limg_store_close(s);
		return -1;
	}
	start = limg_blob_writer_offset(w);
	for (uint64_t off = (uint64_t)start; off < BLOB_SIZE && rc == 0; off += sizeof chunk) {
		size_t n = BLOB_SIZE - off < sizeof chunk ? BLOB_SIZE - off : sizeof chunk;
		fill(chunk, n, off);
		rc = limg_blob_writer_write(w, chunk, n);
		if (pace_us)
			usleep((useconds_t)pace_us);
	}
	if (rc == 0)
		rc = limg_blob_writer_commit(w);
	limg_blob_writer_close(w);
	limg_store_close(s);
	*rc_out = rc;
	return start;
}

#define CONFIG "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"

static void test_parallel_taggers(void **state)
{
	char *dir = make_tmpdir(), manifest[200], config[200], text[512];
	limg_store *s;
	limg_tag_iterator *it;
	const limg_tag *t;
	const int procs = 8, per = 200;
	pid_t pids[8];
	int n = 0;

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, dir, NULL));
	/* a whole image by the OCI spec (a config has its rootfs), for the independent checker too */
	ASSERT_OK(put_text(s, CONFIG, config));
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
	         "\"size\":%zu},\"layers\":[]}",
	         config, strlen(CONFIG));
	ASSERT_OK(put_text(s, text, manifest));
	for (int p = 0; p < procs; p++) {
		if ((pids[p] = fork()) == 0) {
			limg_store *mine;
			if (limg_store_open(&mine, NULL, dir, NULL) != 0)
				_exit(2);
			for (int i = 0; i < per; i++) {
				char ref[128];
				snprintf(ref, sizeof ref, "example.com/proc%d/img:t%d", p, i);
				if (limg_tags_set(mine, ref, manifest) != 0)
					_exit(3);
			}
			limg_store_close(mine);
			_exit(0);
		}
	}
	for (int p = 0; p < procs; p++) {
		int status;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	ASSERT_OK(limg_tag_iterator_new(&it, s, NULL));
	while (limg_tag_iterator_next(&t, it) == 0)
		n++;
	limg_tag_iterator_free(it);
	assert_int_equal(n, procs * per);
	ASSERT_SOUND(s);
	limg_store_close(s);
	rm_tree(dir);
}

static void test_parallel_ingest_same_digest(void **state)
{
	char *dir = make_tmpdir(), *tmp, *blobs;
	limg_store *s;
	pid_t pids[2];

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, dir, NULL));
	for (int p = 0; p < 2; p++) {
		if ((pids[p] = fork()) == 0) {
			int rc;
			ingest_big(dir, 200, &rc);
			_exit(rc == 0 ? 0 : 1);
		}
	}
	for (int p = 0; p < 2; p++) {
		int status;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	blobs = path_in(dir, "blobs");
	assert_int_equal(count_files(blobs), 1);
	/* no partial data, no private copy left */
	tmp = path_in(dir, ".libimage/ingest");
	assert_int_equal(count_files(tmp), 0);
	free(tmp);
	tmp = path_in(dir, ".libimage/tmp");
	assert_int_equal(count_files(tmp), 0);
	ASSERT_SOUND(s);
	free(blobs);
	free(tmp);
	limg_store_close(s);
	rm_tree(dir);
}

static void test_sigkill_then_resume(void **state)
{
	char *dir = make_tmpdir(), *blobs;
	limg_store *s;
	int kills = 0, rc;
	int64_t start;

	(void)state;
	srand((unsigned)time(NULL));
	ASSERT_OK(limg_store_open(&s, NULL, dir, NULL));
	blobs = path_in(dir, "blobs");
	for (int round = 0; round < 10; round++) {
		pid_t pid = fork();
		int status;
		if (pid == 0) {
			ingest_big(dir, 2000, &rc); /* about 130 MB/s: killed long before the end */
			_exit(rc == 0 ? 0 : 1);
		}
		usleep((useconds_t)(5000 + rand() % 20000)); /* at most ~3 MiB a round: never the whole 48 */
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status))
			kills++;
		/* after every kill: nothing half-done under blobs/, fsck clean */
		ASSERT_SOUND(s);
		assert_true(count_files(blobs) <= 1);
	}
	assert_true(kills >= 8);
	/* the same ingest, run again, continues from the partial data */
	start = ingest_big(dir, 0, &rc);
	assert_int_equal(rc, 0);
	assert_true(start > 0 && start < BLOB_SIZE);
	assert_int_equal(count_files(blobs), 1);
	ASSERT_SOUND(s);
	print_message("%d kills; final run resumed at byte %lld of %u\n", kills, (long long)start, BLOB_SIZE);
	free(blobs);
	limg_store_close(s);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_taggers),
		cmocka_unit_test(test_parallel_ingest_same_digest),
		cmocka_unit_test(test_sigkill_then_resume),
	};
	compute_big_digest();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
