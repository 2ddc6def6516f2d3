/* The inside of limg_store, shared by the store's files and the layers above. */
#ifndef LIMG_STORE_INTERNAL_H
#define LIMG_STORE_INTERNAL_H

#include <cjson/cJSON.h>

#include "core/strset.h"

#include "libimage/store.h"

struct limg_store {
	limg_context *ctx;
	char *root;       /* the layout directory */
	char *index_path; /* root/index.json */
	char *lock_path;  /* root/.libimage/index.lock: serializes index.json updates */
	char *ingest_dir; /* root/.libimage/ingest: resumable partial blobs */
	char *tmp_dir;    /* root/.libimage/tmp: private copies when an ingest is busy */
	char *layers_dir; /* root/.libimage/layers: uncompressed digest and size per layer */
};

/* Largest index.json we read, and the largest manifest/index/config blob
 * the store parses (4 MiB, as containers/image). */
#define LIMG_INDEX_MAX (256u << 20)
#define LIMG_MANIFEST_MAX (4u << 20)

/* Validates @digest (raising the error) and writes root/blobs/<alg>/<hex>
 * into @out. */
int limg__store_blob_file(limg_buf *out, const limg_store *s, const char *digest);

/* index.json: load parses it (LIMG_ECORRUPT naming the file when it is not
 * an OCI index); save replaces it atomically. Updates hold the lock. */
int limg__index_load(cJSON **out, const limg_store *s);
int limg__index_save(const limg_store *s, const cJSON *doc);
int limg__index_lock(int *fd, const limg_store *s);
void limg__index_unlock(int fd);

/* The child descriptors of a manifest or index document:
 * cb(digest, media_type, size, list, payload) for each, where list names
 * the field that held it ("manifests", "config", "layers", "blobs"); a
 * non-zero return stops and is passed back. LIMG_ECORRUPT if not JSON. */
typedef int (*limg__child_cb)(const char *digest, const char *media_type, int64_t size, const char *list,
                              void *payload);
int limg__walk_children(const char *json, size_t len, limg__child_cb cb, void *payload);


/* Everything the index reaches: roots, then what manifests and indexes
 * list. Digests go into @reached. Problems (a root or an image's config or
 * layer missing, a manifest unreadable) go to @problem, which may be NULL;
 * absent children of an index are normal (one platform pulled). */
typedef int (*limg__problem_cb)(const char *subject, int code, const char *message, void *payload);
int limg__store_reach(limg_store *s, const cJSON *index, limg__strset *reached, limg__problem_cb problem,
                      void *payload);

/* What pull learnt about a layer: its uncompressed digest and size, kept in
 * .libimage/layers so listings need not inflate layers again. */
int limg__store_layer_info_put(limg_store *s, const char *digest, const char *diff_id, int64_t size);
/* 0, or LIMG_ENOTFOUND (not raised) when nothing is known. */
int limg__store_layer_info_get(limg_store *s, const char *digest, char diff_id[160], int64_t *size);
/* Drops layer facts of blobs that are gone. */
int limg__store_layer_info_sweep(limg_store *s, const limg__strset *keep);

#endif
