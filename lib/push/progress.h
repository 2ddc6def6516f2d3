/*
 * The progress events of a push or a copy (limg_push_progress_cb): handed
 * to the caller one at a time, from whichever worker has one; a non-zero
 * answer stops the operation.
 */
#ifndef LIMG_PUSH_PROGRESS_H
#define LIMG_PUSH_PROGRESS_H

#include <pthread.h>

#include "libimage/push.h"

typedef struct {
	limg_push_progress_cb cb; /* may be NULL */
	void *payload;
	const char *what;         /* "push", "copy": named in the error when it stops */
	pthread_mutex_t lock;
} limg__push_events;

void limg__push_events_init(limg__push_events *ev, limg_push_progress_cb cb, void *payload, const char *what);
void limg__push_events_dispose(limg__push_events *ev);
/* 0, or the callback's answer (its error set: a negative code as it is, else LIMG_EUSER). */
int limg__push_report(limg__push_events *ev, const char *digest, int kind, int event, int64_t done, int64_t total,
                      const char *from);

#endif
