/* SPDX-License-Identifier: MIT */
/*
 * limg_snapshot_prepare(): the image's layers as snapshots (those already
 * there are used, the others made, bottom up), then the root over them: an
 * overlay to mount (its own upper and work directory) or a copy. The image
 * and its layers are leased while the work runs; the snapshots lock is
 * held shared, so that gc never removes a snapshot being made or used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "images/complete.h"
#include "libimage/digest.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "make.h"
#include "root.h"
#include "snapshot_internal.h"
#include "store/store_internal.h"
#include "unpack/overlay.h"

struct limg_mount {
	char *type, *source, *target, *options;
};

int limg_snapshot_opts_init(limg_snapshot_opts *opts, size_t size)
{
	static const limg_snapshot_opts defaults = LIMG_SNAPSHOT_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_snapshot_callbacks_init(limg_snapshot_callbacks *cb, size_t size)
{
	static const limg_snapshot_callbacks defaults = LIMG_SNAPSHOT_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

const char *limg_mount_type(const limg_mount *m)
{
	return m ? m->type : NULL;
}

const char *limg_mount_source(const limg_mount *m)
{
	return m ? m->source : NULL;
}

const char *limg_mount_target(const limg_mount *m)
{
	return m ? m->target : NULL;
}

const char *limg_mount_options(const limg_mount *m)
{
	return m ? m->options : NULL;
}

void limg_mount_free(limg_mount *m)
{
	if (!m)
		return;
	limg__free(m->type);
	limg__free(m->source);
	limg__free(m->target);
	limg__free(m->options);
	limg__free(m);
}

typedef struct {
	limg_store *store;
	limg_snapshot_opts o;
	limg_snapshot_callbacks cb;
	limg_cancel *stop;
	limg__lease *lease;
	limg_image *info;
	int dir;               /* the snapshots directory */
	int lock;
	char label[4200];      /* its name */
	char path[4200];       /* its absolute path */
	size_t n;
	int *fs;               /* each layer's snapshot fs directory, bottom first */
	char (*chain)[LIMG_CHAIN_MAX];
	limg__root root;
	bool rootless;         /* not root: snapshots of the rootless form (snapshot_internal.h) */
} prepare_run;

static int report(const prepare_run *p, const char *digest, int event, int64_t done, int64_t total)
{
	int rc = p->cb.progress ? p->cb.progress(digest, LIMG_BLOB_LAYER, event, done, total, NULL, p->cb.payload) : 0;

	return rc ? limg__error_after_callback(rc, "snapshot prepare") : 0;
}

/* Opens the snapshot of layer @i when it is there and says it is what its name says. 1: there; 0: not. */
static int open_existing(prepare_run *p, size_t i)
{
	const char *hex = limg__chain_hex(p->chain[i]);
	limg__snapshot_info info;
	char label[4400];
	int fd, rc;

	if (faccessat(p->dir, hex, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if ((rc = limg__snapshot_info_read(&info, p->dir, hex, p->label)) < 0 || strcmp(info.chain, p->chain[i]) ||
	    strcmp(info.parent, i ? p->chain[i - 1] : "")) {
		if (rc == 0)
			rc = limg__error_set(LIMG_ECORRUPT, "%s/%s is not the snapshot its name says", p->label, hex);
		limg__error_about(LIMG_SUBJECT_STORE, limg_store_path(p->store));
		return limg__error_prefix("snapshot %s is damaged (limg_snapshot_fsck() tells more; limg_snapshot_gc() "
		                          "does not remove it while an image needs it): ", hex);
	}
	if (info.rootless != p->rootless)
		/* root's opaque marks are trusted xattrs a user cannot read, a user's are
		 * ignored by an overlay root mounts; owners are recorded differently */
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_STORE, limg_store_path(p->store),
		                             "snapshot %s was made %s; shared layers serve either root or users "
		                             "without privileges, not both (use a store of your own)",
		                             hex, info.rootless ? "without privileges" : "by root");
	snprintf(label, sizeof label, "%s/%s", p->label, hex);
	if ((rc = limg__fs_open_dir_at(&fd, p->dir, hex, false, label)) < 0)
		return rc;
	snprintf(label, sizeof label, "%s/%s/" LIMG_SNAPSHOT_FS, p->label, hex);
	rc = limg__fs_open_dir_at(&p->fs[i], fd, LIMG_SNAPSHOT_FS, false, label);
	close(fd);
	return rc < 0 ? rc : 1;
}

static int snapshots(prepare_run *p)
{
	const limg_manifest *m = limg_image_manifest(p->info);
	const limg_config *cfg = limg_image_config(p->info);
	int lowers[p->n ? p->n : 1];
	int rc;

	for (size_t i = 0; i < p->n; i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		limg__snapshot_job job = { p->store, p->dir, p->label, lowers, i, p->chain[i], i ? p->chain[i - 1] : NULL,
			                   limg_descriptor_digest(d), limg_descriptor_media_type(d),
			                   limg_config_diff_id(cfg, i), limg_descriptor_size(d), p->o.max_layer_size,
			                   p->o.max_entries, p->stop, p->cb.progress, p->cb.payload, p->rootless };
		if (limg_cancel_requested(p->stop))
			return limg__error_set(LIMG_ECANCELLED, "snapshot prepare cancelled");
		if ((rc = open_existing(p, i)) < 0)
			return rc;
		if (rc == 1) {
			if ((rc = report(p, job.digest, LIMG_EVENT_EXISTS, (int64_t)i, (int64_t)p->n)) != 0)
				return rc;
			continue;
		}
		for (size_t k = 0; k < i; k++)
			lowers[k] = p->fs[i - 1 - k]; /* topmost first */
		if ((rc = report(p, job.digest, LIMG_EVENT_LAYER_START, (int64_t)i, (int64_t)p->n)) != 0 ||
		    (rc = limg__snapshot_make(&job)) != 0)
			return rc;
		if ((rc = open_existing(p, i)) < 0)
			return rc;
		if (rc == 0)
			return limg__error_set(LIMG_ESYSTEM, "snapshot %s vanished as it was made", limg__chain_hex(p->chain[i]));
		if ((rc = report(p, job.digest, LIMG_EVENT_LAYER_DONE, (int64_t)i, (int64_t)p->n)) != 0)
			return rc;
	}
	return 0;
}

static int make_mount(limg_mount **out, prepare_run *p)
{
	limg_mount *m = limg__calloc(1, sizeof *m);
	limg_buf o = LIMG_BUF_INIT;
	char part[9000];
	int rc = 0;

	if (!m)
		return limg__error_oom();
	for (size_t k = p->n; k-- > 0 && rc == 0;) {
		snprintf(part, sizeof part, "%s%s/%s/" LIMG_SNAPSHOT_FS, k == p->n - 1 ? "lowerdir=" : ":", p->path,
		         limg__chain_hex(p->chain[k]));
		rc = limg__buf_put(&o, part, strlen(part));
	}
	/* unprivileged overlays (in a user namespace) read user.overlay.* marks */
	snprintf(part, sizeof part, ",upperdir=%s/upper,workdir=%s/work%s", p->root.path, p->root.path,
	         p->rootless ? ",userxattr" : "");
	if (rc == 0)
		rc = limg__buf_put(&o, part, strlen(part) + 1);
	snprintf(part, sizeof part, "%s/rootfs", p->root.path);
	m->type = limg__strdup("overlay");
	m->source = limg__strdup("overlay");
	m->target = limg__strdup(part);
	m->options = o.ptr;
	if (rc == 0 && (!m->type || !m->source || !m->target || !m->options))
		rc = limg__error_oom();
	if (rc < 0) {
		limg_mount_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

static int run(limg_mount **out, prepare_run *p, const char *image, const char *dir)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	const limg_manifest *m;
	const limg_config *cfg;
	ssize_t len;
	char proc[64];
	int rc;

	lo.platform = p->o.platform;
	if ((rc = limg_image_lookup(&p->info, p->store, image, &lo)) < 0)
		return rc;
	m = limg_image_manifest(p->info);
	cfg = limg_image_config(p->info);
	if ((rc = limg__image_check_whole(p->store, m, limg_image_id(p->info))) < 0)
		return rc;
	if (p->lease && ((rc = limg__lease_add(p->lease, limg_image_id(p->info))) < 0 ||
	                 (rc = limg__lease_add(p->lease, limg_descriptor_digest(limg_manifest_config(m)))) < 0))
		return rc;
	p->n = limg_manifest_count(m);
	for (size_t i = 0; p->lease && i < p->n; i++)
		if ((rc = limg__lease_add(p->lease, limg_descriptor_digest(limg_manifest_entry(m, i)))) < 0)
			return rc;
	if (!p->n)
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_IMAGE, image,
		                             "image %s has no layers: nothing to share", limg_image_id(p->info));
	if (limg_config_diff_id_count(cfg) != p->n)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CONFIG, limg_image_id(p->info),
		                             "image %s has %zu layers but its config lists %zu diff_ids",
		                             limg_image_id(p->info), p->n, limg_config_diff_id_count(cfg));
	if (!(p->fs = limg__malloc(p->n * sizeof *p->fs)) || !(p->chain = limg__calloc(p->n, sizeof *p->chain)))
		return limg__error_oom();
	for (size_t i = 0; i < p->n; i++)
		p->fs[i] = -1;
	for (size_t i = 0; i < p->n; i++)
		if ((rc = limg__chain_next(p->chain[i], i ? p->chain[i - 1] : NULL, limg_config_diff_id(cfg, i))) < 0)
			return rc;
	limg__store_label(p->label, sizeof p->label, p->store, ".libimage/snapshots");
	if ((rc = limg__snapshots_open(&p->dir, p->store, true)) < 0 ||
	    (rc = limg__snapshots_lock(&p->lock, p->dir, false, p->label)) < 0)
		return rc;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", p->dir);
	if ((len = readlink(proc, p->path, sizeof p->path - 1)) < 0)
		return limg__fs_error("cannot name", p->label);
	p->path[len] = '\0';
	if (p->o.kind == LIMG_ROOT_OVERLAY && strpbrk(p->path, ",:"))
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_STORE, limg_store_path(p->store),
		                             "the store's path has ',' or ':', which overlay options cannot carry");
	if ((rc = limg__root_begin(&p->root, dir, p->o.kind == LIMG_ROOT_OVERLAY)) < 0)
		return rc;
	if ((rc = snapshots(p)) != 0)
		return rc;
	if (p->o.kind == LIMG_ROOT_OVERLAY) {
		if ((rc = limg__root_overlay(&p->root, p->fs[p->n - 1])) < 0 || (rc = make_mount(out, p)) < 0)
			return rc;
	} else if ((rc = limg__root_copy(&p->root, p->fs, p->n, p->rootless)) < 0) {
		return rc;
	}
	return limg__root_finish(&p->root, p->dir, p->label, p->chain, p->n);
}

int limg_snapshot_prepare(limg_mount **out, limg_store *store, const char *image, const char *dir,
                          const limg_snapshot_opts *opts, const limg_snapshot_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_mount *mount = NULL;
	prepare_run p;
	int rc;

	if (out)
		*out = NULL;
	if (!store)
		return limg__error_invalid("store");
	if (!image || !*image)
		return limg__error_invalid("image");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	memset(&p, 0, sizeof p);
	p.store = store;
	p.dir = p.lock = -1;
	limg__root_init(&p.root);
	limg_snapshot_opts_init(&p.o, sizeof p.o);
	limg_snapshot_callbacks_init(&p.cb, sizeof p.cb);
	if ((rc = limg__opts_copy(&p.o, sizeof p.o, opts, "limg_snapshot_opts")) < 0 ||
	    (rc = limg__opts_copy(&p.cb, sizeof p.cb, cb, "limg_snapshot_callbacks")) < 0)
		return rc;
	if (p.o.kind != LIMG_ROOT_OVERLAY && p.o.kind != LIMG_ROOT_COPY)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "kind", "invalid argument: kind %d",
		                             p.o.kind);
	if (p.o.max_layer_size < 0 || p.o.max_entries < 0)
		return limg__error_invalid("max_layer_size, max_entries");
	p.rootless = geteuid() != 0;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&p.stop)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	if ((rc = limg__lease_new(&p.lease, store)) == 0 && (rc = limg__store_link_stop(store, p.stop, p.o.cancel)) == 0)
		rc = limg__store_stopped(run(&mount, &p, image, dir), store, p.o.cancel, "snapshot prepare", image);
	if (rc != 0) {
		limg_mount_free(mount);
		mount = NULL;
	}
	limg__root_end(&p.root, rc == 0);
	for (size_t i = 0; p.fs && i < p.n; i++)
		if (p.fs[i] >= 0)
			close(p.fs[i]);
	limg__free(p.fs);
	limg__free(p.chain);
	if (p.lock >= 0)
		limg__fs_unlock(p.lock);
	if (p.dir >= 0)
		close(p.dir);
	limg_image_free(p.info);
	limg__lease_free(p.lease);
	limg_cancel_free(p.stop);
	limg__store_leave(store);
	if (out)
		*out = mount;
	else
		limg_mount_free(mount);
	return rc;
}
