/* SPDX-License-Identifier: MIT */
/*
 * The directory a root filesystem is made in: made here (then removed
 * whole on failure), or an empty one that was there, or one an earlier
 * unpack left incomplete (then emptied first). From the start it carries
 * LIMG_UNPACK_INCOMPLETE_XATTR, removed only when everything is there, so
 * that a kill, a stop or a layer that does not verify never leaves a root
 * that looks finished; with LIMG_UNPACK_FAILED_KEEP a failure leaves what
 * was made, still marked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "apply.h"
#include "bundle.h"
#include "core/core.h"
#include "core/fs.h"
#include "layer.h"
#include "passwd.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "rootfs.h"
#include "store/store_internal.h"

/* The output: made here, or an empty (or incomplete) directory that was there. */
typedef struct {
	const char *path;
	int fd;       /* the directory */
	int root;     /* the root filesystem: fd, or its rootfs */
	bool made;
	bool owned;   /* made, or found empty or incomplete: what is in it is ours to remove */
	bool marked;  /* carries the incomplete mark */
} output;

struct limg__rootfs {
	limg_store *store;
	limg_unpack_opts o;
	limg_cancel *stop;
	limg_progress_cb progress;
	void *payload;
	limg__applier a;
	output out;
	bool finished;
};

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

int limg__unpack_opts_check(const limg_unpack_opts *o)
{
	int rc;

	if ((rc = check_maps(o->uid_map, o->uid_map_len, "uid_map")) < 0 ||
	    (rc = check_maps(o->gid_map, o->gid_map_len, "gid_map")) < 0)
		return rc;
	if (o->max_layer_size < 0 || o->max_entries < 0)
		return limg__error_invalid("max_layer_size, max_entries");
	if (o->rootless < LIMG_ROOTLESS_AUTO || o->rootless > LIMG_ROOTLESS_OFF)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "rootless",
		                             "invalid argument: rootless mode %d", o->rootless);
	if (o->on_failure < LIMG_UNPACK_FAILED_REMOVE || o->on_failure > LIMG_UNPACK_FAILED_KEEP)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "on_failure",
		                             "invalid argument: on_failure %d", o->on_failure);
	return 0;
}

/* Calls @fn for each name in the directory @fd (not . and ..). */
static void each_entry(int fd, void (*fn)(int dir, const char *name, const char *label), const char *label)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	rewinddir(d); /* a dup shares the offset an earlier walk left at the end */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fn(fd, e->d_name, label);
	closedir(d);
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
	rewinddir(d); /* a dup shares the offset an earlier walk left at the end */
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static bool has_mark(int fd)
{
	char v[8];

	return fgetxattr(fd, LIMG_UNPACK_INCOMPLETE_XATTR, v, sizeof v) >= 0;
}

static void remove_one(int dir, const char *name, const char *label)
{
	limg__fs_remove_tree_at(dir, name, label);
}

/* Empties a directory (as the unpacking user may not write every directory
 * it made: limg__fs_remove_tree_at opens them up). */
static int empty_dir(int fd, const char *path)
{
	char label[4200];

	snprintf(label, sizeof label, "%s", path);
	each_entry(fd, remove_one, label);
	if (!is_empty(fd))
		return limg__error_set(LIMG_ESYSTEM, "cannot empty %s, which an earlier unpack left incomplete", path);
	limg_error_clear();
	return 0;
}

static int open_output(output *out, const char *path, bool bundle, limg_context *ctx)
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
	if (!out->made && !is_empty(out->fd)) {
		/* what an earlier unpack left unfinished is ours to start over; anything else is not */
		if (!has_mark(out->fd))
			return limg__error_set(LIMG_EEXISTS, "%s is not empty", path);
		limg__log(ctx, LIMG_LOG_INFO, "%s was left incomplete by an earlier unpack: starting it over", path);
		out->owned = true;
		if (empty_dir(out->fd, path) < 0)
			return limg_error_code(limg_error_last());
	}
	out->owned = true;
	/* marked before anything goes in: a kill from now on leaves a root that says what it is */
	if (fsetxattr(out->fd, LIMG_UNPACK_INCOMPLETE_XATTR, "1", 1, 0) == 0)
		out->marked = true;
	else
		limg__log(ctx, LIMG_LOG_INFO, "%s cannot be marked incomplete while it is made (%s): it is removed if the "
		          "unpack fails", path, strerror(errno));
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

/* Removes what the unpack made: the directory too when it made it, else its mark. */
static void discard(output *out)
{
	char label[4200];

	if (!out->owned)
		return;
	if (out->fd >= 0) {
		snprintf(label, sizeof label, "%s", out->path);
		each_entry(out->fd, remove_one, label);
		if (out->marked)
			fremovexattr(out->fd, LIMG_UNPACK_INCOMPLETE_XATTR);
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
	out->root = out->fd = -1;
}

int limg__rootfs_begin(limg__rootfs **out, limg_store *store, const char *dir, const limg_unpack_opts *o,
                       limg_cancel *stop, limg_progress_cb progress, void *payload)
{
	limg__rootfs *r = limg__calloc(1, sizeof *r);
	bool rootless;
	int rc;

	*out = NULL;
	if (!r)
		return limg__error_oom();
	r->store = store;
	r->o = *o;
	r->stop = stop;
	r->progress = progress;
	r->payload = payload;
	r->out.fd = r->out.root = -1;
	rootless = o->rootless == LIMG_ROOTLESS_AUTO ? geteuid() != 0 : o->rootless == LIMG_ROOTLESS_ON;
	r->a.ctx = limg__store_context(store);
	r->a.rootless = rootless;
	r->a.privileged = !rootless;
	r->a.uids = o->uid_map;
	r->a.nuids = o->uid_map_len;
	r->a.gids = o->gid_map;
	r->a.ngids = o->gid_map_len;
	r->a.limit = o->max_layer_size ? o->max_layer_size : LIMG_LAYER_SIZE_MAX_DEFAULT;
	r->a.max_entries = o->max_entries ? o->max_entries : LIMG_LAYER_ENTRIES_MAX_DEFAULT;
	r->a.parent_fd = -1;
	*out = r;
	if ((rc = open_output(&r->out, dir, o->bundle, r->a.ctx)) < 0)
		return rc;
	r->a.root = r->out.root;
	return 0;
}

/* A progress report; what the callback returns to stop follows errors.h. */
static int report(const limg__rootfs *r, const char *digest, int event, int64_t done, int64_t total)
{
	int rc = r->progress ? r->progress(digest, digest ? LIMG_BLOB_LAYER : LIMG_BLOB_NONE, event, done, total, NULL,
	                                   r->payload)
	                     : 0;
	return rc ? limg__error_after_callback(rc, "unpack") : 0;
}

int limg__rootfs_apply(limg__rootfs *r, size_t index, size_t count, const limg__rootfs_layer *layer, char *diff_id,
                       int64_t *size)
{
	limg__layer_job job;
	int c = limg_compression_from_media_type(layer->media_type);
	int rc;

	if (c < 0 || c == LIMG_COMPRESSION_UNKNOWN)
		return limg__error_set_about(LIMG_EUNSUPPORTED, LIMG_SUBJECT_LAYER, layer->digest,
		                             "layer %s has media type %s, which this library cannot unpack", layer->digest,
		                             layer->media_type ? layer->media_type : "(none)");
	memset(&job, 0, sizeof job);
	job.store = r->store;
	job.digest = layer->digest;
	job.diff_id = layer->diff_id;
	job.compression = c;
	job.size = layer->size;
	job.cancel = r->stop;
	job.progress = r->progress;
	job.payload = r->payload;
	job.read = layer->read;
	job.read_payload = layer->payload;
	if ((rc = report(r, layer->digest, LIMG_EVENT_LAYER_START, (int64_t)index, (int64_t)count)) != 0)
		return rc;
	if ((rc = limg__unpack_layer(&r->a, &job)) != 0)
		return rc;
	/* what it unpacks to, for listings: best effort (a store this user only reads keeps nothing) */
	if (limg__store_writable(r->store) == 0)
		limg__store_layer_info_put(r->store, layer->digest, job.got_diff_id, job.got_size);
	limg_error_clear();
	if (diff_id)
		snprintf(diff_id, 160, "%s", job.got_diff_id);
	if (size)
		*size = job.got_size;
	return report(r, layer->digest, LIMG_EVENT_LAYER_DONE, (int64_t)index, (int64_t)count);
}

int limg__rootfs_finish(limg__rootfs *r, const char *config, size_t config_len)
{
	int rc;

	if (r->o.bundle) {
		limg__bundle_job b = { r->out.fd, r->out.root, config, config_len, r->a.rootless, !r->o.no_terminal,
			               r->o.uid_map, r->o.gid_map, r->o.uid_map_len, r->o.gid_map_len,
			               limg__store_context(r->store) };
		if ((rc = limg__bundle_write(&b)) < 0)
			return rc;
		if ((rc = report(r, NULL, LIMG_EVENT_BUNDLE, 1, 1)) != 0)
			return rc;
	}
	/* unmarked before the modes held back are set: a rootless root may end up 0555 */
	if (r->out.marked && fremovexattr(r->out.fd, LIMG_UNPACK_INCOMPLETE_XATTR) < 0 && errno != ENODATA)
		return limg__error_set(LIMG_ESYSTEM, "cannot mark %s complete: %s", r->out.path, strerror(errno));
	r->out.marked = false;
	if ((rc = limg__apply_finish(&r->a)) < 0) {
		if (fsetxattr(r->out.fd, LIMG_UNPACK_INCOMPLETE_XATTR, "1", 1, 0) == 0)
			r->out.marked = true;
		return rc;
	}
	r->finished = true;
	return 0;
}

void limg__rootfs_free(limg__rootfs *r)
{
	limg__error_copy saved;

	if (!r)
		return;
	if (!r->finished) {
		/* the error survives the clean-up */
		limg__error_save(&saved);
		if (r->o.on_failure == LIMG_UNPACK_FAILED_KEEP && r->out.marked)
			limg__log(r->a.ctx, LIMG_LOG_INFO, "%s is left as it is, marked incomplete", r->out.path);
		else
			discard(&r->out);
		limg__error_restore(&saved);
	}
	limg__apply_dispose(&r->a);
	close_output(&r->out);
	limg__free(r);
}
