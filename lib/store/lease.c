/* SPDX-License-Identifier: MIT */
/*
 * Leases: what a running operation has ingested but not yet tagged, kept
 * from gc (containerd's answer to the same race). See store_internal.h.
 */
#include <dirent.h>
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

#define LEASE_PREFIX "lease-"
#define LEASE_FILE_MAX (64u << 20)

struct limg__lease {
	limg_store *store;
	int fd;
	char name[64];
	pthread_mutex_t lock;
	limg__strset added;
};

static int gc_lock(int *fd, limg_store *s, bool exclusive)
{
	char label[4096];

	snprintf(label, sizeof label, "%s/.libimage/gc.lock", s->root);
	return limg__fs_lock_at(fd, s->meta_fd, "gc.lock", exclusive, true, label);
}

int limg__lease_new(limg__lease **out, limg_store *s)
{
	limg__lease *l;
	char label[4096];
	int lock = -1, rc;

	*out = NULL;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	if ((rc = limg__store_writable(s)) < 0) {
		limg__store_leave(s);
		return rc;
	}
	if (!(l = limg__calloc(1, sizeof *l))) {
		limg__store_leave(s);
		return limg__error_oom();
	}
	l->store = s;
	l->fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	snprintf(label, sizeof label, "%s/.libimage/leases", s->root);
	/* created and locked while gc cannot run, so gc never sees it unlocked */
	if ((rc = gc_lock(&lock, s, false)) < 0)
		goto fail;
	if ((rc = limg__fs_create_unique_at(&l->fd, s->leases_fd, LEASE_PREFIX, l->name, sizeof l->name, label)) == 0 &&
	    flock(l->fd, LOCK_EX | LOCK_NB) < 0)
		rc = limg__fs_error("cannot lock a lease in", label);
	limg__fs_unlock(lock);
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	limg__lease_free(l);
	return rc;
}

int limg__lease_add(limg__lease *l, const char *digest)
{
	char line[200];
	int lock = -1, rc, n;

	if (!l)
		return 0;
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	pthread_mutex_lock(&l->lock);
	if (limg__strset_has(&l->added, digest)) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	n = snprintf(line, sizeof line, "%s\n", digest);
	if ((rc = gc_lock(&lock, l->store, false)) == 0) {
		rc = limg__fs_write_all(l->fd, line, (size_t)n, "lease");
		limg__fs_unlock(lock);
	}
	if (rc == 0 && (rc = limg__strset_add(&l->added, digest)) > 0)
		rc = 0;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void limg__lease_free(limg__lease *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		unlinkat(l->store->leases_fd, l->name, 0);
		close(l->fd);
	}
	limg__strset_free(&l->added);
	pthread_mutex_destroy(&l->lock);
	limg__store_leave(l->store);
	limg__free(l);
}

/* Adds a live lease's digests to @keep. */
static int read_lease(int fd, limg__strset *keep)
{
	limg_buf text = LIMG_BUF_INIT;
	char *line, *save = NULL;
	struct stat st;
	ssize_t n;
	int rc = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)LEASE_FILE_MAX)
		return 0;
	if ((rc = limg__buf_grow(&text, (size_t)st.st_size + 1)) < 0)
		return rc;
	if ((n = pread(fd, text.ptr, (size_t)st.st_size, 0)) < 0)
		n = 0;
	text.ptr[n] = '\0';
	for (line = strtok_r(text.ptr, "\n", &save); line && rc >= 0; line = strtok_r(NULL, "\n", &save))
		if (limg__digest_check(line, strlen(line), NULL) == 0)
			rc = limg__strset_add(keep, line);
	limg_buf_dispose(&text);
	return rc < 0 ? rc : 0;
}

int limg__leases_collect(int *gc_fd, limg_store *s, limg__strset *keep)
{
	return limg__leases_collect_except(gc_fd, s, keep, NULL);
}

int limg__leases_collect_except(int *gc_fd, limg_store *s, limg__strset *keep, const limg__lease *mine)
{
	struct dirent *e;
	DIR *d;
	int fd, rc;

	*gc_fd = -1;
	if ((rc = gc_lock(gc_fd, s, true)) < 0)
		return rc;
	if ((fd = openat(s->leases_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return limg__fs_error("cannot list leases of", s->root);
	}
	while (rc == 0 && (e = readdir(d))) {
		int lf;
		if (!limg__fs_is_unique_name(e->d_name, LEASE_PREFIX) || (mine && !strcmp(e->d_name, mine->name)))
			continue;
		if ((lf = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		if (flock(lf, LOCK_EX | LOCK_NB) == 0) {
			/* its owner is gone: the lease expired with it */
			unlinkat(dirfd(d), e->d_name, 0);
		} else if (errno == EWOULDBLOCK) {
			rc = read_lease(lf, keep);
		}
		close(lf);
	}
	closedir(d);
	return rc;
}
