/*
 * Ingesting a blob: partial data lives in .libimage/ingest/<alg>-<hex>,
 * locked by its writer; commit verifies size and digest, flushes, and
 * renames it into blobs/. A second writer of the same digest, finding the
 * ingest locked, writes a private copy in .libimage/tmp instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

enum writer_state { W_OPEN, W_DONE, W_FAILED };

struct limg_blob_writer {
	limg_store *store;
	char *digest;
	int algorithm;
	int64_t expected; /* -1: unknown */
	int64_t offset;
	int fd;
	limg_buf partial; /* path of the data being written */
	limg_buf target;  /* blobs/<alg>/<hex> */
	bool private_copy;
	limg_hasher *hasher;
	enum writer_state state;
	/* writes are gathered (callers often hand over 16 KiB at a time) and
	 * hashed when they reach the file, so the hash always covers exactly
	 * what is on disk */
	unsigned char *pending;
	size_t npending;
};

#define PENDING_MAX (512u * 1024)

/* Re-hashes the bytes already on disk (never trusting them) and positions
 * the writer after them. */
static int resume(limg_blob_writer *w)
{
	char *chunk;
	struct stat st;
	int64_t done = 0;
	int rc = 0;

	if (fstat(w->fd, &st) < 0)
		return limg__fs_error("cannot stat", w->partial.ptr);
	if (w->expected >= 0 && st.st_size > w->expected) {
		/* more than the blob can hold: not ours to trust */
		if (ftruncate(w->fd, 0) < 0)
			return limg__fs_error("cannot truncate", w->partial.ptr);
		st.st_size = 0;
	}
	if (!st.st_size)
		return 0;
	if (!(chunk = malloc(1 << 20)))
		return limg__error_oom();
	while (done < st.st_size) {
		ssize_t n = pread(w->fd, chunk, 1 << 20, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? limg__fs_error("cannot read", w->partial.ptr) : 0;
			break;
		}
		limg_hasher_update(w->hasher, chunk, (size_t)n);
		done += n;
	}
	free(chunk);
	if (rc == 0 && lseek(w->fd, done, SEEK_SET) < 0)
		rc = limg__fs_error("cannot seek", w->partial.ptr);
	w->offset = done;
	if (rc == 0 && done)
		limg__log(w->store->ctx, LIMG_LOG_DEBUG, "resuming %s at byte %lld", w->digest, (long long)done);
	return rc;
}

static int open_private_copy(limg_blob_writer *w, const char *name)
{
	int rc;

	if ((rc = limg__fs_join(&w->partial, w->store->tmp_dir, name)) < 0 ||
	    (rc = limg__buf_put(&w->partial, "-XXXXXX", 7)) < 0)
		return rc;
	if ((w->fd = mkstemp(w->partial.ptr)) < 0)
		return limg__fs_error("cannot create", w->partial.ptr);
	w->private_copy = true;
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int limg_blob_writer_open(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size)
{
	limg_blob_writer *w;
	char name[8 + 128 + 1];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!(w = calloc(1, sizeof *w)))
		return limg__error_oom();
	w->fd = -1;
	w->expected = size < 0 ? -1 : size;
	if ((rc = limg__store_blob_file(&w->target, store, digest)) < 0)
		goto fail;
	w->store = store;
	limg__digest_check(digest, strlen(digest), &w->algorithm);
	if (!(w->digest = strdup(digest))) {
		rc = limg__error_oom();
		goto fail;
	}
	if (exists(w->target.ptr)) {
		rc = limg__error_set(LIMG_EEXISTS, "blob %s is already in the store", digest);
		goto fail;
	}
	if ((rc = limg_hasher_new(&w->hasher, w->algorithm)) < 0)
		goto fail;
	if (!(w->pending = malloc(PENDING_MAX))) {
		rc = limg__error_oom();
		goto fail;
	}

	/* "sha256:<hex>" -> "sha256-<hex>": one flat, safe file name */
	snprintf(name, sizeof name, "%s", digest);
	*strchr(name, ':') = '-';
	if ((rc = limg__fs_join(&w->partial, store->ingest_dir, name)) < 0)
		goto fail;
	w->fd = open(w->partial.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		rc = limg__fs_error("cannot open ingest", w->partial.ptr);
		goto fail;
	}
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			rc = limg__fs_error("cannot lock ingest", w->partial.ptr);
			goto fail;
		}
		close(w->fd);
		w->fd = -1;
		limg__log(store->ctx, LIMG_LOG_DEBUG, "%s is being ingested elsewhere; writing a private copy", digest);
		if ((rc = open_private_copy(w, name)) < 0)
			goto fail;
	} else if (exists(w->target.ptr)) {
		/* committed by another writer between our two checks */
		struct stat st;
		if (fstat(w->fd, &st) == 0 && st.st_size == 0)
			unlink(w->partial.ptr);
		rc = limg__error_set(LIMG_EEXISTS, "blob %s is already in the store", digest);
		goto fail;
	} else if ((rc = resume(w)) < 0) {
		goto fail;
	}
	*out = w;
	return 0;
fail:
	limg_blob_writer_free(w);
	return rc;
}

int64_t limg_blob_writer_offset(const limg_blob_writer *w)
{
	return w ? w->offset + (int64_t)w->npending : -1;
}

/* Writes the gathered bytes; on failure the file is cut back to what was
 * hashed, so a later resume is sound. */
static int flush_pending(limg_blob_writer *w)
{
	int rc;

	if (!w->npending)
		return 0;
	if ((rc = limg__fs_write_all(w->fd, w->pending, w->npending, w->partial.ptr)) < 0) {
		w->npending = 0;
		if (ftruncate(w->fd, w->offset) < 0 || lseek(w->fd, w->offset, SEEK_SET) < 0)
			w->state = W_FAILED;
		return rc;
	}
	/* start writing back now, so that the fsync at commit has little left to do */
	sync_file_range(w->fd, w->offset, (off_t)w->npending, SYNC_FILE_RANGE_WRITE);
	limg_hasher_update(w->hasher, w->pending, w->npending);
	w->offset += (int64_t)w->npending;
	w->npending = 0;
	return 0;
}

static int check_open(const limg_blob_writer *w)
{
	if (!w)
		return limg__error_invalid("writer");
	if (w->state != W_OPEN)
		return limg__error_set(LIMG_EINVALID, "writer of %s is already finished", w->digest);
	return 0;
}

/* Bad data is not worth resuming: drop it and finish the writer. */
static int fail_with(limg_blob_writer *w, int code)
{
	unlink(w->partial.ptr);
	w->state = W_FAILED;
	return code;
}

int limg_blob_writer_write(limg_blob_writer *w, const void *data, size_t len)
{
	int rc;

	if ((rc = check_open(w)) < 0)
		return rc;
	if (!data && len)
		return limg__error_invalid("data");
	if (w->expected >= 0 && (uint64_t)limg_blob_writer_offset(w) + len > (uint64_t)w->expected)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH,
		                                    "blob %s: more than the expected %lld bytes", w->digest,
		                                    (long long)w->expected));
	while (len) {
		size_t take = PENDING_MAX - w->npending < len ? PENDING_MAX - w->npending : len;
		memcpy(w->pending + w->npending, data, take);
		w->npending += take;
		data = (const char *)data + take;
		len -= take;
		if (w->npending == PENDING_MAX && (rc = flush_pending(w)) < 0)
			return rc;
	}
	return 0;
}

int limg_blob_writer_commit(limg_blob_writer *w)
{
	const char *got;
	char *dir, *slash;
	int rc;

	if ((rc = check_open(w)) < 0)
		return rc;
	if ((rc = flush_pending(w)) < 0)
		return rc;
	if (w->expected >= 0 && w->offset != w->expected)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH, "blob %s: got %lld bytes, expected %lld",
		                                    w->digest, (long long)w->offset, (long long)w->expected));
	limg_hasher_finish(&got, w->hasher);
	if (strcmp(got, w->digest) != 0)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH,
		                                    "blob %s does not match its digest: the content hashes to %s",
		                                    w->digest, got));
	if (fsync(w->fd) < 0)
		return limg__fs_error("cannot flush", w->partial.ptr);
	if (fchmod(w->fd, 0444) < 0)
		return limg__fs_error("cannot make read-only", w->partial.ptr);
	if (!(dir = strdup(w->target.ptr)))
		return limg__error_oom();
	slash = strrchr(dir, '/');
	*slash = '\0';
	if ((rc = limg__fs_mkdirs(dir)) == 0) {
		if (rename(w->partial.ptr, w->target.ptr) < 0)
			rc = limg__fs_error("cannot move blob into", w->target.ptr);
		else
			rc = limg__fs_sync_dir(dir);
	}
	free(dir);
	if (rc < 0)
		return rc;
	w->state = W_DONE;
	limg__log(w->store->ctx, LIMG_LOG_DEBUG, "committed %s (%lld bytes)", w->digest, (long long)w->offset);
	return 0;
}

int limg_blob_writer_abort(limg_blob_writer *w)
{
	int rc;

	if ((rc = check_open(w)) < 0)
		return rc;
	unlink(w->partial.ptr);
	w->state = W_DONE;
	return 0;
}

void limg_blob_writer_free(limg_blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0 && w->state == W_OPEN && !w->private_copy)
		flush_pending(w); /* what arrived is kept for a resume */
	if (w->fd >= 0) {
		/* a private copy cannot be resumed by anyone: do not leave it behind */
		if (w->private_copy && w->state == W_OPEN)
			unlink(w->partial.ptr);
		close(w->fd);
	}
	limg_hasher_free(w->hasher);
	free(w->pending);
	limg_buf_dispose(&w->partial);
	limg_buf_dispose(&w->target);
	free(w->digest);
	free(w);
}
