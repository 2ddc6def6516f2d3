/* SPDX-License-Identifier: MIT */
/* Shared state of one pull, seen by the orchestration and the layer workers. */
#ifndef LIMG_PULL_INTERNAL_H
#define LIMG_PULL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "libimage/digest.h"
#include "libimage/manifest.h"
#include "libimage/pull.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "core/core.h"

struct pull {
	limg_store *store;
	struct limg__lease *lease; /* what this pull stores is kept from gc until the tag is set */
	limg_registry *registry;
	limg_pull_opts o;
	limg_pull_callbacks cb;
	const char *repository;  /* path in the registry */
	char source[600];        /* "<domain>/<repository>", recorded for each blob (mounts on push) */
	limg_cancel *stop;       /* ours: set on the first failure; linked to the caller's */
	pthread_mutex_t lock;    /* serializes callbacks and the counters below */
	int64_t done, total;     /* bytes, all blobs */
	int64_t downloaded;
	int64_t max_blob_size;   /* from the registry options */
	struct limg__http *urls; /* LIMG_FOREIGN_URLS: the client of foreign layers' URLs (no credentials) */
	struct limg__fused *fused; /* limg_pull_unpack: the root filesystem made as the layers come; else NULL */
};

/* One layer to bring into the store. */
struct layer_job {
	const limg_descriptor *desc;
	const char *diff_id;     /* from the config, or NULL when not checked */
	int64_t uncompressed;    /* learnt: size, or -1 */
	bool skipped;            /* a foreign layer not fetched (LIMG_FOREIGN_SKIP): the image is incomplete */
	bool fetched;            /* this pull stored the blob (it was not there before) */
	struct limg__layer_stream *stream; /* limg_pull_unpack: where the unpack follows the bytes; else NULL */
	int rc;
	limg__error_copy error;  /* the worker's error, carried to the caller's thread */
};

/* Ranged downloads, when the options say 0 (pull.h). */
#define LIMG_RANGE_THRESHOLD_DEFAULT ((int64_t)16 << 20)
#define LIMG_RANGE_ROUNDS 2                        /* chunks per connection, by default */
#define LIMG_RANGE_CHUNK_MIN ((int64_t)4 << 20)   /* ... but no smaller than this */
#define LIMG_RANGE_CHUNK_MAX ((int64_t)32 << 20)  /* ... nor bigger (what a killed pull fetches again) */
#define LIMG_RANGE_PARALLEL_DEFAULT 4

/* One layer's download in progress (layer.c; ranged.c for a big one). */
struct download {
	struct pull *p;
	struct layer_job *job;
	limg_blob_writer *writer;
	struct limg__digester *dg; /* NULL: not verifying the diff_id */
	struct limg__layer_stream *live; /* the unpack follows the file as it is written, or NULL */
	int dg_rc;                 /* the layer did not unpack: reported only if its digest checks out */
	limg__error_copy dg_error;
	int64_t done, total, last_report;
};

/* Feeds the layer's digester (see layer.c). */
int limg__pull_digest_more(struct download *d, const void *data, size_t len);
/* Counts @len downloaded bytes and reports progress (every 256 KiB). */
int limg__pull_progress(struct download *d, int64_t len);

/* Fetches a big layer as parallel Range requests into d->writer (which it
 * opens). LIMG_EUNSUPPORTED (no error left raised) when the registry
 * serves no byte ranges: nothing was written, fetch it as one stream. */
int limg__pull_ranged(struct pull *p, struct download *d);
/* For a single stream over what a ranged download left: the bytes to trust
 * (the chunks it finished in order; the sidecar goes), or -1 when no ranged
 * download left anything. */
int64_t limg__pull_ranged_prefix(struct pull *p, const char *digest, int64_t size);

/* Reports progress, serialized; returns the callback's non-zero answer. */
int limg__pull_report(struct pull *p, const char *digest, int kind, int event, int64_t done, int64_t total);

/* Brings one layer into the store (download, verify, commit, diff_id). */
int limg__pull_layer(struct pull *p, struct layer_job *job);

/* Pieces of a layer's download (layer.c), for the other sources of a layer:
 * threads worth using to inflate a layer of @size bytes; the writer's
 * resume callback (the digester sees the bytes again); the sink that writes,
 * inflates and reports; the diff_id check once committed. */
int limg__pull_stages_for(int64_t size);
int limg__pull_on_resumed(const void *data, size_t len, void *payload);
int limg__pull_on_bytes(const void *data, size_t len, void *payload);
int limg__pull_check_diff_id(struct pull *p, struct layer_job *job, struct limg__digester *dg);

/* A foreign layer the registry does not have: from the descriptor's urls
 * (http and https only, never with credentials, verified as any layer) when
 * the options allow them; else the error that says the image is incomplete
 * (foreign.c). */
int limg__pull_foreign(struct pull *p, struct layer_job *job);

/* Runs the jobs on up to o.concurrency threads; the first failure stops the rest. */
int limg__pull_layers(struct pull *p, struct layer_job *jobs, size_t n);
/* The same in two steps, for work done meanwhile on the caller's thread:
 * the downloads start (done here at once when no thread can be had), then
 * the wait for their end, which gives the first real failure. */
struct limg__pull_pool;
int limg__pull_layers_start(struct limg__pull_pool **out, struct pull *p, struct layer_job *jobs, size_t n);
int limg__pull_layers_wait(struct limg__pull_pool *pool);

/* limg_pull_unpack's part of a pull (fused.c): the layers fetched as
 * limg__pull_layers fetches them while the caller's thread applies them in
 * order beneath the root filesystem; then, once the manifests and the tag
 * are stored, the root finished and (when asked) the blobs discarded. */
int limg__pull_fused_layers(struct pull *p, struct layer_job *jobs, size_t n, const limg_config *config,
                            const limg_buf *config_bytes);
int limg__pull_fused_finish(struct pull *p, struct layer_job *jobs, size_t n, const char *top_digest,
                            const limg_buf *config_bytes);
/* After the run, whatever happened: the streams freed, a root not finished removed or left marked. */
void limg__pull_fused_end(struct pull *p);

/* limg_pull(), and with @fused limg_pull_unpack()'s run of it. */
int limg__pull_execute(limg_pull_result **out, limg_store *store, const char *reference, const limg_pull_opts *opts,
                       const limg_pull_callbacks *cb, struct limg__fused *fused);

#endif
