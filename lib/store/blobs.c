/* Reading, listing and deleting stored blobs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

static int not_found(const char *digest)
{
	return limg__error_set(LIMG_ENOTFOUND, "blob %s is not in the store", digest);
}

int limg_store_blob_stat(int64_t *out_size, limg_store *s, const char *digest)
{
	limg_buf path = LIMG_BUF_INIT;
	struct stat st;
	int rc;

	if (!out_size)
		return limg__error_invalid("out_size");
	*out_size = -1;
	if ((rc = limg__store_blob_file(&path, s, digest)) < 0)
		return rc;
	if (stat(path.ptr, &st) < 0)
		rc = errno == ENOENT ? not_found(digest) : limg__fs_error("cannot stat", path.ptr);
	else
		*out_size = st.st_size;
	limg_buf_dispose(&path);
	return rc;
}

int limg_store_blob_path(limg_buf *out, limg_store *s, const char *digest)
{
	int64_t size;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = limg_store_blob_stat(&size, s, digest)) < 0)
		return rc;
	return limg__store_blob_file(out, s, digest);
}

static int corrupt(const char *digest, const char *path, const char *got)
{
	return limg__error_set(LIMG_ECORRUPT, "blob %s is corrupt: %s hashes to %s", digest, path, got);
}

int limg_store_blob_read(limg_buf *out, limg_store *s, const char *digest, size_t max_size)
{
	limg_buf path = LIMG_BUF_INIT;
	limg_buf got = LIMG_BUF_INIT;
	int rc, algo = 0;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = limg__store_blob_file(&path, s, digest)) < 0)
		return rc;
	rc = limg__fs_read(out, path.ptr, max_size);
	if (rc == LIMG_ENOTFOUND)
		rc = not_found(digest);
	if (rc == 0) {
		limg__digest_check(digest, strlen(digest), &algo);
		if ((rc = limg_digest_compute(&got, algo, out->ptr, out->size)) == 0 && strcmp(got.ptr, digest) != 0)
			rc = corrupt(digest, path.ptr, got.ptr);
	}
	if (rc < 0)
		limg_buf_dispose(out);
	limg_buf_dispose(&got);
	limg_buf_dispose(&path);
	return rc;
}

int limg_store_blob_delete(limg_store *s, const char *digest)
{
	limg_buf path = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg__store_blob_file(&path, s, digest)) < 0)
		return rc;
	if (unlink(path.ptr) < 0)
		rc = errno == ENOENT ? not_found(digest) : limg__fs_error("cannot delete", path.ptr);
	limg_buf_dispose(&path);
	return rc;
}

struct limg_blob_reader {
	int fd;
	char *digest;
	limg_buf path;
	limg_hasher *hasher;
	bool verified;
};

int limg_blob_reader_open(limg_blob_reader **out, limg_store *s, const char *digest)
{
	limg_blob_reader *r;
	int rc, algo = 0;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!(r = calloc(1, sizeof *r)))
		return limg__error_oom();
	r->fd = -1;
	if ((rc = limg__store_blob_file(&r->path, s, digest)) < 0)
		goto fail;
	limg__digest_check(digest, strlen(digest), &algo);
	if (!(r->digest = strdup(digest))) {
		rc = limg__error_oom();
		goto fail;
	}
	if ((rc = limg_hasher_new(&r->hasher, algo)) < 0)
		goto fail;
	if ((r->fd = open(r->path.ptr, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? not_found(digest) : limg__fs_error("cannot open", r->path.ptr);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	limg_blob_reader_free(r);
	return rc;
}

int limg_blob_reader_read(size_t *out_len, limg_blob_reader *r, void *buf, size_t cap)
{
	ssize_t n;

	if (!out_len || !r || (!buf && cap))
		return limg__error_invalid(!out_len ? "out_len" : !r ? "reader" : "buf");
	*out_len = 0;
	if (r->verified)
		return 0;
	do
		n = read(r->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return limg__fs_error("cannot read", r->path.ptr);
	if (n == 0) {
		const char *got;
		limg_hasher_finish(&got, r->hasher);
		if (strcmp(got, r->digest) != 0)
			return corrupt(r->digest, r->path.ptr, got);
		r->verified = true;
		return 0;
	}
	limg_hasher_update(r->hasher, buf, (size_t)n);
	*out_len = (size_t)n;
	return 0;
}

void limg_blob_reader_free(limg_blob_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	limg_hasher_free(r->hasher);
	limg_buf_dispose(&r->path);
	free(r->digest);
	free(r);
}

struct blob_entry {
	char *digest;
	int64_t size;
};

struct limg_blob_iterator {
	struct blob_entry *entries;
	size_t count, cap, next;
};

static int add_entry(limg_blob_iterator *it, const char *digest, int64_t size)
{
	if (it->count == it->cap) {
		size_t n = it->cap ? it->cap * 2 : 64;
		struct blob_entry *e = realloc(it->entries, n * sizeof *e);
		if (!e)
			return limg__error_oom();
		it->entries = e;
		it->cap = n;
	}
	if (!(it->entries[it->count].digest = strdup(digest)))
		return limg__error_oom();
	it->entries[it->count++].size = size;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct blob_entry *)a)->digest, ((const struct blob_entry *)b)->digest);
}

int limg_blob_iterator_new(limg_blob_iterator **out, limg_store *s)
{
	static const char *const algorithms[] = { "sha256", "sha512" };
	limg_blob_iterator *it;
	limg_buf dir = LIMG_BUF_INIT, digest = LIMG_BUF_INIT;
	int rc = 0;

	if (!out || !s)
		return limg__error_invalid(out ? "store" : "out");
	*out = NULL;
	if (!(it = calloc(1, sizeof *it)))
		return limg__error_oom();
	for (size_t a = 0; a < 2 && rc == 0; a++) {
		DIR *d;
		struct dirent *e;
		if ((rc = limg__fs_join(&dir, s->root, "blobs")) < 0 || (rc = limg__buf_put(&dir, "/", 1)) < 0 ||
		    (rc = limg__buf_put(&dir, algorithms[a], 6)) < 0)
			break;
		if (!(d = opendir(dir.ptr))) {
			if (errno != ENOENT)
				rc = limg__fs_error("cannot list", dir.ptr);
			continue;
		}
		while (rc == 0 && (e = readdir(d))) {
			struct stat st;
			digest.size = 0;
			if ((rc = limg__buf_put(&digest, algorithms[a], 6)) < 0 || (rc = limg__buf_put(&digest, ":", 1)) < 0 ||
			    (rc = limg__buf_put(&digest, e->d_name, strlen(e->d_name))) < 0)
				break;
			/* only files named by a valid digest are blobs */
			if (limg__digest_check(digest.ptr, digest.size, NULL) != 0)
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
				continue;
			rc = add_entry(it, digest.ptr, st.st_size);
		}
		closedir(d);
	}
	limg_buf_dispose(&dir);
	limg_buf_dispose(&digest);
	if (rc < 0) {
		limg_blob_iterator_free(it);
		return rc;
	}
	if (it->count > 1)
		qsort(it->entries, it->count, sizeof *it->entries, compare_entries);
	*out = it;
	return 0;
}

int limg_blob_iterator_next(const char **out_digest, int64_t *out_size, limg_blob_iterator *it)
{
	if (!out_digest || !it)
		return limg__error_invalid(out_digest ? "iterator" : "out_digest");
	if (it->next >= it->count) {
		*out_digest = NULL;
		return LIMG_ITEROVER;
	}
	*out_digest = it->entries[it->next].digest;
	if (out_size)
		*out_size = it->entries[it->next].size;
	it->next++;
	return 0;
}

void limg_blob_iterator_free(limg_blob_iterator *it)
{
	if (!it)
		return;
	for (size_t i = 0; i < it->count; i++)
		free(it->entries[i].digest);
	free(it->entries);
	free(it);
}
