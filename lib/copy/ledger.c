/* SPDX-License-Identifier: MIT */
/*
 * The blobs many copies into one registry share: the first copy that needs
 * one moves it, the others wait for it and mount it (no byte moves twice).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copy_internal.h"
#include "core/core.h"

typedef struct {
	char *digest;
	char *repo;   /* where it is now, or NULL while in flight */
} entry;

struct limg__blob_ledger {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	entry *e;
	size_t n, cap;
};

int limg__blob_ledger_new(limg__blob_ledger **out)
{
	limg__blob_ledger *l = limg__calloc(1, sizeof *l);

	*out = NULL;
	if (!l)
		return limg__error_oom();
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->changed, NULL);
	*out = l;
	return 0;
}

void limg__blob_ledger_free(limg__blob_ledger *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		limg__free(l->e[i].digest);
		limg__free(l->e[i].repo);
	}
	limg__free(l->e);
	pthread_cond_destroy(&l->changed);
	pthread_mutex_destroy(&l->lock);
	limg__free(l);
}

static entry *find(limg__blob_ledger *l, const char *digest)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].digest, digest))
			return &l->e[i];
	return NULL;
}

int limg__blob_ledger_claim(limg__blob_ledger *l, const char *digest, char **mount_from, const limg_cancel *cancel)
{
	entry *e;
	int rc = 0;

	*mount_from = NULL;
	pthread_mutex_lock(&l->lock);
	for (;;) {
		if (!(e = find(l, digest))) {
			/* nobody has it: ours to move */
			char *d = limg__strdup(digest);
			if (!d || limg__array_grow((void **)&l->e, &l->cap, l->n + 1, sizeof *l->e) < 0) {
				limg__free(d);
				rc = limg__error_oom();
				break;
			}
			l->e[l->n++] = (entry){ d, NULL };
			break;
		}
		if (e->repo) {
			rc = (*mount_from = limg__strdup(e->repo)) ? 1 : limg__error_oom();
			break;
		}
		if (limg_cancel_requested(cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "cancelled while waiting for blob %s", digest);
			break;
		}
		/* in flight elsewhere: wait (in short steps, so that a cancellation is seen) */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->changed, &l->lock, &until);
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void limg__blob_ledger_done(limg__blob_ledger *l, const char *digest, const char *repo, bool ok)
{
	entry *e;

	pthread_mutex_lock(&l->lock);
	if ((e = find(l, digest)) && !e->repo) {
		char *r = ok ? limg__strdup(repo) : NULL;
		if (r) {
			e->repo = r;
		} else {
			/* failed (or no memory to remember it): forgotten, so another copy tries */
			limg__free(e->digest);
			*e = l->e[--l->n];
		}
	}
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
}
