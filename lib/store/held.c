/* SPDX-License-Identifier: MIT */
/* Held areas (store_internal.h): blobs verified but not yet in blobs/. */
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

struct limg__held {
	limg_store *store;
	int fd;          /* the area's directory, flock-ed for the area's life */
	char name[64];   /* in .libimage/tmp */
	char label[4200];
};

int limg__held_new(limg__held **out, limg_store *s)
{
	char tmp[4096];
	limg__held *h;
	int rc;

	*out = NULL;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if (!(h = limg__calloc(1, sizeof *h))) {
		limg__store_leave(s);
		return limg__error_oom();
	}
	h->store = s;
	snprintf(tmp, sizeof tmp, "%s/.libimage/tmp", s->root);
	if ((rc = limg__fs_mkdir_unique_at(&h->fd, s->tmp_fd, "held-", h->name, sizeof h->name, tmp)) < 0) {
		limg__store_leave(s);
		limg__free(h);
		return rc;
	}
	snprintf(h->label, sizeof h->label, "%s/%s", tmp, h->name);
	/* ours while it is open: gc passes over a locked area */
	if (flock(h->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = limg__fs_error("cannot lock", h->label);
		limg__held_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

int limg__held_writer_open(limg_blob_writer **out, limg__held *h, const char *digest, int64_t size)
{
	return limg__blob_writer_open_held(out, h->store, h->fd, h->label, digest, size);
}

int limg__held_open(int *fd, limg__held *h, const char *digest)
{
	char flat[160];
	int rc;

	*fd = -1;
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	limg__store_flat_name(flat, sizeof flat, digest);
	rc = limg__fs_open_regular_at(fd, h->fd, flat, h->label);
	if (rc == LIMG_ENOTFOUND)
		limg_error_clear();
	return rc;
}

int limg__held_commit(limg__held *h, const char *digest)
{
	limg_buf target = LIMG_BUF_INIT;
	const char *hex;
	char flat[160];
	struct stat st;
	int fd = -1, algo_fd, dirfd, rc;

	if ((rc = limg__held_open(&fd, h, digest)) == LIMG_ENOTFOUND) {
		int64_t size;
		/* committed already (or never held, and stored): in blobs/, that is all that counts */
		if (limg_store_blob_stat(&size, h->store, digest) == 0)
			return 0;
		return limg__error_set_about(rc, LIMG_SUBJECT_BLOB, digest, "blob %s is neither held nor stored", digest);
	}
	if (rc < 0)
		return rc;
	limg__store_flat_name(flat, sizeof flat, digest);
	limg__store_blob_file(&target, h->store, digest);
	if ((rc = limg__store_blob_locate(h->store, digest, true, &algo_fd, &hex)) < 0)
		goto out;
	if (fstatat(algo_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISREG(st.st_mode))
			goto out; /* stored already (by us earlier, or by another writer): ours goes with the area */
		limg__log(h->store->ctx, LIMG_LOG_WARN, "%s is not a regular file; replacing it", target.ptr);
		if ((rc = limg__fs_remove_tree_at(algo_fd, hex, target.ptr)) < 0)
			goto out;
	}
	if (fsync(fd) < 0) {
		rc = limg__fs_error("cannot flush", h->label);
		goto out;
	}
	if (fchmod(fd, 0444) < 0) {
		rc = limg__fs_error("cannot make read-only", h->label);
		goto out;
	}
	dirfd = h->fd;
	if (renameat(dirfd, flat, algo_fd, hex) < 0)
		rc = limg__fs_error("cannot move blob into", target.ptr ? target.ptr : digest);
	else
		rc = limg__fs_sync_fd(algo_fd, target.ptr ? target.ptr : digest);
	if (rc == 0)
		limg__log(h->store->ctx, LIMG_LOG_DEBUG, "committed %s", digest);
out:
	if (fd >= 0)
		close(fd);
	limg_buf_dispose(&target);
	return rc;
}

void limg__held_free(limg__held *h)
{
	limg__error_copy saved;

	if (!h)
		return;
	/* (cleaning up never replaces the error that brought us here) */
	limg__error_save(&saved);
	limg__fs_remove_tree_at(h->store->tmp_fd, h->name, h->label);
	limg__error_restore(&saved);
	close(h->fd);
	limg__store_leave(h->store);
	limg__free(h);
}
