/* SPDX-License-Identifier: MIT */
/*
 * The pace of one registry's requests, shared by every call and thread
 * using the handle: at most max_requests_per_second started, and none at
 * all while a 429 holds us back. A registry that says "too many requests"
 * means all of ours, not only the one it refused: without a shared pause,
 * the other threads of a mirror run would go on and deepen the storm.
 * Each request sent is counted by kind, so that a caller can report what
 * a registry received.
 */
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "registry_internal.h"

void limg__registry_pace_init(limg__registry_pace *p, int per_second)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	p->per_second = per_second > 0 ? per_second : 0;
	for (int i = 0; i < LIMG__REQ_KINDS; i++)
		atomic_init(&p->count[i], 0);
	atomic_init(&p->throttled, 0);
}

void limg__registry_pace_dispose(limg__registry_pace *p)
{
	pthread_mutex_destroy(&p->lock);
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
