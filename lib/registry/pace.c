/* SPDX-License-Identifier: MIT */
/*
 * The pace of one registry's requests, shared by every call and thread
 * using the handle: at most max_requests_per_second started, and none at
 * all while a 429 holds us back. A registry that says "too many requests"
 * means all of ours, not only the one it refused: without a shared pause,
 * the other threads of a mirror run would go on and deepen the storm.
 * Each request sent is counted by kind, so that a caller can report what
 * a registry received. max_connections bounds the requests in flight at
 * once: each takes a slot for its whole exchange, body included; a
 * streamed blob copy takes its slots (one at each end) before it starts,
 * for both of its threads, so that a copy within one registry never holds
 * one end while it waits for the other (with every slot so held, nothing
 * could move).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "registry_internal.h"

void limg__registry_pace_init(limg__registry_pace *p, int per_second, int max_connections)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->per_second = per_second > 0 ? per_second : 0;
	p->slots_max = max_connections > 0 ? max_connections : 0;
	for (int i = 0; i < LIMG__REQ_KINDS; i++)
		atomic_init(&p->count[i], 0);
	atomic_init(&p->throttled, 0);
}

void limg__registry_pace_dispose(limg__registry_pace *p)
{
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
}

/* The registries whose slots this thread holds (taken, or lent to it). */
#define HELD_MAX 4
static _Thread_local limg__registry_pace *held[HELD_MAX];

static bool holds(const limg__registry_pace *p)
{
	for (int i = 0; i < HELD_MAX; i++)
		if (held[i] == p)
			return true;
	return false;
}

static void mark(limg__registry_pace *p, bool on)
{
	for (int i = 0; i < HELD_MAX; i++)
		if (on ? !held[i] : held[i] == p) {
			held[i] = on ? p : NULL;
			return;
		}
}

static int wait_for(limg__registry_pace *p, int want, const limg_cancel *cancel)
{
	pthread_mutex_lock(&p->lock);
	while (p->slots_used + want > p->slots_max) {
		struct timespec until;
		if (limg_cancel_requested(cancel)) {
			pthread_mutex_unlock(&p->lock);
			return limg__error_set(LIMG_ECANCELLED, "cancelled while waiting for a connection to the registry");
		}
		/* short waits: a cancellation is noticed */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->freed, &p->lock, &until);
	}
	p->slots_used += want;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void release(limg__registry_pace *p, int want)
{
	pthread_mutex_lock(&p->lock);
	p->slots_used -= want;
	pthread_cond_broadcast(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

int limg__registry_slots_take(limg__registry_pace *p, int n, const limg_cancel *cancel)
{
	int rc;

	if (!p->slots_max)
		return 0;
	if ((rc = wait_for(p, n < p->slots_max ? n : p->slots_max, cancel)) == 0)
		mark(p, true);
	return rc;
}

void limg__registry_slots_give(limg__registry_pace *p, int n)
{
	if (!p->slots_max)
		return;
	mark(p, false);
	release(p, n < p->slots_max ? n : p->slots_max);
}

void limg__registry_slots_lend(limg__registry_pace *p)
{
	if (p) {
		if (p->slots_max)
			mark(p, true);
	} else {
		memset(held, 0, sizeof held);
	}
}

int limg__registry_slot_enter(limg__registry_pace *p, const limg_cancel *cancel, bool *took)
{
	int rc;

	*took = false;
	if (!p->slots_max || holds(p))
		return 0;
	if ((rc = wait_for(p, 1, cancel)) == 0)
		*took = true;
	return rc;
}

void limg__registry_slot_leave(limg__registry_pace *p, bool took)
{
	if (took)
		release(p, 1);
}

int limg__registry_pace_wait(limg__registry_pace *p, const limg_cancel *cancel)
{
	for (;;) {
		int64_t now = limg__now_ms(), wait;

		if (limg_cancel_requested(cancel))
			return limg__error_set(LIMG_ECANCELLED, "cancelled while waiting to send a request");
		pthread_mutex_lock(&p->lock);
		wait = p->paused_until_ms - now;
		if (wait <= 0 && p->per_second) {
			/* a slot every 1000/rate ms, taken in turn */
			int64_t start = p->next_ms > now ? p->next_ms : now;
			wait = start - now;
			if (wait <= 0)
				p->next_ms = start + 1000 / p->per_second;
		}
		pthread_mutex_unlock(&p->lock);
		if (wait <= 0)
			return 0;
		/* short naps: a cancellation (or a pause ending early) is noticed */
		usleep((useconds_t)(wait < 50 ? wait : 50) * 1000);
	}
}

void limg__registry_pace_hold(limg__registry_pace *p, long ms)
{
	int64_t until = limg__now_ms() + (ms > 0 ? ms : 0);

	atomic_fetch_add(&p->throttled, 1);
	pthread_mutex_lock(&p->lock);
	if (until > p->paused_until_ms)
		p->paused_until_ms = until;
	pthread_mutex_unlock(&p->lock);
}

/* The kind of a request, from its method and the path of its URL. */
static int kind_of(const char *method, const char *url)
{
	const char *path = strstr(url, "://");
	bool head = !strcmp(method, "HEAD"), get = !strcmp(method, "GET");

	path = path ? strchr(path + 3, '/') : url;
	if (!path)
		return LIMG__REQ_OTHER;
	if (strstr(path, "/blobs/uploads/") || (!head && !get && strstr(path, "/blobs/")))
		return LIMG__REQ_BLOB_UPLOAD;
	if (strstr(path, "/manifests/"))
		return head ? LIMG__REQ_MANIFEST_HEAD : get ? LIMG__REQ_MANIFEST_GET : LIMG__REQ_MANIFEST_PUT;
	if (strstr(path, "/blobs/"))
		return head ? LIMG__REQ_BLOB_HEAD : LIMG__REQ_BLOB_GET;
	if (strstr(path, "/tags/list"))
		return LIMG__REQ_TAGS_LIST;
	if (strstr(path, "/_catalog"))
		return LIMG__REQ_CATALOG;
	/* an upload URL elsewhere (another host, no /v2/ path) carries blob bytes */
	if (!head && !get)
		return LIMG__REQ_BLOB_UPLOAD;
	return LIMG__REQ_OTHER;
}

void limg__registry_count(limg__registry_pace *p, const char *method, const char *url)
{
	atomic_fetch_add(&p->count[kind_of(method ? method : "GET", url)], 1);
}

void limg__registry_counts(limg_registry *r, int64_t out[LIMG__REQ_KINDS], int64_t *throttled)
{
	for (int i = 0; i < LIMG__REQ_KINDS; i++)
		out[i] = r ? (int64_t)atomic_load(&r->pace.count[i]) : 0;
	if (throttled)
		*throttled = r ? (int64_t)atomic_load(&r->pace.throttled) : 0;
}
