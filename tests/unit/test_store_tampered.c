/* SPDX-License-Identifier: MIT */
/*
 * store: a store directory written by other programs and users. Symlinks
 * are never followed, non-regular files never block, only libimage's own
 * names are swept, and leases keep a running operation's blobs from gc.
 * Every case checks that what lies outside the store is untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/store_internal.h"

struct fixture {
	char *dir, *outside; /* the store, and a directory beside it that must stay untouched */
	limg_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = make_tmpdir();
	f->outside = make_tmpdir();
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
	rm_tree(f->outside);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = 0;
	return buf;
}

/* "<dir>/<rel>" in one of a few static buffers (no frees to forget in the cases) */
static const char *at(const char *dir, const char *rel)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, rel);
	return b;
}

/* "<dir>/<a>/<b>" */
static char *path3(const char *dir, const char *a, const char *b)
{
	char *p = malloc(strlen(dir) + strlen(a) + strlen(b) + 3);
	sprintf(p, "%s/%s/%s", dir, a, b);
	return p;
}

static char *blob_path(const char *dir, const char *digest)
{
	return path3(dir, "blobs/sha256", strchr(digest, ':') + 1);
}

static void make_old(const char *path)
{
	struct timeval tv[2] = { { time(NULL) - 3 * 86400, 0 }, { time(NULL) - 3 * 86400, 0 } };
	assert_int_equal(lutimes(path, tv), 0);
}

static void test_symlinked_ingest_is_not_written_through(void **state)
{
	struct fixture *f = *state;
	const char *content = "the blob's real bytes";
	char digest[200], flat[200], *victim = path_in(f->outside, "victim"), *link;

	snprintf(digest, sizeof digest, "%s", digest_of(content, strlen(content)));
	snprintf(flat, sizeof flat, "sha256-%s", digest + 7);
	write_file(victim, "precious");
	link = path3(f->dir, ".libimage/ingest", flat);
	assert_int_equal(symlink(victim, link), 0);
	ASSERT_OK(put_text(f->store, content, NULL));
	assert_string_equal(read_file(victim), "precious");
	assert_int_equal(fsck_problems(f->store, digest, NULL, NULL), 0);
	assert_int_equal(layout_problems(f->dir), 0);
	free(victim);
	free(link);
}

static void test_symlinked_private_dirs_are_refused(void **state)
{
	struct fixture *f = *state;
	char *layers = path_in(f->dir, ".libimage/layers"), *victim_dir = path_in(f->outside, "facts");
	char name[200], *victim;
	limg_store *again = NULL;

	/* what gc would sweep, had it followed the link */
	snprintf(name, sizeof name, "sha256-%064d", 1);
	assert_int_equal(mkdir(victim_dir, 0755), 0);
	victim = path_in(victim_dir, name);
	write_file(victim, "not yours");
	/* swapped while the store is open: the store keeps its own descriptor */
	assert_int_equal(rename(layers, at(f->outside, "real-layers")), 0);
	assert_int_equal(symlink(victim_dir, layers), 0);
	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	assert_string_equal(read_file(victim), "not yours");
	/* and a store opened on it refuses it */
	assert_int_equal(limg_store_open(&again, NULL, f->dir, NULL), LIMG_ECORRUPT);
	assert_null(again);
	assert_non_null(strstr(limg_error_message(limg_error_last()), ".libimage/layers"));
	assert_string_equal(read_file(victim), "not yours");
	free(layers);
	free(victim_dir);
	free(victim);
}

static void test_symlinked_blob_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	char *algo = path_in(f->dir, "blobs/sha256"), *victim_dir = path_in(f->outside, "blobs"), *victim;
	const char *content = "outside";
	char digest[200];
	int64_t size;
	limg_store *s;

	snprintf(digest, sizeof digest, "%s", digest_of(content, strlen(content)));
	assert_int_equal(mkdir(victim_dir, 0755), 0);
	victim = path_in(victim_dir, digest + 7);
	write_file(victim, content);
	assert_int_equal(symlink(victim_dir, algo), 0);
	ASSERT_OK(limg_store_open(&s, NULL, f->dir, NULL));
	assert_int_equal(limg_store_blob_stat(&size, s, digest), LIMG_ECORRUPT);
	assert_int_equal(limg_store_gc(NULL, s, NULL, NULL), LIMG_ECORRUPT); /* nothing deleted through it */
	/* fsck finds it (a counted problem: store.h says fsck returns 0 whatever it finds) */
	assert_int_equal(fsck_problems(s, NULL, NULL, NULL), 1);
	assert_string_equal(read_file(victim), content);
	limg_store_close(s);
	free(algo);
	free(victim_dir);
	free(victim);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("a call blocked on a FIFO");
}

static int count_problems(const char *subject, int code, const char *message, void *payload)
{
	(void)subject;
	(void)code;
	(void)message;
	++*(int *)payload;
	return 0;
}

/* A FIFO, a directory, a symlink where a blob should be: refused at once,
 * reported by fsck, left alone by gc, replaced by the next ingest. */
static void test_non_regular_blobs(void **state)
{
	struct fixture *f = *state;
	const char *contents[3] = { "fifo blob", "directory blob", "symlink blob" };
	char *victim = path_in(f->outside, "target");
	limg_buf b = LIMG_BUF_INIT;
	int64_t size;
	int problems = 0;

	write_file(victim, "keep me");
	signal(SIGALRM, on_alarm);
	alarm(10);
	for (int i = 0; i < 3; i++) {
		char digest[200], *path;
		snprintf(digest, sizeof digest, "%s", digest_of(contents[i], strlen(contents[i])));
		path = blob_path(f->dir, digest);
		mkdir(at(f->dir, "blobs/sha256"), 0755);
		if (i == 0)
			assert_int_equal(mkfifo(path, 0644), 0);
		else if (i == 1)
			assert_int_equal(mkdir(path, 0755), 0);
		else
			assert_int_equal(symlink(victim, path), 0);
		assert_int_equal(limg_store_blob_stat(&size, f->store, digest), LIMG_ECORRUPT);
		assert_int_equal(limg_store_blob_read(&b, f->store, digest, 1 << 20), LIMG_ECORRUPT);
		free(path);
	}
	assert_int_equal(fsck_problems(f->store, NULL, count_problems, &problems), 3);
	assert_int_equal(problems, 3);
	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	for (int i = 0; i < 3; i++) {
		char digest[200];
		snprintf(digest, sizeof digest, "%s", digest_of(contents[i], strlen(contents[i])));
		ASSERT_OK(put_text(f->store, contents[i], NULL));
		ASSERT_OK(limg_store_blob_read(&b, f->store, digest, 1 << 20));
		assert_string_equal(b.ptr, contents[i]);
	}
	alarm(0);
	ASSERT_SOUND(f->store);
	assert_string_equal(read_file(victim), "keep me");
	limg_buf_dispose(&b);
	free(victim);
}

/* gc removes only names libimage makes, and stale temps of killed writers. */
static void test_sweeps_only_own_names(void **state)
{
	struct fixture *f = *state;
	const char *foreign[] = { ".libimage/ingest/notes.txt", ".libimage/ingest/sha256-xyz", ".libimage/tmp/foo",
		                  ".libimage/layers/README", ".libimage/sources/README", ".libimage/leases/other",
		                  "index.json.tmp-evil", "blobs/sha256/not-a-digest" };
	char stale_ingest[200], stale_copy[220], stale_facts[200], stale_sources[200], *p;
	limg_store_gc_opts gc = LIMG_STORE_GC_OPTS_INIT;

	mkdir(at(f->dir, "blobs/sha256"), 0755);
	mkdir(at(f->dir, ".libimage/sources"), 0755);
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		write_file(p = path_in(f->dir, foreign[i]), "someone else's");
		make_old(p);
		free(p);
	}
	snprintf(stale_ingest, sizeof stale_ingest, ".libimage/ingest/sha256-%064d", 5);
	snprintf(stale_copy, sizeof stale_copy, ".libimage/tmp/sha256-%064d-Ab12Cd", 6);
	write_file(p = path_in(f->dir, stale_ingest), "partial");
	make_old(p);
	free(p);
	write_file(p = path_in(f->dir, stale_copy), "partial");
	make_old(p);
	free(p);
	/* what libimage knew of blobs that are gone: layer facts, where they came from */
	snprintf(stale_facts, sizeof stale_facts, ".libimage/layers/sha256-%064d", 7);
	snprintf(stale_sources, sizeof stale_sources, ".libimage/sources/sha256-%064d", 7);
	write_file(p = path_in(f->dir, stale_facts), "facts");
	free(p);
	write_file(p = path_in(f->dir, stale_sources), "example.com/team/app\n");
	free(p);
	/* temps of index.json replacements that died with their writer */
	write_file(p = path_in(f->dir, "index.json.tmp-Zx9Yw8"), "{}");
	free(p);
	gc.ingest_max_age = 86400;
	ASSERT_OK(limg_store_gc(NULL, f->store, &gc, NULL));
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		p = path_in(f->dir, foreign[i]);
		assert_non_null(read_file(p));
		free(p);
	}
	assert_null(read_file(p = path_in(f->dir, stale_ingest)));
	free(p);
	assert_null(read_file(p = path_in(f->dir, stale_copy)));
	free(p);
	assert_null(read_file(p = path_in(f->dir, "index.json.tmp-Zx9Yw8")));
	free(p);
	assert_null(read_file(p = path_in(f->dir, stale_facts)));
	free(p);
	assert_null(read_file(p = path_in(f->dir, stale_sources)));
	free(p);
}

static void write_index(const char *dir, const char *text)
{
	char *p = path_in(dir, "index.json");
	write_file(p, text);
	free(p);
}

/* index.json that two readers would read differently is corrupt, and nothing rewrites it. */
static void test_ambiguous_index(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {
		"{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}",
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"sha256:1\",\"digest\":\"sha256:2\"}]}",
		"{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:ab\\u0000cd\"}]}",
		"{\"schemaVersion\":2,\"manifests\":[{\"annotations\":{\"k\":\"\\ud800\"}}]}",
		"{\"schemaVersion\":2,\"manifests\":[]} trailing",
	};
	limg_buf d = LIMG_BUF_INIT;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *p = path_in(f->dir, "index.json");
		write_index(f->dir, bad[i]);
		assert_int_equal(limg_tags_lookup(&d, f->store, "docker.io/library/x:1"), LIMG_ECORRUPT);
		assert_non_null(strstr(limg_error_message(limg_error_last()), "index.json"));
		assert_int_equal(limg_store_gc(NULL, f->store, NULL, NULL), LIMG_ECORRUPT);
		assert_string_equal(read_file(p), bad[i]);
		free(p);
	}
	limg_buf_dispose(&d);
}

/* What other tools put in index.json survives our rewrites. */
static void test_other_tools_fields_survive(void **state)
{
	struct fixture *f = *state;
	char config[200], manifest[200], text[1024], doc[2048], *p;

	/* a whole image by the OCI spec (a config has its rootfs), for the independent checker too */
	const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

	ASSERT_OK(put_text(f->store, cfg, config));
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
	         "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
	         config, strlen(cfg));
	ASSERT_OK(put_text(f->store, text, manifest));
	snprintf(doc, sizeof doc,
	         "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	         "\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
	         "\"annotations\":{\"org.example.note\":\"keep \\\"me\\\"\\n\"}}],\"annotations\":{\"org.example.index\":\"x\"}}",
	         manifest, strlen(text));
	write_index(f->dir, doc);
	ASSERT_OK(limg_tags_set(f->store, "docker.io/library/kept:1", manifest));
	p = read_file(at(f->dir, "index.json"));
	assert_non_null(strstr(p, "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}"));
	assert_non_null(strstr(p, "\"org.example.note\":\"keep \\\"me\\\"\\n\""));
	assert_non_null(strstr(p, "\"annotations\":{\"org.example.index\":\"x\"}"));
	assert_non_null(strstr(p, "docker.io/library/kept:1"));
	ASSERT_SOUND(f->store);
}

/* A lease keeps a blob from gc while its owner lives, and expires with it. */
static void test_lease_protects_then_expires(void **state)
{
	struct fixture *f = *state;
	char digest[200], ready;
	int pipefd[2];
	int64_t size;
	pid_t pid;

	ASSERT_OK(put_text(f->store, "ingested, not yet tagged", digest));
	assert_int_equal(pipe(pipefd), 0);
	if ((pid = fork()) == 0) {
		limg_store *s;
		limg__lease *l;
		if (limg_store_open(&s, NULL, f->dir, NULL) != 0 || limg__lease_new(&l, s) != 0 ||
		    limg__lease_add(l, digest) != 0)
			_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause(); /* killed here, lease held */
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &ready, 1), 1);
	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	assert_int_equal(limg_store_blob_stat(&size, f->store, digest), 0); /* kept */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_OK(limg_store_gc(NULL, f->store, NULL, NULL));
	assert_int_equal(limg_store_blob_stat(&size, f->store, digest), LIMG_ENOTFOUND); /* expired */
	assert_int_equal(count_files(at(f->dir, ".libimage/leases")), 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Another user's ingest file (left read-only by a writer that died after
 * finishing it) does not stop this user's ingest. */
static void test_foreign_readonly_ingest(void **state)
{
	struct fixture *f = *state;
	const char *content = "a blob two users want";
	char digest[200], flat[220], *ingest;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP_BECAUSE("a store shared by two users needs root to become the second one");
	snprintf(digest, sizeof digest, "%s", digest_of(content, strlen(content)));
	snprintf(flat, sizeof flat, ".libimage/ingest/sha256-%s", digest + 7);
	write_file(ingest = path_in(f->dir, flat), content);
	chmod(ingest, 0444);
	/* a store shared by several users */
	{
		char cmd[4096];
		snprintf(cmd, sizeof cmd, "chmod -R a+rwX '%s' && chmod 0444 '%s' && mkdir -p '%s/blobs/sha256' && chmod 0777 "
		                          "'%s/blobs/sha256'", f->dir, ingest, f->dir, f->dir);
		assert_int_equal(system(cmd), 0);
	}
	if ((pid = fork()) == 0) {
		limg_store *s;
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		if (limg_store_open(&s, NULL, f->dir, NULL) != 0 || put_text(s, content, NULL) != 0)
			_exit(1);
		limg_store_close(s);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fsck_problems(f->store, digest, NULL, NULL), 0);
	assert_int_equal(layout_problems(f->dir), 0);
	free(ingest);
}

/* A writer keeps its store alive: closing the store in the meantime is safe. */
static void test_close_while_a_writer_is_open(void **state)
{
	struct fixture *f = *state;
	const char *content = "written after close";
	limg_blob_writer *w;
	limg_buf b = LIMG_BUF_INIT;
	limg_store *s;

	assert_int_equal(limg_blob_writer_open(&w, f->store, digest_of(content, strlen(content)), (int64_t)strlen(content)),
	                 0);
	limg_store_close(f->store); /* the owner's reference goes; the writer's stays */
	f->store = NULL;
	ASSERT_OK(limg_blob_writer_write(w, content, strlen(content)));
	ASSERT_OK(limg_blob_writer_commit(w));
	limg_blob_writer_close(w); /* the last reference: the store is freed now */
	ASSERT_OK(limg_store_open(&s, NULL, f->dir, NULL));
	ASSERT_OK(limg_store_blob_read(&b, s, digest_of(content, strlen(content)), 1024));
	f->store = s;
	limg_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_symlinked_ingest_is_not_written_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_private_dirs_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_blob_directory_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_regular_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweeps_only_own_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_tools_fields_survive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_protects_then_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_readonly_ingest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_while_a_writer_is_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
