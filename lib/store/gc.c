/* SPDX-License-Identifier: MIT */
/*
 * gc: removes blobs that nothing in index.json reaches and no running
 * operation holds a lease on, and sweeps what killed writers left behind.
 * Only names libimage itself creates are ever removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "store_internal.h"

int limg_store_gc_opts_init(limg_store_gc_opts *opts, size_t size)
{
	static const limg_store_gc_opts defaults = LIMG_STORE_GC_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_store_gc_callbacks_init(limg_store_gc_callbacks *cb, size_t size)
{
	static const limg_store_gc_callbacks defaults = LIMG_STORE_GC_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* One collection: the caller's options (defaults filled in) and callbacks. */
struct run {
	limg_store_gc_opts o;
	limg_store_gc_callbacks cb;
	int64_t reclaimed;
};

/* Tells the caller of one removal; what it returns to stop follows errors.h. */
static int told(struct run *g, const char *what, int64_t size)
{
	int rc;

	if (g->cb.removed && (rc = g->cb.removed(what, size, g->cb.payload)) != 0)
		return limg__error_after_callback(rc, "gc");
	g->reclaimed += size;
	return 0;
}

enum sweep_kind { SWEEP_INGEST, SWEEP_TMP };

/* ingest: "<alg>-<hex>" and its ranged download's "<alg>-<hex>.ranges";
 * tmp: "<alg>-<hex>-XXXXXX" (private copies) and "unnamed-XXXXXX" (blobs
 * named by their content when they are done). */
static bool ours(const char *name, enum sweep_kind kind)
{
	char digest[200], flat[200], prefix[210];
	const char *dash = strrchr(name, '-');
	size_t n = strlen(name);

	if (kind == SWEEP_INGEST && n > 7 && !strcmp(name + n - 7, ".ranges") && n - 7 < sizeof flat) {
		snprintf(flat, sizeof flat, "%.*s", (int)(n - 7), name);
		return limg__store_unflat_name(digest, sizeof digest, flat);
	}
	if (kind == SWEEP_INGEST)
		return limg__store_unflat_name(digest, sizeof digest, name);
	if (limg__fs_is_unique_name(name, "unnamed-"))
		return true;
	if (!dash || (size_t)(dash - name) >= sizeof flat)
		return false;
	snprintf(flat, sizeof flat, "%.*s", (int)(dash - name), name);
	snprintf(prefix, sizeof prefix, "%s-", flat);
	return limg__store_unflat_name(digest, sizeof digest, flat) && limg__fs_is_unique_name(name, prefix);
}

/* A held area (store_internal.h) whose owner is gone: its lock is free.
 * (Its owner takes the lock right after making it, so a young one is left
 * alone whatever its lock says.) */
static int sweep_held(int dir, const char *name, struct run *g, const char *label)
{
	char path[4200];
	struct stat st;
	int f, rc = 0;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    time(NULL) - st.st_mtime < 60)
		return 0;
	if ((f = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (flock(f, LOCK_EX | LOCK_NB) == 0) {
		rc = told(g, name, 0);
		snprintf(path, sizeof path, "%s/%s", label, name);
		if (rc == 0 && !g->o.dry_run && limg__fs_remove_tree_at(dir, name, path) < 0)
			limg_error_clear(); /* (what cannot go now goes next time) */
	}
	close(f);
	return rc;
}

/* Removes partial files older than the limit that nobody is writing (a
 * writer holds its file's flock). */
static int sweep(int dir, enum sweep_kind kind, struct run *g, const char *label)
{
	struct dirent *e;
	time_t now = time(NULL);
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return limg__fs_error("cannot list", label);
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		int f;

		if (kind == SWEEP_TMP && limg__fs_is_unique_name(e->d_name, "held-")) {
			if ((rc = sweep_held(dirfd(d), e->d_name, g, label)) < 0)
				break;
			continue;
		}
		if (!ours(e->d_name, kind) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < g->o.ingest_max_age)
			continue;
		if ((f = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		if (flock(f, LOCK_EX | LOCK_NB) == 0) {
			rc = told(g, e->d_name, st.st_size);
			if (rc == 0 && !g->o.dry_run)
				unlinkat(dirfd(d), e->d_name, 0);
		}
		close(f);
	}
	closedir(d);
	return rc;
}

/* Temp files of index.json replacements: writers make them only while
 * holding the index lock, so under the lock any that exist were left by a
 * writer that died. oci-layout temps are made once, at creation. */
static void sweep_root_temps(limg_store *s, bool index_locked)
{
	struct dirent *e;
	time_t now = time(NULL);
	DIR *d;
	int fd = openat(s->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		bool index_temp = limg__fs_is_unique_name(e->d_name, "index.json.tmp-");
		bool layout_temp = limg__fs_is_unique_name(e->d_name, "oci-layout.tmp-");
		if (!(index_temp && index_locked) && !layout_temp)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (layout_temp && now - st.st_mtime < 3600)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* A manifest gc cannot read might reach blobs we cannot see: stop rather
 * than delete them. A missing blob is only something gc cannot remove. */
static int refuse_on_damage(const char *subject, int code, const char *message, void *payload)
{
	(void)subject;
	(void)payload;
	if (code != LIMG_ECORRUPT)
		return 0;
	return limg__error_set(LIMG_ECORRUPT, "gc stopped, nothing removed: %s (run fsck)", message);
}

static int collect(limg_store *s, struct run *g)
{
	limg__strset keep = LIMG_STRSET_INIT;
	limg_blob_iterator *it = NULL;
	limg__index *index = NULL;
	const char *digest;
	char label[4096];
	int64_t size;
	int lock = -1, gc = -1, rc;
	size_t removed = 0;

	/* Under the index lock no tag can appear while we decide what is unreachable. */
	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if ((rc = limg__index_load(&index, s)) < 0)
		goto out;
	if ((rc = limg__store_reach(s, index, &keep, refuse_on_damage, NULL)) < 0)
		goto out;
	/* and no running operation adds to its lease while we hold the gc lock */
	if ((rc = limg__leases_collect(&gc, s, &keep)) < 0)
		goto out;
	if ((rc = limg__blob_list(&it, s, false)) < 0)
		goto out;
	while (rc == 0 && limg_blob_iterator_next(&digest, &size, it) == 0) {
		if (limg__strset_has(&keep, digest))
			continue;
		if (limg_cancel_requested(g->o.cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "gc of %s cancelled", s->root);
			break;
		}
		if ((rc = told(g, digest, size)) != 0)
			break;
		if (!g->o.dry_run && (rc = limg_store_blob_delete(s, digest)) == LIMG_ENOTFOUND)
			rc = 0; /* removed by someone else meanwhile */
		removed++;
	}
	if (rc == 0 && !g->o.dry_run) {
		rc = limg__store_layer_info_sweep(s, &keep);
		limg__store_sources_sweep(s, &keep);
		limg__store_referrers_sweep(s, &keep);
		sweep_root_temps(s, true);
	}
	if (rc == 0 && !g->o.keep_ingests) {
		snprintf(label, sizeof label, "%s/.libimage/ingest", s->root);
		if ((rc = sweep(s->ingest_fd, SWEEP_INGEST, g, label)) == 0) {
			snprintf(label, sizeof label, "%s/.libimage/tmp", s->root);
			rc = sweep(s->tmp_fd, SWEEP_TMP, g, label);
		}
	}
	if (rc == 0)
		limg__log(s->ctx, LIMG_LOG_INFO, "gc of %s: %zu unreachable blob%s %s", s->root, removed,
		          removed == 1 ? "" : "s", g->o.dry_run ? "found" : "removed");
out:
	limg_blob_iterator_free(it);
	limg__index_free(index);
	limg__strset_free(&keep);
	limg__fs_unlock(gc);
	limg__index_unlock(lock);
	return rc;
}

int limg_store_gc(int64_t *out_reclaimed, limg_store *s, const limg_store_gc_opts *opts,
                  const limg_store_gc_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	struct run g;
	int rc;

	if (out_reclaimed)
		*out_reclaimed = 0;
	memset(&g, 0, sizeof g);
	limg_store_gc_opts_init(&g.o, sizeof g.o);
	limg_store_gc_callbacks_init(&g.cb, sizeof g.cb);
	if ((rc = limg__opts_copy(&g.o, sizeof g.o, opts, "limg_store_gc_opts")) < 0 ||
	    (rc = limg__opts_copy(&g.cb, sizeof g.cb, cb, "limg_store_gc_callbacks")) < 0)
		return rc;
	if (g.o.ingest_max_age < 0)
		return limg__error_invalid("ingest_max_age");
	if (!g.o.ingest_max_age)
		g.o.ingest_max_age = 86400;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = limg__store_writable(s)) == 0)
		rc = collect(s, &g);
	if (out_reclaimed)
		*out_reclaimed = g.reclaimed;
	limg__store_leave(s);
	return rc;
}
