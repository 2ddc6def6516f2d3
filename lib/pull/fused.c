/* SPDX-License-Identifier: MIT */
/*
 * limg_pull_unpack: a pull whose layers are applied beneath a root
 * filesystem as they download. The download workers run as for limg_pull
 * (several layers at once, big ones as byte ranges), minus the digester:
 * no layer is inflated to check its diff_id there. The caller's thread
 * applies the layers in order, each read back from the file its download
 * writes as far as its bytes are there (stream.c), inflated once, hashed
 * for its diff_id as it goes beneath the root. A layer is done when its
 * blob's digest checked out (the download committed it) and its diff_id
 * did; then the pull goes on as limg_pull does (manifests, tag), and the
 * root is finished last.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/compress.h"
#include "pull_internal.h"
#include "store/store_internal.h"
#include "stream.h"
#include "unpack/rootfs.h"

struct limg__fused {
	const char *dir;
	limg_unpack_opts unpack;
	int layer_blobs;
	limg__rootfs *root;
	limg__layer_stream **streams; /* the layers' (the jobs hold them too, but die first) */
	size_t n;
};

int limg_pull_unpack_opts_init(limg_pull_unpack_opts *opts, size_t size)
{
	static const limg_pull_unpack_opts defaults = LIMG_PULL_UNPACK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_pull_unpack_callbacks_init(limg_pull_unpack_callbacks *cb, size_t size)
{
	static const limg_pull_unpack_callbacks defaults = LIMG_PULL_UNPACK_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* The unpack's reports, serialized with the downloads' (one callback call at a time). */
static int unpack_progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                           void *payload)
{
	struct pull *p = payload;
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = p->cb.progress(digest, kind, event, done, total, detail, p->cb.payload);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int limg__pull_fused_layers(struct pull *p, struct layer_job *jobs, size_t n, const limg_config *config,
                            const limg_buf *config_bytes)
{
	struct limg__fused *f = p->fused;
	struct limg__pull_pool *pool = NULL;
	limg__error_copy applied;
	int64_t *sizes;
	size_t done = 0;
	int rc, wrc;

	(void)config_bytes;
	/* the directory first: one that is not ours stops us before any download */
	if ((rc = limg__rootfs_begin(&f->root, p->store, f->dir, &f->unpack, p->stop,
	                             p->cb.progress ? unpack_progress : NULL, p)) < 0)
		return rc;
	if (!(f->streams = limg__calloc(n + 1, sizeof *f->streams)))
		return limg__error_oom();
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		if ((rc = limg__stream_new(&f->streams[i], p->store, limg_descriptor_digest(jobs[i].desc), p->stop)) < 0)
			return rc;
		jobs[i].stream = f->streams[i];
	}
	/* what each layer unpacks to, set in the jobs once their workers are done with them */
	if (!(sizes = limg__calloc(n + 1, sizeof *sizes)))
		return limg__error_oom();
	if ((rc = limg__pull_layers_start(&pool, p, jobs, n)) < 0) {
		limg__free(sizes);
		return rc;
	}
	/* in order, each as far as it is there; the downloads go on meanwhile */
	for (size_t i = 0; i < n && rc == 0; i++, done = i) {
		const limg_descriptor *d = jobs[i].desc;
		limg__rootfs_layer layer = { limg_descriptor_digest(d), limg_descriptor_media_type(d),
			                     limg_config_diff_id(config, i), limg_descriptor_size(d), limg__stream_read,
			                     jobs[i].stream };
		rc = limg__rootfs_apply(f->root, i, n, &layer, NULL, &sizes[i]);
	}
	if (rc != 0) {
		limg__error_save(&applied);
		limg_cancel_request(p->stop); /* the downloads stop, resumable */
	}
	wrc = limg__pull_layers_wait(pool);
	for (size_t i = 0; i < done; i++)
		jobs[i].uncompressed = sizes[i];
	limg__free(sizes);
	/* the first cause: a layer that did not verify or apply, else the download that failed */
	if (rc != 0 && (rc != LIMG_ECANCELLED || !wrc || wrc == LIMG_ECANCELLED))
		return limg__error_restore(&applied);
	return wrc ? wrc : rc;
}

int limg__pull_fused_finish(struct pull *p, struct layer_job *jobs, size_t n, const char *top_digest,
                            const limg_buf *config_bytes)
{
	struct limg__fused *f = p->fused;
	const char **fetched;
	size_t k = 0;
	int rc;

	if ((rc = limg__rootfs_finish(f->root, config_bytes->ptr, config_bytes->size)) < 0)
		return rc;
	if (f->layer_blobs != LIMG_LAYER_BLOBS_DISCARD)
		return 0;
	/* the blobs this pull brought: what the store had before stays */
	if (!(fetched = limg__calloc(n + 1, sizeof *fetched)))
		return limg__error_oom();
	for (size_t i = 0; i < n; i++)
		if (jobs[i].fetched)
			fetched[k++] = limg_descriptor_digest(jobs[i].desc);
	if (limg__store_discard_layers(p->store, p->lease, top_digest, fetched, k) < 0) {
		/* the root is made and the image stored: only disk space is not given back */
		limg__log(limg__store_context(p->store), LIMG_LOG_WARN, "layers not discarded: %s",
		          limg_error_message(limg_error_last()));
		limg_error_clear();
	}
	limg__free(fetched);
	return 0;
}

void limg__pull_fused_end(struct pull *p)
{
	struct limg__fused *f = p->fused;

	limg__rootfs_free(f->root);
	f->root = NULL;
	for (size_t i = 0; f->streams && i < f->n; i++)
		limg__stream_free(f->streams[i]);
	limg__free(f->streams);
	f->streams = NULL;
}

int limg_pull_unpack(limg_pull_result **out, limg_store *store, const char *reference, const char *dir,
                     const limg_pull_unpack_opts *opts, const limg_pull_unpack_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_pull_unpack_opts o;
	limg_pull_unpack_callbacks c;
	limg_pull_opts po;
	limg_pull_callbacks pc = LIMG_PULL_CALLBACKS_INIT;
	limg_cancel *any = NULL;
	struct limg__fused f;
	int rc;

	if (out)
		*out = NULL;
	if (!reference)
		return limg__error_invalid("reference");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	memset(&f, 0, sizeof f);
	limg_pull_unpack_opts_init(&o, sizeof o);
	limg_pull_unpack_callbacks_init(&c, sizeof c);
	limg_pull_opts_init(&po, sizeof po);
	limg_unpack_opts_init(&f.unpack, sizeof f.unpack);
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_pull_unpack_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_pull_unpack_callbacks")) < 0 ||
	    (rc = limg__opts_copy(&po, sizeof po, o.pull, "limg_pull_opts")) < 0 ||
	    (rc = limg__opts_copy(&f.unpack, sizeof f.unpack, o.unpack, "limg_unpack_opts")) < 0 ||
	    (rc = limg__unpack_opts_check(&f.unpack)) < 0)
		return rc;
	if (o.layer_blobs < LIMG_LAYER_BLOBS_KEEP || o.layer_blobs > LIMG_LAYER_BLOBS_DISCARD)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "layer_blobs",
		                             "invalid argument: layer_blobs %d", o.layer_blobs);
	if (po.skip_diff_ids)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "skip_diff_ids",
		                             "invalid argument: a root filesystem is made only of layers checked against "
		                             "their diff_ids (skip_diff_ids)");
	if (f.unpack.platform)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "platform",
		                             "invalid argument: the image pulled is the one unpacked: give the platform "
		                             "in the pull options");
	f.dir = dir;
	f.layer_blobs = o.layer_blobs;
	/* one token follows every cancel the caller may have given */
	if ((rc = limg_cancel_new(&any)) < 0)
		return rc;
	if ((rc = limg__cancel_follow(any, o.cancel)) < 0 || (rc = limg__cancel_follow(any, po.cancel)) < 0 ||
	    (rc = limg__cancel_follow(any, f.unpack.cancel)) < 0) {
		limg_cancel_free(any);
		return rc;
	}
	po.cancel = any;
	f.unpack.cancel = NULL;
	pc.progress = c.progress;
	pc.payload = c.payload;
	rc = limg__pull_execute(out, store, reference, &po, &pc, &f);
	limg_cancel_free(any);
	return rc;
}
