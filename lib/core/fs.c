/* File helpers: crash-safe writes, locks and bounded reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "fs.h"

int limg__fs_error(const char *what, const char *path)
{
	int e = errno;
	int code = LIMG_EOS;

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
	char *p = strdup(path);
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
	free(p);
	return rc;
}

int limg__fs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return limg__fs_error("cannot open directory", dir);
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = limg__fs_error("cannot flush directory", dir);
	close(fd);
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

static int write_replace(const char *path, const void *data, size_t len, bool durable);

int limg__fs_write_atomic(const char *path, const void *data, size_t len)
{
	return write_replace(path, data, len, true);
}

int limg__fs_write_replace(const char *path, const void *data, size_t len)
{
	return write_replace(path, data, len, false);
}

static int write_replace(const char *path, const void *data, size_t len, bool durable)
{
	limg_buf tmp = LIMG_BUF_INIT;
	char *dir = NULL, *slash;
	int fd = -1, rc;

	if ((rc = limg__buf_put(&tmp, path, strlen(path))) < 0 || (rc = limg__buf_put(&tmp, ".tmp-XXXXXX", 11)) < 0)
		goto out;
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		rc = limg__fs_error("cannot create", tmp.ptr);
		goto out;
	}
	if ((rc = limg__fs_write_all(fd, data, len, tmp.ptr)) < 0)
		goto out;
	if (fchmod(fd, 0644) < 0 || (durable && fsync(fd) < 0)) {
		rc = limg__fs_error("cannot flush", tmp.ptr);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		rc = limg__fs_error("cannot replace", path);
		goto out;
	}
	if (!durable)
		goto out;
	if (!(dir = strdup(path))) {
		rc = limg__error_oom();
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = limg__fs_sync_dir(slash ? (*dir ? dir : "/") : ".");
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	free(dir);
	limg_buf_dispose(&tmp);
	return rc;
}

int limg__fs_read(limg_buf *out, const char *path, size_t max)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;
	size_t got = 0;

	out->size = 0;
	if (fd < 0)
		return limg__fs_error("cannot open", path);
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = limg__error_set(LIMG_ETOOBIG, "%s is %lld bytes, over the limit of %zu", path,
		                     (long long)st.st_size, max);
		goto out;
	}
	if ((rc = limg__buf_grow(out, (size_t)st.st_size + 1)) < 0)
		goto out;
	for (;;) {
		ssize_t n;
		if (got + 1 >= out->reserved && (rc = limg__buf_grow(out, got + 4096)) < 0)
			goto out;
		n = read(fd, out->ptr + got, out->reserved - got - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = limg__fs_error("cannot read", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			rc = limg__error_set(LIMG_ETOOBIG, "%s grew over the limit of %zu bytes", path, max);
			goto out;
		}
	}
	out->size = got;
	out->ptr[got] = '\0';
out:
	close(fd);
	return rc;
}

int limg__fs_lock(int *fd, const char *path, bool wait)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	*fd = -1;
	if (f < 0)
		return limg__fs_error("cannot open lock", path);
	while (flock(f, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && !wait) {
			close(f);
			return LIMG_EEXISTS;
		}
		int rc = limg__fs_error("cannot lock", path);
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

void limg__fs_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}
