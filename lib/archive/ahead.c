/* SPDX-License-Identifier: MIT */
/* The checker of ahead.h: one thread, at most DEPTH blobs ahead. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ahead.h"
#include "core/core.h"
#include "libimage/digest.h"

#define DEPTH 2           /* blobs checked and not yet taken: bounds open files and wasted work */
#define CHUNK (1u << 20)

typedef struct {
	int fd;
	struct stat st;
	int rc;
	limg__error_copy error;
} verdict;

struct limg__ahead {
	limg_store *store;
	const char *const *digests;
	size_t n;
	const limg_cancel *cancel;
	verdict *v;
	size_t checked, taken; /* blobs [0, checked) have verdicts; [0, taken) were taken */
	bool stop;             /* read by the thread without the lock: atomically */
	bool finished;         /* the thread is done (all checked, or one failed) */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	limg_hasher *hasher;
	unsigned char *buf;
};

/* Opens and hashes blob @i whole; its bytes are read, never kept. */
static void check(limg__ahead *a, size_t i)
{
	verdict *v = &a->v[i];
	const char *digest = a->digests[i], *got;
	int64_t off = 0;

	v->fd = -1;
	if ((v->rc = limg__store_blob_open(&v->fd, a->store, digest)) < 0)
		goto out;
	if (fstat(v->fd, &v->st) < 0) {
		v->rc = limg__error_set(LIMG_ESYSTEM, "stored blob %s: %s", digest, strerror(errno));
		goto out;
	}
	limg_hasher_reset(a->hasher);
	while (off < v->st.st_size) {
		size_t want = v->st.st_size - off < (int64_t)CHUNK ? (size_t)(v->st.st_size - off) : CHUNK;
		ssize_t n = pread(v->fd, a->buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			v->rc = limg__error_set(n < 0 ? LIMG_ESYSTEM : LIMG_ECORRUPT, "stored blob %s: %s", digest,
			                        n < 0 ? strerror(errno) : "shorter than it was");
			goto out;
		}
		if (limg_cancel_requested(a->cancel) || __atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
			v->rc = limg__error_set(LIMG_ECANCELLED, "save cancelled");
			goto out;
		}
		if ((v->rc = limg_hasher_update(a->hasher, a->buf, (size_t)n)) < 0)
			goto out;
		off += n;
	}
	if ((v->rc = limg_hasher_finish(&got, a->hasher)) < 0)
		goto out;
	if (strcmp(got, digest) != 0)
		v->rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, digest,
		                              "stored blob %s is damaged (its content hashes to %s): nothing of it was saved",
		                              digest, got);
out:
	if (v->rc < 0) {
		limg__error_save(&v->error);
		if (v->fd >= 0)
			close(v->fd);
		v->fd = -1;
	}
}

static void *work(void *payload)
{
	limg__ahead *a = payload;

	limg__thread_name("limg-check");
	pthread_mutex_lock(&a->lock);
	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED) && a->checked < a->n) {
		size_t i;
		if (a->checked - a->taken >= DEPTH) {
			pthread_cond_wait(&a->changed, &a->lock);
			continue;
		}
		i = a->checked;
		pthread_mutex_unlock(&a->lock);
		check(a, i);
		pthread_mutex_lock(&a->lock);
		a->checked = i + 1;
		pthread_cond_broadcast(&a->changed);
		if (a->v[i].rc < 0)
			break; /* the save stops at this blob: nothing after it is needed */
	}
	a->finished = true;
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int limg__ahead_start(limg__ahead **out, limg_store *s, const char *const *digests, size_t n,
                      const limg_cancel *cancel)
{
	limg__ahead *a = limg__calloc(1, sizeof *a);

	*out = NULL;
	if (!a || !(a->v = limg__calloc(n ? n : 1, sizeof *a->v)) || !(a->buf = limg__malloc(CHUNK)) ||
	    limg_hasher_new(&a->hasher, LIMG_DIGEST_SHA256) < 0) {
		if (a) {
			limg__free(a->v);
			limg__free(a->buf);
		}
		limg__free(a);
		return limg__error_oom();
	}
	a->store = s;
	a->digests = digests;
	a->n = n;
	a->cancel = cancel;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->changed, NULL);
	a->threaded = limg__thread_start(&a->thread, work, a) == 0; /* else take() checks, in turn */
	*out = a;
	return 0;
}

int limg__ahead_take(limg__ahead *a, size_t i, int *fd, struct stat *st)
{
	verdict *v = &a->v[i];

	*fd = -1;
	if (!a->threaded) {
		check(a, i);
		a->checked = a->taken = i + 1;
	} else {
		pthread_mutex_lock(&a->lock);
		while (a->checked <= i && !a->finished)
			pthread_cond_wait(&a->changed, &a->lock);
		if (a->checked <= i) { /* stopped before it (cancelled, or taken out of turn) */
			pthread_mutex_unlock(&a->lock);
			return limg__error_set(LIMG_ECANCELLED, "save cancelled");
		}
		a->taken = i + 1;
		pthread_cond_broadcast(&a->changed);
		pthread_mutex_unlock(&a->lock);
	}
	if (v->rc < 0)
		return limg__error_restore(&v->error);
	*fd = v->fd;
	*st = v->st;
	v->fd = -1;
	return 0;
}

void limg__ahead_stop(limg__ahead *a)
{
	if (!a)
		return;
	if (a->threaded) {
		pthread_mutex_lock(&a->lock);
		__atomic_store_n(&a->stop, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&a->changed);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	for (size_t i = a->taken; i < a->checked; i++)
		if (a->v[i].fd >= 0)
			close(a->v[i].fd);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->changed);
	limg_hasher_free(a->hasher);
	limg__free(a->buf);
	limg__free(a->v);
	limg__free(a);
}
