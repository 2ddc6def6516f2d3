/*
 * The C side of the Go binding: each helper makes one libimage call and,
 * when it fails, copies the thread-local error into @e before returning.
 * A cgo call runs on one OS thread from start to end, so the error read is
 * always the call's own (a goroutine may move between threads between two
 * cgo calls; it cannot within one). Callbacks reach Go through a
 * runtime/cgo.Handle passed as the payload.
 */
#ifndef LIBIMAGE_GO_HELPERS_H
#define LIBIMAGE_GO_HELPERS_H

#include <stdint.h>
#include <stdlib.h>

#include <libimage/libimage.h>

typedef struct {
	int code;
	int http_status;
	long retry_after;
	char name[48];
	char registry_code[64];
	char message[1024];
} lg_error;

int lg_reference_parse(const char *text, int mode, limg_reference **out, lg_error *e);
int lg_store_open(const char *path, limg_store **out, lg_error *e);
int lg_pull(limg_store *s, const char *ref, limg_pull_opts *o, uintptr_t progress, limg_image **out, lg_error *e);
int lg_images(limg_store *s, limg_images_list_opts *o, limg_image_iterator **out, lg_error *e);
int lg_inspect(limg_store *s, const char *image, const char *platform, limg_image_info **out, lg_error *e);
int lg_tags_of(limg_store *s, const char *digest, limg_tag_iterator **out, lg_error *e);
int lg_tag(limg_store *s, const char *source, const char *target, lg_error *e);
int lg_untag(limg_store *s, const char *ref, lg_error *e);
int lg_remove(limg_store *s, const char *image, int force, uintptr_t steps, lg_error *e);
int lg_gc(limg_store *s, uintptr_t removed, lg_error *e);
int lg_push(limg_store *s, const char *ref, limg_push_opts *o, uintptr_t progress, limg_buf *out, lg_error *e);
int lg_copy(const char *src, const char *dst, limg_copy_opts *o, uintptr_t progress, limg_buf *out, lg_error *e);
int lg_save(limg_store *s, char **names, size_t n, int fd, limg_save_opts *o, lg_error *e);
int lg_load(limg_store *s, int fd, limg_load_opts *o, uintptr_t loaded, lg_error *e);
int lg_unpack(limg_store *s, const char *image, const char *dir, limg_unpack_opts *o, lg_error *e);
int lg_registry_open(const char *domain, limg_registry_opts *o, uintptr_t credentials, limg_registry **out,
                     lg_error *e);
int lg_registry_manifest(limg_registry *r, const char *repo, const char *ref, int head, limg_remote_manifest **out,
                         lg_error *e);
int lg_registry_names(limg_registry *r, const char *repo, uintptr_t names, lg_error *e);
/* the credentials callback, for pulls and pushes (payload: the handle) */
void lg_set_credentials(limg_registry_opts *o, uintptr_t credentials);

#endif
