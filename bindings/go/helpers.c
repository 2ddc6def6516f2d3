/* SPDX-License-Identifier: MIT */
/* The C side of the Go binding (see helpers.h). */
#include <stdio.h>
#include <string.h>

#include "_cgo_export.h"
#include "helpers.h"

static int fail(int rc, lg_error *e)
{
	const limg_error *last = limg_error_last();

	e->code = rc;
	e->subject = limg_error_subject(last);
	e->http_status = limg_error_http_status(last);
	e->retry_after = limg_error_retry_after(last);
	snprintf(e->registry_code, sizeof e->registry_code, "%s", limg_error_registry_code(last));
	snprintf(e->object, sizeof e->object, "%s", limg_error_object(last));
	snprintf(e->message, sizeof e->message, "%s", limg_error_message(last));
	return rc;
}

#define CALL(expr) do { int rc_ = (expr); return rc_ < 0 ? fail(rc_, e) : rc_; } while (0)

/* ---- trampolines: C callbacks into Go, the payload a cgo.Handle ---------- */

static int progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                    void *payload)
{
	return lgProgress((uintptr_t)payload, (char *)digest, kind, event, done, total, (char *)detail);
}

static int write_cb(const void *data, size_t len, void *payload)
{
	return lgWrite((uintptr_t)payload, (void *)data, len);
}

static int read_cb(size_t *out_len, void *buf, size_t cap, void *payload)
{
	return lgRead((uintptr_t)payload, out_len, buf, cap);
}

static int removed_step(int event, const char *what, void *payload)
{
	return lgRemoveStep((uintptr_t)payload, event, (char *)what);
}

static int gc_removed(const char *what, int64_t size, void *payload)
{
	return lgGCRemoved((uintptr_t)payload, (char *)what, size);
}

static int loaded(const char *reference, const char *image_id, void *payload)
{
	return lgLoaded((uintptr_t)payload, (char *)reference, (char *)image_id);
}

static int name_cb(const char *name, void *payload)
{
	return lgName((uintptr_t)payload, (char *)name);
}

static int referrer(const limg_descriptor *d, void *payload)
{
	return lgReferrer((uintptr_t)payload, (char *)limg_descriptor_media_type(d), (char *)limg_descriptor_digest(d),
	                  limg_descriptor_size(d), (char *)limg_descriptor_artifact_type(d),
	                  (char *)limg_descriptor_annotation(d, "org.opencontainers.image.created"));
}

static int credentials(limg_buf *user, limg_buf *secret, const char *host, void *payload)
{
	return lgCredentials((uintptr_t)payload, user, secret, (char *)host);
}

/* ---- references, stores, sessions ------------------------------------- */

int lg_reference_parse(limg_reference **out, const char *text, int mode, lg_error *e)
{
	static int (*const parse[])(limg_reference **, const char *) = {
		[LG_PARSE_DOCKER] = limg_reference_parse_docker,
		[LG_PARSE_NORMALIZED] = limg_reference_parse_normalized,
		[LG_PARSE_STRICT] = limg_reference_parse,
		[LG_PARSE_CANONICAL] = limg_reference_parse_canonical,
		[LG_PARSE_ANY] = limg_reference_parse_any,
		[LG_PARSE_NAME] = limg_reference_parse_name,
	};
	if (mode < 0 || mode >= (int)(sizeof parse / sizeof *parse))
		mode = 0;
	CALL(parse[mode](out, text));
}

int lg_store_default_path(limg_buf *out, lg_error *e)
{
	CALL(limg_store_default_path(out));
}

int lg_store_open(limg_store **out, const char *path, const limg_store_opts *o, lg_error *e)
{
	CALL(limg_store_open(out, NULL, path, o));
}

int lg_session_new(limg_session **out, const limg_registry_opts *o, uintptr_t creds, lg_error *e)
{
	limg_registry_callbacks cb = LIMG_REGISTRY_CALLBACKS_INIT;

	cb.credentials = credentials;
	cb.payload = (void *)creds;
	CALL(limg_session_new(out, NULL, o, &cb));
}

int lg_session_set_registry_opts(limg_session *s, const char *domain, const limg_registry_opts *o, lg_error *e)
{
	CALL(limg_session_set_registry_opts(s, domain, o));
}

int lg_session_registry(limg_registry **out, limg_session *s, const char *domain, lg_error *e)
{
	CALL(limg_session_registry(out, s, domain));
}

/* ---- pull, push, copy -------------------------------------------------- */

int lg_pull(limg_pull_result **out, limg_store *s, const char *ref, const limg_pull_opts *o, uintptr_t h,
            int want, lg_error *e)
{
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_pull(out, s, ref, o, &cb));
}

int lg_push(limg_buf *out, limg_store *s, const char *ref, const limg_push_opts *o, uintptr_t h, int want,
            lg_error *e)
{
	limg_push_callbacks cb = LIMG_PUSH_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_push(out, s, ref, o, &cb));
}

int lg_copy(limg_buf *out, limg_session *s, const char *src, const char *dst, const limg_copy_opts *o, uintptr_t h,
            int want, lg_error *e)
{
	limg_copy_callbacks cb = LIMG_COPY_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_copy(out, s, src, dst, o, &cb));
}

/* ---- sync -------------------------------------------------------------- */

int lg_sync_list_parse(limg_sync_list **out, const char *text, size_t len, const char *name, lg_error *e)
{
	CALL(limg_sync_list_parse(out, text, len, name));
}

int lg_sync_list_new(limg_sync_list **out, lg_error *e)
{
	CALL(limg_sync_list_new(out));
}

int lg_sync_list_add(limg_sync_list *l, const char *source, const limg_sync_select *sel, lg_error *e)
{
	CALL(limg_sync_list_add(l, source, sel));
}

int lg_sync_list_add_store(limg_sync_list *l, const char *path, lg_error *e)
{
	CALL(limg_sync_list_add_store(l, path));
}

int lg_sync_list_add_dir(limg_sync_list *l, const char *path, lg_error *e)
{
	CALL(limg_sync_list_add_dir(l, path));
}

int lg_sync(limg_sync_report **out, limg_session *s, const limg_sync_list *l, const char *dst, const limg_sync_opts *o,
            uintptr_t h, int want, lg_error *e)
{
	limg_sync_callbacks cb = LIMG_SYNC_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_sync(out, s, l, dst, o, &cb));
}

int lg_sync_report_json(limg_buf *out, const limg_sync_report *r, lg_error *e)
{
	CALL(limg_sync_report_json(out, r));
}

/* ---- images ------------------------------------------------------------ */

int lg_images(limg_images_iterator **out, limg_store *s, const limg_images_iterator_opts *o, lg_error *e)
{
	CALL(limg_images_iterator_new(out, s, o));
}

int lg_image_lookup(limg_image **out, limg_store *s, const char *image, const limg_image_lookup_opts *o,
                    lg_error *e)
{
	CALL(limg_image_lookup(out, s, image, o));
}

int lg_images_tag(limg_store *s, const char *source, const char *target, lg_error *e)
{
	CALL(limg_images_tag(s, source, target));
}

int lg_tags_remove(limg_store *s, const char *reference, lg_error *e)
{
	CALL(limg_tags_remove(s, reference));
}

int lg_images_remove(limg_store *s, const char *image, const limg_images_remove_opts *o, uintptr_t h, lg_error *e)
{
	limg_images_remove_callbacks cb = LIMG_IMAGES_REMOVE_CALLBACKS_INIT;

	cb.removed = removed_step;
	cb.payload = (void *)h;
	CALL(limg_images_remove(s, image, o, &cb));
}

int lg_store_gc(int64_t *reclaimed, limg_store *s, const limg_store_gc_opts *o, uintptr_t h, lg_error *e)
{
	limg_store_gc_callbacks cb = LIMG_STORE_GC_CALLBACKS_INIT;

	cb.removed = gc_removed;
	cb.payload = (void *)h;
	CALL(limg_store_gc(reclaimed, s, o, &cb));
}

/* ---- archives, unpack -------------------------------------------------- */

int lg_archive_save(limg_store *s, char **names, size_t n, int fd, const limg_archive_save_opts *o, uintptr_t h,
                    int want, lg_error *e)
{
	limg_archive_save_callbacks cb = LIMG_ARCHIVE_SAVE_CALLBACKS_INIT;

	if (want & LG_STREAM)
		cb.write = write_cb;
	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_archive_save(s, (const char *const *)names, n, fd, o, &cb));
}

int lg_archive_load(limg_store *s, int fd, const limg_archive_load_opts *o, uintptr_t h, int want, lg_error *e)
{
	limg_archive_load_callbacks cb = LIMG_ARCHIVE_LOAD_CALLBACKS_INIT;

	if (want & LG_STREAM)
		cb.read = read_cb;
	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.loaded = loaded;
	cb.payload = (void *)h;
	CALL(limg_archive_load(s, fd, o, &cb));
}

int lg_unpack(limg_store *s, const char *image, const char *dir, const limg_unpack_opts *o, uintptr_t h, int want,
              lg_error *e)
{
	limg_unpack_callbacks cb = LIMG_UNPACK_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_unpack(s, image, dir, o, &cb));
}

int lg_pull_unpack(limg_pull_result **out, limg_store *s, const char *ref, const char *dir,
                   const limg_pull_unpack_opts *o, uintptr_t h, int want, lg_error *e)
{
	limg_pull_unpack_callbacks cb = LIMG_PULL_UNPACK_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_pull_unpack(out, s, ref, dir, o, &cb));
}

int lg_snapshot_prepare(limg_mount **out, limg_store *s, const char *image, const char *dir,
                        const limg_snapshot_opts *o, uintptr_t h, int want, lg_error *e)
{
	limg_snapshot_callbacks cb = LIMG_SNAPSHOT_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_snapshot_prepare(out, s, image, dir, o, &cb));
}

int lg_snapshot_gc(int64_t *reclaimed, limg_store *s, const limg_store_gc_opts *o, uintptr_t h, lg_error *e)
{
	limg_store_gc_callbacks cb = LIMG_STORE_GC_CALLBACKS_INIT;

	cb.removed = gc_removed;
	cb.payload = (void *)h;
	CALL(limg_snapshot_gc(reclaimed, s, o, &cb));
}

/* ---- building ----------------------------------------------------------- */

int lg_layer_new(limg_layer **out, limg_store *s, int kind, const char *a, const char *b, int fd,
                 const limg_layer_file *const *files, size_t nfiles, const limg_layer_opts *o, uintptr_t h, int want,
                 lg_error *e)
{
	limg_layer_callbacks cb = LIMG_LAYER_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	switch (kind) {
	case LG_LAYER_DIR: CALL(limg_layer_new_from_dir(out, s, a, o, &cb));
	case LG_LAYER_TAR: CALL(limg_layer_new_from_tar(out, s, fd, o, &cb));
	case LG_LAYER_DIFF: CALL(limg_layer_new_from_diff(out, s, a, b, o, &cb));
	case LG_LAYER_BLOB: CALL(limg_layer_lookup(out, s, a));
	default: CALL(limg_layer_new_from_files(out, s, files, nfiles, o, &cb));
	}
}

int lg_builder_new(limg_builder **out, limg_store *s, const char *base, const limg_builder_opts *o, lg_error *e)
{
	CALL(limg_builder_new(out, s, base, o));
}

int lg_builder_set(limg_builder *b, int what, const char *x, const char *y, lg_error *e)
{
	switch (what) {
	case LG_SET_ENV: CALL(limg_builder_set_env(b, x, y));
	case LG_SET_LABEL: CALL(limg_builder_set_label(b, x, y));
	case LG_SET_ANNOTATION: CALL(limg_builder_set_annotation(b, x, y));
	case LG_SET_USER: CALL(limg_builder_set_user(b, x));
	case LG_SET_WORKDIR: CALL(limg_builder_set_working_dir(b, x));
	case LG_SET_STOP_SIGNAL: CALL(limg_builder_set_stop_signal(b, x));
	case LG_SET_AUTHOR: CALL(limg_builder_set_author(b, x));
	case LG_SET_PLATFORM: CALL(limg_builder_set_platform(b, x));
	case LG_ADD_PORT: CALL(limg_builder_add_exposed_port(b, x));
	case LG_ADD_VOLUME: CALL(limg_builder_add_volume(b, x));
	default: CALL(limg_builder_add_history(b, x, y));
	}
}

int lg_builder_set_list(limg_builder *b, int cmd, const char *const *args, size_t n, int unset, lg_error *e)
{
	static const char *const none[1] = { NULL };

	if (unset)
		args = NULL, n = 0;
	else if (!args)
		args = none; /* an empty list, not "unset" */
	switch (cmd) {
	case 0: CALL(limg_builder_set_entrypoint(b, args, n));
	case 1: CALL(limg_builder_set_cmd(b, args, n));
	case 2: CALL(limg_builder_set_shell(b, args, n));
	default: CALL(limg_builder_set_onbuild(b, args, n));
	}
}

int lg_builder_set_healthcheck(limg_builder *b, const char *const *test, size_t n, const limg_healthcheck_opts *o,
                               lg_error *e)
{
	CALL(limg_builder_set_healthcheck(b, test, n, o));
}

int lg_builder_append(limg_builder *b, const limg_layer *l, const char *created_by, const char *comment,
                      lg_error *e)
{
	CALL(limg_builder_append_layer(b, l, created_by, comment));
}

int lg_builder_commit(limg_buf *out, limg_builder *b, const char *tag, lg_error *e)
{
	CALL(limg_builder_commit(out, b, tag));
}

int lg_build_flatten(limg_buf *out, limg_store *s, const char *image, const char *tag, const limg_flatten_opts *o,
                     uintptr_t h, int want, lg_error *e)
{
	limg_layer_callbacks cb = LIMG_LAYER_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_build_flatten(out, s, image, tag, o, &cb));
}

int lg_build_rebase(limg_buf *out, limg_store *s, const char *image, const char *old_base, const char *new_base,
                    const char *tag, const limg_rebase_opts *o, lg_error *e)
{
	CALL(limg_build_rebase(out, s, image, old_base, new_base, tag, o));
}

int lg_build_index(limg_buf *out, limg_store *s, const char *const *images, size_t n, const char *tag,
                   const limg_index_opts *o, lg_error *e)
{
	CALL(limg_build_index(out, s, images, n, tag, o));
}

int lg_build_spec(limg_buf *out, limg_store *s, const char *text, size_t len, const limg_spec_opts *o, uintptr_t h,
                  int want, lg_error *e)
{
	limg_layer_callbacks cb = LIMG_LAYER_CALLBACKS_INIT;

	if (want & LG_PROGRESS)
		cb.progress = progress;
	cb.payload = (void *)h;
	CALL(limg_build_spec(out, s, text, len, o, &cb));
}

/* ---- registries -------------------------------------------------------- */

int lg_registry_ping(limg_registry *r, const limg_registry_call_opts *o, lg_error *e)
{
	CALL(limg_registry_ping(r, o));
}

int lg_registry_login(limg_registry *r, const limg_registry_call_opts *o, lg_error *e)
{
	CALL(limg_registry_login(r, o));
}

int lg_credentials_store(limg_buf *where, const char *host, const char *user, const char *secret, const char *dir,
                         lg_error *e)
{
	CALL(limg_credentials_store(where, host, user, secret, dir));
}

int lg_credentials_erase(const char *host, const char *dir, lg_error *e)
{
	CALL(limg_credentials_erase(host, dir));
}

int lg_registry_manifest(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref, int head,
                         const limg_registry_call_opts *o, lg_error *e)
{
	CALL(head ? limg_registry_manifest_head(out, r, repo, ref, o) : limg_registry_manifest_fetch(out, r, repo, ref, o));
}

int lg_registry_names(limg_registry *r, const char *repo, const limg_registry_list_opts *o, uintptr_t h,
                      lg_error *e)
{
	limg_registry_list_callbacks cb = LIMG_REGISTRY_LIST_CALLBACKS_INIT;

	cb.name = name_cb;
	cb.payload = (void *)h;
	CALL(repo ? limg_registry_tags_foreach(r, repo, o, &cb) : limg_registry_catalog_foreach(r, o, &cb));
}

int lg_registry_blob_fetch(limg_registry *r, const char *repo, const char *digest, int64_t size,
                           const limg_registry_fetch_opts *o, uintptr_t h, lg_error *e)
{
	limg_registry_fetch_callbacks cb = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;

	cb.write = write_cb;
	cb.payload = (void *)h;
	CALL(limg_registry_blob_fetch(r, repo, digest, size, o, &cb));
}

int lg_registry_blob_exists(int *exists, int64_t *size, limg_registry *r, const char *repo, const char *digest,
                            const limg_registry_call_opts *o, lg_error *e)
{
	CALL(limg_registry_blob_exists(exists, size, r, repo, digest, o));
}

/* ---- signatures and referrers ------------------------------------------------ */

int lg_policy_load(limg_policy **out, const char *path, const char *text, size_t len, const limg_policy_opts *o,
                   lg_error *e)
{
	if (text)
		CALL(limg_policy_parse(out, text, len, o));
	CALL(limg_policy_load(out, path, o));
}

int lg_signer_parse(limg_signer **out, const void *data, size_t len, const char *passphrase, lg_error *e)
{
	limg_signer_opts o = LIMG_SIGNER_OPTS_INIT;

	o.passphrase = passphrase;
	CALL(limg_signer_parse(out, data, len, &o));
}

int lg_signer_public_key(limg_buf *out, limg_signer *s, lg_error *e)
{
	CALL(limg_signer_public_key(out, s));
}

int lg_signer_sign(limg_buf *out, limg_signer *s, const void *data, size_t len, lg_error *e)
{
	CALL(limg_signer_sign(out, s, data, len));
}

int lg_verify(limg_verdict **out, limg_policy *p, const char *ref, const limg_verify_opts *o, lg_error *e)
{
	CALL(limg_verify(out, p, ref, o));
}

int lg_sign(limg_buf *out, limg_signer *s, const char *ref, const limg_sign_opts *o, lg_error *e)
{
	CALL(limg_sign(out, s, ref, o));
}

int lg_registry_referrers(limg_registry *r, const char *repo, const char *digest,
                          const limg_registry_referrers_opts *o, uintptr_t h, lg_error *e)
{
	limg_registry_referrers_callbacks cb = LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT;

	cb.referrer = referrer;
	cb.payload = (void *)h;
	CALL(limg_registry_referrers_foreach(r, repo, digest, o, &cb));
}

int lg_registry_attach(limg_buf *out, limg_registry *r, const char *repo, const char *subject, const char *type,
                       char **paths, size_t n, const limg_registry_attach_opts *o, lg_error *e)
{
	CALL(limg_registry_attach(out, r, repo, subject, type, (const char *const *)paths, n, o));
}
