/* SPDX-License-Identifier: MIT */
/* File helpers: crash-safe writes, locks and bounded reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "fs.h"

int limg__fs_error(const char *what, const char *path)
{
	int e = errno;
	int code = LIMG_ESYSTEM;

	if (e == ENOSPC || e == EDQUOT || e == EFBIG)
		code = LIMG_ENOSPACE;
	else if (e == ENOENT)
		code = LIMG_ENOTFOUND;
	return limg__error_set(code, "%s %s: %s", what, path, strerror(e));
}

int limg__fs_join(limg_buf *out, const char *a, const char *b)
{
	out->size = 0;
	if (limg__buf_put(out, a, strlen(a)) < 0 || limg__buf_put(out, "/", 1) < 0 ||
	    limg__buf_put(out, b, strlen(b)) < 0)
		return LIMG_ENOMEM;
	return 0;
}

int limg__fs_mkdirs(const char *path)
{
	char *p = limg__strdup(path);
	int rc = 0;

	if (!p)
		return limg__error_oom();
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				rc = limg__fs_error("cannot create directory", p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	limg__free(p);
	return rc;
}

int limg__fs_write_all(int fd, const void *data, size_t len, const char *path)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return limg__fs_error("cannot write", path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *kind_of(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a directory" : S_ISSOCK(mode) ? "a socket"
	       : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a regular file";
}

/* The rest of the regular file @fd (of @st, named @label) into @out, bounded by
 * @max however the file grows while it is read; closes @fd. */
static int read_regular(limg_buf *out, int fd, const struct stat *st, size_t max, const char *label)
{
	size_t got = 0;
	int rc = 0;

	if ((uint64_t)st->st_size > max) {
		rc = limg__error_set(LIMG_ETOOBIG, "%s is %lld bytes, over the limit of %zu", label, (long long)st->st_size,
		                     max);
		goto out;
	}
	if ((rc = limg__buf_grow(out, (size_t)st->st_size + 1)) < 0)
		goto out;
	for (;;) {
		ssize_t n;
		if (got + 1 >= out->reserved && (rc = limg__buf_grow(out, got + 4096)) < 0)
			goto out;
		n = read(fd, out->ptr + got, out->reserved - got - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = limg__fs_error("cannot read", label);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			rc = limg__error_set(LIMG_ETOOBIG, "%s grew over the limit of %zu bytes", label, max);
			goto out;
		}
	}
	out->size = got;
	out->ptr[got] = '\0';
out:
	close(fd);
	return rc;
}

int limg__fs_read(limg_buf *out, const char *path, size_t max)
{
	struct stat st;
	/* never waits on what is there: a FIFO would block the open until a writer came */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int rc;

	out->size = 0;
	if (fd < 0)
		return limg__fs_error("cannot open", path);
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, path, "%s is %s, not a regular file", path,
		                           kind_of(st.st_mode));
		close(fd);
		return rc;
	}
	return read_regular(out, fd, &st, max, path);
}

void limg__fs_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}

/* ---- beneath a directory descriptor ---------------------------------- */

int limg__fs_open_dir_at(int *out, int dirfd, const char *name, bool create, const char *label)
{
	int fd;

	*out = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			*out = fd;
			return 0;
		}
		if (errno == ENOENT && create && attempt == 0) {
			if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
				return limg__fs_error("cannot create directory", label);
			continue;
		}
		break;
	}
	if (errno == ELOOP || errno == ENOTDIR)
		return limg__error_set(LIMG_ECORRUPT, "%s is not a directory (a symlink or a file there is refused)", label);
	return limg__fs_error("cannot open directory", label);
}

int limg__fs_open_regular_at(int *out, int dirfd, const char *name, const char *label)
{
	struct stat st;
	int fd;

	*out = -1;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return limg__error_set(LIMG_ECORRUPT, "%s is a symlink, which is refused", label);
		return limg__fs_error("cannot open", label);
	}
	if (fstat(fd, &st) < 0) {
		int rc = limg__fs_error("cannot stat", label);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", label);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*out = fd;
	return 0;
}

int limg__fs_read_at(limg_buf *out, int dirfd, const char *name, size_t max, const char *label)
{
	struct stat st;
	int fd, rc;

	out->size = 0;
	if ((rc = limg__fs_open_regular_at(&fd, dirfd, name, label)) < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", label);
		close(fd);
		return rc;
	}
	return read_regular(out, fd, &st, max, label);
}

static void random_suffix(char *dst, size_t n)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[16];

	if (n > sizeof r)
		n = sizeof r;
	if (getentropy(r, n) < 0) {
		/* no entropy source: time and address still make clashes unlikely; O_EXCL catches them */
		uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)dst ^ ((uint64_t)getpid() << 32);
		for (size_t i = 0; i < n; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
			r[i] = (unsigned char)(x >> 56);
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = chars[r[i] % (sizeof chars - 1)];
}

#define UNIQUE_SUFFIX 6

int limg__fs_create_unique_at(int *out, int dirfd, const char *prefix, char *name, size_t cap, const char *label)
{
	size_t n = strlen(prefix);

	*out = -1;
	if (n + UNIQUE_SUFFIX + 1 > cap)
		return limg__error_set(LIMG_EINVALID, "file name too long under %s", label);
	memcpy(name, prefix, n);
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd;
		random_suffix(name + n, UNIQUE_SUFFIX);
		name[n + UNIQUE_SUFFIX] = '\0';
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			*out = fd;
			return 0;
		}
		if (errno != EEXIST)
			return limg__fs_error("cannot create a file in", label);
	}
	return limg__error_set(LIMG_ESYSTEM, "cannot create a unique file name in %s", label);
}

int limg__fs_mkdir_unique_at(int *out, int dirfd, const char *prefix, char *name, size_t cap, const char *label)
{
	size_t n = strlen(prefix);

	*out = -1;
	if (n + UNIQUE_SUFFIX + 1 > cap)
		return limg__error_set(LIMG_EINVALID, "file name too long under %s", label);
	memcpy(name, prefix, n);
	for (int attempt = 0; attempt < 100; attempt++) {
		random_suffix(name + n, UNIQUE_SUFFIX);
		name[n + UNIQUE_SUFFIX] = '\0';
		if (mkdirat(dirfd, name, 0700) == 0)
			return limg__fs_open_dir_at(out, dirfd, name, false, label);
		if (errno != EEXIST)
			return limg__fs_error("cannot create a directory in", label);
	}
	return limg__error_set(LIMG_ESYSTEM, "cannot create a unique directory name in %s", label);
}

bool limg__fs_is_unique_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || strlen(name) != n + UNIQUE_SUFFIX)
		return false;
	for (const char *p = name + n; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

int limg__fs_sync_fd(int fd, const char *label)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return limg__fs_error("cannot flush", label);
	return 0;
}

int limg__fs_write_at(int dirfd, const char *name, const void *data, size_t len, bool durable, const char *label)
{
	char tmp[512], prefix[256];
	int fd, rc;

	if (snprintf(prefix, sizeof prefix, "%s.tmp-", name) >= (int)sizeof prefix)
		return limg__error_set(LIMG_EINVALID, "file name too long: %s", label);
	if ((rc = limg__fs_create_unique_at(&fd, dirfd, prefix, tmp, sizeof tmp, label)) < 0)
		return rc;
	if ((rc = limg__fs_write_all(fd, data, len, label)) < 0)
		goto fail;
	if (durable && fsync(fd) < 0) {
		rc = limg__fs_error("cannot flush", label);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = limg__fs_error("cannot replace", label);
		goto fail;
	}
	return durable ? limg__fs_sync_fd(dirfd, label) : 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return rc;
}

int limg__fs_lock_at(int *fd, int dirfd, const char *name, bool exclusive, bool wait, const char *label)
{
	int f = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	*fd = -1;
	if (f < 0 && errno == EACCES) /* another user's store: a read-only lock file still locks */
		f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0)
		return errno == ELOOP ? limg__error_set(LIMG_ECORRUPT, "%s is a symlink, which is refused", label)
		                      : limg__fs_error("cannot open lock", label);
	while (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && !wait) {
			close(f);
			return LIMG_EEXISTS;
		}
		int rc = limg__fs_error("cannot lock", label);
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

/* Depth-first removal; each directory is opened beneath its parent with
 * O_NOFOLLOW, so a symlink swapped in mid-way is removed, never entered. */
static int remove_tree(int parent, const char *name, int depth, const char *label)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return limg__fs_error("cannot remove", label);
	if (depth > 4096)
		return limg__error_set(LIMG_ESYSTEM, "cannot remove %s: nested too deeply", label);
	/* a directory of ours that shuts its owner out (0000, 0555: a rootless
	 * unpack keeps an image's modes) is opened up to be emptied */
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0700) != 0700)
		fchmodat(parent, name, (st.st_mode & 07777) | 0700, 0);
	if ((fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : limg__fs_error("cannot open directory", label);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return limg__fs_error("cannot list", label);
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rc = remove_tree(dirfd(d), e->d_name, depth + 1, label);
	}
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = limg__fs_error("cannot remove directory", label);
	return rc;
}

int limg__fs_remove_tree_at(int dirfd, const char *name, const char *label)
{
	return remove_tree(dirfd, name, 0, label);
}
