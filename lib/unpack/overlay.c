/* SPDX-License-Identifier: MIT */
/*
 * The merged view of a layer's own directory over the lower layers'
 * directories, as overlayfs shows it: a name is what the topmost layer
 * holding it says; a whiteout (0/0 character device) hides it and what is
 * below; a directory merges with the directories below it down to the
 * first opaque one or the first layer where the name is no directory.
 * Every step is an *at call with O_NOFOLLOW on a directory descriptor of
 * one layer: a symlink is read, never followed by the kernel, and its
 * target is resolved again from the merged root (".." stops there), as
 * resolve.c does in a single root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/core.h"
#include "overlay.h"

#define PATH_CAP 4096
#define LINKS_MAX 40

bool limg__overlay_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool limg__overlay_is_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, LIMG_OVERLAY_OPAQUE_XATTR, v, sizeof v);

	if (n < 0)
		n = fgetxattr(fd, LIMG_OVERLAY_OPAQUE_USER_XATTR, v, sizeof v);
	return n == 1 && v[0] == 'y';
}

/* Rootless: a directory copied up with a mode that shuts its owner out
 * (0555, 0000) stays open to us until the layer's end, as one the layer
 * makes does: this layer is about to write beneath it. 0 or -errno. */
static int open_copied_up(limg__applier *a, const char *path, int fd)
{
	struct stat st;

	if (a->privileged)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_mode & 0700) == 0700)
		return 0;
	if (limg__apply_hold_mode(a, path, fd, st.st_mode & 07777) < 0)
		return -ENOMEM;
	return fchmod(fd, (st.st_mode & 07777) | 0700) < 0 ? -errno : 0;
}

/* The directories of one path in every layer that merges there, topmost first. */
typedef struct {
	int *fd;
	size_t *layer; /* 0: the layer's own directory */
	size_t n;
} cursor;

static void cursor_close(cursor *c)
{
	for (size_t i = 0; i < c->n; i++)
		close(c->fd[i]);
	c->n = 0;
}

static void cursor_free(cursor *c)
{
	cursor_close(c);
	limg__free(c->fd);
	limg__free(c->layer);
	c->fd = NULL;
	c->layer = NULL;
}

/* The roots of layers @from.. of @a. */
static int cursor_root(cursor *c, const limg__applier *a, size_t from)
{
	size_t total = a->nlowers + 1;

	cursor_close(c);
	if (!c->fd) {
		c->fd = limg__calloc(total, sizeof *c->fd);
		c->layer = limg__calloc(total, sizeof *c->layer);
		if (!c->fd || !c->layer)
			return -ENOMEM;
	}
	for (size_t i = from; i < total; i++) {
		int fd = dup(i ? a->lowers[i - 1] : a->root);
		if (fd < 0)
			return -errno;
		c->fd[c->n] = fd;
		c->layer[c->n++] = i;
	}
	return 0;
}

enum step { STEP_DIR, STEP_LINK, STEP_OTHER };

/* Looks @name up in the cursor's directory. A directory: the cursor moves
 * into it. A symlink: its target goes to @link. *@st and *@top (the layer
 * index) describe the topmost entry. 0 or -ENOENT. */
static int cursor_step(cursor *c, const char *name, struct stat *st, size_t *top, char *link, size_t cap,
                       enum step *kind)
{
	int nfd[c->n + 1];
	size_t nlayer[c->n + 1], next = 0;
	bool found = false;
	struct stat s;

	for (size_t k = 0; k < c->n; k++) {
		int fd;
		if (fstatat(c->fd[k], name, &s, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (limg__overlay_is_whiteout(&s))
			break;
		if (!found) {
			found = true;
			*st = s;
			*top = c->layer[k];
			if (S_ISLNK(s.st_mode)) {
				ssize_t n = readlinkat(c->fd[k], name, link, cap - 1);
				if (n < 0)
					return -errno;
				link[n] = '\0';
				*kind = STEP_LINK;
				return 0;
			}
			if (!S_ISDIR(s.st_mode)) {
				*kind = STEP_OTHER;
				return 0;
			}
		} else if (!S_ISDIR(s.st_mode)) {
			break;
		}
		if ((fd = openat(c->fd[k], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			break;
		nfd[next] = fd;
		nlayer[next++] = c->layer[k];
		if (limg__overlay_is_opaque(fd))
			break;
	}
	if (!found)
		return -ENOENT;
	/* the directories that merge here replace their parents */
	cursor_close(c);
	for (size_t k = 0; k < next; k++) {
		c->fd[k] = nfd[k];
		c->layer[k] = nlayer[k];
	}
	c->n = next;
	*kind = STEP_DIR;
	return 0;
}

/* Appends component @comp (of @len bytes) to the path @done. */
static int append(char *done, const char *comp, size_t len)
{
	size_t at = strlen(done);

	if (at + len + 2 > PATH_CAP)
		return -ENAMETOOLONG;
	if (at)
		done[at++] = '/';
	memcpy(done + at, comp, len);
	done[at + len] = '\0';
	return 0;
}

static void pop(char *done)
{
	char *slash = strrchr(done, '/');

	if (slash)
		*slash = '\0';
	else
		*done = '\0';
}

/* The link-free path @path leads to in the merged view (symlinks of any
 * layer followed, absolute ones from the merged root, ".." stopping
 * there); components that do not exist are kept as written. Leaves @c at
 * the deepest directory reached. 0 or -errno (ENOTDIR: a component is a
 * file; ELOOP; ENAMETOOLONG). */
static int merged_resolve(const limg__applier *a, cursor *c, const char *path, char *out)
{
	char work[PATH_CAP], link[PATH_CAP], rest[PATH_CAP];
	int links = 0, rc;

	if (strlen(path) >= sizeof work)
		return -ENAMETOOLONG;
	snprintf(work, sizeof work, "%s", path);
restart:
	if ((rc = cursor_root(c, a, 0)) < 0)
		return rc;
	out[0] = '\0';
	for (const char *p = work; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *after = end ? end + 1 : p + len;
		char name[NAME_MAX + 1];
		struct stat st;
		size_t top;
		enum step kind;

		if (len == 0 || (len == 1 && p[0] == '.')) {
			p = after;
			continue;
		}
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* back up: walk the link-free path again from the root */
			pop(out);
			snprintf(rest, sizeof rest, "%s", after);
			if (snprintf(work, sizeof work, "%s%s%s", out, *out && *rest ? "/" : "", rest) >= (int)sizeof work)
				return -ENAMETOOLONG;
			goto restart;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		rc = cursor_step(c, name, &st, &top, link, sizeof link, &kind);
		if (rc == -ENOENT) {
			/* the rest does not exist: kept as written, ".." taken lexically */
			cursor_close(c);
			for (; *p; p = after) {
				end = strchr(p, '/');
				len = end ? (size_t)(end - p) : strlen(p);
				after = end ? end + 1 : p + len;
				if (len == 0 || (len == 1 && p[0] == '.'))
					continue;
				if (len == 2 && p[0] == '.' && p[1] == '.')
					pop(out);
				else if ((rc = append(out, p, len)) < 0)
					return rc;
			}
			return 0;
		}
		if (rc < 0)
			return rc;
		if (kind == STEP_OTHER)
			return -ENOTDIR;
		if (kind == STEP_LINK) {
			if (++links > LINKS_MAX)
				return -ELOOP;
			snprintf(rest, sizeof rest, "%s", after);
			if (link[0] == '/')
				rc = snprintf(work, sizeof work, "%s/%s", link, rest);
			else
				rc = snprintf(work, sizeof work, "%s/%s/%s", out, link, rest);
			if (rc >= (int)sizeof work)
				return -ENAMETOOLONG;
			goto restart;
		}
		if ((rc = append(out, name, len)) < 0)
			return rc;
		p = after;
	}
	return 0;
}

/* Whether the lower layers have a directory at the link-free @path: *@fd
 * receives the topmost one. 0, or -ENOENT. */
static int lower_dir(const limg__applier *a, const char *path, int *fd)
{
	cursor c = { 0 };
	char name[NAME_MAX + 1], link[8];
	struct stat st;
	size_t top;
	enum step kind = STEP_DIR;
	int rc;

	*fd = -1;
	if ((rc = cursor_root(&c, a, 1)) < 0)
		goto out;
	for (const char *p = path; *p && rc == 0;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p = end ? end + 1 : p + len;
		if ((rc = cursor_step(&c, name, &st, &top, link, sizeof link, &kind)) == 0 && kind != STEP_DIR)
			rc = -ENOENT;
	}
	if (rc == 0 && c.n == 0)
		rc = -ENOENT;
	if (rc == 0 && (*fd = dup(c.fd[0])) < 0)
		rc = -errno;
out:
	cursor_free(&c);
	return rc;
}

int limg__overlay_resolve_dir(limg__applier *a, const char *path, limg__created_cb created, void *payload, int *out)
{
	char resolved[PATH_CAP], sofar[PATH_CAP] = "";
	cursor c = { 0 };
	int fd, rc;

	*out = -1;
	rc = merged_resolve(a, &c, path, resolved);
	cursor_free(&c);
	if (rc < 0)
		return rc;
	if ((fd = dup(a->root)) < 0)
		return -errno;
	/* beneath a directory of this layer that is opaque, nothing of the lower layers shows: nothing is copied up */
	bool hidden = false;
	for (const char *p = resolved; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[NAME_MAX + 1];
		struct stat st;
		int child, lower;

		memcpy(name, p, len);
		name[len] = '\0';
		p = end ? end + 1 : p + len;
		append(sofar, name, len);
		if ((child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			close(fd);
			fd = child;
			hidden = hidden || limg__overlay_is_opaque(fd);
			continue;
		}
		rc = errno;
		if (rc != ENOENT && rc != ENOTDIR && rc != ELOOP)
			goto fail;
		if (!created) {
			rc = ENOENT;
			goto fail;
		}
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* this layer whited the name out and now makes a directory
			 * there: a new one, which nothing below shows through */
			if (!limg__overlay_is_whiteout(&st)) {
				rc = ENOTDIR;
				goto fail;
			}
			if (unlinkat(fd, name, 0) < 0 || mkdirat(fd, name, 0755) < 0 ||
			    (child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				rc = errno;
				goto fail;
			}
			if (fsetxattr(child, limg__overlay_opaque_xattr(a), "y", 1, 0) < 0) {
				rc = errno;
				close(child);
				goto fail;
			}
			close(fd);
			fd = child;
			hidden = true;
			if ((rc = -created(sofar, payload)) > 0)
				goto fail;
			continue;
		}
		if (mkdirat(fd, name, 0755) < 0 ||
		    (child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = errno;
			goto fail;
		}
		close(fd);
		fd = child;
		if (!hidden && lower_dir(a, sofar, &lower) == 0) {
			/* copied up: as the lower layer has it, times kept to the layer's end */
			rc = -limg__clone_dir_meta(lower, fd);
			close(lower);
			if (rc > 0 || (rc = -open_copied_up(a, sofar, fd)) > 0)
				goto fail;
			if (limg__apply_keep_times(a, fd, sofar) < 0) {
				rc = ENOMEM;
				goto fail;
			}
		} else if ((rc = -created(sofar, payload)) > 0) {
			goto fail;
		}
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return -rc;
}

int limg__overlay_lookup(limg__applier *a, const char *dir, const char *name, struct stat *st, bool *own)
{
	char resolved[PATH_CAP], link[PATH_CAP];
	cursor c = { 0 };
	size_t top = 0;
	enum step kind;
	int rc;

	if ((rc = merged_resolve(a, &c, dir, resolved)) == 0)
		rc = cursor_step(&c, name, st, &top, link, sizeof link, &kind);
	cursor_free(&c);
	if (rc == 0)
		*own = top == 0;
	return rc;
}

int limg__overlay_copy_up(limg__applier *a, const char *dir, const char *name, int *fd)
{
	char resolved[PATH_CAP], link[PATH_CAP];
	cursor c = { 0 };
	struct stat st;
	size_t top = 0;
	enum step kind = STEP_OTHER;
	int from = -1, rc;

	*fd = -1;
	if ((rc = merged_resolve(a, &c, dir, resolved)) == 0 &&
	    (rc = cursor_step(&c, name, &st, &top, link, sizeof link, &kind)) == 0 && kind == STEP_DIR)
		rc = -ENOENT; /* no hard link to a directory */
	if (rc == 0 && top != 0) {
		/* the directory of the layer that has it, before the cursor moves on */
		for (size_t k = 0; k < c.n; k++)
			if (c.layer[k] == top && (from = dup(c.fd[k])) < 0)
				rc = -errno;
		if (rc == 0 && from < 0)
			rc = -ENOENT;
	}
	cursor_free(&c);
	if (rc == 0)
		rc = limg__overlay_resolve_dir(a, resolved, limg__apply_record_upper, a, fd);
	if (rc == 0 && top != 0 && (rc = limg__clone_node(from, name, &st, *fd, name)) < 0) {
		close(*fd);
		*fd = -1;
	}
	if (from >= 0)
		close(from);
	return rc;
}

/* The xattrs of @from (a descriptor, or with @name a node beneath it read
 * through /proc) given to @to, overlayfs' own left out. */
static int clone_xattrs(int from, int to)
{
	char names[65536], value[65536];
	ssize_t n = flistxattr(from, names, sizeof names);

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t v;
		if (!strncmp(k, "trusted.overlay.", 16) || !strncmp(k, "user.overlay.", 13))
			continue;
		if ((v = fgetxattr(from, k, value, sizeof value)) < 0)
			return -errno;
		if (fsetxattr(to, k, value, (size_t)v, 0) < 0 && errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

int limg__clone_dir_meta(int from, int to)
{
	struct stat st;
	struct timespec times[2];
	int rc;

	if (fstat(from, &st) < 0)
		return -errno;
	/* owner first: chown clears security.capability and setuid */
	if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
		return -errno;
	if ((rc = clone_xattrs(from, to)) < 0)
		return rc;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	return futimens(to, times) < 0 ? -errno : 0;
}

static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A regular file's bytes: a reflink where the file system shares extents
 * (btrfs, xfs), else copy_file_range (which may share them too), else reads. */
static int clone_data(int in, int out, off_t size)
{
	char buf[65536];
	off_t done = 0;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while (done < size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* shorter than it said: changed beneath us */
		done += n;
	}
	if (lseek(in, done, SEEK_SET) < 0 || lseek(out, done, SEEK_SET) < 0)
		return -errno;
	while (done < size) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (write_full(out, buf, (size_t)n) < 0)
			return -errno;
		done += n;
	}
	return 0;
}

int limg__clone_node(int from, const char *name, const struct stat *st, int to, const char *to_name)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int in = -1, out = -1, rc = 0;

	if (S_ISREG(st->st_mode)) {
		if ((in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
		if ((out = openat(to, to_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
			rc = -errno;
			goto out;
		}
		if ((rc = clone_data(in, out, st->st_size)) < 0)
			goto out;
		/* owner first: chown clears security.capability and setuid */
		if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0) {
			rc = -errno;
			goto out;
		}
		if ((rc = clone_xattrs(in, out)) == 0 && futimens(out, times) < 0)
			rc = -errno;
		goto out;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_CAP];
		ssize_t n = readlinkat(from, name, target, sizeof target - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, to, to_name) < 0 || fchownat(to, to_name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(to, to_name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return 0;
	}
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
		/* the node's mode is set on the name: it is no symlink, just made */
		if (mknodat(to, to_name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0 ||
		    fchownat(to, to_name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(to, to_name, st->st_mode & 07777, 0) < 0 || utimensat(to, to_name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return 0;
	}
	return 0; /* sockets: not for images */
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}
