/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure at every allocation site, through the context's
 * allocator (limg_context_opts.allocator): each operation runs again and
 * again, each time failing the first allocation of a site (a call stack) not
 * failed before, until a run reaches no new site. Every run must end in 0
 * (the library got by without that block) or LIMG_ENOMEM, leave the store
 * consistent (fsck finds nothing) and, once everything is closed, leave no
 * block of the allocator alive.
 *
 * The sites of a pull, a fused pull and unpack and a sync to a store from a
 * real registry are reached the same way by `test_alloc_failure pull
 * REGISTRY/REPO:TAG` (tests/integration/test_pull_alloc_failure.py).
 */
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

/* ---- the test's allocator: counts live blocks, fails one new site per run ---- */

#define MAX_SITES 20000
#define SITE_DEPTH 6 /* frames that name a site: the caller of limg__malloc and four above it */

static struct {
	pthread_mutex_t lock;
	long live;
	bool armed, fired;
	uint64_t fired_site;
	void *fired_frames[SITE_DEPTH + 2];
	int fired_depth;
	uint64_t failed[MAX_SITES];
	size_t nfailed;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t site_key(void **frames, int *depth)
{
	uint64_t h = 1469598103934665603ULL;

	*depth = backtrace(frames, SITE_DEPTH + 2);
	/* frames[0] is this allocator, [1] the library's wrapper: the site starts at [2] */
	for (int i = 2; i < *depth; i++) {
		h ^= (uint64_t)(uintptr_t)frames[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* true when this allocation is the run's one to fail */
static bool should_fail(void)
{
	void *frames[SITE_DEPTH + 2];
	int depth;
	uint64_t key;
	bool fail = false;

	pthread_mutex_lock(&T.lock);
	if (T.armed && !T.fired) {
		pthread_mutex_unlock(&T.lock);
		key = site_key(frames, &depth); /* outside the lock: backtrace may allocate */
		pthread_mutex_lock(&T.lock);
		if (T.armed && !T.fired) {
			size_t i;

			for (i = 0; i < T.nfailed && T.failed[i] != key; i++)
				;
			if (i == T.nfailed && T.nfailed < MAX_SITES) {
				T.failed[T.nfailed++] = key;
				T.fired = true;
				T.fired_site = key;
				memcpy(T.fired_frames, frames, sizeof frames);
				T.fired_depth = depth;
				fail = true;
			}
		}
	}
	pthread_mutex_unlock(&T.lock);
	return fail;
}

/* Each block the test's allocator hands out is tracked with where it was
 * made, so that a leak names its site. */
typedef struct tracked {
	struct tracked *prev, *next;
	void *frames[SITE_DEPTH + 2];
	int depth;
	max_align_t align[]; /* the caller's bytes follow, aligned as malloc()'s */
} tracked;

static tracked live_blocks = { &live_blocks, &live_blocks, { 0 }, 0 };

static void link_block(tracked *t)
{
	pthread_mutex_lock(&T.lock);
	t->next = live_blocks.next;
	t->prev = &live_blocks;
	live_blocks.next->prev = t;
	live_blocks.next = t;
	T.live++;
	pthread_mutex_unlock(&T.lock);
}

static void unlink_block(tracked *t)
{
	pthread_mutex_lock(&T.lock);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	T.live--;
	pthread_mutex_unlock(&T.lock);
}

static void *fault_malloc(size_t n, void *payload)
{
	tracked *t;

	(void)payload;
	if (should_fail() || !(t = malloc(sizeof *t + n)))
		return NULL;
	t->depth = backtrace(t->frames, SITE_DEPTH + 2);
	link_block(t);
	return t->align;
}

static void *fault_realloc(void *p, size_t n, void *payload)
{
	tracked *t = (tracked *)(void *)((char *)p - offsetof(tracked, align)), *grown;

	(void)payload;
	if (should_fail())
		return NULL;
	unlink_block(t);
	if (!(grown = realloc(t, sizeof *t + n))) {
		link_block(t);
		return NULL;
	}
	link_block(grown);
	return grown->align;
}

static void fault_free(void *p, void *payload)
{
	tracked *t = (tracked *)(void *)((char *)p - offsetof(tracked, align));

	(void)payload;
	unlink_block(t);
	free(t);
}

/* Names the site of every block still alive, and forgets them. */
static void report_leaks(const char *op)
{
	print_error("%s: %ld blocks alive after everything was closed, made at:\n", op, T.live);
	for (tracked *t = live_blocks.next; t != &live_blocks; t = t->next) {
		backtrace_symbols_fd(t->frames, t->depth, 2);
		print_error("--\n");
	}
	live_blocks.next = live_blocks.prev = &live_blocks;
	T.live = 0;
}

static limg_context *new_context(void)
{
	limg_allocator a = LIMG_ALLOCATOR_INIT;
	limg_context_opts o = LIMG_CONTEXT_OPTS_INIT;
	limg_context *ctx = NULL;

	a.malloc = fault_malloc;
	a.realloc = fault_realloc;
	a.free = fault_free;
	o.allocator = &a;
	ASSERT_OK(limg_context_new(&ctx, &o));
	return ctx;
}

/* ---- one environment per run: a context, a store with one tagged image ---- */

typedef struct {
	char *dir, *store_path, *archive, *unpack_dir;
	char *synced; /* the store a sync to a store writes: judged as the other */
	limg_context *ctx;
	limg_store *store;
	test_image image;
} env;

static const char *saved_archive; /* an archive of the image, made once without failures */

static void env_open(env *e, bool with_image)
{
	memset(e, 0, sizeof *e);
	e->dir = make_tmpdir();
	e->store_path = path_in(e->dir, "store");
	e->archive = path_in(e->dir, "out.tar");
	e->unpack_dir = path_in(e->dir, "rootfs");
	e->synced = path_in(e->dir, "synced");
	e->ctx = new_context();
	ASSERT_OK(limg_store_open(&e->store, e->ctx, e->store_path, NULL));
	if (with_image)
		ASSERT_OK(put_image(e->store, "example.com/app:1", NULL, 0, NULL, &e->image));
}

/* A store another operation wrote (a sync's destination), if there is one: consistent. */
static void check_other_store(env *e, const char *path, const char *op)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_store *s = NULL;
	size_t problems = 0;
	int rc;

	so.mode = LIMG_STORE_EXISTING;
	if ((rc = limg_store_open(&s, e->ctx, path, &so)) == LIMG_ENOTFOUND)
		return;
	ASSERT_OK(rc);
	ASSERT_OK(limg_store_fsck(&problems, s, NULL, NULL));
	if (problems)
		print_error("%s left %s with %zu problems\n", op, path, problems);
	assert_int_equal(problems, 0);
	limg_store_close(s);
}

/* Closes everything; the stores must be consistent and no block alive. */
static void env_close(env *e, const char *op)
{
	size_t problems = 0;

	check_other_store(e, e->synced, op);
	if (e->store) {
		ASSERT_OK(limg_store_fsck(&problems, e->store, NULL, NULL));
		if (problems)
			print_error("%s left the store with %zu problems\n", op, problems);
		assert_int_equal(problems, 0);
		limg_store_close(e->store);
	}
	limg_context_free(e->ctx);
	if (T.live != 0) {
		report_leaks(op);
		fail();
	}
	rm_tree(e->dir);
	free(e->store_path);
	free(e->archive);
	free(e->unpack_dir);
	free(e->synced);
}

typedef int (*operation)(env *e);

static void report_site(const char *op, int rc)
{
	const limg_error *err = limg_error_last();

	print_error("%s: failing this allocation returned %d (%s: %s), not 0 or LIMG_ENOMEM:\n", op, rc,
	            limg_error_name(rc) ? limg_error_name(rc) : "?", limg_error_message(err));
	backtrace_symbols_fd(T.fired_frames, T.fired_depth, 2);
}

/* Runs @op until it reaches no new allocation site. */
static void every_site(const char *name, operation op, bool with_image)
{
	size_t runs = 0, failed_cleanly = 0;

	T.nfailed = 0;
	live_blocks.next = live_blocks.prev = &live_blocks; /* what an earlier failed test left */
	T.live = 0;
	for (;;) {
		env e;
		int rc;

		env_open(&e, with_image);
		T.fired = false;
		T.armed = true;
		rc = op(&e);
		T.armed = false;
		runs++;
		if (!T.fired) {
			ASSERT_OK(rc); /* no failure: the operation works */
			env_close(&e, name);
			break;
		}
		if (rc != 0 && rc != LIMG_ENOMEM)
			report_site(name, rc);
		assert_true(rc == 0 || rc == LIMG_ENOMEM);
		failed_cleanly += rc == LIMG_ENOMEM;
		if (rc == 0 && getenv("LIMG_TEST_SHOW_ABSORBED")) { /* sites the operation did without */
			print_error("%s absorbed the failure of:\n", name);
			backtrace_symbols_fd(T.fired_frames, T.fired_depth, 2);
		}
		env_close(&e, name);
	}
	print_message("%s: %zu allocation sites failed, %zu runs returned LIMG_ENOMEM\n", name, runs - 1,
	              failed_cleanly);
	assert_true(runs > 1); /* the operation allocates through the context's allocator */
}

/* ---- the allocator itself ---- */

static void *lonely_malloc(size_t n, void *payload)
{
	(void)payload;
	return malloc(n);
}

/* Half an allocator is refused, about the options, before anything is made. */
static void test_half_an_allocator_is_refused(void **state)
{
	limg_allocator a = LIMG_ALLOCATOR_INIT;
	limg_context_opts o = LIMG_CONTEXT_OPTS_INIT;
	limg_context *ctx = (limg_context *)&a; /* set to NULL by the call */
	const limg_error *err;

	(void)state;
	o.allocator = &a;
	a.malloc = lonely_malloc; /* no free */
	assert_int_equal(limg_context_new(&ctx, &o), LIMG_EINVALID);
	assert_null(ctx);
	err = limg_error_last();
	assert_int_equal(limg_error_subject(err), LIMG_SUBJECT_OPTIONS);
	assert_string_equal(limg_error_object(err), "limg_allocator");
	a.malloc = NULL;
	a.realloc = fault_realloc; /* realloc alone */
	assert_int_equal(limg_context_new(&ctx, &o), LIMG_EINVALID);
	a.realloc = NULL;
	a.free = fault_free; /* free alone */
	assert_int_equal(limg_context_new(&ctx, &o), LIMG_EINVALID);
	/* all zero: the C library's */
	a.free = NULL;
	ASSERT_OK(limg_context_new(&ctx, &o));
	limg_context_free(ctx);
}

/* A block goes back to the allocator that made it, even when freed after
 * its store and its context are gone. */
static void test_blocks_outlive_their_context(void **state)
{
	env e;
	limg_image *img = NULL;
	long live_with_image;

	(void)state;
	live_blocks.next = live_blocks.prev = &live_blocks;
	T.live = 0;
	env_open(&e, true);
	ASSERT_OK(limg_image_lookup(&img, e.store, "example.com/app:1", NULL));
	limg_store_close(e.store);
	e.store = NULL;
	limg_context_free(e.ctx);
	e.ctx = NULL;
	live_with_image = T.live;
	assert_true(live_with_image > 0); /* the image's blocks are the allocator's */
	limg_image_free(img);
	assert_int_equal(T.live, 0);
	e.ctx = new_context(); /* env_close frees one */
	env_close(&e, "image freed after its context");
}


/* ---- the operations ---- */

static int op_store_open(env *e)
{
	limg_store *s = NULL;
	char *p = path_in(e->dir, "other");
	int rc = limg_store_open(&s, e->ctx, p, NULL);

	limg_store_close(s);
	free(p);
	return rc;
}

static int op_put_image(env *e)
{
	test_image img;

	return put_image(e->store, "example.com/app:2", NULL, 0, NULL, &img);
}

static int op_images_list(env *e)
{
	limg_images_iterator *it = NULL;
	const limg_images_row *row;
	int rc;

	if ((rc = limg_images_iterator_new(&it, e->store, NULL)) != 0)
		return rc;
	while ((rc = limg_images_iterator_next(&row, it)) == 0)
		;
	limg_images_iterator_free(it);
	return rc == LIMG_ITEROVER ? 0 : rc;
}

static int op_image_lookup(env *e)
{
	limg_image *img = NULL;
	int rc = limg_image_lookup(&img, e->store, "example.com/app:1", NULL);

	limg_image_free(img);
	return rc;
}

static int op_images_tag(env *e)
{
	return limg_images_tag(e->store, "example.com/app:1", "example.com/app:latest");
}

static int op_images_remove(env *e)
{
	return limg_images_remove(e->store, "example.com/app:1", NULL, NULL);
}

static int op_archive_save(env *e)
{
	const char *images[] = { "example.com/app:1" };
	int fd = open(e->archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc;

	assert_true(fd >= 0);
	rc = limg_archive_save(e->store, images, 1, fd, NULL, NULL);
	close(fd);
	return rc;
}

static int op_archive_load(env *e)
{
	int fd = open(saved_archive, O_RDONLY | O_CLOEXEC);
	int rc;

	assert_true(fd >= 0);
	rc = limg_archive_load(e->store, fd, NULL, NULL);
	close(fd);
	return rc;
}

static int op_unpack(env *e)
{
	return limg_unpack(e->store, "example.com/app:1", e->unpack_dir, NULL, NULL);
}

static int op_gc(env *e)
{
	int64_t reclaimed = 0;

	return limg_store_gc(&reclaimed, e->store, NULL, NULL);
}

static int op_fsck(env *e)
{
	size_t problems = 0;

	return limg_store_fsck(&problems, e->store, NULL, NULL);
}

/* Writes @text to @dir/@name (the test's own file, with the C library). */
static void write_file_in(const char *dir, const char *name, const char *text)
{
	char *p = path_in(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* A layer from a directory (compressed by the layer's own threads), appended
 * to the stored image with a new environment, and the image committed under
 * a new tag. */
static int op_build(env *e)
{
	char *src = path_in(e->dir, "context"), *sub = path_in(src, "etc");
	limg_layer *layer = NULL;
	limg_builder *b = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	int rc;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file_in(sub, "motd", "built without a daemon\n");
	write_file_in(src, "app.sh", "#!/bin/sh\necho hello\n");
	rc = limg_layer_new_from_dir(&layer, e->store, src, NULL, NULL);
	if (rc == 0)
		rc = limg_builder_new(&b, e->store, "example.com/app:1", NULL);
	if (rc == 0)
		rc = limg_builder_append_layer(b, layer, "COPY context /", NULL);
	if (rc == 0)
		rc = limg_builder_set_env(b, "GREETING", "hello");
	if (rc == 0)
		rc = limg_builder_set_label(b, "org.example.built", "yes");
	if (rc == 0)
		rc = limg_builder_commit(&digest, b, "example.com/app:built");
	limg_buf_dispose(&digest);
	limg_builder_free(b);
	limg_layer_free(layer);
	free(sub);
	free(src);
	return rc;
}

/* The policy every verify run applies: a sigstore signature by a key the
 * stored image has none of. Parsed once, with the C library's allocator. */
static limg_policy *signed_policy;

/* The stored image checked against the policy: the verdict is a rejection
 * (no signature), never an acceptance, whatever allocation fails. */
static int op_verify(env *e)
{
	limg_verify_opts o = LIMG_VERIFY_OPTS_INIT;
	limg_verdict *v = NULL;
	int rc;

	o.store = e->store;
	rc = limg_verify(&v, signed_policy, "example.com/app:1", &o);
	if (rc == LIMG_EREJECTED) {
		assert_non_null(v);
		assert_int_equal(limg_verdict_accepted(v), 0);
		assert_true(limg_verdict_count(v) > 0);
		rc = 0;
	} else if (rc == 0) {
		fail_msg("the unsigned image was accepted");
	}
	limg_verdict_free(v);
	return rc;
}

static void test_store_open(void **state)
{
	(void)state;
	every_site("store open", op_store_open, false);
}

static void test_put_image(void **state)
{
	(void)state;
	every_site("blobs and a tag written", op_put_image, true);
}

static void test_images_list(void **state)
{
	(void)state;
	every_site("images listed", op_images_list, true);
}

static void test_image_lookup(void **state)
{
	(void)state;
	every_site("image looked up", op_image_lookup, true);
}

static void test_images_tag(void **state)
{
	(void)state;
	every_site("image tagged", op_images_tag, true);
}

static void test_images_remove(void **state)
{
	(void)state;
	every_site("image removed", op_images_remove, true);
}

static void test_archive_save(void **state)
{
	(void)state;
	every_site("archive saved", op_archive_save, true);
}

static void test_archive_load(void **state)
{
	(void)state;
	every_site("archive loaded", op_archive_load, false);
}

static void test_unpack(void **state)
{
	(void)state;
	every_site("image unpacked", op_unpack, true);
}

static void test_gc(void **state)
{
	(void)state;
	every_site("store collected", op_gc, true);
}

static void test_fsck(void **state)
{
	(void)state;
	every_site("store checked", op_fsck, true);
}

static void test_build(void **state)
{
	(void)state;
	every_site("image built", op_build, true);
}

static void test_verify(void **state)
{
	(void)state;
	every_site("stored image verified", op_verify, true);
}

/* The archive every load run reads, made once with the C library's allocator. */
static int make_archive(void **state)
{
	static char path[4096];
	env e;

	(void)state;
	env_open(&e, true);
	assert_int_equal(op_archive_save(&e), 0);
	snprintf(path, sizeof path, "%s.saved", e.dir);
	assert_int_equal(rename(e.archive, path), 0);
	env_close(&e, "setup");
	saved_archive = path;
	return 0;
}

static int remove_archive(void **state)
{
	(void)state;
	unlink(saved_archive);
	return 0;
}

/* The archive every load run reads, and the policy of the verify runs, made
 * once with the C library's allocator. */
static int group_setup(void **state)
{
	char text[4096];
	limg_policy_opts o = LIMG_POLICY_OPTS_INIT;

	snprintf(text, sizeof text, "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s/ec-public.pem\"}]}",
	         LIMG_TEST_SIGN_DATA);
	o.registries_d = ""; /* no lookaside of the machine's */
	ASSERT_OK(limg_policy_parse(&signed_policy, text, strlen(text), &o));
	return make_archive(state);
}

static int group_teardown(void **state)
{
	limg_policy_free(signed_policy);
	return remove_archive(state);
}

/* ---- a pull from a registry, driven by tests/integration/test_pull_alloc_failure.py ---- */

static const char *pull_source;

/* A session for one run: the registry's only settings are the test's. */
static int new_session(limg_session **out, env *e)
{
	limg_registry_opts so = LIMG_REGISTRY_OPTS_INIT;

	so.docker_config_dir = ""; /* no credentials of the machine's */
	so.certs_dir = e->dir;     /* no hosts.toml of the machine's */
	so.backoff_ms = 1;
	return limg_session_new(out, e->ctx, &so, NULL);
}

static int op_pull(env *e)
{
	limg_session *session = NULL;
	limg_pull_opts po = LIMG_PULL_OPTS_INIT;
	limg_pull_result *result = NULL;
	int rc;

	if ((rc = new_session(&session, e)) != 0)
		return rc;
	po.session = session;
	rc = limg_pull(&result, e->store, pull_source, &po, NULL);
	limg_pull_result_free(result);
	limg_session_free(session);
	return rc;
}

/* The fused pull and unpack: layers applied as they arrive (worker threads). */
static int op_pull_unpack(env *e)
{
	limg_session *session = NULL;
	limg_pull_opts po = LIMG_PULL_OPTS_INIT;
	limg_pull_unpack_opts o = LIMG_PULL_UNPACK_OPTS_INIT;
	limg_pull_result *result = NULL;
	int rc;

	if ((rc = new_session(&session, e)) != 0)
		return rc;
	po.session = session;
	o.pull = &po;
	rc = limg_pull_unpack(&result, e->store, pull_source, e->unpack_dir, &o, NULL);
	limg_pull_result_free(result);
	limg_session_free(session);
	return rc;
}

/* A sync of the image into a new store (an air gap's side): env_close judges that store too. */
static int op_sync(env *e)
{
	limg_session *session = NULL;
	limg_sync_list *list = NULL;
	limg_sync_opts o = LIMG_SYNC_OPTS_INIT;
	limg_sync_report *report = NULL;
	int rc;

	o.target = LIMG_SYNC_TO_STORE;
	o.fail_fast = 1; /* the image's own error, not LIMG_EPARTIAL */
	if ((rc = new_session(&session, e)) != 0)
		return rc;
	if ((rc = limg_sync_list_new(&list)) == 0 && (rc = limg_sync_list_add(list, pull_source, NULL)) == 0)
		rc = limg_sync(&report, session, list, e->synced, &o, NULL);
	if (rc == 0) {
		assert_int_equal(limg_sync_report_count(report), 1);
		assert_int_equal(limg_sync_report_tally(report, LIMG_SYNC_COPIED), 1);
	}
	limg_sync_report_free(report);
	limg_sync_list_free(list);
	limg_session_free(session);
	return rc;
}

static void test_pull(void **state)
{
	(void)state;
	every_site("image pulled", op_pull, false);
}

static void test_pull_unpack(void **state)
{
	(void)state;
	every_site("image pulled and unpacked", op_pull_unpack, false);
}

static void test_sync(void **state)
{
	(void)state;
	every_site("image synced to a store", op_sync, false);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_store_open),   cmocka_unit_test(test_put_image),
		cmocka_unit_test(test_images_list),  cmocka_unit_test(test_image_lookup),
		cmocka_unit_test(test_images_tag),   cmocka_unit_test(test_images_remove),
		cmocka_unit_test(test_archive_save), cmocka_unit_test(test_archive_load),
		cmocka_unit_test(test_unpack),       cmocka_unit_test(test_gc),
		cmocka_unit_test(test_fsck),         cmocka_unit_test(test_build),
		cmocka_unit_test(test_verify),       cmocka_unit_test(test_half_an_allocator_is_refused),
		cmocka_unit_test(test_blocks_outlive_their_context),
	};
	const struct CMUnitTest pull[] = { cmocka_unit_test(test_pull), cmocka_unit_test(test_pull_unpack),
		                           cmocka_unit_test(test_sync) };

	if (argc == 3 && !strcmp(argv[1], "pull")) {
		pull_source = argv[2];
		return cmocka_run_group_tests_name("allocation failure in a pull, a fused pull and unpack, a sync", pull,
		                                   NULL, NULL);
	}
	return cmocka_run_group_tests_name("allocation failure", local, group_setup, group_teardown);
}
