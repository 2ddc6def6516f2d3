/* SPDX-License-Identifier: MIT */
/*
 * A stage of a pipeline: a worker thread fed through a bounded queue of
 * fixed slots. The producer's bytes are copied into a free slot (waiting
 * while all are full), so memory is slots x slot size whatever the speeds.
 * The worker's first failure stops it and comes back at the producer's
 * next put.
 */
#ifndef LIMG_CORE_QUEUE_H
#define LIMG_CORE_QUEUE_H

#include <stddef.h>

typedef struct limg__queue limg__queue;

/* Called on the worker thread with each slot's bytes; non-zero stops. */
typedef int (*limg__queue_fn)(const void *data, size_t len, void *payload);

/* Starts the worker, a thread called @name. LIMG_ESYSTEM when no thread can be had. */
int limg__queue_new(limg__queue **out, size_t slots, size_t slot_size, limg__queue_fn fn, void *payload,
                    const char *name);
/* Copies @len bytes in (split over slots). 0, or the worker's failure (its error restored). */
int limg__queue_put(limg__queue *q, const void *data, size_t len);
/* Waits until the worker has seen everything; then 0 or its failure. */
int limg__queue_drain(limg__queue *q);
/* Stops the worker (what is queued is dropped) and frees; NULL is accepted. */
void limg__queue_free(limg__queue *q);

#endif
