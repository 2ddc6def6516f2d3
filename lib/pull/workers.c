/* SPDX-License-Identifier: MIT */
/* Layer downloads on a few threads; the first failure stops the others. */
#include <stdlib.h>
#include <string.h>

#include "pull_internal.h"

struct pool {
	struct pull *p;
	struct layer_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *worker(void *arg)
{
	struct pool *pool = arg;

	limg__thread_name("limg-layer");
	for (;;) {
		struct layer_job *job;
		pthread_mutex_lock(&pool->lock);
		job = pool->next < pool->n && !limg_cancel_requested(pool->p->stop) ? &pool->jobs[pool->next++] : NULL;
		pthread_mutex_unlock(&pool->lock);
		if (!job)
			return NULL;
		job->rc = limg__pull_layer(pool->p, job);
		if (job->rc != 0) {
			limg__error_save(&job->error);
			limg_cancel_request(pool->p->stop); /* the others stop at their next chunk */
		}
	}
}

int limg__pull_layers(struct pull *p, struct layer_job *jobs, size_t n)
{
	struct pool pool = { p, jobs, n, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t threads = (size_t)(p->o.concurrency > 0 ? p->o.concurrency : 3), started = 0;
	pthread_t *ids;
	int rc = 0;

	if (threads > n)
		threads = n;
	if (threads <= 1) {
		worker(&pool);
	} else {
		if (!(ids = calloc(threads, sizeof *ids)))
			return limg__error_oom();
		for (; started < threads; started++)
			if (pthread_create(&ids[started], NULL, worker, &pool) != 0)
				break;
		if (!started)
			worker(&pool); /* no threads to be had: do it here */
		for (size_t i = 0; i < started; i++)
			pthread_join(ids[i], NULL);
		free(ids);
	}
	/* the first real failure wins over the cancellations it caused */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < n && !rc; i++)
			if (jobs[i].rc && (pass || jobs[i].rc != LIMG_ECANCELLED)) {
				limg__error_restore(&jobs[i].error);
				rc = jobs[i].rc;
			}
	pthread_mutex_destroy(&pool.lock);
	return rc;
}
