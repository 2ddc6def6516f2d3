/* SPDX-License-Identifier: MIT */
/*
 * A digest of a snapshot's tree, so that fsck can tell whether anything
 * in it changed since it was made: every entry in name order with its
 * type, mode, owner, size, modification time, device numbers, link target,
 * xattrs and (for files) the sha256 of its bytes. Directories are opened
 * beneath their parent with O_NOFOLLOW: a symlink is hashed, never followed.
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

#include "core/core.h"
#include "libimage/digest.h"
#include "snapshot_internal.h"

#define DEPTH_MAX 1024

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in the directory @fd (not . and ..). */
static int list(int fd, char ***out, size_t *n)
{
	size_t cap = 0;
	struct dirent *e;
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (limg__array_grow((void **)out, &cap, *n + 1, sizeof **out) < 0 || !((*out)[*n] = limg__strdup(e->d_name))) {
			closedir(d);
			return -ENOMEM;
		}
		++*n;
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, by_name);
	return 0;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		limg__free(names[i]);
	limg__free(names);
}

static int hash_xattrs(limg_hasher *h, const char *proc)
{
	char names[65536], value[65536];
	char *keys[1024];
	size_t nk = 0;
	ssize_t n = llistxattr(proc, names, sizeof names);

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n && nk < 1024; k += strlen(k) + 1)
		keys[nk++] = k;
	qsort(keys, nk, sizeof *keys, by_name);
	for (size_t i = 0; i < nk; i++) {
		ssize_t v = lgetxattr(proc, keys[i], value, sizeof value);
		if (v < 0)
			return -errno;
		limg_hasher_update(h, keys[i], strlen(keys[i]) + 1);
		limg_hasher_update(h, value, (size_t)v);
		limg_hasher_update(h, "\n", 1);
	}
	return 0;
}

static int hash_file(limg_hasher *h, int dir, const char *name)
{
	char buf[65536];
	limg_hasher *f = NULL;
	const char *d;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if ((rc = limg_hasher_new(&f, LIMG_DIGEST_SHA256)) < 0) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		limg_hasher_update(f, buf, (size_t)n);
	}
	if (rc == 0 && limg_hasher_finish(&d, f) == 0)
		limg_hasher_update(h, d, strlen(d));
	limg_hasher_free(f);
	close(fd);
	return rc;
}

static int walk(limg_hasher *h, int dir, const char *path, int depth, char *failed)
{
	char **names, line[8600], proc[64], sub[4200] = "", target[4200];
	size_t n;
	int rc;

	if (depth > DEPTH_MAX)
		return -ELOOP;
	if ((rc = list(dir, &names, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		int fd, len;
		snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
		if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		len = snprintf(line, sizeof line, "%s%c%o %u %u %lld %lld.%09ld %llu\n", sub, 0, st.st_mode, st.st_uid,
		               st.st_gid, S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL,
		               S_ISLNK(st.st_mode) ? 0LL : (long long)st.st_mtim.tv_sec,
		               S_ISLNK(st.st_mode) ? 0L : st.st_mtim.tv_nsec, (unsigned long long)st.st_rdev);
		limg_hasher_update(h, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
		if (S_ISLNK(st.st_mode)) {
			ssize_t t = readlinkat(dir, names[i], target, sizeof target - 1);
			if (t < 0) {
				rc = -errno;
				break;
			}
			limg_hasher_update(h, target, (size_t)t);
			continue; /* a symlink's xattrs: not through /proc, which would follow it */
		}
		if ((fd = openat(dir, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = -errno;
			break;
		}
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		rc = hash_xattrs(h, proc);
		close(fd);
		if (rc < 0)
			break;
		if (S_ISREG(st.st_mode)) {
			rc = hash_file(h, dir, names[i]);
		} else if (S_ISDIR(st.st_mode)) {
			if ((fd = openat(dir, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				rc = -errno;
				break;
			}
			rc = walk(h, fd, sub, depth + 1, failed);
			close(fd);
		}
	}
	if (rc < 0 && !*failed)
		limg__quote(failed, 4200, sub, strlen(sub)); /* the entry it stopped at (a layer's name: quoted) */
	free_list(names, n);
	return rc;
}

int limg__snapshot_tree(char out[LIMG_CHAIN_MAX], int fd, const char *label)
{
	limg_hasher *h = NULL;
	char proc[64], line[128], failed[4200] = "";
	const char *d;
	struct stat st;
	int rc;

	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		return rc;
	/* the root's own facts, then everything beneath it */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else {
		int len = snprintf(line, sizeof line, "%o %u %u %lld.%09ld\n", st.st_mode, st.st_uid, st.st_gid,
		                   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		limg_hasher_update(h, line, (size_t)len);
		if ((rc = hash_xattrs(h, proc)) == 0)
			rc = walk(h, fd, "", 0, failed);
	}
	if (rc < 0) {
		limg_hasher_free(h);
		return limg__error_set(rc == -ENOMEM ? LIMG_ENOMEM : LIMG_ESYSTEM, "cannot read the tree of %s%s%s: %s",
		                       label, *failed ? " at " : "", failed, strerror(-rc));
	}
	if ((rc = limg_hasher_finish(&d, h)) == 0)
		snprintf(out, LIMG_CHAIN_MAX, "%s", d);
	limg_hasher_free(h);
	return rc;
}
