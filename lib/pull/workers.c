/* SPDX-License-Identifier: MIT */
/* Layer downloads on a few threads; the first failure stops the others. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "pull_internal.h"

struct limg__pull_pool {
	struct pull *p;
	struct layer_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	pthread_t *ids;
	size_t started;
};

static void *worker(void *arg)
{
	struct limg__pull_pool *pool = arg;

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

int limg__pull_layers_start(struct limg__pull_pool **out, struct pull *p, struct layer_job *jobs, size_t n)
{
	struct limg__pull_pool *pool = limg__calloc(1, sizeof *pool);
	size_t threads = (size_t)(p->o.concurrency > 0 ? p->o.concurrency : 3);

	*out = NULL;
	if (!pool)
		return limg__error_oom();
	pool->p = p;
	pool->jobs = jobs;
	pool->n = n;
	pthread_mutex_init(&pool->lock, NULL);
	*out = pool;
	if (threads > n)
		threads = n;
	/* (one thread at least when the caller works meanwhile: limg_pull_unpack applies as they come) */
	if (p->fused && threads < 1)
		threads = 1;
	if ((threads <= 1 && !p->fused) || !(pool->ids = limg__calloc(threads, sizeof *pool->ids))) {
		worker(pool);
		return 0;
	}
	for (; pool->started < threads; pool->started++)
		if (limg__thread_start(&pool->ids[pool->started], worker, pool) != 0)
			break;
	if (!pool->started)
		worker(pool); /* no threads to be had: do it here */
	return 0;
}

int limg__pull_layers_wait(struct limg__pull_pool *pool)
{
	struct layer_job *jobs = pool->jobs;
	int rc = 0;

	for (size_t i = 0; i < pool->started; i++)
		pthread_join(pool->ids[i], NULL);
	/* the first real failure wins over the cancellations it caused */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < pool->n && !rc; i++)
			if (jobs[i].rc && (pass || jobs[i].rc != LIMG_ECANCELLED)) {
				limg__error_restore(&jobs[i].error);
				rc = jobs[i].rc;
			}
	pthread_mutex_destroy(&pool->lock);
	limg__free(pool->ids);
	limg__free(pool);
	return rc;
}

int limg__pull_layers(struct pull *p, struct layer_job *jobs, size_t n)
{
	struct limg__pull_pool *pool;
	int rc = limg__pull_layers_start(&pool, p, jobs, n);

	return rc < 0 ? rc : limg__pull_layers_wait(pool);
}
