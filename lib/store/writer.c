/* SPDX-License-Identifier: MIT */
/*
 * Ingesting a blob: partial data lives in .libimage/ingest/<alg>-<hex>,
 * locked by its writer; commit verifies size and digest, flushes, and
 * renames it into blobs/. A second writer of the same digest, finding the
 * ingest locked (or not ours to write: another user's, read-only), writes
 * a private copy in .libimage/tmp instead.
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
#include "core/queue.h"
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
	int dirfd;        /* ingest or tmp: where the partial file is */
	char name[256];   /* its name there */
	char label[4096]; /* its path, for messages */
	bool private_copy;
	limg_hasher *hasher;
	enum writer_state state;
	/* writes are gathered (callers often hand over 16 KiB at a time) and
	 * hashed when they reach the file, so the hash always covers exactly
	 * what is on disk */
	unsigned char *pending;
	size_t npending;
	limg__queue *hash_q; /* hashing on a worker of its own, or NULL: inline */
	limg__blob_resume_cb on_resume; /* told the bytes a resume re-reads */
	void *resume_payload;
	int64_t trusted;  /* -1: a partial file is all to be re-read; else only its first bytes (ranged) */
	bool unnamed;     /* the digest is what the bytes hash to, known at commit */
	bool held;        /* writes into a held area (held.c): commit names the file there, not in blobs/ */
};

#define PENDING_MAX (128u * 1024)
#define HASH_SLOTS 4

/* Re-hashes the bytes already on disk (never trusting them) and positions
 * the writer after them. */
static int resume(limg_blob_writer *w)
{
	char *chunk;
	struct stat st;
	int64_t done = 0;
	int rc = 0;

	if (fstat(w->fd, &st) < 0)
		return limg__fs_error("cannot stat", w->label);
	if (w->expected >= 0 && st.st_size > w->expected) {
		/* more than the blob can hold: not ours to trust */
		if (ftruncate(w->fd, 0) < 0)
			return limg__fs_error("cannot truncate", w->label);
		st.st_size = 0;
	}
	/* a ranged download: what lies past the ranges finished in order stays, unread */
	if (w->trusted >= 0 && st.st_size > w->trusted)
		st.st_size = w->trusted;
	if (!st.st_size)
		return 0;
	if (!(chunk = limg__malloc(1 << 20)))
		return limg__error_oom();
	while (done < st.st_size) {
		ssize_t n = pread(w->fd, chunk, 1 << 20, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? limg__fs_error("cannot read", w->label) : 0;
			break;
		}
		limg_hasher_update(w->hasher, chunk, (size_t)n);
		if (w->on_resume && (rc = w->on_resume(chunk, (size_t)n, w->resume_payload)) != 0)
			break;
		done += n;
	}
	limg__free(chunk);
	if (rc == 0 && lseek(w->fd, done, SEEK_SET) < 0)
		rc = limg__fs_error("cannot seek", w->label);
	w->offset = done;
	if (rc == 0 && done)
		limg__log(w->store->ctx, LIMG_LOG_DEBUG, "resuming %s at byte %lld", w->digest, (long long)done);
	return rc;
}

static int check_open(const limg_blob_writer *w);
static int fail_with(limg_blob_writer *w, int code);
static int hold(limg_blob_writer *w);

static int open_private_copy(limg_blob_writer *w, const char *flat)
{
	char prefix[200];
	int rc;

	snprintf(prefix, sizeof prefix, "%s-", flat);
	snprintf(w->label, sizeof w->label, "%s/.libimage/tmp", w->store->root);
	if ((rc = limg__fs_create_unique_at(&w->fd, w->store->tmp_fd, prefix, w->name, sizeof w->name, w->label)) < 0)
		return rc;
	snprintf(w->label, sizeof w->label, "%s/.libimage/tmp/%s", w->store->root, w->name);
	w->dirfd = w->store->tmp_fd;
	flock(w->fd, LOCK_EX | LOCK_NB); /* in use: gc's sweep leaves it alone */
	w->private_copy = true;
	return 0;
}

/* What is stored under the blob's name: 1 a blob, 0 nothing. Anything else
 * there (a directory, a FIFO, a symlink: not a blob) is removed, so that
 * the new blob can take its place. */
static int check_target(limg_blob_writer *w)
{
	const char *hex = strchr(w->digest, ':') + 1;
	limg_buf label = LIMG_BUF_INIT;
	struct stat st;
	int dirfd, rc;

	rc = limg__store_algo_dir(&dirfd, w->store, w->algorithm, false);
	if (rc == LIMG_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (fstatat(dirfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : limg__fs_error("cannot stat blob", w->digest);
	if (S_ISREG(st.st_mode))
		return 1;
	limg__store_blob_file(&label, w->store, w->digest);
	limg__log(w->store->ctx, LIMG_LOG_WARN, "%s is not a regular file; replacing it", label.ptr);
	rc = limg__fs_remove_tree_at(dirfd, hex, label.ptr);
	limg_buf_dispose(&label);
	return rc;
}

/* Opens the shared ingest file, or says (1) that a private copy is needed. */
static int open_ingest(limg_blob_writer *w, const char *flat)
{
	struct stat st;

	snprintf(w->label, sizeof w->label, "%s/.libimage/ingest/%s", w->store->root, flat);
	snprintf(w->name, sizeof w->name, "%s", flat);
	w->dirfd = w->store->ingest_fd;
	for (int attempt = 0; attempt < 2; attempt++) {
		w->fd = openat(w->dirfd, flat, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (w->fd >= 0)
			break;
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			return 1; /* another user's ingest, or one left read-only: not ours to write */
		if (errno == ELOOP && attempt == 0) {
			/* a symlink in the ingest area: never write through it */
			limg__log(w->store->ctx, LIMG_LOG_WARN, "%s is a symlink; removing it", w->label);
			if (unlinkat(w->dirfd, flat, 0) < 0 && errno != ENOENT)
				return 1;
			continue;
		}
		return limg__fs_error("cannot open ingest", w->label);
	}
	if (w->fd < 0)
		return 1;
	if (fstat(w->fd, &st) < 0)
		return limg__fs_error("cannot stat", w->label);
	if (!S_ISREG(st.st_mode)) {
		close(w->fd);
		w->fd = -1;
		limg__log(w->store->ctx, LIMG_LOG_WARN, "%s is not a regular file; removing it", w->label);
		limg__fs_remove_tree_at(w->dirfd, flat, w->label);
		return 1;
	}
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) & ~O_NONBLOCK);
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return limg__fs_error("cannot lock ingest", w->label);
		close(w->fd);
		w->fd = -1;
		limg__log(w->store->ctx, LIMG_LOG_DEBUG, "%s is being ingested elsewhere; writing a private copy", w->digest);
		return 1;
	}
	return 0;
}

/* A writer of @size bytes (-1: unknown) that holds a reference to @store. */
static int new_writer(limg_blob_writer **out, limg_store *store, int64_t size)
{
	limg_blob_writer *w;
	int rc;

	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg__store_writable(store)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	if (!(w = limg__calloc(1, sizeof *w))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	w->store = store;
	w->fd = -1;
	w->expected = size < 0 ? -1 : size;
	*out = w;
	return 0;
}

static int open_writer(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size, int64_t trusted,
                       limg__blob_resume_cb on_resume, void *payload)
{
	limg_blob_writer *w;
	char flat[160];
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	if ((rc = new_writer(&w, store, size)) < 0)
		return rc;
	w->on_resume = on_resume;
	w->resume_payload = payload;
	w->trusted = trusted;
	limg__digest_check(digest, strlen(digest), &w->algorithm);
	if (!(w->digest = limg__strdup(digest))) {
		rc = limg__error_oom();
		goto fail;
	}
	if ((rc = check_target(w)) != 0) {
		if (rc == 1)
			rc = limg__error_set(LIMG_EEXISTS, "blob %s is already in the store", digest);
		goto fail;
	}
	if ((rc = limg_hasher_new(&w->hasher, w->algorithm)) < 0)
		goto fail;
	if (!(w->pending = limg__malloc(PENDING_MAX))) {
		rc = limg__error_oom();
		goto fail;
	}
	/* "sha256:<hex>" -> "sha256-<hex>": one flat, safe file name */
	limg__store_flat_name(flat, sizeof flat, digest);
	if ((rc = open_ingest(w, flat)) < 0)
		goto fail;
	if (rc == 1) {
		if ((rc = open_private_copy(w, flat)) < 0)
			goto fail;
	} else if ((rc = check_target(w)) != 0) {
		/* committed by another writer between our two checks */
		struct stat st;
		if (rc == 1) {
			if (fstat(w->fd, &st) == 0 && st.st_size == 0)
				unlinkat(w->dirfd, w->name, 0);
			rc = limg__error_set(LIMG_EEXISTS, "blob %s is already in the store", digest);
		}
		goto fail;
	} else if ((rc = resume(w)) != 0) {
		goto fail;
	}
	*out = w;
	return 0;
fail:
	limg_blob_writer_close(w);
	return rc;
}

int limg__blob_writer_open(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size,
                           limg__blob_resume_cb on_resume, void *payload)
{
	return open_writer(out, store, digest, size, -1, on_resume, payload);
}

int limg__blob_writer_open_ranged(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size,
                                  int64_t trusted, limg__blob_resume_cb on_resume, void *payload)
{
	return open_writer(out, store, digest, size, trusted < 0 ? 0 : trusted, on_resume, payload);
}

int limg__blob_writer_open_unnamed(limg_blob_writer **out, limg_store *store, int64_t size)
{
	limg_blob_writer *w;
	int rc;

	*out = NULL;
	if ((rc = new_writer(&w, store, size)) < 0)
		return rc;
	w->trusted = -1;
	w->unnamed = true;
	w->algorithm = LIMG_DIGEST_SHA256;
	if (!(w->digest = limg__strdup("sha256:unknown")) || !(w->pending = limg__malloc(PENDING_MAX)) ||
	    limg_hasher_new(&w->hasher, w->algorithm) < 0) {
		limg_blob_writer_close(w);
		return limg__error_oom();
	}
	if ((rc = open_private_copy(w, "unnamed")) < 0) {
		limg_blob_writer_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

const char *limg__blob_writer_digest(const limg_blob_writer *w)
{
	return w->digest;
}

int limg_blob_writer_open(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	return open_writer(out, store, digest, size, -1, NULL, NULL);
}

int limg__blob_writer_fd(const limg_blob_writer *w)
{
	return w->fd;
}

int64_t limg__blob_writer_flushed(const limg_blob_writer *w)
{
	return w->offset;
}

bool limg__blob_writer_private(const limg_blob_writer *w)
{
	return w->private_copy;
}

static int hash_slot(const void *data, size_t len, void *hasher)
{
	limg_hasher_update(hasher, data, len);
	return 0;
}

void limg__blob_writer_hash_aside(limg_blob_writer *w)
{
	if (w && !w->hash_q && limg__queue_new(&w->hash_q, HASH_SLOTS, PENDING_MAX, hash_slot, w->hasher, "limg-hash") < 0)
		limg_error_clear(); /* no thread to be had: hashed inline, as before */
}

int limg__blob_writer_adopt(limg_blob_writer *w, const void *data, size_t len)
{
	int rc;

	if ((rc = check_open(w)) < 0)
		return rc;
	if (w->npending)
		return limg__error_set(LIMG_EINVALID, "writer of %s: adopting bytes with writes pending", w->digest);
	if (w->hash_q && (rc = limg__queue_drain(w->hash_q)) != 0)
		return rc;
	if (w->expected >= 0 && (uint64_t)w->offset + len > (uint64_t)w->expected)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH, "blob %s: more than the expected %lld bytes",
		                                    w->digest, (long long)w->expected));
	limg_hasher_update(w->hasher, data, len);
	w->offset += (int64_t)len;
	return 0;
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
	if ((rc = limg__fs_write_all(w->fd, w->pending, w->npending, w->label)) < 0) {
		w->npending = 0;
		if (ftruncate(w->fd, w->offset) < 0 || lseek(w->fd, w->offset, SEEK_SET) < 0)
			w->state = W_FAILED;
		return rc;
	}
	/* start writing back now, so that the fsync at commit has little left to do */
	sync_file_range(w->fd, w->offset, (off_t)w->npending, SYNC_FILE_RANGE_WRITE);
	if (!w->hash_q)
		limg_hasher_update(w->hasher, w->pending, w->npending);
	else if ((rc = limg__queue_put(w->hash_q, w->pending, w->npending)) != 0)
		return rc;
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
	unlinkat(w->dirfd, w->name, 0);
	w->state = W_FAILED;
	return code;
}

int limg_blob_writer_write(limg_blob_writer *w, const void *data, size_t len)
{
	LIMG__ALLOCATOR_FROM(w ? limg__store_context(w->store) : NULL);
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
	LIMG__ALLOCATOR_FROM(w ? limg__store_context(w->store) : NULL);
	const char *got, *hex;
	limg_buf target = LIMG_BUF_INIT;
	int rc, algo_fd;

	if ((rc = check_open(w)) < 0)
		return rc;
	if ((rc = flush_pending(w)) < 0)
		return rc;
	if (w->expected >= 0 && w->offset != w->expected)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH, "blob %s: got %lld bytes, expected %lld",
		                                    w->digest, (long long)w->offset, (long long)w->expected));
	if (w->hash_q && (rc = limg__queue_drain(w->hash_q)) != 0)
		return rc;
	limg_hasher_finish(&got, w->hasher);
	if (w->unnamed) {
		/* named by its content: stored already, or now */
		limg__free(w->digest);
		if (!(w->digest = limg__strdup(got)))
			return limg__error_oom();
		if (!w->held && (rc = check_target(w)) != 0) {
			if (rc < 0)
				return rc;
			unlinkat(w->dirfd, w->name, 0);
			w->state = W_DONE;
			return 0;
		}
	}
	if (strcmp(got, w->digest) != 0)
		return fail_with(w, limg__error_set(LIMG_EDIGEST_MISMATCH,
		                                    "blob %s does not match its digest: the content hashes to %s",
		                                    w->digest, got));
	if (w->held)
		return hold(w);
	if (fsync(w->fd) < 0)
		return limg__fs_error("cannot flush", w->label);
	if (fchmod(w->fd, 0444) < 0)
		return limg__fs_error("cannot make read-only", w->label);
	if ((rc = limg__store_algo_dir(&algo_fd, w->store, w->algorithm, true)) < 0)
		return rc;
	if ((rc = check_target(w)) < 0)
		return rc;
	hex = strchr(w->digest, ':') + 1;
	limg__store_blob_file(&target, w->store, w->digest);
	if (renameat(w->dirfd, w->name, algo_fd, hex) < 0)
		rc = limg__fs_error("cannot move blob into", target.ptr ? target.ptr : w->digest);
	else
		rc = limg__fs_sync_fd(algo_fd, target.ptr ? target.ptr : w->digest);
	limg_buf_dispose(&target);
	if (rc < 0)
		return rc;
	w->state = W_DONE;
	limg__log(w->store->ctx, LIMG_LOG_DEBUG, "committed %s (%lld bytes)", w->digest, (long long)w->offset);
	return 0;
}

/* A held blob is verified: it takes its digest's flat name in its area,
 * unflushed (flushed when it is committed, and only if it is). */
static int hold(limg_blob_writer *w)
{
	char flat[160];

	limg__store_flat_name(flat, sizeof flat, w->digest);
	if (renameat(w->dirfd, w->name, w->dirfd, flat) < 0)
		return fail_with(w, limg__fs_error("cannot name", w->label));
	w->state = W_DONE;
	return 0;
}

int limg__blob_writer_open_held(limg_blob_writer **out, limg_store *store, int area_fd, const char *area_label,
                                const char *digest, int64_t size)
{
	limg_blob_writer *w;
	int rc;

	*out = NULL;
	if (digest && (rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	if ((rc = new_writer(&w, store, size)) < 0)
		return rc;
	w->trusted = -1;
	w->held = true;
	w->unnamed = !digest;
	w->algorithm = LIMG_DIGEST_SHA256;
	if (digest)
		limg__digest_check(digest, strlen(digest), &w->algorithm);
	if (!(w->digest = limg__strdup(digest ? digest : "sha256:unknown")) || !(w->pending = limg__malloc(PENDING_MAX)) ||
	    limg_hasher_new(&w->hasher, w->algorithm) < 0) {
		limg_blob_writer_close(w);
		return limg__error_oom();
	}
	snprintf(w->label, sizeof w->label, "%s", area_label);
	if ((rc = limg__fs_create_unique_at(&w->fd, area_fd, "part-", w->name, sizeof w->name, area_label)) < 0) {
		limg_blob_writer_close(w);
		return rc;
	}
	snprintf(w->label, sizeof w->label, "%s/%s", area_label, w->name);
	w->dirfd = area_fd;
	w->private_copy = true; /* nobody resumes it: an unfinished one goes when the writer closes */
	*out = w;
	return 0;
}

int limg_blob_writer_abort(limg_blob_writer *w)
{
	LIMG__ALLOCATOR_FROM(w ? limg__store_context(w->store) : NULL);
	int rc;

	if ((rc = check_open(w)) < 0)
		return rc;
	unlinkat(w->dirfd, w->name, 0);
	w->state = W_DONE;
	return 0;
}

void limg_blob_writer_close(limg_blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0 && w->state == W_OPEN && !w->private_copy)
		flush_pending(w); /* what arrived is kept for a resume */
	if (w->fd >= 0) {
		/* a private copy cannot be resumed by anyone: do not leave it behind */
		if (w->private_copy && w->state == W_OPEN)
			unlinkat(w->dirfd, w->name, 0);
		close(w->fd);
	}
	limg__queue_free(w->hash_q); /* before the hasher it feeds */
	limg_hasher_free(w->hasher);
	limg__free(w->pending);
	limg__free(w->digest);
	limg__store_leave(w->store);
	limg__free(w);
}
