/* The C side of the Go binding (see helpers.h). */
#include <stdio.h>
#include <string.h>

#include "_cgo_export.h"
#include "helpers.h"

static int fail(int rc, lg_error *e)
{
	const limg_error *last = limg_error_last();
	const char *name = limg_error_name(rc), *code = limg_error_registry_code(last);

	e->code = rc;
	e->http_status = limg_error_http_status(last);
	e->retry_after = limg_error_retry_after(last);
	snprintf(e->name, sizeof e->name, "%s", name ? name : "LIMG_ERROR");
	snprintf(e->registry_code, sizeof e->registry_code, "%s", code ? code : "");
	snprintf(e->message, sizeof e->message, "%s", limg_error_message(last));
	return rc;
}

#define CALL(expr) do { int rc_ = (expr); return rc_ < 0 ? fail(rc_, e) : rc_; } while (0)

int lg_reference_parse(const char *text, int mode, limg_reference **out, lg_error *e)
{
	static int (*const parse[])(limg_reference **, const char *) = {
		limg_reference_parse_docker, limg_reference_parse_normalized, limg_reference_parse,
		limg_reference_parse_canonical, limg_reference_parse_any, limg_reference_parse_name,
	};
	if (mode < 0 || mode >= (int)(sizeof parse / sizeof *parse))
		mode = 0;
	CALL(parse[mode](out, text));
}

int lg_store_open(const char *path, limg_store **out, lg_error *e)
{
	CALL(limg_store_open(out, NULL, path, NULL));
}

static int pull_progress(const char *digest, int kind, int event, int64_t done, int64_t total, void *payload)
{
	return lgPullProgress((uintptr_t)payload, (char *)digest, kind, event, done, total);
}

int lg_pull(limg_store *s, const char *ref, limg_pull_opts *o, uintptr_t progress, limg_image **out, lg_error *e)
{
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;

	if (progress) {
		cb.progress = pull_progress;
		cb.payload = (void *)progress;
	}
	CALL(limg_pull(out, s, ref, o, &cb));
}

int lg_images(limg_store *s, limg_images_list_opts *o, limg_image_iterator **out, lg_error *e)
{
	CALL(limg_images_list(out, s, o));
}

int lg_inspect(limg_store *s, const char *image, const char *platform, limg_image_info **out, lg_error *e)
{
	CALL(limg_images_inspect(out, s, image, platform));
}

int lg_tags_of(limg_store *s, const char *digest, limg_tag_iterator **out, lg_error *e)
{
	limg_tags_list_opts o = LIMG_TAGS_LIST_OPTS_INIT;

	o.digest = digest;
	CALL(limg_tag_iterator_new(out, s, &o));
}

int lg_tag(limg_store *s, const char *source, const char *target, lg_error *e)
{
	limg_buf digest = LIMG_BUF_INIT;
	int rc = limg_images_lookup(&digest, s, source);

	if (rc == 0)
		rc = limg_tags_set(s, target, digest.ptr);
	if (rc < 0)
		fail(rc, e);
	limg_buf_dispose(&digest);
	return rc;
}

int lg_untag(limg_store *s, const char *ref, lg_error *e)
{
	CALL(limg_tags_remove(s, ref));
}

static int remove_step(int event, const char *what, void *payload)
{
	return lgRemoveStep((uintptr_t)payload, event, (char *)what);
}

int lg_remove(limg_store *s, const char *image, int force, uintptr_t steps, lg_error *e)
{
	limg_images_remove_opts o = LIMG_IMAGES_REMOVE_OPTS_INIT;

	o.force = force;
	o.cb = remove_step;
	o.payload = (void *)steps;
	CALL(limg_images_remove(s, image, &o));
}

static int gc_removed(const char *what, int64_t size, void *payload)
{
	return lgGcRemoved((uintptr_t)payload, (char *)what, size);
}

int lg_gc(limg_store *s, uintptr_t removed, lg_error *e)
{
	limg_gc_opts o = LIMG_GC_OPTS_INIT;

	o.removed = gc_removed;
	o.payload = (void *)removed;
	CALL(limg_store_gc(s, &o));
}

static int push_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *from,
                         void *payload)
{
	return lgPushProgress((uintptr_t)payload, (char *)digest, kind, event, done, total, (char *)from);
}

int lg_push(limg_store *s, const char *ref, limg_push_opts *o, uintptr_t progress, limg_buf *out, lg_error *e)
{
	if (progress) {
		o->progress = push_progress;
		o->payload = (void *)progress;
	}
	CALL(limg_push(s, ref, o, out));
}

int lg_copy(const char *src, const char *dst, limg_copy_opts *o, uintptr_t progress, limg_buf *out, lg_error *e)
{
	if (progress) {
		o->progress = push_progress;
		o->payload = (void *)progress;
	}
	CALL(limg_copy(src, dst, o, out));
}

int lg_save(limg_store *s, char **names, size_t n, int fd, limg_save_opts *o, lg_error *e)
{
	CALL(limg_save(s, (const char *const *)names, n, fd, o));
}

static int loaded(const char *reference, const char *image_id, void *payload)
{
	return lgLoaded((uintptr_t)payload, (char *)reference, (char *)image_id);
}

int lg_load(limg_store *s, int fd, limg_load_opts *o, uintptr_t cb, lg_error *e)
{
	o->loaded = loaded;
	o->payload = (void *)cb;
	CALL(limg_load(s, fd, o));
}

int lg_unpack(limg_store *s, const char *image, const char *dir, limg_unpack_opts *o, lg_error *e)
{
	CALL(limg_unpack(s, image, dir, o));
}

static int credentials(limg_buf *user, limg_buf *secret, const char *host, void *payload)
{
	return lgCredentials((uintptr_t)payload, user, secret, (char *)host);
}

void lg_set_credentials(limg_registry_opts *o, uintptr_t h)
{
	if (h) {
		o->credentials = credentials;
		o->credentials_payload = (void *)h;
	}
}

int lg_registry_open(const char *domain, limg_registry_opts *o, uintptr_t creds, limg_registry **out, lg_error *e)
{
	lg_set_credentials(o, creds);
	CALL(limg_registry_open(out, NULL, domain, o));
}

int lg_registry_manifest(limg_registry *r, const char *repo, const char *ref, int head, limg_remote_manifest **out,
                         lg_error *e)
{
	CALL(head ? limg_registry_manifest_head(out, r, repo, ref) : limg_registry_manifest_get(out, r, repo, ref));
}

static int name(const char *n, void *payload)
{
	return lgName((uintptr_t)payload, (char *)n);
}

int lg_registry_names(limg_registry *r, const char *repo, uintptr_t names, lg_error *e)
{
	CALL(repo ? limg_registry_tags_foreach(r, repo, 0, name, (void *)names)
	          : limg_registry_catalog_foreach(r, 0, name, (void *)names));
}
