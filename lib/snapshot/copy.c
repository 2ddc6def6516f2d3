/* SPDX-License-Identifier: MIT */
/*
 * A root filesystem copied from snapshots, for where no overlay is
 * mounted: the layers bottom first, each as overlayfs shows it over the
 * ones below (a whiteout removes, an opaque directory is emptied first, a
 * directory merges with a directory and replaces anything else). Files are
 * reflinked where the file system shares extents, else copied: a write in
 * the root never reaches a snapshot (never a hard link into one). Hard
 * links within a layer stay hard links. Nothing is followed in the root
 * being made: every entry is opened beneath its parent with O_NOFOLLOW.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "snapshot_internal.h"
#include "unpack/overlay.h"

#define DEPTH_MAX 1024

/* A file of this layer already copied, for its other hard links. */
typedef struct {
	dev_t dev;
	ino_t ino;
	int dir;       /* where the first copy is (a dup) */
	char *name;
} linked;

/* Without privileges, a directory whose mode shuts its owner out (0555)
 * stays open to us until every layer is in, then gets its mode, deepest
 * first (as limg_unpack() does rootless). */
typedef struct {
	int fd;
	dev_t dev;
	ino_t ino;
	mode_t mode;
	int depth;
	size_t order; /* a later layer's word on the same directory wins */
} held_dir;

typedef struct {
	linked *links;
	size_t n, cap;
	const char *label;
	bool rootless;
	held_dir *held;
	size_t nheld, capheld, order;
} copy_run;

/* After @fd (at @depth) got a layer's mode: held open to us when that mode shuts us out. */
static int settle_mode(copy_run *r, int fd, int depth)
{
	struct stat st;
	held_dir *h;

	if (!r->rootless)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	for (size_t i = 0; i < r->nheld; i++)
		if (r->held[i].dev == st.st_dev && r->held[i].ino == st.st_ino) {
			close(r->held[i].fd);
			r->held[i--] = r->held[--r->nheld];
		}
	if ((st.st_mode & 0700) == 0700)
		return 0;
	if (limg__array_grow((void **)&r->held, &r->capheld, r->nheld + 1, sizeof *r->held) < 0)
		return -ENOMEM;
	h = &r->held[r->nheld];
	if ((h->fd = dup(fd)) < 0)
		return -errno;
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->mode = st.st_mode & 07777;
	h->depth = depth;
	h->order = r->order++;
	r->nheld++;
	return fchmod(fd, h->mode | 0700) < 0 ? -errno : 0;
}

static int deepest_first(const void *pa, const void *pb)
{
	const held_dir *a = pa, *b = pb;

	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int release_held(copy_run *r, bool apply)
{
	int rc = 0;

	if (apply && r->nheld > 1)
		qsort(r->held, r->nheld, sizeof *r->held, deepest_first);
	for (size_t i = 0; i < r->nheld; i++) {
		if (apply && rc == 0 && fchmod(r->held[i].fd, r->held[i].mode) < 0)
			rc = -errno;
		close(r->held[i].fd);
	}
	limg__free(r->held);
	r->held = NULL;
	r->nheld = 0;
	return rc;
}

static void forget_links(copy_run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		close(r->links[i].dir);
		limg__free(r->links[i].name);
	}
	r->n = 0;
}

static const linked *find_link(const copy_run *r, const struct stat *st)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->links[i].dev == st->st_dev && r->links[i].ino == st->st_ino)
			return &r->links[i];
	return NULL;
}

static int remember_link(copy_run *r, const struct stat *st, int dir, const char *name)
{
	linked *l;

	if (limg__array_grow((void **)&r->links, &r->cap, r->n + 1, sizeof *r->links) < 0)
		return -ENOMEM;
	l = &r->links[r->n];
	if ((l->dir = dup(dir)) < 0)
		return -errno;
	if (!(l->name = limg__strdup(name))) {
		close(l->dir);
		return -ENOMEM;
	}
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	r->n++;
	return 0;
}

/* Removes whatever is at @name in @dir (a directory with all it holds). */
static int clear(int dir, const char *name, const copy_run *r)
{
	struct stat st;
	char label[4400];

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir, name, 0) < 0 ? -errno : 0;
	snprintf(label, sizeof label, "%s/%s", r->label, name);
	if (limg__fs_remove_tree_at(dir, name, label) < 0) {
		limg_error_clear();
		return -EIO;
	}
	return 0;
}

static int empty_dir(int fd, const copy_run *r)
{
	struct dirent *e;
	int dfd = dup(fd), rc = 0;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = clear(fd, e->d_name, r);
	closedir(d);
	return rc;
}

static int copy_dir(copy_run *r, int from, int to, int depth);

static int copy_entry(copy_run *r, int from, int to, const char *name, int depth)
{
	struct stat st, there;
	const linked *l;
	int sub_from, sub_to, rc;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (limg__overlay_is_whiteout(&st))
		return clear(to, name, r);
	if (S_ISDIR(st.st_mode)) {
		bool merge = fstatat(to, name, &there, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(there.st_mode);
		if (!merge && ((rc = clear(to, name, r)) < 0 || (mkdirat(to, name, 0700) < 0 && (rc = -errno))))
			return rc;
		if ((sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
		if ((sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = -errno;
			close(sub_from);
			return rc;
		}
		rc = 0;
		if (merge && limg__overlay_is_opaque(sub_from))
			rc = empty_dir(sub_to, r);
		if (rc == 0)
			rc = copy_dir(r, sub_from, sub_to, depth + 1);
		/* after its children, which changed its times */
		if (rc == 0)
			rc = limg__clone_dir_meta(sub_from, sub_to);
		if (rc == 0)
			rc = settle_mode(r, sub_to, depth + 1);
		close(sub_from);
		close(sub_to);
		return rc;
	}
	if ((rc = clear(to, name, r)) < 0)
		return rc;
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (l = find_link(r, &st)))
		return linkat(l->dir, l->name, to, name, 0) < 0 ? -errno : 0;
	if ((rc = limg__clone_node(from, name, &st, to, name)) < 0)
		return rc;
	return S_ISREG(st.st_mode) && st.st_nlink > 1 ? remember_link(r, &st, to, name) : 0;
}

static int copy_dir(copy_run *r, int from, int to, int depth)
{
	struct dirent *e;
	int dfd, rc = 0;
	DIR *d;

	if (depth > DEPTH_MAX)
		return -ELOOP;
	if ((dfd = dup(from)) < 0 || !(d = fdopendir(dfd))) {
		rc = -errno;
		if (dfd >= 0)
			close(dfd);
		return rc;
	}
	rewinddir(d);
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = copy_entry(r, from, to, e->d_name, depth);
	closedir(d);
	return rc;
}

int limg__snapshot_copy(int to, const int *layers, size_t n, bool rootless, const char *label)
{
	copy_run r;
	int rc = 0, held;

	memset(&r, 0, sizeof r);
	r.label = label;
	r.rootless = rootless;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = copy_dir(&r, layers[i], to, 0);
		forget_links(&r); /* hard links never span layers: a copy-up breaks them as overlayfs does */
		if (rc == 0)
			rc = limg__clone_dir_meta(layers[i], to);
		if (rc == 0)
			rc = settle_mode(&r, to, 0);
	}
	held = release_held(&r, rc == 0);
	if (rc == 0)
		rc = held;
	limg__free(r.links);
	if (rc < 0)
		return limg__error_set(rc == -ENOSPC || rc == -EDQUOT ? LIMG_ENOSPACE : LIMG_ESYSTEM,
		                       "cannot copy the layers into %s: %s", label, strerror(-rc));
	return 0;
}
