/* SPDX-License-Identifier: MIT */
/* A directory tree in a layer's order (see walk.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/core.h"
#include "walk.h"

/* Below this depth a directory's descriptor stays open while its
 * subdirectories are read; deeper ones are closed and found again through
 * "..", their identity checked, so a deep tree needs few descriptors. */
#define OPEN_DEPTH 32
#define XATTR_LIST_MAX_BYTES (64u * 1024)
#define XATTR_VALUE_MAX (64u * 1024)

typedef struct {
	int fd;
	dev_t dev;
	ino_t ino;
	char *names;     /* the directory's names, each NUL-terminated */
	size_t *offs;    /* sorted */
	size_t n, next;
	size_t path_len; /* of the in-image path of this directory */
	size_t host_len; /* of the host path */
} frame;

struct limg__walk {
	frame *frames;
	size_t depth, cap;
	limg_buf path, host;
	bool root_pending;
};

static int error_at(int code, const char *host, const char *what)
{
	return limg__error_set_about(code, LIMG_SUBJECT_FILE, host, "%s: %s", host, what);
}

static int sys_error(const char *host, const char *what)
{
	char msg[300];
	int e = errno;

	snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
	if (e == ENOENT || e == ENOTDIR || e == ELOOP)
		return error_at(LIMG_ECONFLICT, host, "changed while it was read (it is gone or was replaced)");
	if (e == ENOMEM)
		return limg__error_oom();
	return error_at(LIMG_ESYSTEM, host, msg);
}

static int cmp_off(const void *a, const void *b, void *base)
{
	return strcmp((const char *)base + *(const size_t *)a, (const char *)base + *(const size_t *)b);
}

/* Reads and sorts a directory's names. */
static int read_names(frame *f, const char *host)
{
	int dfd = dup(f->fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	limg_buf names = LIMG_BUF_INIT;
	size_t cap = 0;
	int rc = 0;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return sys_error(host, "cannot read the directory");
	}
	errno = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((rc = limg__array_grow((void **)&f->offs, &cap, f->n + 1, sizeof *f->offs)) < 0)
			break;
		f->offs[f->n++] = names.size;
		if ((rc = limg__buf_put(&names, de->d_name, len + 1)) < 0)
			break;
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = sys_error(host, "cannot read the directory");
	closedir(d);
	if (rc < 0) {
		limg_buf_dispose(&names);
		return rc;
	}
	f->names = names.ptr;
	/* byte order of the names: with each directory before its contents, the layer's order */
	if (f->n > 1)
		qsort_r(f->offs, f->n, sizeof *f->offs, cmp_off, f->names);
	return 0;
}

static void frame_dispose(frame *f)
{
	if (f->fd >= 0)
		close(f->fd);
	limg__free(f->names);
	limg__free(f->offs);
}

static int push(limg__walk *w, int fd, const struct stat *st)
{
	frame *f;
	int rc;

	/* a directory inside itself (a bind mount) would never end */
	for (size_t i = 0; i < w->depth; i++)
		if (w->frames[i].dev == st->st_dev && w->frames[i].ino == st->st_ino) {
			close(fd);
			return error_at(LIMG_ECONFLICT, w->host.ptr, "a directory found inside itself (a bind mount?)");
		}
	if ((rc = limg__array_grow((void **)&w->frames, &w->cap, w->depth + 1, sizeof *w->frames)) < 0) {
		close(fd);
		return rc;
	}
	f = &w->frames[w->depth];
	memset(f, 0, sizeof *f);
	f->fd = fd;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->path_len = w->path.size;
	f->host_len = w->host.size;
	if ((rc = read_names(f, w->host.ptr)) < 0) {
		frame_dispose(f);
		return rc;
	}
	w->depth++;
	/* the parent is not needed until we come back: deep ones give their descriptor up */
	if (w->depth > OPEN_DEPTH && w->frames[w->depth - 2].fd >= 0) {
		close(w->frames[w->depth - 2].fd);
		w->frames[w->depth - 2].fd = -1;
	}
	return 0;
}

static int set_len(limg_buf *b, size_t n)
{
	b->size = n;
	if (b->ptr)
		b->ptr[n] = '\0';
	return 0;
}

/* Leaves the top directory; the one below gets its descriptor back. */
static int pop(limg__walk *w)
{
	frame *top = &w->frames[w->depth - 1];
	int rc = 0;

	if (w->depth >= 2 && w->frames[w->depth - 2].fd < 0) {
		frame *up = &w->frames[w->depth - 2];
		struct stat st;
		int fd = openat(top->fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		set_len(&w->host, up->host_len);
		if (fd < 0)
			rc = sys_error(w->host.ptr, "cannot open the directory again");
		else if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
			close(fd);
			rc = error_at(LIMG_ECONFLICT, w->host.ptr, "changed while it was read (moved)");
		} else {
			up->fd = fd;
		}
	}
	frame_dispose(top);
	w->depth--;
	if (w->depth) {
		set_len(&w->path, w->frames[w->depth - 1].path_len);
		set_len(&w->host, w->frames[w->depth - 1].host_len);
	}
	return rc;
}

int limg__walk_open(limg__walk **out, const char *dir, const char *prefix)
{
	limg__walk *w;
	struct stat st;
	int fd, rc;

	*out = NULL;
	if (!(w = limg__calloc(1, sizeof *w)))
		return limg__error_oom();
	if ((rc = limg__buf_put(&w->host, dir, strlen(dir) + 1)) < 0 ||
	    (rc = limg__buf_put(&w->path, prefix ? prefix : "", (prefix ? strlen(prefix) : 0) + 1)) < 0)
		goto fail;
	w->host.size--;
	w->path.size--;
	/* the root as given: a symlink to a directory is followed here, and only here */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_FILE, dir, "%s: no such directory", dir);
		else
			rc = sys_error(dir, "cannot open the directory");
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		rc = sys_error(dir, "cannot stat");
		goto fail;
	}
	if ((rc = push(w, fd, &st)) < 0)
		goto fail;
	w->root_pending = w->path.size > 0;
	*out = w;
	return 0;
fail:
	limg__walk_free(w);
	return rc;
}

static int join(limg_buf *b, size_t base, const char *name)
{
	int rc;

	set_len(b, base);
	if (base && (rc = limg__buf_put(b, "/", 1)) < 0)
		return rc;
	if ((rc = limg__buf_put(b, name, strlen(name) + 1)) < 0)
		return rc;
	b->size--;
	return 0;
}

int limg__walk_next(limg__walk *w, limg__walk_entry *e)
{
	int rc;

	memset(e, 0, sizeof *e);
	e->fd = -1;
	if (w->root_pending) {
		frame *root = &w->frames[0];
		w->root_pending = false;
		e->path = w->path.ptr;
		e->host = w->host.ptr;
		e->dirfd = root->fd;
		e->fd = root->fd;
		if (fstat(root->fd, &e->st) < 0)
			return sys_error(w->host.ptr, "cannot stat");
		return 0;
	}
	for (;;) {
		frame *f;
		const char *name;
		if (!w->depth)
			return LIMG_ITEROVER;
		f = &w->frames[w->depth - 1];
		if (f->next == f->n) {
			if ((rc = pop(w)) < 0)
				return rc;
			continue;
		}
		name = f->names + f->offs[f->next++];
		if ((rc = join(&w->path, f->path_len, name)) < 0 || (rc = join(&w->host, f->host_len, name)) < 0)
			return rc;
		if (w->path.size > LIMG__TAR_PATH_MAX)
			/* the reason first: the path itself is long enough to be cut off */
			return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_FILE, w->host.ptr,
			                             "a path in the image would be longer than 4095 bytes: %s", w->host.ptr);
		if (fstatat(f->fd, name, &e->st, AT_SYMLINK_NOFOLLOW) < 0)
			return sys_error(w->host.ptr, "cannot stat");
		if (S_ISSOCK(e->st.st_mode))
			continue; /* a tar cannot hold a socket (GNU tar leaves them out too) */
		e->path = w->path.ptr;
		e->host = w->host.ptr;
		e->dirfd = f->fd;
		e->name = name;
		if (S_ISDIR(e->st.st_mode)) {
			struct stat st;
			int fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return sys_error(w->host.ptr, "cannot open the directory");
			if (fstat(fd, &st) < 0 || st.st_dev != e->st.st_dev || st.st_ino != e->st.st_ino) {
				close(fd);
				return error_at(LIMG_ECONFLICT, w->host.ptr, "changed while it was read (replaced)");
			}
			if ((rc = push(w, fd, &st)) < 0)
				return rc;
			/* the parent's descriptor may have been given up; the entry's name is the new top's path */
			e->dirfd = w->frames[w->depth - 2].fd;
			e->name = e->dirfd >= 0 ? name : NULL;
			e->fd = fd;
			e->path = w->path.ptr;
			e->host = w->host.ptr;
		}
		return 0;
	}
}

void limg__walk_free(limg__walk *w)
{
	if (!w)
		return;
	while (w->depth)
		frame_dispose(&w->frames[--w->depth]);
	limg__free(w->frames);
	limg_buf_dispose(&w->path);
	limg_buf_dispose(&w->host);
	limg__free(w);
}

int limg__walk_open_file(int *out, struct stat *st, const limg__walk_entry *e)
{
	int fd;

	*out = -1;
	/* O_NONBLOCK: if a FIFO took the file's place, opening it must not wait */
	fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return sys_error(e->host, "cannot read");
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_dev != e->st.st_dev || st->st_ino != e->st.st_ino) {
		close(fd);
		return error_at(LIMG_ECONFLICT, e->host, "changed while it was read (replaced)");
	}
	*out = fd;
	return 0;
}

int limg__walk_xattrs(limg_buf *buf, limg__tar_xattr *out, size_t cap, size_t *n, int dirfd, const char *name,
                      int fd, const char *host)
{
	char list[XATTR_LIST_MAX_BYTES], proc[64];
	char *value = NULL;
	ssize_t len;
	size_t offs[2 * 256];
	int rc = 0;

	*n = 0;
	buf->size = 0;
	if (cap > sizeof offs / sizeof *offs / 2)
		cap = sizeof offs / sizeof *offs / 2;
	if (fd < 0) {
		/* a symlink or a device: named through the directory's descriptor */
		snprintf(proc, sizeof proc, "/proc/self/fd/%d/", dirfd);
		if (limg__buf_put(buf, proc, strlen(proc)) < 0 || limg__buf_put(buf, name, strlen(name) + 1) < 0)
			return limg__error_oom();
		len = llistxattr(buf->ptr, list, sizeof list);
		buf->size = 0;
	} else {
		len = flistxattr(fd, list, sizeof list);
	}
	if (len < 0) {
		if (errno == ENOTSUP || errno == ENOENT || errno == ENODATA)
			return 0; /* no xattrs here (or no /proc to name a symlink through) */
		return sys_error(host, "cannot list extended attributes");
	}
	if (!(value = limg__malloc(XATTR_VALUE_MAX)))
		return limg__error_oom();
	for (char *k = list; k < list + len && rc == 0; k += strlen(k) + 1) {
		ssize_t vlen;
		if (!strcmp(k, "security.selinux"))
			continue; /* the host's labels, not the image's */
		if (*n == cap) {
			rc = error_at(LIMG_ETOOBIG, host, "more extended attributes than a layer entry may carry");
			break;
		}
		if (fd >= 0) {
			vlen = fgetxattr(fd, k, value, XATTR_VALUE_MAX);
		} else {
			char path[4200];
			snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
			vlen = lgetxattr(path, k, value, XATTR_VALUE_MAX);
		}
		if (vlen < 0) {
			if (errno == ENODATA)
				continue; /* removed since it was listed */
			rc = sys_error(host, "cannot read an extended attribute");
			break;
		}
		offs[2 * *n] = buf->size;
		if (limg__buf_put(buf, k, strlen(k) + 1) < 0) {
			rc = limg__error_oom();
			break;
		}
		offs[2 * *n + 1] = buf->size;
		if (limg__buf_put(buf, value, (size_t)vlen) < 0) {
			rc = limg__error_oom();
			break;
		}
		out[*n].len = (size_t)vlen;
		(*n)++;
	}
	limg__free(value);
	/* pointers last: the buffer may have moved while it grew */
	for (size_t i = 0; i < *n; i++) {
		out[i].name = buf->ptr + offs[2 * i];
		out[i].value = buf->ptr + offs[2 * i + 1];
	}
	return rc;
}
