/* SPDX-License-Identifier: MIT */
/* Layers: options, the layer object, and a layer from a directory tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "build_internal.h"
#include "core/core.h"
#include "dir.h"
#include "emit.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/manifest.h"
#include "sink.h"
#include "walk.h"

int limg_layer_opts_init(limg_layer_opts *opts, size_t size)
{
	static const limg_layer_opts defaults = LIMG_LAYER_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_layer_callbacks_init(limg_layer_callbacks *cb, size_t size)
{
	static const limg_layer_callbacks defaults = LIMG_LAYER_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

int limg__layer_compression(int c)
{
	switch (c) {
	case LIMG_LAYER_GZIP: return LIMG_COMPRESSION_GZIP;
	case LIMG_LAYER_ZSTD: return LIMG_COMPRESSION_ZSTD;
	case LIMG_LAYER_UNCOMPRESSED: return LIMG_COMPRESSION_NONE;
	default:
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "compression",
		                             "invalid argument: layer compression %d", c);
	}
}

int limg__layer_opts(limg_layer_opts *o, const limg_layer_opts *given)
{
	int rc;

	limg_layer_opts_init(o, sizeof *o);
	if ((rc = limg__opts_copy(o, sizeof *o, given, "limg_layer_opts")) < 0 ||
	    (rc = limg__layer_compression(o->compression)) < 0)
		return rc;
	if (o->times < LIMG_TIMES_EPOCH || o->times > LIMG_TIMES_KEEP)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "times", "invalid argument: times %d",
		                             o->times);
	if (o->owner != LIMG_OWNER_FIXED && o->owner != LIMG_OWNER_KEEP)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "owner", "invalid argument: owner %d",
		                             o->owner);
	if (o->level < 0 || o->threads < 0 || o->max_entries < 0 || (o->compression == LIMG_LAYER_UNCOMPRESSED && o->level))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "level",
		                             "invalid argument: level, threads or max_entries");
	if (o->base && !*o->base)
		return limg__error_invalid("base");
	if (!o->max_entries)
		o->max_entries = LIMG_LAYER_ENTRIES_MAX_DEFAULT;
	return 0;
}

int64_t limg__layer_mtime(const limg_layer_opts *o, int64_t own)
{
	switch (o->times) {
	case LIMG_TIMES_KEEP: return own;
	case LIMG_TIMES_CLAMP: return own < o->epoch ? own : o->epoch;
	default: return o->epoch;
	}
}

const char *limg__layer_media_type(int compression, bool docker)
{
	switch (compression) {
	case LIMG_COMPRESSION_GZIP: return docker ? LIMG_MEDIA_DOCKER_LAYER : LIMG_MEDIA_OCI_LAYER_GZIP;
	case LIMG_COMPRESSION_ZSTD: return docker ? NULL : LIMG_MEDIA_OCI_LAYER_ZSTD;
	case LIMG_COMPRESSION_NONE: return docker ? "application/vnd.docker.image.rootfs.diff.tar" : LIMG_MEDIA_OCI_LAYER;
	default: return NULL;
	}
}

int limg__layer_make(limg_layer **out, limg_store *store, const limg__layer_facts *f)
{
	limg_layer *l = limg__calloc(1, sizeof *l);
	int rc;

	*out = NULL;
	if (!l)
		return limg__error_oom();
	l->f = *f;
	if ((rc = limg__lease_new(&l->lease, store)) < 0 || (rc = limg__lease_add(l->lease, f->digest)) < 0) {
		limg_layer_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void limg_layer_free(limg_layer *layer)
{
	if (!layer)
		return;
	limg__lease_free(layer->lease);
	limg__free(layer);
}

const char *limg_layer_digest(const limg_layer *layer)
{
	return layer ? layer->f.digest : NULL;
}

const char *limg_layer_diff_id(const limg_layer *layer)
{
	return layer ? layer->f.diff_id : NULL;
}

int64_t limg_layer_size(const limg_layer *layer)
{
	return layer ? layer->f.size : -1;
}

int64_t limg_layer_tar_size(const limg_layer *layer)
{
	return layer ? layer->f.tar_size : -1;
}

int limg_layer_compression(const limg_layer *layer)
{
	return layer ? layer->f.compression : LIMG_COMPRESSION_UNKNOWN;
}

/* ---- a layer from a directory tree ---------------------------------------- */

static int write_tree(limg__emitter *em, limg__tar_writer *t, const char *dir, const char *prefix,
                      const limg_layer_opts *o)
{
	limg__dir_reader r;
	limg__walk *w = NULL;
	limg__walk_entry we;
	limg__tar_entry te;
	int rc;

	if ((rc = limg__dir_reader_init(&r, o)) < 0 || (rc = limg__walk_open(&w, dir, prefix)) < 0)
		goto out;
	while ((rc = limg__walk_next(w, &we)) == 0) {
		int fd = -1;
		struct stat st;
		/* a regular file is opened first: its header says what the open file is */
		if (S_ISREG(we.st.st_mode) && !(we.st.st_nlink > 1 && limg__dir_is_link(&r, &we.st))) {
			if ((rc = limg__walk_open_file(&fd, &st, &we)) < 0)
				break;
			we.fd = fd;
			we.st = st;
		}
		if ((rc = limg__dir_entry(&r, &we, &te, true)) < 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if ((rc = limg__emit(em, &te)) == 0 && fd >= 0 && (rc = limg__dir_copy(&r, t, fd, &st, we.host)) == 0)
			rc = limg__dir_link_add(&r, &st, te.name);
		else if (rc == 0 && fd < 0 && te.type != LIMG__TAR_DIR && te.type != LIMG__TAR_HARDLINK)
			rc = limg__dir_link_add(&r, &we.st, te.name); /* a FIFO, device or symlink with other names */
		if (fd >= 0)
			close(fd);
		if (rc != 0)
			break;
	}
	if (rc == LIMG_ITEROVER)
		rc = 0;
out:
	limg__walk_free(w);
	limg__dir_reader_dispose(&r);
	return rc;
}

/* What every limg_layer_new_*() shares: options, the sink, the emitter. */
int limg__layer_build(limg_layer **out, limg_store *store, const limg_layer_opts *given,
                      const limg_layer_callbacks *cbs, limg__layer_source_fn source, const void *arg)
{
	limg_layer_opts o;
	limg_layer_callbacks cb;
	limg__sink_opts so = { 0 };
	limg__sink *sink = NULL;
	limg__emitter em;
	limg__lease *lease = NULL;
	limg__layer_facts f;
	char prefix[LIMG__TAR_PATH_MAX + 1] = "";
	limg__base_dirs *base = NULL;
	int rc;

	*out = NULL;
	memset(&em, 0, sizeof em);
	if (!store)
		return limg__error_invalid("store");
	limg_layer_callbacks_init(&cb, sizeof cb);
	if ((rc = limg__layer_opts(&o, given)) < 0 ||
	    (rc = limg__opts_copy(&cb, sizeof cb, cbs, "limg_layer_callbacks")) < 0)
		return rc;
	if (o.prefix && (rc = limg__clean_image_path(prefix, sizeof prefix, o.prefix, "prefix")) < 0)
		return rc;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	so.store = store;
	so.compression = limg__layer_compression(o.compression);
	so.level = o.level;
	so.threads = o.threads;
	so.cancel = o.cancel;
	so.progress = cb.progress;
	so.payload = cb.payload;
	if ((rc = limg__lease_new(&lease, store)) < 0)
		goto out;
	so.lease = lease;
	if ((rc = limg__sink_new(&sink, &so)) < 0 ||
	    (rc = limg__emitter_init(&em, limg__sink_tar(sink), &o)) < 0)
		goto out;
	if (o.base) {
		if ((rc = limg__base_dirs_new(&base, store, &o)) < 0)
			goto out;
		em.parent_of = limg__base_dir_of;
		em.parent_payload = base;
	}
	if ((rc = source(&em, limg__sink_tar(sink), prefix, &o, store, arg)) != 0 || (rc = limg__emit_finish(&em)) != 0 ||
	    (rc = limg__sink_commit(sink, false, NULL, &f)) != 0)
		goto out;
	if ((rc = limg__layer_make(out, store, &f)) == 0)
		limg__log(limg__store_context(store), LIMG_LOG_INFO, "layer %s: %lld bytes (tar %lld, diff_id %s)", f.digest,
		          (long long)f.size, (long long)f.tar_size, f.diff_id);
out:
	limg__emitter_dispose(&em);
	limg__base_dirs_free(base);
	limg__sink_free(sink);
	limg__lease_free(lease);
	limg__store_leave(store);
	return rc;
}

static int dir_source(struct limg__emitter *em, limg__tar_writer *t, const char *prefix, const limg_layer_opts *o,
                      limg_store *store, const void *arg)
{
	(void)store;
	return write_tree(em, t, arg, prefix, o);
}

int limg_layer_new_from_dir(limg_layer **out, limg_store *store, const char *dir, const limg_layer_opts *opts,
                            const limg_layer_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	if (out)
		*out = NULL;
	if (!out)
		return limg__error_invalid("out");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	return limg__layer_build(out, store, opts, cb, dir_source, dir);
}
