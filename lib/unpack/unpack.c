/* SPDX-License-Identifier: MIT */
/*
 * limg_unpack(): the image found as limg_image_lookup() finds it, its
 * layers leased against gc, applied in order into a new (or empty)
 * directory, a bundle's config.json last. A failure or a cancel removes
 * what was made, so the directory is the image or nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "bundle.h"
#include "core/core.h"
#include "core/fs.h"
#include "layer.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "images/complete.h"
#include "passwd.h"
#include "store/store_internal.h"

int limg_unpack_opts_init(limg_unpack_opts *opts, size_t size)
{
	static const limg_unpack_opts defaults = LIMG_UNPACK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_unpack_callbacks_init(limg_unpack_callbacks *cb, size_t size)
{
	static const limg_unpack_callbacks defaults = LIMG_UNPACK_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

/* The output: made here (then removed whole on failure), or an empty
 * directory that was there (then emptied). */
typedef struct {
	const char *path;
	int fd;       /* the directory */
	int root;     /* the root filesystem: fd, or its rootfs */
	bool made;
	bool owned;   /* made, or found empty: what is in it is ours to remove */
} output;

static int check_maps(const limg_id_map *m, size_t n, const char *what)
{
	if (n && !m)
		return limg__error_invalid(what);
	for (size_t i = 0; i < n; i++)
		if (!m[i].size || m[i].container_id > LIMG_ID_MAX || m[i].size - 1 > LIMG_ID_MAX - m[i].container_id ||
		    m[i].size - 1 > UINT32_MAX - m[i].host_id)
			return limg__error_set(LIMG_EINVALID, "%s[%zu] is not a range of ids", what, i);
	return 0;
}

static bool is_empty(int fd)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static int open_output(output *out, const char *path, bool bundle)
{
	mode_t mode = bundle ? 0700 : 0755;

	out->path = path;
	out->fd = out->root = -1;
	out->made = mkdir(path, mode) == 0;
	if (!out->made && errno != EEXIST)
		return limg__error_set(errno == ENOSPC ? LIMG_ENOSPACE : LIMG_ESYSTEM, "cannot make %s: %s", path,
		                       strerror(errno));
	if ((out->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return limg__error_set(errno == ENOTDIR ? LIMG_EEXISTS : LIMG_ESYSTEM, "cannot open %s: %s", path,
		                       strerror(errno));
	if (!out->made && !is_empty(out->fd))
		return limg__error_set(LIMG_EEXISTS, "%s is not empty", path);
	out->owned = true;
	/* setuid binaries of the image are not for the host's other users */
	if (bundle && fchmod(out->fd, 0700) < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot make %s private: %s", path, strerror(errno));
	if (!bundle) {
		out->root = dup(out->fd);
	} else if (mkdirat(out->fd, "rootfs", 0755) == 0) {
		out->root = openat(out->fd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (out->root < 0)
		return limg__error_set(LIMG_ESYSTEM, "cannot make the root filesystem in %s: %s", path, strerror(errno));
	return 0;
}

/* Removes what the unpack made. */
static void discard(output *out)
{
	char label[4200];

	if (!out->owned)
		return;
	if (out->fd >= 0) {
		DIR *d;
		struct dirent *e;
		int dfd = dup(out->fd);
		snprintf(label, sizeof label, "%s", out->path);
		/* as the unpacking user may not write every directory it made (rootless 0500) */
		if (dfd >= 0 && (d = fdopendir(dfd))) {
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					limg__fs_remove_tree_at(out->fd, e->d_name, label);
			closedir(d);
		} else if (dfd >= 0) {
			close(dfd);
		}
	}
	if (out->made)
		rmdir(out->path);
}

static void close_output(output *out)
{
	if (out->root >= 0)
		close(out->root);
	if (out->fd >= 0)
		close(out->fd);
}

typedef struct {
	limg_store *store;
	limg_unpack_opts o;
	limg_unpack_callbacks cb;
	limg_cancel *stop;
	limg_image *info;
	limg__lease *lease;
	limg__applier a;
	bool rootless;
} unpack_run;

static int layer_compression(const limg_descriptor *d)
{
	const char *mt = limg_descriptor_media_type(d);
	int c = limg_compression_from_media_type(mt);

	if (c < 0 || c == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set(LIMG_EUNSUPPORTED, "layer %s has media type %s, which this library cannot unpack",
		                       limg_descriptor_digest(d), mt ? mt : "(none)");
	return c;
}

/* A progress report of the unpack as a whole; what the callback returns to stop follows errors.h. */
static int report(const unpack_run *u, const char *digest, int event, int64_t done, int64_t total)
{
	int rc = u->cb.progress ? u->cb.progress(digest, digest ? LIMG_BLOB_LAYER : LIMG_BLOB_NONE, event, done, total,
	                                          NULL, u->cb.payload)
	                        : 0;
	return rc ? limg__error_after_callback(rc, "unpack") : 0;
}

static int apply_layers(unpack_run *u, output *out)
{
	const limg_manifest *m = limg_image_manifest(u->info);
	const limg_config *cfg = limg_image_config(u->info);
	size_t n = limg_manifest_count(m);
	int rc;

	if (limg_config_diff_id_count(cfg) != n)
		return limg__error_set(LIMG_ECORRUPT, "image %s has %zu layers but its config lists %zu diff_ids",
		                       limg_image_id(u->info), n, limg_config_diff_id_count(cfg));
	u->a.root = out->root;
	for (size_t i = 0; i < n; i++) {
		const limg_descriptor *d = limg_manifest_entry(m, i);
		limg__layer_job job = { u->store, limg_descriptor_digest(d), limg_config_diff_id(cfg, i), 0,
			                limg_descriptor_size(d), u->stop, u->cb.progress, u->cb.payload };
		if ((rc = layer_compression(d)) < 0)
			return rc;
		job.compression = rc;
		if ((rc = report(u, job.digest, LIMG_EVENT_LAYER_START, (int64_t)i, (int64_t)n)) != 0)
			return rc;
		if ((rc = limg__unpack_layer(&u->a, &job)) != 0)
			return rc;
		if ((rc = report(u, job.digest, LIMG_EVENT_LAYER_DONE, (int64_t)i, (int64_t)n)) != 0)
			return rc;
	}
	return 0;
}

static int run(unpack_run *u, const char *image, const char *dir)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	const limg_manifest *m;
	output out = { dir, -1, -1, false, false };
	int rc;

	lo.platform = u->o.platform;
	if ((rc = limg_image_lookup(&u->info, u->store, image, &lo)) < 0)
		return rc;
	m = limg_image_manifest(u->info);
	/* an image the store holds in part (a foreign layer not pulled) is no image to unpack */
	if ((rc = limg__image_check_whole(u->store, m, limg_image_id(u->info))) < 0)
		return rc;
	/* leased before read: rmi and gc beside us cannot take a layer away */
	if (u->lease && (rc = limg__lease_add(u->lease, limg_image_id(u->info))) < 0)
		return rc;
	for (size_t i = 0; u->lease && i < limg_manifest_count(m); i++)
		if ((rc = limg__lease_add(u->lease, limg_descriptor_digest(limg_manifest_entry(m, i)))) < 0)
			return rc;
	if ((rc = open_output(&out, dir, u->o.bundle)) < 0)
		goto fail;
	if ((rc = apply_layers(u, &out)) != 0)
		goto fail;
	if (u->o.bundle) {
		limg__bundle_job b = { out.fd, out.root, limg_image_config_bytes(u->info), limg_image_config_size(u->info),
			               u->rootless, !u->o.no_terminal, u->o.uid_map, u->o.gid_map, u->o.uid_map_len,
			               u->o.gid_map_len, limg__store_context(u->store) };
		if ((rc = limg__bundle_write(&b)) < 0)
			goto fail;
		if ((rc = report(u, NULL, LIMG_EVENT_BUNDLE, 1, 1)) != 0)
			goto fail;
	}
	if ((rc = limg__apply_finish(&u->a)) < 0)
		goto fail;
	close_output(&out);
	return 0;
fail:
	{
		/* the error survives the clean-up */
		limg__error_copy saved;
		limg__error_save(&saved);
		discard(&out);
		limg__error_restore(&saved);
	}
	close_output(&out);
	return rc;
}

int limg_unpack(limg_store *store, const char *image, const char *dir, const limg_unpack_opts *opts,
                const limg_unpack_callbacks *cb)
{
	unpack_run u;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!image || !*image)
		return limg__error_invalid("image");
	if (!dir || !*dir)
		return limg__error_invalid("dir");
	memset(&u, 0, sizeof u);
	u.store = store;
	limg_unpack_opts_init(&u.o, sizeof u.o);
	limg_unpack_callbacks_init(&u.cb, sizeof u.cb);
	if ((rc = limg__opts_copy(&u.o, sizeof u.o, opts, "limg_unpack_opts")) < 0 ||
	    (rc = limg__opts_copy(&u.cb, sizeof u.cb, cb, "limg_unpack_callbacks")) < 0 ||
	    (rc = check_maps(u.o.uid_map, u.o.uid_map_len, "uid_map")) < 0 ||
	    (rc = check_maps(u.o.gid_map, u.o.gid_map_len, "gid_map")) < 0)
		return rc;
	if (u.o.max_layer_size < 0 || u.o.max_entries < 0)
		return limg__error_invalid("max_layer_size, max_entries");
	if (u.o.rootless < LIMG_ROOTLESS_AUTO || u.o.rootless > LIMG_ROOTLESS_OFF)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "rootless",
		                             "invalid argument: rootless mode %d", u.o.rootless);
	u.rootless = u.o.rootless == LIMG_ROOTLESS_AUTO ? geteuid() != 0 : u.o.rootless == LIMG_ROOTLESS_ON;
	u.a.ctx = limg__store_context(store);
	u.a.rootless = u.rootless;
	u.a.privileged = !u.rootless;
	u.a.uids = u.o.uid_map;
	u.a.nuids = u.o.uid_map_len;
	u.a.gids = u.o.gid_map;
	u.a.ngids = u.o.gid_map_len;
	u.a.limit = u.o.max_layer_size ? u.o.max_layer_size : LIMG_LAYER_SIZE_MAX_DEFAULT;
	u.a.max_entries = u.o.max_entries ? u.o.max_entries : LIMG_LAYER_ENTRIES_MAX_DEFAULT;
	u.a.parent_fd = -1;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg_cancel_new(&u.stop)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	if (limg__lease_new(&u.lease, store) < 0) {
		/* a store this user may only read (root's, shared): nothing to lease
		 * with, and a gc beside us would need the writes we cannot make */
		limg__log(u.a.ctx, LIMG_LOG_INFO, "unpacking without a lease: %s", limg_error_message(limg_error_last()));
		limg_error_clear();
		u.lease = NULL;
	}
	if ((rc = limg__store_link_stop(store, u.stop, u.o.cancel)) == 0)
		rc = limg__store_stopped(run(&u, image, dir), store, u.o.cancel, "unpack", image);
	limg__apply_dispose(&u.a);
	limg_image_free(u.info);
	limg__lease_free(u.lease);
	limg_cancel_free(u.stop);
	limg__store_leave(store);
	return rc;
}
