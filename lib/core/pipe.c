/* SPDX-License-Identifier: MIT */
/* The bounded pipe (see pipe.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "pipe.h"

struct slot {
	unsigned char *data;
	size_t len;
};

struct limg__pipe {
	struct slot *slots;
	size_t nslots, slot_size;
	size_t head, count;  /* filled slots from head */
	bool borrowed;       /* the reader holds the head slot */
	bool finished, abandoned;
	int rc;
	limg__error_copy error;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

int limg__pipe_new(limg__pipe **out, size_t slots, size_t slot_size)
{
	limg__pipe *p = limg__calloc(1, sizeof *p);

	*out = NULL;
	if (!p || !(p->slots = limg__calloc(slots, sizeof *p->slots)))
		goto oom;
	p->nslots = slots;
	p->slot_size = slot_size;
	for (size_t i = 0; i < slots; i++)
		if (!(p->slots[i].data = limg__malloc(slot_size)))
			goto oom;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	*out = p;
	return 0;
oom:
	if (p && p->slots)
		for (size_t i = 0; i < slots; i++)
			limg__free(p->slots[i].data);
	if (p)
		limg__free(p->slots);
	limg__free(p);
	return limg__error_oom();
}

int limg__pipe_write(limg__pipe *p, const void *data, size_t len)
{
	const unsigned char *src = data;

	pthread_mutex_lock(&p->lock);
	while (len && !p->abandoned) {
		struct slot *s;
		size_t take = len < p->slot_size ? len : p->slot_size;
		while (p->count == p->nslots && !p->abandoned)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->abandoned)
			break;
		s = &p->slots[(p->head + p->count) % p->nslots]; /* not counted yet: the writer's alone */
		pthread_mutex_unlock(&p->lock);
		memcpy(s->data, src, take);
		s->len = take;
		pthread_mutex_lock(&p->lock);
		p->count++;
		pthread_cond_broadcast(&p->cond);
		src += take;
		len -= take;
	}
	len = p->abandoned;
	pthread_mutex_unlock(&p->lock);
	return len ? LIMG_ECANCELLED : 0;
}

void limg__pipe_finish(limg__pipe *p, int rc)
{
	pthread_mutex_lock(&p->lock);
	p->finished = true;
	p->rc = rc;
	if (rc)
		limg__error_save(&p->error);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

ssize_t limg__pipe_read(limg__pipe *p, const void **data)
{
	ssize_t n;

	pthread_mutex_lock(&p->lock);
	if (p->borrowed) {
		/* done with the slot lent last time */
		p->borrowed = false;
		p->head = (p->head + 1) % p->nslots;
		p->count--;
		pthread_cond_broadcast(&p->cond);
	}
	while (!p->count && !p->finished)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->count && !p->rc) {
		p->borrowed = true;
		*data = p->slots[p->head].data;
		n = (ssize_t)p->slots[p->head].len;
	} else if (p->rc) {
		limg__error_restore(&p->error);
		n = p->rc > 0 ? -p->rc : p->rc;
	} else {
		n = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}

void limg__pipe_abandon(limg__pipe *p)
{
	pthread_mutex_lock(&p->lock);
	p->abandoned = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void limg__pipe_free(limg__pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nslots; i++)
		limg__free(p->slots[i].data);
	limg__free(p->slots);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	limg__free(p);
}
