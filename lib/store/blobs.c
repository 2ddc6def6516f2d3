/* SPDX-License-Identifier: MIT */
/* Reading, listing and deleting stored blobs, beneath the store's descriptors. */
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
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_BLOB, digest, "blob %s is not in the store", digest);
}

/* Size of a stored blob; a blob that is not a regular file is not one. */
static int stat_blob(int64_t *out_size, limg_store *s, const char *digest)
{
	limg_buf label = LIMG_BUF_INIT;
	const char *name;
	struct stat st;
	int dirfd, rc;

	*out_size = -1;
	rc = limg__store_blob_locate(s, digest, false, &dirfd, &name);
	if (rc == LIMG_ENOTFOUND)
		return not_found(digest);
	if (rc < 0)
		return rc;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return not_found(digest);
		limg__store_blob_file(&label, s, digest);
		rc = limg__fs_error("cannot stat", label.ptr ? label.ptr : digest);
	} else if (!S_ISREG(st.st_mode)) {
		limg__store_blob_file(&label, s, digest);
		rc = limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", label.ptr ? label.ptr : digest);
	} else {
		*out_size = st.st_size;
	}
	limg_buf_dispose(&label);
	return rc;
}

int limg_store_blob_stat(int64_t *out_size, limg_store *s, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	int rc;

	if (!out_size)
		return limg__error_invalid("out_size");
	*out_size = -1;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = stat_blob(out_size, s, digest);
	limg__store_leave(s);
	return rc;
}

int limg_store_blob_path(limg_buf *out, limg_store *s, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	int64_t size;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = stat_blob(&size, s, digest)) == 0)
		rc = limg__store_blob_file(out, s, digest);
	limg__store_leave(s);
	return rc;
}

static int corrupt(const limg_store *s, const char *digest, const char *got)
{
	limg_buf path = LIMG_BUF_INIT;
	int rc;

	limg__store_blob_file(&path, s, digest);
	rc = limg__error_set(LIMG_ECORRUPT, "blob %s is corrupt: %s hashes to %s", digest, path.ptr ? path.ptr : "",
	                     got);
	limg_buf_dispose(&path);
	return rc;
}

/* Reads a whole blob from an open descriptor. */
static int read_fd(limg_buf *out, int fd, size_t max, const char *digest)
{
	struct stat st;
	size_t got = 0;
	int rc;

	out->size = 0;
	if (fstat(fd, &st) < 0)
		return limg__fs_error("cannot stat blob", digest);
	if ((uint64_t)st.st_size > max)
		return limg__error_set(LIMG_ETOOBIG, "blob %s is %lld bytes, over the limit of %zu", digest,
		                       (long long)st.st_size, max);
	if ((rc = limg__buf_grow(out, (size_t)st.st_size + 1)) < 0)
		return rc;
	for (;;) {
		ssize_t n;
		if (got + 1 >= out->reserved && (rc = limg__buf_grow(out, got + 4096)) < 0)
			return rc;
		n = read(fd, out->ptr + got, out->reserved - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return limg__fs_error("cannot read blob", digest);
		if (n == 0)
			break;
		if ((got += (size_t)n) > max)
			return limg__error_set(LIMG_ETOOBIG, "blob %s grew over the limit of %zu bytes", digest, max);
	}
	out->size = got;
	out->ptr[got] = '\0';
	return 0;
}

int limg_store_blob_read(limg_buf *out, limg_store *s, const char *digest, size_t max_size)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_buf got = LIMG_BUF_INIT;
	int rc, algo = 0, fd = -1;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = limg__store_blob_open(&fd, s, digest)) == 0 && (rc = read_fd(out, fd, max_size, digest)) == 0) {
		limg__digest_check(digest, strlen(digest), &algo);
		if ((rc = limg_digest_compute(&got, algo, out->ptr, out->size)) == 0 && strcmp(got.ptr, digest) != 0)
			rc = corrupt(s, digest, got.ptr);
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		limg_buf_dispose(out);
	limg_buf_dispose(&got);
	limg__store_leave(s);
	return rc;
}

int limg_store_blob_delete(limg_store *s, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_buf path = LIMG_BUF_INIT;
	const char *name;
	int rc, dirfd;

	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = limg__store_writable(s)) == 0)
		rc = limg__store_blob_locate(s, digest, false, &dirfd, &name);
	if (rc == LIMG_ENOTFOUND)
		rc = not_found(digest);
	if (rc == 0 && unlinkat(dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			rc = not_found(digest);
		else if (errno == EISDIR && unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
			rc = 0; /* an empty directory in a blob's place */
		else {
			limg__store_blob_file(&path, s, digest);
			rc = limg__fs_error("cannot delete", path.ptr ? path.ptr : digest);
		}
	}
	limg_buf_dispose(&path);
	limg__store_leave(s);
	return rc;
}

struct limg_blob_reader {
	limg_store *store;
	int fd;
	char *digest;
	limg_hasher *hasher;
	bool verified;
};

int limg_blob_reader_open(limg_blob_reader **out, limg_store *s, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_blob_reader *r;
	int rc, algo = 0;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if (!(r = limg__calloc(1, sizeof *r))) {
		limg__store_leave(s);
		return limg__error_oom();
	}
	r->store = s;
	r->fd = -1;
	if ((rc = limg__store_blob_open(&r->fd, s, digest)) < 0)
		goto fail;
	limg__digest_check(digest, strlen(digest), &algo);
	if (!(r->digest = limg__strdup(digest))) {
		rc = limg__error_oom();
		goto fail;
	}
	if ((rc = limg_hasher_new(&r->hasher, algo)) < 0)
		goto fail;
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*out = r;
	return 0;
fail:
	limg_blob_reader_close(r);
	return rc;
}

int limg_blob_reader_read(size_t *out_len, limg_blob_reader *r, void *buf, size_t cap)
{
	LIMG__ALLOCATOR_FROM(r ? limg__store_context(r->store) : NULL);
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
		return limg__fs_error("cannot read blob", r->digest);
	if (n == 0) {
		const char *got;
		limg_hasher_finish(&got, r->hasher);
		if (strcmp(got, r->digest) != 0)
			return corrupt(r->store, r->digest, got);
		r->verified = true;
		return 0;
	}
	limg_hasher_update(r->hasher, buf, (size_t)n);
	*out_len = (size_t)n;
	return 0;
}

void limg_blob_reader_close(limg_blob_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	limg_hasher_free(r->hasher);
	limg__free(r->digest);
	if (r->store)
		limg__store_leave(r->store);
	limg__free(r);
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
	int rc;

	if ((rc = limg__array_grow((void **)&it->entries, &it->cap, it->count + 1, sizeof *it->entries)) < 0)
		return rc;
	if (!(it->entries[it->count].digest = limg__strdup(digest)))
		return limg__error_oom();
	it->entries[it->count++].size = size;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct blob_entry *)a)->digest, ((const struct blob_entry *)b)->digest);
}

/* Lists one algorithm's blobs; with @irregular, only names of valid digests
 * that are not regular files (what fsck reports). */
static int list_dir(limg_blob_iterator *it, limg_store *s, int algorithm, const char *name, bool irregular)
{
	limg_buf digest = LIMG_BUF_INIT;
	struct dirent *e;
	DIR *d;
	int algo_fd, fd, rc;

	rc = limg__store_algo_dir(&algo_fd, s, algorithm, false);
	if (rc == LIMG_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	/* a descriptor of our own for readdir: the store keeps its own */
	if ((fd = openat(algo_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return limg__fs_error("cannot list blobs of", s->root);
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		digest.size = 0;
		if ((rc = limg__buf_put(&digest, name, strlen(name))) < 0 || (rc = limg__buf_put(&digest, ":", 1)) < 0 ||
		    (rc = limg__buf_put(&digest, e->d_name, strlen(e->d_name))) < 0)
			break;
		/* only files named by a valid digest are blobs */
		if (limg__digest_check(digest.ptr, digest.size, NULL) != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((S_ISREG(st.st_mode) != 0) == !irregular)
			rc = add_entry(it, digest.ptr, st.st_size);
	}
	closedir(d);
	limg_buf_dispose(&digest);
	return rc;
}

int limg__blob_list(limg_blob_iterator **out, limg_store *s, bool irregular)
{
	limg_blob_iterator *it;
	int rc;

	*out = NULL;
	if (!(it = limg__calloc(1, sizeof *it)))
		return limg__error_oom();
	if ((rc = list_dir(it, s, LIMG_DIGEST_SHA256, "sha256", irregular)) < 0 ||
	    (rc = list_dir(it, s, LIMG_DIGEST_SHA512, "sha512", irregular)) < 0) {
		limg_blob_iterator_free(it);
		return rc;
	}
	if (it->count > 1)
		qsort(it->entries, it->count, sizeof *it->entries, compare_entries);
	*out = it;
	return 0;
}

int limg_blob_iterator_new(limg_blob_iterator **out, limg_store *s)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = limg__blob_list(out, s, false);
	limg__store_leave(s);
	return rc;
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
		limg__free(it->entries[i].digest);
	limg__free(it->entries);
	limg__free(it);
}
