/* Progress events of a push or a copy (see progress.h). */
#include "core/core.h"
#include "progress.h"

void limg__push_events_init(limg__push_events *ev, limg_push_progress_cb cb, void *payload, const char *what)
{
	ev->cb = cb;
	ev->payload = payload;
	ev->what = what;
	pthread_mutex_init(&ev->lock, NULL);
}

void limg__push_events_dispose(limg__push_events *ev)
{
	pthread_mutex_destroy(&ev->lock);
}

int limg__push_report(limg__push_events *ev, const char *digest, int kind, int event, int64_t done, int64_t total,
                      const char *from)
{
	int rc;

	if (!ev->cb)
		return 0;
	pthread_mutex_lock(&ev->lock);
	rc = ev->cb(digest, kind, event, done, total, from, ev->payload);
	pthread_mutex_unlock(&ev->lock);
	if (rc)
		limg__error_set(rc < 0 ? rc : LIMG_EUSER, "%s stopped by the progress callback (%d)", ev->what, rc);
	return rc;
}
