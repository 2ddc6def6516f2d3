/* SPDX-License-Identifier: MIT */
/*
 * The C side of the Go binding: each helper makes one libimage call and,
 * when it fails, copies the thread-local error into @e before returning.
 * A cgo call runs on one OS thread from start to end, so the error read is
 * always the call's own (a goroutine may move between threads between two
 * cgo calls; it cannot within one). Callbacks reach Go through a
 * runtime/cgo.Handle passed as the payload: the call's own (progress,
 * streams, steps), or the session's (credentials).
 */
#ifndef LIBIMAGE_GO_HELPERS_H
#define LIBIMAGE_GO_HELPERS_H

#include <stdint.h>
#include <stdlib.h>

#include <libimage/libimage.h>

/* A copy of limg_error_last(), taken on the failing call's thread. */
typedef struct {
	int code;
	int subject;
	int http_status;
	long retry_after;
	char registry_code[64];
	char object[256];
	char message[1024];
} lg_error;

/* How lg_reference_parse() reads a reference: which limg_reference_parse_*(). */
enum { LG_PARSE_DOCKER, LG_PARSE_NORMALIZED, LG_PARSE_STRICT, LG_PARSE_CANONICAL, LG_PARSE_ANY, LG_PARSE_NAME };

/* Which callbacks of an operation Go wants (bits). */
enum { LG_PROGRESS = 1, LG_STREAM = 2, LG_STEPS = 4 };

int lg_reference_parse(limg_reference **out, const char *text, int mode, lg_error *e);
int lg_store_default_path(limg_buf *out, lg_error *e);
int lg_store_open(limg_store **out, const char *path, const limg_store_opts *o, lg_error *e);

int lg_session_new(limg_session **out, const limg_registry_opts *o, uintptr_t creds, lg_error *e);
int lg_session_set_registry_opts(limg_session *s, const char *domain, const limg_registry_opts *o, lg_error *e);
int lg_session_registry(limg_registry **out, limg_session *s, const char *domain, lg_error *e);

int lg_pull(limg_pull_result **out, limg_store *s, const char *ref, const limg_pull_opts *o, uintptr_t h,
            int want, lg_error *e);
int lg_push(limg_buf *out, limg_store *s, const char *ref, const limg_push_opts *o, uintptr_t h, int want,
            lg_error *e);
int lg_sync_list_parse(limg_sync_list **out, const char *text, size_t len, const char *name, lg_error *e);
int lg_sync_list_new(limg_sync_list **out, lg_error *e);
int lg_sync_list_add(limg_sync_list *l, const char *source, const limg_sync_select *sel, lg_error *e);
int lg_sync_list_add_store(limg_sync_list *l, const char *path, lg_error *e);
int lg_sync_list_add_dir(limg_sync_list *l, const char *path, lg_error *e);
int lg_sync(limg_sync_report **out, limg_session *s, const limg_sync_list *l, const char *dst, const limg_sync_opts *o,
            uintptr_t h, int want, lg_error *e);
int lg_sync_report_json(limg_buf *out, const limg_sync_report *r, lg_error *e);
int lg_copy(limg_buf *out, limg_session *s, const char *src, const char *dst, const limg_copy_opts *o, uintptr_t h,
            int want, lg_error *e);

int lg_images(limg_images_iterator **out, limg_store *s, const limg_images_iterator_opts *o, lg_error *e);
int lg_image_lookup(limg_image **out, limg_store *s, const char *image, const limg_image_lookup_opts *o,
                    lg_error *e);
int lg_images_tag(limg_store *s, const char *source, const char *target, lg_error *e);
int lg_tags_remove(limg_store *s, const char *reference, lg_error *e);
int lg_images_remove(limg_store *s, const char *image, const limg_images_remove_opts *o, uintptr_t h, lg_error *e);
int lg_store_gc(int64_t *reclaimed, limg_store *s, const limg_store_gc_opts *o, uintptr_t h, lg_error *e);

int lg_archive_save(limg_store *s, char **names, size_t n, int fd, const limg_archive_save_opts *o, uintptr_t h,
                    int want, lg_error *e);
int lg_archive_load(limg_store *s, int fd, const limg_archive_load_opts *o, uintptr_t h, int want, lg_error *e);
int lg_unpack(limg_store *s, const char *image, const char *dir, const limg_unpack_opts *o, uintptr_t h, int want,
              lg_error *e);
int lg_pull_unpack(limg_pull_result **out, limg_store *s, const char *ref, const char *dir,
                   const limg_pull_unpack_opts *o, uintptr_t h, int want, lg_error *e);
int lg_snapshot_prepare(limg_mount **out, limg_store *s, const char *image, const char *dir,
                        const limg_snapshot_opts *o, uintptr_t h, int want, lg_error *e);
int lg_snapshot_gc(int64_t *reclaimed, limg_store *s, const limg_store_gc_opts *o, uintptr_t h, lg_error *e);

/* build.h: layers (kind: LG_LAYER_*), the builder, the verbs. */
enum { LG_LAYER_DIR, LG_LAYER_TAR, LG_LAYER_DIFF, LG_LAYER_BLOB, LG_LAYER_FILES };
int lg_layer_new(limg_layer **out, limg_store *s, int kind, const char *a, const char *b, int fd,
                 const limg_layer_file *const *files, size_t nfiles, const limg_layer_opts *o, uintptr_t h, int want,
                 lg_error *e);
int lg_builder_new(limg_builder **out, limg_store *s, const char *base, const limg_builder_opts *o, lg_error *e);
/* A setter of the builder (LG_SET_*) with one or two strings. */
enum { LG_SET_ENV, LG_SET_LABEL, LG_SET_ANNOTATION, LG_SET_USER, LG_SET_WORKDIR, LG_SET_STOP_SIGNAL, LG_SET_AUTHOR,
       LG_SET_PLATFORM, LG_ADD_PORT, LG_ADD_VOLUME, LG_ADD_HISTORY };
int lg_builder_set(limg_builder *b, int what, const char *x, const char *y, lg_error *e);
/* Entrypoint (@cmd 0) or Cmd (@cmd 1): @unset removes it. */
int lg_builder_set_list(limg_builder *b, int cmd, const char *const *args, size_t n, int unset, lg_error *e);
int lg_builder_set_healthcheck(limg_builder *b, const char *const *test, size_t n, const limg_healthcheck_opts *o,
                               lg_error *e);
int lg_builder_append(limg_builder *b, const limg_layer *l, const char *created_by, const char *comment,
                      lg_error *e);
int lg_builder_commit(limg_buf *out, limg_builder *b, const char *tag, lg_error *e);
int lg_build_flatten(limg_buf *out, limg_store *s, const char *image, const char *tag, const limg_flatten_opts *o,
                     uintptr_t h, int want, lg_error *e);
int lg_build_rebase(limg_buf *out, limg_store *s, const char *image, const char *old_base, const char *new_base,
                    const char *tag, const limg_rebase_opts *o, lg_error *e);
int lg_build_index(limg_buf *out, limg_store *s, const char *const *images, size_t n, const char *tag,
                   const limg_index_opts *o, lg_error *e);
int lg_build_spec(limg_buf *out, limg_store *s, const char *text, size_t len, const limg_spec_opts *o, uintptr_t h,
                  int want, lg_error *e);

int lg_registry_ping(limg_registry *r, const limg_registry_call_opts *o, lg_error *e);
int lg_registry_login(limg_registry *r, const limg_registry_call_opts *o, lg_error *e);
int lg_credentials_store(limg_buf *where, const char *host, const char *user, const char *secret, const char *dir,
                         lg_error *e);
int lg_credentials_erase(const char *host, const char *dir, lg_error *e);
int lg_registry_manifest(limg_remote_manifest **out, limg_registry *r, const char *repo, const char *ref, int head,
                         const limg_registry_call_opts *o, lg_error *e);
int lg_registry_names(limg_registry *r, const char *repo, const limg_registry_list_opts *o, uintptr_t h,
                      lg_error *e);
int lg_registry_blob_fetch(limg_registry *r, const char *repo, const char *digest, int64_t size,
                           const limg_registry_fetch_opts *o, uintptr_t h, lg_error *e);
int lg_registry_blob_exists(int *exists, int64_t *size, limg_registry *r, const char *repo, const char *digest,
                            const limg_registry_call_opts *o, lg_error *e);

/* Signatures (sign.h, trust.h) and referrers (registry.h). */
int lg_policy_load(limg_policy **out, const char *path, const char *text, size_t len, const limg_policy_opts *o,
                   lg_error *e);
int lg_signer_parse(limg_signer **out, const void *data, size_t len, const char *passphrase, lg_error *e);
int lg_signer_public_key(limg_buf *out, limg_signer *s, lg_error *e);
int lg_signer_sign(limg_buf *out, limg_signer *s, const void *data, size_t len, lg_error *e);
int lg_verify(limg_verdict **out, limg_policy *p, const char *ref, const limg_verify_opts *o, lg_error *e);
int lg_sign(limg_buf *out, limg_signer *s, const char *ref, const limg_sign_opts *o, lg_error *e);
int lg_registry_referrers(limg_registry *r, const char *repo, const char *digest,
                          const limg_registry_referrers_opts *o, uintptr_t h, lg_error *e);
int lg_registry_attach(limg_buf *out, limg_registry *r, const char *repo, const char *subject, const char *type,
                       char **paths, size_t n, const limg_registry_attach_opts *o, lg_error *e);

#endif
