/* SPDX-License-Identifier: MIT */
/*
 * The 1.0 calling convention (common.h, errors.h), across every header:
 * - every options and callbacks struct: limg_x_init(&o, sizeof o) gives the
 *   bytes of its LIMG_X_INIT macro; a larger struct (a newer caller) is
 *   accepted while the bytes this library does not know are zero and
 *   refused with LIMG_EVERSION (subject OPTIONS) as soon as one is not;
 *   size 0 is refused;
 * - the callback return rule: positive is LIMG_EUSER, negative comes back
 *   as it is;
 * - sessions: one handle per registry, settings fixed at first use,
 *   handles that outlive the session.
 * Nothing here reaches the network: registries are 127.0.0.1:1, where
 * nothing listens, with one attempt per request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>

#include <cmocka.h>
#include <zlib.h>

#include "helpers.h"

#define NOWHERE "127.0.0.1:1"
#define NOWHERE_DIR "/nonexistent/libimage-test-dir"
/* pull, push and copy read their structs first; this reference then fails at once */
#define BAD_REF NOWHERE "/Upper:1"
#define A_DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"

struct env {
	char *dir;
	limg_store *store;
	limg_session *session;
	limg_registry *registry;
	int devnull;
};

static struct env env;

static void nowhere_opts(limg_registry_opts *o)
{
	if (o->size < sizeof *o)
		return; /* an older caller's struct, or none: the defaults (no request is made with it) */
	o->max_attempts = 1;
	o->connect_timeout_ms = 2000;
	o->request_timeout_s = 10; /* should a proxy from the environment answer instead */
	o->skip_hosts_toml = 1;
	o->docker_config_dir = "";
}

static int setup_env(void **state)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;

	(void)state;
	env.dir = make_tmpdir();
	nowhere_opts(&o);
	if (limg_store_open(&env.store, NULL, env.dir, NULL) != 0 || limg_session_new(&env.session, NULL, &o, NULL) != 0 ||
	    limg_registry_open(&env.registry, NULL, NOWHERE, &o, NULL) != 0)
		return -1;
	env.devnull = open("/dev/null", O_RDWR);
	return env.devnull < 0 ? -1 : 0;
}

static int teardown_env(void **state)
{
	(void)state;
	close(env.devnull);
	limg_registry_close(env.registry);
	limg_session_free(env.session);
	limg_store_close(env.store);
	rm_tree(env.dir);
	return 0;
}

/* ---- the entry points each struct is given to ------------------------------------ */

static int w_ignore(const void *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return 0;
}

static int r_empty(size_t *out_len, void *buf, size_t cap, void *payload)
{
	(void)buf;
	(void)cap;
	(void)payload;
	*out_len = 0;
	return 0;
}

static int n_ignore(const char *name, void *payload)
{
	(void)name;
	(void)payload;
	return 0;
}

static int call_context_opts(void *o)
{
	limg_context *c = NULL;
	int rc = limg_context_new(&c, o);
	limg_context_free(c);
	return rc;
}

static int call_allocator(void *o)
{
	limg_context_opts co = LIMG_CONTEXT_OPTS_INIT;
	limg_context *c = NULL;
	int rc;

	co.allocator = o;
	rc = limg_context_new(&c, &co);
	limg_context_free(c);
	return rc;
}

static int call_store_opts(void *o)
{
	limg_store *s = NULL;
	int rc = limg_store_open(&s, NULL, env.dir, o);
	limg_store_close(s);
	return rc;
}

static int call_store_fsck_opts(void *o)
{
	size_t n;
	return limg_store_fsck(&n, env.store, o, NULL);
}

static int call_store_fsck_callbacks(void *cb)
{
	size_t n;
	return limg_store_fsck(&n, env.store, NULL, cb);
}

static int call_store_gc_opts(void *o)
{
	return limg_store_gc(NULL, env.store, o, NULL);
}

static int call_store_gc_callbacks(void *cb)
{
	return limg_store_gc(NULL, env.store, NULL, cb);
}

static int call_tag_iterator_opts(void *o)
{
	limg_tag_iterator *it = NULL;
	int rc = limg_tag_iterator_new(&it, env.store, o);
	limg_tag_iterator_free(it);
	return rc;
}

static int call_images_iterator_opts(void *o)
{
	limg_images_iterator *it = NULL;
	int rc = limg_images_iterator_new(&it, env.store, o);
	limg_images_iterator_free(it);
	return rc;
}

static int call_image_lookup_opts(void *o)
{
	limg_image *img = NULL;
	int rc = limg_image_lookup(&img, env.store, "missing:1", o);
	limg_image_free(img);
	return rc;
}

static int call_images_remove_opts(void *o)
{
	return limg_images_remove(env.store, "missing:1", o, NULL);
}

static int call_images_remove_callbacks(void *cb)
{
	return limg_images_remove(env.store, "missing:1", NULL, cb);
}

static int call_unpack_opts(void *o)
{
	char *dir = path_in(env.dir, "unpack-here");
	int rc = limg_unpack(env.store, "missing:1", dir, o, NULL);
	free(dir);
	return rc;
}

static int call_unpack_callbacks(void *cb)
{
	char *dir = path_in(env.dir, "unpack-here");
	int rc = limg_unpack(env.store, "missing:1", dir, NULL, cb);
	free(dir);
	return rc;
}

static int call_snapshot_opts(void *o)
{
	char *dir = path_in(env.dir, "snapshot-here");
	int rc = limg_snapshot_prepare(NULL, env.store, "missing:1", dir, o, NULL);
	free(dir);
	return rc;
}

static int call_snapshot_callbacks(void *cb)
{
	char *dir = path_in(env.dir, "snapshot-here");
	int rc = limg_snapshot_prepare(NULL, env.store, "missing:1", dir, NULL, cb);
	free(dir);
	return rc;
}

static int call_archive_save_opts(void *o)
{
	const char *images[] = { "missing:1" };
	return limg_archive_save(env.store, images, 1, env.devnull, o, NULL);
}

static int call_archive_save_callbacks(void *cb)
{
	const char *images[] = { "missing:1" };
	return limg_archive_save(env.store, images, 1, env.devnull, NULL, cb);
}

static int call_archive_load_opts(void *o)
{
	return limg_archive_load(env.store, env.devnull, o, NULL);
}

static int call_archive_load_callbacks(void *cb)
{
	return limg_archive_load(env.store, env.devnull, NULL, cb);
}

static int call_registry_opts(void *o)
{
	limg_registry *r = NULL;
	int rc;

	nowhere_opts(o);
	rc = limg_registry_open(&r, NULL, NOWHERE, o, NULL);
	limg_registry_close(r);
	return rc;
}

static int call_registry_opts_session(void *o)
{
	limg_session *s = NULL;
	int rc;

	nowhere_opts(o);
	rc = limg_session_new(&s, NULL, o, NULL);
	limg_session_free(s);
	return rc;
}

static int call_registry_opts_set(void *o)
{
	nowhere_opts(o);
	return limg_session_set_registry_opts(env.session, "localhost:2", o);
}

static int call_registry_callbacks(void *cb)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	limg_registry *r = NULL;
	int rc;

	nowhere_opts(&o);
	rc = limg_registry_open(&r, NULL, NOWHERE, &o, cb);
	limg_registry_close(r);
	return rc;
}

static int call_registry_callbacks_session(void *cb)
{
	limg_session *s = NULL;
	int rc = limg_session_new(&s, NULL, NULL, cb);
	limg_session_free(s);
	return rc;
}

static int call_endpoint(void *e)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	const limg_endpoint *mirrors[1] = { e };
	limg_registry *r = NULL;
	int rc;

	if (((limg_endpoint *)e)->size >= offsetof(limg_endpoint, url) + sizeof(const char *))
		((limg_endpoint *)e)->url = "https://127.0.0.1:2";
	nowhere_opts(&o);
	o.mirrors = mirrors;
	o.mirrors_len = 1;
	rc = limg_registry_open(&r, NULL, NOWHERE, &o, NULL);
	limg_registry_close(r);
	return rc;
}

static int call_registry_call_opts(void *o)
{
	return limg_registry_ping(env.registry, o);
}

static int call_registry_call_opts_others(void *o)
{
	limg_remote_manifest *m = NULL;
	int rc, exists;

	/* every call that takes them checks them before any request */
	if ((rc = limg_registry_manifest_head(&m, env.registry, "x", "latest", o)) != LIMG_EVERSION)
		return rc;
	if ((rc = limg_registry_manifest_fetch(&m, env.registry, "x", "latest", o)) != LIMG_EVERSION)
		return rc;
	if ((rc = limg_registry_blob_exists(&exists, NULL, env.registry, "x", A_DIGEST, o)) != LIMG_EVERSION)
		return rc;
	return limg_registry_manifest_put(NULL, env.registry, "x", "latest", LIMG_MEDIA_OCI_MANIFEST, "{}", 2, o);
}

static int call_registry_fetch_opts(void *o)
{
	limg_registry_fetch_callbacks cb = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;
	cb.write = w_ignore;
	return limg_registry_blob_fetch(env.registry, "x", A_DIGEST, -1, o, &cb);
}

static int call_registry_fetch_callbacks(void *cb)
{
	if (((limg_registry_fetch_callbacks *)cb)->size >= sizeof(limg_registry_fetch_callbacks))
		((limg_registry_fetch_callbacks *)cb)->write = w_ignore;
	return limg_registry_blob_fetch(env.registry, "x", A_DIGEST, -1, NULL, cb);
}

static int call_registry_list_opts(void *o)
{
	limg_registry_list_callbacks cb = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	int rc;

	cb.name = n_ignore;
	if ((rc = limg_registry_tags_foreach(env.registry, "x", o, &cb)) != LIMG_EVERSION)
		return rc;
	return limg_registry_catalog_foreach(env.registry, o, &cb);
}

static int call_registry_list_callbacks(void *cb)
{
	int rc;

	if (((limg_registry_list_callbacks *)cb)->size >= sizeof(limg_registry_list_callbacks))
		((limg_registry_list_callbacks *)cb)->name = n_ignore;
	if ((rc = limg_registry_tags_foreach(env.registry, "x", NULL, cb)) != LIMG_EVERSION)
		return rc;
	return limg_registry_catalog_foreach(env.registry, NULL, cb);
}

static int call_registry_upload_opts(void *o)
{
	limg_registry_upload_callbacks cb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	cb.read = r_empty;
	return limg_registry_blob_upload(NULL, env.registry, "x", A_DIGEST, 0, o, &cb);
}

static int call_registry_upload_callbacks(void *cb)
{
	if (((limg_registry_upload_callbacks *)cb)->size >= sizeof(limg_registry_upload_callbacks))
		((limg_registry_upload_callbacks *)cb)->read = r_empty;
	return limg_registry_blob_upload(NULL, env.registry, "x", A_DIGEST, 0, NULL, cb);
}

static int call_pull_opts(void *o)
{
	limg_pull_result *res = NULL;
	int rc;

	rc = limg_pull(&res, env.store, BAD_REF, o, NULL);
	limg_pull_result_free(res);
	return rc;
}

static int call_pull_callbacks(void *cb)
{
	return limg_pull(NULL, env.store, BAD_REF, NULL, cb);
}

static int call_pull_unpack_opts(void *o)
{
	char *dir = path_in(env.dir, "pull-unpack-here");
	int rc = limg_pull_unpack(NULL, env.store, BAD_REF, dir, o, NULL);
	free(dir);
	return rc;
}

static int call_pull_unpack_callbacks(void *cb)
{
	char *dir = path_in(env.dir, "pull-unpack-here");
	int rc = limg_pull_unpack(NULL, env.store, BAD_REF, dir, NULL, cb);
	free(dir);
	return rc;
}

/* limg_pull_unpack() takes the pull's and the unpack's options too */
static int call_pull_opts_fused(void *o)
{
	limg_pull_unpack_opts po = LIMG_PULL_UNPACK_OPTS_INIT;

	po.pull = o;
	return call_pull_unpack_opts(&po);
}

static int call_unpack_opts_fused(void *o)
{
	limg_pull_unpack_opts po = LIMG_PULL_UNPACK_OPTS_INIT;

	po.unpack = o;
	return call_pull_unpack_opts(&po);
}

static int call_push_opts(void *o)
{
	return limg_push(NULL, env.store, BAD_REF, o, NULL);
}

static int call_push_callbacks(void *cb)
{
	return limg_push(NULL, env.store, BAD_REF, NULL, cb);
}

static int call_copy_opts(void *o)
{
	return limg_copy(NULL, env.session, BAD_REF, NOWHERE "/y:1", o, NULL);
}

static int call_copy_callbacks(void *cb)
{
	return limg_copy(NULL, env.session, BAD_REF, NOWHERE "/y:1", NULL, cb);
}

static int call_referrers_opts(void *o)
{
	return limg_registry_referrers_foreach(env.registry, "x/y", "sha256:0123", o, NULL);
}

static int call_referrers_callbacks(void *cb)
{
	return limg_registry_referrers_foreach(env.registry, "x/y", "sha256:0123", NULL, cb);
}

static int call_referrer_put_opts(void *o)
{
	return limg_registry_referrer_put(NULL, env.registry, "x/y", LIMG_MEDIA_OCI_MANIFEST, "{}", 2, o);
}

static int call_attach_opts(void *o)
{
	return limg_registry_attach(NULL, env.registry, "x/y", "1", "example/t", NULL, 0, o);
}

static int call_verify_opts(void *o)
{
	static const char text[] = "{\"default\":[{\"type\":\"reject\"}]}";
	limg_policy_opts po = LIMG_POLICY_OPTS_INIT;
	limg_policy *p = NULL;
	limg_verdict *v = NULL;
	int rc;

	po.registries_d = "";
	if ((rc = limg_policy_parse(&p, text, sizeof text - 1, &po)) == 0)
		rc = limg_verify(&v, p, BAD_REF, o);
	limg_verdict_free(v);
	limg_policy_free(p);
	return rc;
}

static int call_sign_opts(void *o)
{
	/* the options are read before the signer is looked at, and BAD_REF stops it after */
	return limg_sign(NULL, (const limg_signer *)&env, BAD_REF, o);
}

static int call_policy_opts(void *o)
{
	static const char text[] = "{\"default\":[{\"type\":\"reject\"}]}";
	limg_policy *p = NULL;
	int rc = limg_policy_parse(&p, text, sizeof text - 1, o);

	limg_policy_free(p);
	return rc;
}

static int call_policy_check_opts(void *o)
{
	static const char text[] = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";
	limg_policy_opts po = LIMG_POLICY_OPTS_INIT;
	limg_policy *p = NULL;
	limg_verdict *v = NULL;
	int rc;

	po.registries_d = "";
	if ((rc = limg_policy_parse(&p, text, sizeof text - 1, &po)) == 0)
		rc = limg_policy_check(&v, p, "busybox",
		                       "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, o);
	limg_verdict_free(v);
	limg_policy_free(p);
	return rc;
}

static int call_signer_opts(void *o)
{
	limg_signer *s = NULL;
	int rc = limg_signer_parse(&s, "not a key", 9, o);

	limg_signer_free(s);
	return rc;
}

static int call_sync_select(void *sel)
{
	limg_sync_list *l = NULL;
	int rc = limg_sync_list_new(&l);

	if (rc == 0)
		rc = limg_sync_list_add(l, NOWHERE "/x", sel);
	limg_sync_list_free(l);
	return rc;
}

static int call_sync(void *o, void *cb)
{
	limg_sync_list *l = NULL;
	int rc = limg_sync_list_new(&l);

	if (rc == 0)
		rc = limg_sync(NULL, env.session, l, NOWHERE "/mirror", o, cb);
	limg_sync_list_free(l);
	return rc;
}

static int call_sync_opts(void *o)
{
	return call_sync(o, NULL);
}

static int call_sync_callbacks(void *cb)
{
	return call_sync(NULL, cb);
}

static int call_layer_opts(void *o)
{
	limg_layer *l = NULL;
	int rc = limg_layer_new_from_dir(&l, env.store, NOWHERE_DIR, o, NULL);

	limg_layer_free(l);
	return rc;
}

static int call_layer_opts_tar(void *o)
{
	limg_layer *l = NULL;
	int rc = limg_layer_new_from_tar(&l, env.store, env.devnull, o, NULL);

	limg_layer_free(l);
	return rc;
}

static int call_layer_callbacks(void *cb)
{
	limg_layer *l = NULL;
	int rc = limg_layer_new_from_dir(&l, env.store, NOWHERE_DIR, NULL, cb);

	limg_layer_free(l);
	return rc;
}

static int call_layer_callbacks_flatten(void *cb)
{
	limg_buf d = LIMG_BUF_INIT;
	int rc = limg_build_flatten(&d, env.store, "no-such-image", NULL, NULL, cb);

	limg_buf_dispose(&d);
	return rc;
}

static int call_layer_file(void *f)
{
	const limg_layer_file *files[1] = { f };
	limg_layer *l = NULL;
	int rc = limg_layer_new_from_files(&l, env.store, files, 1, NULL, NULL);

	limg_layer_free(l);
	return rc;
}

static int call_builder_opts(void *o)
{
	limg_builder *b = NULL;
	int rc = limg_builder_new(&b, env.store, "no-such-image", o);

	limg_builder_free(b);
	return rc;
}

static int call_healthcheck_opts(void *o)
{
	static const char *const test[] = { "NONE" };
	limg_builder *b = NULL;
	int rc = limg_builder_new(&b, env.store, NULL, NULL);

	if (rc == 0)
		rc = limg_builder_set_healthcheck(b, test, 1, o);
	limg_builder_free(b);
	return rc;
}

static int call_flatten_opts(void *o)
{
	limg_buf d = LIMG_BUF_INIT;
	int rc = limg_build_flatten(&d, env.store, "no-such-image", NULL, o, NULL);

	limg_buf_dispose(&d);
	return rc;
}

static int call_rebase_opts(void *o)
{
	limg_buf d = LIMG_BUF_INIT;
	int rc = limg_build_rebase(&d, env.store, "no-such-image", "old", "new", NULL, o);

	limg_buf_dispose(&d);
	return rc;
}

static int call_index_opts(void *o)
{
	static const char *const images[] = { "no-such-image" };
	limg_buf d = LIMG_BUF_INIT;
	int rc = limg_build_index(&d, env.store, images, 1, NULL, o);

	limg_buf_dispose(&d);
	return rc;
}

static int call_spec_opts(void *o)
{
	static const char spec[] = "{\"unknown\": 1}";
	limg_buf d = LIMG_BUF_INIT;
	int rc = limg_build_spec(&d, env.store, spec, sizeof spec - 1, o, NULL);

	limg_buf_dispose(&d);
	return rc;
}

/* ---- the table: every *_opts_init / *_callbacks_init of include/libimage --------- */

struct sized {
	const char *name;                 /* the type, as the library names it in errors */
	size_t size;                      /* sizeof(type) */
	int (*init)(void *p, size_t size); /* limg_x_init() */
	const void *macro;                /* what LIMG_X_INIT gives */
	int (*call)(void *p);             /* an entry point that reads the struct */
	int (*also)(void *p);             /* another one, or NULL */
};

#define SIZED(T, init_fn, MACRO)                                                                                 \
	static int init_##T(void *p, size_t n)                                                                   \
	{                                                                                                        \
		return init_fn((T *)p, n);                                                                       \
	}                                                                                                        \
	static const T macro_##T = MACRO;

SIZED(limg_context_opts, limg_context_opts_init, LIMG_CONTEXT_OPTS_INIT)
SIZED(limg_allocator, limg_allocator_init, LIMG_ALLOCATOR_INIT)
SIZED(limg_store_opts, limg_store_opts_init, LIMG_STORE_OPTS_INIT)
SIZED(limg_store_fsck_opts, limg_store_fsck_opts_init, LIMG_STORE_FSCK_OPTS_INIT)
SIZED(limg_store_fsck_callbacks, limg_store_fsck_callbacks_init, LIMG_STORE_FSCK_CALLBACKS_INIT)
SIZED(limg_store_gc_opts, limg_store_gc_opts_init, LIMG_STORE_GC_OPTS_INIT)
SIZED(limg_store_gc_callbacks, limg_store_gc_callbacks_init, LIMG_STORE_GC_CALLBACKS_INIT)
SIZED(limg_tag_iterator_opts, limg_tag_iterator_opts_init, LIMG_TAG_ITERATOR_OPTS_INIT)
SIZED(limg_images_iterator_opts, limg_images_iterator_opts_init, LIMG_IMAGES_ITERATOR_OPTS_INIT)
SIZED(limg_image_lookup_opts, limg_image_lookup_opts_init, LIMG_IMAGE_LOOKUP_OPTS_INIT)
SIZED(limg_images_remove_opts, limg_images_remove_opts_init, LIMG_IMAGES_REMOVE_OPTS_INIT)
SIZED(limg_images_remove_callbacks, limg_images_remove_callbacks_init, LIMG_IMAGES_REMOVE_CALLBACKS_INIT)
SIZED(limg_unpack_opts, limg_unpack_opts_init, LIMG_UNPACK_OPTS_INIT)
SIZED(limg_unpack_callbacks, limg_unpack_callbacks_init, LIMG_UNPACK_CALLBACKS_INIT)
SIZED(limg_snapshot_opts, limg_snapshot_opts_init, LIMG_SNAPSHOT_OPTS_INIT)
SIZED(limg_snapshot_callbacks, limg_snapshot_callbacks_init, LIMG_SNAPSHOT_CALLBACKS_INIT)
SIZED(limg_archive_save_opts, limg_archive_save_opts_init, LIMG_ARCHIVE_SAVE_OPTS_INIT)
SIZED(limg_archive_save_callbacks, limg_archive_save_callbacks_init, LIMG_ARCHIVE_SAVE_CALLBACKS_INIT)
SIZED(limg_archive_load_opts, limg_archive_load_opts_init, LIMG_ARCHIVE_LOAD_OPTS_INIT)
SIZED(limg_archive_load_callbacks, limg_archive_load_callbacks_init, LIMG_ARCHIVE_LOAD_CALLBACKS_INIT)
SIZED(limg_registry_opts, limg_registry_opts_init, LIMG_REGISTRY_OPTS_INIT)
SIZED(limg_registry_callbacks, limg_registry_callbacks_init, LIMG_REGISTRY_CALLBACKS_INIT)
SIZED(limg_endpoint, limg_endpoint_init, LIMG_ENDPOINT_INIT)
SIZED(limg_registry_call_opts, limg_registry_call_opts_init, LIMG_REGISTRY_CALL_OPTS_INIT)
SIZED(limg_registry_fetch_opts, limg_registry_fetch_opts_init, LIMG_REGISTRY_FETCH_OPTS_INIT)
SIZED(limg_registry_fetch_callbacks, limg_registry_fetch_callbacks_init, LIMG_REGISTRY_FETCH_CALLBACKS_INIT)
SIZED(limg_registry_list_opts, limg_registry_list_opts_init, LIMG_REGISTRY_LIST_OPTS_INIT)
SIZED(limg_registry_list_callbacks, limg_registry_list_callbacks_init, LIMG_REGISTRY_LIST_CALLBACKS_INIT)
SIZED(limg_registry_upload_opts, limg_registry_upload_opts_init, LIMG_REGISTRY_UPLOAD_OPTS_INIT)
SIZED(limg_registry_upload_callbacks, limg_registry_upload_callbacks_init, LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT)
SIZED(limg_pull_opts, limg_pull_opts_init, LIMG_PULL_OPTS_INIT)
SIZED(limg_pull_callbacks, limg_pull_callbacks_init, LIMG_PULL_CALLBACKS_INIT)
SIZED(limg_pull_unpack_opts, limg_pull_unpack_opts_init, LIMG_PULL_UNPACK_OPTS_INIT)
SIZED(limg_pull_unpack_callbacks, limg_pull_unpack_callbacks_init, LIMG_PULL_UNPACK_CALLBACKS_INIT)
SIZED(limg_push_opts, limg_push_opts_init, LIMG_PUSH_OPTS_INIT)
SIZED(limg_push_callbacks, limg_push_callbacks_init, LIMG_PUSH_CALLBACKS_INIT)
SIZED(limg_copy_opts, limg_copy_opts_init, LIMG_COPY_OPTS_INIT)
SIZED(limg_copy_callbacks, limg_copy_callbacks_init, LIMG_COPY_CALLBACKS_INIT)
SIZED(limg_registry_referrers_opts, limg_registry_referrers_opts_init, LIMG_REGISTRY_REFERRERS_OPTS_INIT)
SIZED(limg_registry_referrers_callbacks, limg_registry_referrers_callbacks_init, LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT)
SIZED(limg_registry_attach_opts, limg_registry_attach_opts_init, LIMG_REGISTRY_ATTACH_OPTS_INIT)
SIZED(limg_verify_opts, limg_verify_opts_init, LIMG_VERIFY_OPTS_INIT)
SIZED(limg_sign_opts, limg_sign_opts_init, LIMG_SIGN_OPTS_INIT)
SIZED(limg_policy_opts, limg_policy_opts_init, LIMG_POLICY_OPTS_INIT)
SIZED(limg_policy_check_opts, limg_policy_check_opts_init, LIMG_POLICY_CHECK_OPTS_INIT)
SIZED(limg_signer_opts, limg_signer_opts_init, LIMG_SIGNER_OPTS_INIT)
SIZED(limg_sync_select, limg_sync_select_init, LIMG_SYNC_SELECT_INIT)
SIZED(limg_sync_opts, limg_sync_opts_init, LIMG_SYNC_OPTS_INIT)
SIZED(limg_sync_callbacks, limg_sync_callbacks_init, LIMG_SYNC_CALLBACKS_INIT)
SIZED(limg_layer_opts, limg_layer_opts_init, LIMG_LAYER_OPTS_INIT)
SIZED(limg_layer_callbacks, limg_layer_callbacks_init, LIMG_LAYER_CALLBACKS_INIT)
SIZED(limg_layer_file, limg_layer_file_init, LIMG_LAYER_FILE_INIT)
SIZED(limg_builder_opts, limg_builder_opts_init, LIMG_BUILDER_OPTS_INIT)
SIZED(limg_healthcheck_opts, limg_healthcheck_opts_init, LIMG_HEALTHCHECK_OPTS_INIT)
SIZED(limg_flatten_opts, limg_flatten_opts_init, LIMG_FLATTEN_OPTS_INIT)
SIZED(limg_rebase_opts, limg_rebase_opts_init, LIMG_REBASE_OPTS_INIT)
SIZED(limg_index_opts, limg_index_opts_init, LIMG_INDEX_OPTS_INIT)
SIZED(limg_spec_opts, limg_spec_opts_init, LIMG_SPEC_OPTS_INIT)

#define ROW(T, call, also) { #T, sizeof(T), init_##T, &macro_##T, call, also }

static const struct sized table[] = {
	ROW(limg_context_opts, call_context_opts, NULL),
	ROW(limg_allocator, call_allocator, NULL),
	ROW(limg_store_opts, call_store_opts, NULL),
	ROW(limg_store_fsck_opts, call_store_fsck_opts, NULL),
	ROW(limg_store_fsck_callbacks, call_store_fsck_callbacks, NULL),
	ROW(limg_store_gc_opts, call_store_gc_opts, NULL),
	ROW(limg_store_gc_callbacks, call_store_gc_callbacks, NULL),
	ROW(limg_tag_iterator_opts, call_tag_iterator_opts, NULL),
	ROW(limg_images_iterator_opts, call_images_iterator_opts, NULL),
	ROW(limg_image_lookup_opts, call_image_lookup_opts, NULL),
	ROW(limg_images_remove_opts, call_images_remove_opts, NULL),
	ROW(limg_images_remove_callbacks, call_images_remove_callbacks, NULL),
	ROW(limg_unpack_opts, call_unpack_opts, call_unpack_opts_fused),
	ROW(limg_unpack_callbacks, call_unpack_callbacks, NULL),
	ROW(limg_snapshot_opts, call_snapshot_opts, NULL),
	ROW(limg_snapshot_callbacks, call_snapshot_callbacks, NULL),
	ROW(limg_archive_save_opts, call_archive_save_opts, NULL),
	ROW(limg_archive_save_callbacks, call_archive_save_callbacks, NULL),
	ROW(limg_archive_load_opts, call_archive_load_opts, NULL),
	ROW(limg_archive_load_callbacks, call_archive_load_callbacks, NULL),
	ROW(limg_registry_opts, call_registry_opts, call_registry_opts_session),
	ROW(limg_registry_opts, call_registry_opts_set, NULL),
	ROW(limg_registry_callbacks, call_registry_callbacks, call_registry_callbacks_session),
	ROW(limg_endpoint, call_endpoint, NULL),
	ROW(limg_registry_call_opts, call_registry_call_opts, call_registry_call_opts_others),
	ROW(limg_registry_fetch_opts, call_registry_fetch_opts, NULL),
	ROW(limg_registry_fetch_callbacks, call_registry_fetch_callbacks, NULL),
	ROW(limg_registry_list_opts, call_registry_list_opts, NULL),
	ROW(limg_registry_list_callbacks, call_registry_list_callbacks, NULL),
	ROW(limg_registry_upload_opts, call_registry_upload_opts, NULL),
	ROW(limg_registry_upload_callbacks, call_registry_upload_callbacks, NULL),
	ROW(limg_pull_opts, call_pull_opts, call_pull_opts_fused),
	ROW(limg_pull_callbacks, call_pull_callbacks, NULL),
	ROW(limg_pull_unpack_opts, call_pull_unpack_opts, NULL),
	ROW(limg_pull_unpack_callbacks, call_pull_unpack_callbacks, NULL),
	ROW(limg_push_opts, call_push_opts, NULL),
	ROW(limg_push_callbacks, call_push_callbacks, NULL),
	ROW(limg_copy_opts, call_copy_opts, NULL),
	ROW(limg_copy_callbacks, call_copy_callbacks, NULL),
	ROW(limg_registry_referrers_opts, call_referrers_opts, call_referrer_put_opts),
	ROW(limg_registry_referrers_callbacks, call_referrers_callbacks, NULL),
	ROW(limg_registry_attach_opts, call_attach_opts, NULL),
	ROW(limg_verify_opts, call_verify_opts, NULL),
	ROW(limg_sign_opts, call_sign_opts, NULL),
	ROW(limg_policy_opts, call_policy_opts, NULL),
	ROW(limg_policy_check_opts, call_policy_check_opts, NULL),
	ROW(limg_signer_opts, call_signer_opts, NULL),
	ROW(limg_sync_select, call_sync_select, NULL),
	ROW(limg_sync_opts, call_sync_opts, NULL),
	ROW(limg_sync_callbacks, call_sync_callbacks, NULL),
	ROW(limg_layer_opts, call_layer_opts, call_layer_opts_tar),
	ROW(limg_layer_callbacks, call_layer_callbacks, call_layer_callbacks_flatten),
	ROW(limg_layer_file, call_layer_file, NULL),
	ROW(limg_builder_opts, call_builder_opts, NULL),
	ROW(limg_healthcheck_opts, call_healthcheck_opts, NULL),
	ROW(limg_flatten_opts, call_flatten_opts, NULL),
	ROW(limg_rebase_opts, call_rebase_opts, NULL),
	ROW(limg_index_opts, call_index_opts, NULL),
	ROW(limg_spec_opts, call_spec_opts, NULL),
};

/* Room for any struct of the table and what a newer caller would append. */
#define EXTRA 32
union room {
	max_align_t align;
	unsigned char bytes[512];
};

/* Runs @fn on @p; the result must be @code about OPTIONS, naming @name. */
static void expect_refusal(const struct sized *t, int (*fn)(void *), void *p, int code, const char *why)
{
	int rc = fn(p);

	if (rc != code)
		fail_msg("%s (%s): expected %s, got %s: %s", t->name, why, limg_error_name(code), limg_error_name(rc),
		         limg_error_message(limg_error_last()));
	if (limg_error_subject(limg_error_last()) != LIMG_SUBJECT_OPTIONS)
		fail_msg("%s (%s): subject %s", t->name, why, limg_subject_name(limg_error_subject(limg_error_last())));
	if (strcmp(limg_error_object(limg_error_last()), t->name) != 0)
		fail_msg("%s (%s): object \"%s\"", t->name, why, limg_error_object(limg_error_last()));
}

/* Runs @fn on @p; whatever it says, it is not a refusal of the struct. */
static void expect_accepted(const struct sized *t, int (*fn)(void *), void *p, const char *why)
{
	int rc = fn(p);

	if (rc == LIMG_EVERSION || (rc < 0 && limg_error_subject(limg_error_last()) == LIMG_SUBJECT_OPTIONS))
		fail_msg("%s (%s): refused: %s", t->name, why, limg_error_message(limg_error_last()));
}

static void test_init_matches_macro(void **state)
{
	union room a, b;

	(void)state;
	assert_int_equal(sizeof table / sizeof table[0], 59);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct sized *t = &table[i];
		size_t size;

		assert_true(t->size + EXTRA <= sizeof a.bytes);
		/* the same bytes as the macro: the size, and zero everywhere else */
		memset(a.bytes, 0xA5, sizeof a.bytes);
		if (t->init(a.bytes, t->size) != 0)
			fail_msg("%s_init: %s", t->name, limg_error_message(limg_error_last()));
		if (memcmp(a.bytes, t->macro, t->size) != 0)
			fail_msg("%s: _init and _INIT differ", t->name);
		memcpy(&size, a.bytes, sizeof size);
		assert_int_equal(size, t->size);
		memset(b.bytes, 0, sizeof b.bytes);
		memcpy(b.bytes, &size, sizeof size);
		if (memcmp(a.bytes, b.bytes, t->size) != 0)
			fail_msg("%s: a default that is not zero", t->name);
		/* a newer caller's larger struct: its size, and zeros past ours */
		memset(a.bytes, 0xA5, sizeof a.bytes);
		assert_int_equal(t->init(a.bytes, t->size + EXTRA), 0);
		memcpy(&size, a.bytes, sizeof size);
		assert_int_equal(size, t->size + EXTRA);
		for (size_t k = sizeof size; k < t->size + EXTRA; k++)
			if (a.bytes[k])
				fail_msg("%s: byte %zu not zeroed", t->name, k);
		assert_int_equal(a.bytes[t->size + EXTRA], 0xA5); /* and nothing past what it was given */
		/* an older caller's: only the size field */
		assert_int_equal(t->init(a.bytes, sizeof(size_t)), 0);
		/* misuse */
		assert_int_equal(t->init(NULL, t->size), LIMG_EINVALID);
		assert_int_equal(t->init(a.bytes, 1), LIMG_EINVALID);
		assert_int_equal(t->init(a.bytes, 0), LIMG_EINVALID);
	}
}

/* The table covers every limg_x_init() the headers declare (LIMG_INCLUDE_DIR
 * is include/libimage): a struct added later fails here until it is added above. */
static void test_table_covers_headers(void **state)
{
	DIR *d = opendir(LIMG_INCLUDE_DIR);
	struct dirent *e;
	size_t declared = 0, unique = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024], line[1024];
		size_t n = strlen(e->d_name);
		FILE *fp;
		if (n < 3 || strcmp(e->d_name + n - 2, ".h") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", LIMG_INCLUDE_DIR, e->d_name);
		assert_non_null(fp = fopen(path, "r"));
		while (fgets(line, sizeof line, fp)) {
			const char *at = strstr(line, "LIMG_EXTERN(int) limg_"), *end;
			char type[128];
			bool found = false;
			if (!at || !(end = strstr(at, "_init(")))
				continue;
			at += strlen("LIMG_EXTERN(int) ");
			snprintf(type, sizeof type, "%.*s", (int)(end - at), at);
			for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
				found = found || !strcmp(table[i].name, type);
			if (!found)
				fail_msg("%s declares %s_init(), which this test does not cover", e->d_name, type);
			declared++;
		}
		fclose(fp);
	}
	closedir(d);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		unique += i == 0 || strcmp(table[i].name, table[i - 1].name) != 0;
	assert_int_equal(declared, unique);
}

static void test_newer_struct_refused(void **state)
{
	union room a;

	(void)state;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct sized *t = &table[i];
		int (*fns[2])(void *) = { t->call, t->also };

		for (int f = 0; f < 2 && fns[f]; f++) {
			/* a field this library does not know is set: refused */
			assert_int_equal(t->init(a.bytes, t->size + EXTRA), 0);
			a.bytes[t->size] = 1;
			expect_refusal(t, fns[f], a.bytes, LIMG_EVERSION, "first unknown byte set");
			assert_int_equal(t->init(a.bytes, t->size + EXTRA), 0);
			a.bytes[t->size + EXTRA - 1] = 0x80;
			expect_refusal(t, fns[f], a.bytes, LIMG_EVERSION, "last unknown byte set");
			assert_non_null(strstr(limg_error_message(limg_error_last()), t->name));
			/* size 0: the struct was never initialised */
			memset(a.bytes, 0, t->size + EXTRA);
			expect_refusal(t, fns[f], a.bytes, LIMG_EINVALID, "size 0");
		}
	}
}

static void test_newer_struct_accepted_when_zero(void **state)
{
	union room a;

	(void)state;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct sized *t = &table[i];
		/* unknown fields left zero: a newer caller that asks nothing new */
		assert_int_equal(t->init(a.bytes, t->size + EXTRA), 0);
		expect_accepted(t, t->call, a.bytes, "zero tail");
		/* an older caller's struct: the fields it does not have are defaults
		 * (an endpoint without its url is no endpoint) */
		assert_int_equal(t->init(a.bytes, sizeof(size_t)), 0);
		if (t->call != call_endpoint)
			expect_accepted(t, t->call, a.bytes, "size field only");
		/* the struct as this library knows it */
		assert_int_equal(t->init(a.bytes, t->size), 0);
		expect_accepted(t, t->call, a.bytes, "this version");
	}
}

/* ---- what callbacks return (errors.h) --------------------------------------------- */

struct stopper {
	int ret;   /* what the callback returns */
	int calls; /* how often it was called */
};

static int stop_removed(const char *what, int64_t size, void *payload)
{
	struct stopper *s = payload;
	(void)what;
	(void)size;
	s->calls++;
	return s->ret;
}

static int stop_remove_event(int event, const char *what, void *payload)
{
	struct stopper *s = payload;
	(void)event;
	(void)what;
	s->calls++;
	return s->ret;
}

static int stop_write(const void *data, size_t len, void *payload)
{
	struct stopper *s = payload;
	(void)data;
	(void)len;
	s->calls++;
	return s->ret;
}

static int stop_read(size_t *out_len, void *buf, size_t cap, void *payload)
{
	struct stopper *s = payload;
	(void)cap;
	s->calls++;
	memcpy(buf, "abc", 3);
	*out_len = 3;
	return s->ret;
}

static int stop_problem(const char *object, int code, const char *message, void *payload)
{
	struct stopper *s = payload;
	(void)object;
	(void)code;
	(void)message;
	s->calls++;
	return s->ret;
}

static int stop_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                         void *payload)
{
	struct stopper *s = payload;
	(void)digest;
	(void)kind;
	(void)event;
	(void)done;
	(void)total;
	(void)detail;
	s->calls++;
	return s->ret;
}

/* What the operation returns for a callback's @ret: LIMG_EUSER for a
 * positive value (the message says which), the value itself for a negative one. */
static void expect_rule(int ret, int rc, const char *what)
{
	if (ret > 0) {
		char said[32];
		if (rc != LIMG_EUSER)
			fail_msg("%s: callback returned %d, operation %d (%s)", what, ret, rc,
			         limg_error_message(limg_error_last()));
		assert_int_equal(limg_error_code(limg_error_last()), LIMG_EUSER);
		snprintf(said, sizeof said, "%d", ret);
		assert_non_null(strstr(limg_error_message(limg_error_last()), said));
	} else if (rc != ret) {
		fail_msg("%s: callback returned %d, operation %d (%s)", what, ret, rc, limg_error_message(limg_error_last()));
	}
}

static const int returns[] = { 1, 42, -1, LIMG_ECANCELLED, -12345 };

static void test_rule_gc_removed(void **state)
{
	limg_store_gc_callbacks cb = LIMG_STORE_GC_CALLBACKS_INIT;
	struct stopper s;
	int64_t size, reclaimed = -1;
	char stray[80];

	(void)state;
	cb.removed = stop_removed;
	cb.payload = &s;
	for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
		s.ret = returns[i];
		s.calls = 0;
		ASSERT_OK(put_text(env.store, "a blob nothing reaches", stray));
		expect_rule(s.ret, limg_store_gc(&reclaimed, env.store, NULL, &cb), "gc");
		assert_int_equal(s.calls, 1);
		/* stopped before it removed the blob it was told of */
		ASSERT_OK(limg_store_blob_stat(&size, env.store, stray));
		assert_int_equal(reclaimed, 0);
	}
	s.ret = 0;
	s.calls = 0;
	ASSERT_OK(limg_store_gc(&reclaimed, env.store, NULL, &cb));
	assert_int_equal(s.calls, 1);
	assert_int_equal(reclaimed, 22);
	assert_int_equal(limg_store_blob_stat(&size, env.store, stray), LIMG_ENOTFOUND);
}

static void test_rule_images_remove(void **state)
{
	limg_images_remove_callbacks cb = LIMG_IMAGES_REMOVE_CALLBACKS_INIT;
	limg_buf d = LIMG_BUF_INIT;
	struct stopper s;
	test_image t;

	(void)state;
	cb.removed = stop_remove_event;
	cb.payload = &s;
	for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
		s.ret = returns[i];
		s.calls = 0;
		ASSERT_OK(put_image(env.store, "rmi-me:1", NULL, 0, NULL, &t));
		expect_rule(s.ret, limg_images_remove(env.store, "rmi-me:1", NULL, &cb), "images_remove");
		assert_int_equal(s.calls, 1);
		/* what was done stays done: the tag is gone, the image is not deleted */
		assert_int_equal(limg_tags_lookup(&d, env.store, "rmi-me:1"), LIMG_ENOTFOUND);
	}
	s.ret = 0;
	s.calls = 0;
	ASSERT_OK(put_image(env.store, "rmi-me:1", NULL, 0, NULL, &t));
	ASSERT_OK(limg_images_remove(env.store, "rmi-me:1", NULL, &cb));
	assert_int_equal(s.calls, 2); /* untagged, deleted */
	limg_buf_dispose(&d);
}

static void gzip_bytes(limg_buf *out, const void *data, size_t len)
{
	z_stream z;

	unsigned char *gz;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	gz = malloc(deflateBound(&z, len) + 32);
	assert_non_null(gz);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = (uInt)(deflateBound(&z, len) + 32);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	/* a limg_buf holds the library's memory: the bytes are copied in */
	assert_int_equal(limg_buf_set(out, gz, z.total_out), 0);
	free(gz);
	deflateEnd(&z);
}

static void test_rule_decompressor_write(void **state)
{
	static const int kinds[] = { LIMG_COMPRESSION_NONE, LIMG_COMPRESSION_GZIP };
	const char *text = "some layer bytes, some layer bytes, some layer bytes";
	limg_buf gz = LIMG_BUF_INIT;
	struct stopper s;

	(void)state;
	gzip_bytes(&gz, text, strlen(text));
	for (size_t k = 0; k < 2; k++) {
		const void *in = kinds[k] == LIMG_COMPRESSION_GZIP ? (const void *)gz.ptr : (const void *)text;
		size_t len = kinds[k] == LIMG_COMPRESSION_GZIP ? gz.size : strlen(text);
		for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
			limg_decompressor *d;
			s.ret = returns[i];
			s.calls = 0;
			ASSERT_OK(limg_decompressor_new(&d, kinds[k], 0));
			expect_rule(s.ret, limg_decompressor_update(d, in, len, stop_write, &s), "decompressor");
			assert_int_equal(s.calls, 1);
			limg_decompressor_free(d);
		}
		{
			limg_decompressor *d;
			s.ret = 0;
			s.calls = 0;
			ASSERT_OK(limg_decompressor_new(&d, kinds[k], 0));
			ASSERT_OK(limg_decompressor_update(d, in, len, stop_write, &s));
			ASSERT_OK(limg_decompressor_finish(d));
			assert_int_equal(limg_decompressor_bytes_out(d), (int64_t)strlen(text));
			limg_decompressor_free(d);
		}
	}
	limg_buf_dispose(&gz);
}

static void test_rule_digest_verify_stream(void **state)
{
	struct stopper s;

	(void)state;
	for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
		s.ret = returns[i];
		s.calls = 0;
		expect_rule(s.ret, limg_digest_verify_stream(digest_of("abc", 3), stop_read, &s), "digest_verify_stream");
		assert_int_equal(s.calls, 1);
	}
}

static void test_rule_fsck_problem(void **state)
{
	limg_store_fsck_callbacks cb = LIMG_STORE_FSCK_CALLBACKS_INIT;
	char *dir = make_tmpdir(), manifest[80], config[80];
	char text[512];
	limg_store *s;
	struct stopper st;
	size_t problems;

	(void)state;
	ASSERT_OK(limg_store_open(&s, NULL, dir, NULL));
	ASSERT_OK(put_text(s, "{}", config));
	snprintf(text, sizeof text,
	         "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\""
	         LIMG_MEDIA_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":2},\"layers\":[]}",
	         config);
	ASSERT_OK(put_text(s, text, manifest));
	ASSERT_OK(limg_tags_set(s, "fsck:1", manifest));
	ASSERT_OK(limg_store_blob_delete(s, config)); /* one problem */
	cb.problem = stop_problem;
	cb.payload = &st;
	for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
		st.ret = returns[i];
		st.calls = 0;
		expect_rule(st.ret, limg_store_fsck(&problems, s, NULL, &cb), "fsck");
		assert_int_equal(st.calls, 1);
	}
	limg_store_close(s);
	rm_tree(dir);
}

static void test_rule_archive_save_write(void **state)
{
	limg_archive_save_callbacks cb = LIMG_ARCHIVE_SAVE_CALLBACKS_INIT;
	const char *images[] = { "saved:1" };
	struct stopper s;
	test_image t;

	(void)state;
	ASSERT_OK(put_image(env.store, "saved:1", NULL, 0, NULL, &t));
	cb.payload = &s;
	/* the archive's bytes, then the progress reports */
	for (int which = 0; which < 2; which++) {
		cb.write = stop_write;
		cb.progress = which ? stop_progress : NULL;
		for (size_t i = 0; i < sizeof returns / sizeof returns[0]; i++) {
			s.ret = returns[i];
			s.calls = 0;
			expect_rule(s.ret, limg_archive_save(env.store, images, 1, -1, NULL, &cb), "archive_save");
			assert_int_equal(s.calls, 1);
		}
	}
	ASSERT_OK(limg_tags_remove(env.store, "saved:1"));
}

/* ---- sessions ------------------------------------------------------------------------ */

static void test_session_shares_handles(void **state)
{
	limg_registry_opts defaults = LIMG_REGISTRY_OPTS_INIT, own = LIMG_REGISTRY_OPTS_INIT;
	limg_registry *a = NULL, *b = NULL, *hub = NULL, *other = NULL;
	limg_session *s = NULL;
	const char *url;

	(void)state;
	nowhere_opts(&defaults);
	nowhere_opts(&own);
	own.tls = LIMG_TLS_INSECURE;
	ASSERT_OK(limg_session_new(&s, NULL, &defaults, NULL));
	/* a registry's own settings, before its first use */
	ASSERT_OK(limg_session_set_registry_opts(s, "localhost:5000", &own));
	ASSERT_OK(limg_session_set_registry_opts(s, "localhost:5000", &own)); /* not used yet: may change */
	ASSERT_OK(limg_session_registry(&a, s, "localhost:5000"));
	ASSERT_OK(limg_session_registry(&b, s, "localhost:5000"));
	assert_non_null(a);
	assert_ptr_equal(a, b); /* one handle per registry */
	url = limg_registry_base_url(a);
	assert_non_null(url);
	assert_ptr_equal(limg_registry_base_url(b), url);
	assert_non_null(strstr(url, "localhost:5000"));
	assert_string_equal(limg_registry_domain(a), "localhost:5000");
	/* in use: its settings cannot change any more */
	assert_int_equal(limg_session_set_registry_opts(s, "localhost:5000", &own), LIMG_EEXISTS);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_REGISTRY);
	assert_string_equal(limg_error_object(limg_error_last()), "localhost:5000");
	/* other registries get handles of their own, with the session's settings */
	ASSERT_OK(limg_session_registry(&hub, s, "docker.io"));
	assert_ptr_not_equal(hub, a);
	assert_string_equal(limg_registry_base_url(hub), "https://registry-1.docker.io");
	ASSERT_OK(limg_session_set_registry_opts(s, "ghcr.io", &own));
	ASSERT_OK(limg_session_registry(&other, s, "ghcr.io"));
	assert_ptr_not_equal(other, hub);
	/* misuse */
	assert_int_equal(limg_session_registry(&b, s, "not a domain!"), LIMG_EINVALID);
	assert_null(b);
	assert_int_equal(limg_session_registry(NULL, s, "docker.io"), LIMG_EINVALID);
	assert_int_equal(limg_session_registry(&b, NULL, "docker.io"), LIMG_EINVALID);
	assert_int_equal(limg_session_set_registry_opts(NULL, "docker.io", &own), LIMG_EINVALID);
	assert_int_equal(limg_session_new(NULL, NULL, NULL, NULL), LIMG_EINVALID);

	/* handles outlive the session until closed (ASan and valgrind watch this) */
	limg_session_free(s);
	assert_string_equal(limg_registry_domain(a), "localhost:5000");
	assert_non_null(strstr(limg_registry_base_url(a), "localhost:5000"));
	assert_string_equal(limg_registry_base_url(hub), "https://registry-1.docker.io");
	assert_string_equal(limg_registry_domain(other), "ghcr.io");
	limg_registry_close(a);
	limg_registry_close(a); /* the second reference of a, from the second call */
	limg_registry_close(hub);
	limg_registry_close(other);
	limg_session_free(NULL);
	limg_registry_close(NULL);
}

/* A session's settings apply to its handles: a bad per-registry setting is refused when set. */
static void test_session_refuses_bad_settings(void **state)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	limg_session *s = (limg_session *)&s;

	(void)state;
	o.tls = 7;
	assert_int_equal(limg_session_new(&s, NULL, &o, NULL), LIMG_EINVALID);
	assert_null(s);
	assert_int_equal(limg_error_subject(limg_error_last()), LIMG_SUBJECT_OPTIONS);
	ASSERT_OK(limg_session_new(&s, NULL, NULL, NULL));
	assert_int_equal(limg_session_set_registry_opts(s, "localhost:5000", &o), LIMG_EINVALID);
	limg_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_matches_macro),
		cmocka_unit_test(test_table_covers_headers),
		cmocka_unit_test(test_newer_struct_refused),
		cmocka_unit_test(test_newer_struct_accepted_when_zero),
		cmocka_unit_test(test_rule_gc_removed),
		cmocka_unit_test(test_rule_images_remove),
		cmocka_unit_test(test_rule_decompressor_write),
		cmocka_unit_test(test_rule_digest_verify_stream),
		cmocka_unit_test(test_rule_fsck_problem),
		cmocka_unit_test(test_rule_archive_save_write),
		cmocka_unit_test(test_session_shares_handles),
		cmocka_unit_test(test_session_refuses_bad_settings),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
