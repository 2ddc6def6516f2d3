/* SPDX-License-Identifier: MIT */
/* The bounded queue in front of a worker thread (see queue.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "queue.h"

struct slot {
	unsigned char *data;
	size_t len;
};

struct limg__queue {
	limg__queue_fn fn;
	void *payload;
	struct slot *slots;
	size_t nslots, slot_size;
	size_t head, count;  /* count slots from head are the worker's */
	bool busy;           /* the worker is inside fn with the head slot */
	/* who sleeps: a full queue wakes its producer only once half of it is
	 * free again, so the two do not wake each other for every slot */
	bool worker_waits, producer_waits, drainer_waits;
	bool stop;
	const char *name;
	int rc;
	limg__error_copy error;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *work(void *arg)
{
	limg__queue *q = arg;

	limg__thread_name(q->name);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct slot *s;
		int rc;
		while (!q->count && !q->stop) {
			q->worker_waits = true;
			if (q->drainer_waits)
				pthread_cond_broadcast(&q->cond);
			pthread_cond_wait(&q->cond, &q->lock);
		}
		q->worker_waits = false;
		if (q->stop)
			break;
		s = &q->slots[q->head];
		q->busy = true;
		pthread_mutex_unlock(&q->lock);
		rc = q->fn(s->data, s->len, q->payload);
		pthread_mutex_lock(&q->lock);
		q->busy = false;
		if (rc) {
			q->rc = rc;
			limg__error_save(&q->error);
			q->stop = true;
		}
		q->head = (q->head + 1) % q->nslots;
		q->count--;
		if ((q->producer_waits && q->count <= q->nslots / 2) || q->drainer_waits || q->stop)
			pthread_cond_broadcast(&q->cond);
	}
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int limg__queue_new(limg__queue **out, size_t slots, size_t slot_size, limg__queue_fn fn, void *payload,
                    const char *name)
{
	limg__queue *q = limg__calloc(1, sizeof *q);
	int rc;

	*out = NULL;
	if (!q || !(q->slots = limg__calloc(slots, sizeof *q->slots))) {
		limg__free(q);
		return limg__error_oom();
	}
	q->fn = fn;
	q->name = name;
	q->payload = payload;
	q->nslots = slots;
	q->slot_size = slot_size;
	for (size_t i = 0; i < slots; i++)
		if (!(q->slots[i].data = limg__malloc(slot_size))) {
			for (size_t k = 0; k < i; k++)
				limg__free(q->slots[k].data);
			limg__free(q->slots);
			limg__free(q);
			return limg__error_oom();
		}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if ((rc = limg__thread_start(&q->thread, work, q)) != 0) {
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
		for (size_t i = 0; i < slots; i++)
			limg__free(q->slots[i].data);
		limg__free(q->slots);
		limg__free(q);
		return rc == ENOMEM ? limg__error_oom() : limg__error_set(LIMG_ESYSTEM, "cannot start a thread");
	}
	*out = q;
	return 0;
}

/* The worker's failure: its error, and its code as the function returned it
 * (a callback's positive value stays positive). */
static int failure(limg__queue *q)
{
	if (!q->rc)
		return 0;
	limg__error_restore(&q->error);
	return q->rc;
}

int limg__queue_put(limg__queue *q, const void *data, size_t len)
{
	const unsigned char *p = data;
	int rc;

	pthread_mutex_lock(&q->lock);
	while (len && !q->rc) {
		struct slot *s;
		size_t take = len < q->slot_size ? len : q->slot_size;
		if (q->count == q->nslots) {
			q->producer_waits = true;
			while (q->count > q->nslots / 2 && !q->rc)
				pthread_cond_wait(&q->cond, &q->lock);
			q->producer_waits = false;
		}
		if (q->rc)
			break;
		/* not counted yet, so the worker does not touch it */
		s = &q->slots[(q->head + q->count) % q->nslots];
		pthread_mutex_unlock(&q->lock);
		memcpy(s->data, p, take);
		s->len = take;
		pthread_mutex_lock(&q->lock);
		q->count++;
		if (q->worker_waits)
			pthread_cond_broadcast(&q->cond);
		p += take;
		len -= take;
	}
	rc = failure(q);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int limg__queue_drain(limg__queue *q)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	q->drainer_waits = true;
	while ((q->count || q->busy) && !q->rc)
		pthread_cond_wait(&q->cond, &q->lock);
	q->drainer_waits = false;
	rc = failure(q);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void limg__queue_free(limg__queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (size_t i = 0; i < q->nslots; i++)
		limg__free(q->slots[i].data);
	limg__free(q->slots);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	limg__free(q);
}
