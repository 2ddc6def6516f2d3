/* SPDX-License-Identifier: MIT */
/* Resolving paths beneath a root, in the kernel or by a careful walk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "tar/path.h"
#include "resolve.h"

#define SYMLINKS_MAX 40 /* as the kernel's ELOOP */
#define PATH_CAP 4096

static atomic_bool force_walk, no_openat2;

void limg__resolve_force_walk(bool on)
{
	atomic_store(&force_walk, on);
}

int limg__clean_name(const char *name, char *out, size_t cap)
{
	return limg__path_clean(name, out, cap, NAME_MAX);
}

const char *limg__split_path(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		dir[0] = '\0';
		return path;
	}
	snprintf(dir, cap, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

/* openat2 beneath @root; -errno on failure, -ENOSYS where the kernel lacks it. */
static int open_in_root(int root, const char *path)
{
	struct open_how how;
	long fd;

	if (atomic_load(&no_openat2) || atomic_load(&force_walk))
		return -ENOSYS;
	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	do
		fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* no openat2 (or a seccomp filter refusing it): the walk from now on */
		if (errno == ENOSYS)
			atomic_store(&no_openat2, true);
		return -ENOSYS;
	}
	return fd < 0 ? -errno : (int)fd;
}

/* The walk: a stack of directory descriptors from the root, each component
 * opened with O_NOFOLLOW; a symlink's target is spliced into what is left
 * to walk (an absolute one from the root). */
static int walk(int root, const char *path)
{
	int stack[PATH_CAP / 2 + 2], depth = 0, links = 0, rc = 0;
	char todo[PATH_CAP * 2], *p;

	if (strlen(path) >= sizeof todo)
		return -ENAMETOOLONG;
	strcpy(todo, path);
	if ((stack[0] = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	p = todo;
	while (*p) {
		char comp[256], target[PATH_CAP];
		size_t n = strcspn(p, "/");
		int fd;
		struct stat st;
		ssize_t len;

		if (n >= sizeof comp) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		while (*p == '/')
			p++;
		if (!n || !strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (depth) /* at the root, ".." is the root */
				close(stack[depth--]);
			continue;
		}
		fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = -errno;
			if (fd >= 0)
				close(fd);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			if ((fd = openat(stack[depth], comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				rc = -errno;
				break;
			}
			if (depth + 1 >= (int)(sizeof stack / sizeof stack[0])) {
				close(fd);
				rc = -ENAMETOOLONG;
				break;
			}
			stack[++depth] = fd;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(fd);
			rc = -ENOTDIR;
			break;
		}
		len = readlinkat(stack[depth], comp, target, sizeof target - 1);
		close(fd);
		if (len < 0 || ++links > SYMLINKS_MAX) {
			rc = len < 0 ? -errno : -ELOOP;
			break;
		}
		target[len] = '\0';
		if (strlen(target) + 1 + strlen(p) >= sizeof todo) {
			rc = -ENAMETOOLONG;
			break;
		}
		/* what is left is the link's target, then the rest */
		{
			char rest[PATH_CAP * 3 + 2];
			snprintf(rest, sizeof rest, "%s/%s", target, p);
			strcpy(todo, rest);
			p = todo;
		}
		if (target[0] == '/')
			while (depth)
				close(stack[depth--]);
	}
	if (rc < 0) {
		while (depth >= 0)
			close(stack[depth--]);
		return rc;
	}
	rc = stack[depth];
	while (depth > 0)
		close(stack[--depth]);
	return rc;
}

static int open_dir(int root, const char *path)
{
	int fd = open_in_root(root, path);
	return fd == -ENOSYS ? walk(root, path) : fd;
}

static int resolve(int root, const char *path, limg__created_cb created, void *payload, int *out, int depth)
{
	char prefix[PATH_CAP];
	size_t at = 0, n = strlen(path);
	int fd;

	if (n >= sizeof prefix)
		return -ENAMETOOLONG;
	if (depth > SYMLINKS_MAX)
		return -ELOOP;
	if ((fd = open_dir(root, path)) >= 0 || fd != -ENOENT || !created) {
		if (fd >= 0)
			*out = fd;
		return fd < 0 ? fd : 0;
	}
	/* make what is missing, one component at a time, each resolved afresh beneath the root */
	while (at < n) {
		char dir[PATH_CAP], target[PATH_CAP], next[PATH_CAP * 2 + 2], cleaned[PATH_CAP];
		const char *base;
		size_t end = at;
		ssize_t len;
		int parent, rc;

		while (end < n && path[end] != '/')
			end++;
		memcpy(prefix, path, end);
		prefix[end] = '\0';
		at = end + 1;
		if ((fd = open_dir(root, prefix)) >= 0) {
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			return fd;
		base = limg__split_path(prefix, dir, sizeof dir);
		if ((parent = open_dir(root, dir)) < 0)
			return parent;
		if (mkdirat(parent, base, 0755) == 0) {
			close(parent);
			if ((rc = created(prefix, payload)) != 0)
				return rc;
			continue;
		}
		if (errno != EEXIST) {
			rc = -errno;
			close(parent);
			return rc;
		}
		/* something is there that leads nowhere: a dangling symlink (a
		 * lower layer's var/run -> /run); the directory it names is made,
		 * inside the root, as a chroot would */
		len = readlinkat(parent, base, target, sizeof target - 1);
		close(parent);
		if (len < 0)
			return -ENOTDIR;
		target[len] = '\0';
		snprintf(next, sizeof next, "%s/%s/%s", target[0] == '/' ? "" : dir, target, at < n ? path + at : "");
		if (limg__path_clean_clamped(next, cleaned, sizeof cleaned) < 0)
			return -ENAMETOOLONG;
		return resolve(root, cleaned, created, payload, out, depth + 1);
	}
	if ((fd = open_dir(root, path)) < 0)
		return fd;
	*out = fd;
	return 0;
}

int limg__resolve_dir(int root, const char *path, limg__created_cb created, void *payload, int *out)
{
	*out = -1;
	return resolve(root, path, created, payload, out, 0);
}

/* A regular file beneath the root, opened O_PATH first so that nothing
 * else (a FIFO, a device) is ever opened for reading. */
int limg__resolve_file(int root, const char *path, int *out)
{
	char cur[PATH_CAP], dir[PATH_CAP], target[PATH_CAP], next[PATH_CAP * 2 + 2], proc[64];
	struct stat st;
	int fd = -1, rc;

	*out = -1;
	if (limg__path_clean_clamped(path, cur, sizeof cur) < 0)
		return -ENAMETOOLONG;
	for (int links = 0;; links++) {
		const char *base = limg__split_path(cur, dir, sizeof dir);
		ssize_t len;
		int dfd;

		if (links > SYMLINKS_MAX)
			return -ELOOP;
		if (!*base)
			return -EISDIR;
		if ((rc = limg__resolve_dir(root, dir, NULL, NULL, &dfd)) < 0)
			return rc;
		fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = -errno;
			if (fd >= 0)
				close(fd);
			close(dfd);
			return rc;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(dfd);
			break;
		}
		len = readlinkat(dfd, base, target, sizeof target - 1);
		close(dfd);
		close(fd);
		if (len < 0)
			return -errno;
		target[len] = '\0';
		snprintf(next, sizeof next, "%s/%s", target[0] == '/' ? "" : dir, target);
		if (limg__path_clean_clamped(next, cur, sizeof cur) < 0)
			return -ENAMETOOLONG;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	rc = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	rc = rc < 0 ? -errno : rc;
	close(fd);
	if (rc < 0)
		return rc;
	*out = rc;
	return 0;
}

int limg__resolve_path(int root, const char *path, char *out, size_t cap)
{
	/* the path still to walk, behind what is resolved so far: both as chroot would read them */
	char *todo = limg__malloc(PATH_CAP * 2), *next = limg__malloc(PATH_CAP * 2), link[PATH_CAP];
	size_t done = 0;
	int links = 0, rc = 0;

	if (!todo || !next) {
		limg__free(todo);
		limg__free(next);
		return -ENOMEM;
	}
	out[0] = '\0';
	if (limg__path_clean_clamped(path, todo, PATH_CAP * 2) < 0) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	while (*todo) {
		char *slash = strchr(todo, '/');
		size_t n = slash ? (size_t)(slash - todo) : strlen(todo);
		struct stat st;
		ssize_t len;

		if (done + 1 + n + 1 > cap) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		if (done)
			out[done++] = '/';
		memcpy(out + done, todo, n);
		out[done + n] = '\0';
		/* (every component before this one is a real directory: the path from the root stays inside) */
		if (fstatat(root, out, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) {
			/* absent (the runtime makes it), or no link: kept as it is */
			done += n;
			memmove(todo, slash ? slash + 1 : todo + n, strlen(slash ? slash + 1 : todo + n) + 1);
			continue;
		}
		if (++links > SYMLINKS_MAX) {
			rc = -ELOOP;
			goto out;
		}
		if ((len = readlinkat(root, out, link, sizeof link - 1)) < 0) {
			rc = -errno;
			goto out;
		}
		link[len] = '\0';
		/* the link's target replaces it: from the root when absolute, else from its directory */
		out[done ? done - 1 : 0] = '\0';
		done = done ? done - 1 : 0;
		if (snprintf(next, PATH_CAP * 2, "%s%s%s%s%s", link[0] == '/' ? "" : out, link[0] == '/' || !done ? "" : "/",
		             link, slash ? "/" : "", slash ? slash + 1 : "") >= PATH_CAP * 2 ||
		    limg__path_clean_clamped(next, todo, PATH_CAP * 2) < 0) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		done = 0;
		out[0] = '\0';
	}
out:
	limg__free(todo);
	limg__free(next);
	return rc;
}
