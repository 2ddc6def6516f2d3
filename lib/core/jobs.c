/* SPDX-License-Identifier: MIT */
/* Jobs on threads (see jobs.h). */
#include <pthread.h>
#include <stdlib.h>

#include "core.h"
#include "jobs.h"

struct result {
	int rc;
	limg__error_copy error;
};

struct pool {
	size_t n, next;
	limg__job_fn fn;
	void *payload;
	limg_cancel *stop;
	struct result *results;
	pthread_mutex_t lock;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	limg__thread_name("limg-job");
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		i = p->next < p->n && !limg_cancel_requested(p->stop) ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			return NULL;
		if ((p->results[i].rc = p->fn(i, p->payload)) != 0) {
			limg__error_save(&p->results[i].error);
			limg_cancel_request(p->stop);
		}
	}
}

int limg__jobs_run(size_t n, int threads, limg__job_fn fn, void *payload, limg_cancel *stop)
{
	struct pool p = { n, 0, fn, payload, stop, NULL, PTHREAD_MUTEX_INITIALIZER };
	pthread_t *ids = NULL;
	size_t want = threads > 0 ? (size_t)threads : 1, started = 0;
	int rc = 0;

	if (!n)
		return 0;
	if (!(p.results = limg__calloc(n, sizeof *p.results)))
		return limg__error_oom();
	if (want > n)
		want = n;
	if (want > 1 && (ids = limg__calloc(want, sizeof *ids)))
		for (; started < want; started++)
			if (limg__thread_start(&ids[started], worker, &p) != 0)
				break;
	if (!started)
		worker(&p); /* one job at a time, or no threads to be had: here */
	for (size_t i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	limg__free(ids);
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < n && !rc; i++)
			if (p.results[i].rc && (pass || p.results[i].rc != LIMG_ECANCELLED)) {
				limg__error_restore(&p.results[i].error);
				rc = p.results[i].rc;
			}
	limg__free(p.results);
	pthread_mutex_destroy(&p.lock);
	return rc;
}
