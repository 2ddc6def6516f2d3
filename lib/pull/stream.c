/* SPDX-License-Identifier: MIT */
/* A layer's bytes from its download to the unpack that follows it (see stream.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "stream.h"

#define WAIT_STEP_MS 50 /* how often a waiting reader looks at the stop token */

enum stream_state { S_WAITING, S_FILE, S_COMMITTED, S_STORED, S_FAILED };

struct limg__layer_stream {
	limg_store *store;
	char digest[160];
	limg_cancel *stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum stream_state state;
	int fd;          /* the file the download writes (ours, a dup), or -1 */
	int retired[4];  /* files it wrote before (a reader may still be reading one), closed at the end */
	size_t nretired;
	int64_t ready;   /* [0, ready) are in it */
	bool waiting;    /* the reader waits for more */
	int rc;          /* S_FAILED: the download's failure */
	limg__error_copy error;
	int64_t pos;     /* bytes handed out (written by the reader, under the lock) */
	/* the reader's side */
	limg_blob_reader *reader;
	bool ended;
};

int limg__stream_new(limg__layer_stream **out, limg_store *store, const char *digest, limg_cancel *stop)
{
	limg__layer_stream *s = limg__calloc(1, sizeof *s);

	*out = NULL;
	if (!s)
		return limg__error_oom();
	s->store = store;
	s->stop = stop;
	s->fd = -1;
	snprintf(s->digest, sizeof s->digest, "%s", digest);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	*out = s;
	return 0;
}

void limg__stream_free(limg__layer_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->nretired; i++)
		close(s->retired[i]);
	limg_blob_reader_close(s->reader);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	limg__free(s);
}

static void wake(limg__layer_stream *s)
{
	if (s->waiting)
		pthread_cond_broadcast(&s->cond);
}

int limg__stream_file(limg__layer_stream *s, int fd, int64_t ready)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (copy < 0)
		return limg__error_set(LIMG_ESYSTEM, "layer %s: cannot share the file being downloaded: %s", s->digest,
		                       strerror(errno));
	pthread_mutex_lock(&s->lock);
	if (s->fd >= 0 && s->nretired == sizeof s->retired / sizeof *s->retired) {
		pthread_mutex_unlock(&s->lock);
		close(copy);
		return limg__error_set(LIMG_ESYSTEM, "layer %s: its download started over too often", s->digest);
	}
	if (s->fd >= 0)
		s->retired[s->nretired++] = s->fd;
	s->fd = copy;
	/* the bytes start over behind what was read (never with one endpoint): the reader cannot follow */
	if (ready < s->pos) {
		s->state = S_FAILED;
		s->rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, s->digest,
		                              "layer %s: its download started over after its first bytes were applied",
		                              s->digest);
		limg__error_save(&s->error);
		limg_error_clear();
	} else if (s->state == S_WAITING || s->state == S_FILE) {
		s->state = S_FILE;
		s->ready = ready;
	}
	wake(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void limg__stream_more(limg__layer_stream *s, int64_t ready)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == S_FILE && ready > s->ready) {
		s->ready = ready;
		wake(s);
	}
	pthread_mutex_unlock(&s->lock);
}

void limg__stream_committed(limg__layer_stream *s, int64_t size)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == S_FILE) {
		s->state = S_COMMITTED;
		s->ready = size; /* the writer's last gathered bytes too */
	}
	wake(s);
	pthread_mutex_unlock(&s->lock);
}

void limg__stream_stored(limg__layer_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == S_WAITING || s->state == S_FILE)
		s->state = S_STORED;
	wake(s);
	pthread_mutex_unlock(&s->lock);
}

void limg__stream_failed(limg__layer_stream *s, int rc)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == S_WAITING || s->state == S_FILE) {
		s->state = S_FAILED;
		s->rc = rc;
		limg__error_save(&s->error);
	}
	wake(s);
	pthread_mutex_unlock(&s->lock);
}

/* The reader's position moves under the lock: a download starting over compares with it. */
static void advance(limg__layer_stream *s, int64_t n)
{
	pthread_mutex_lock(&s->lock);
	s->pos += n;
	pthread_mutex_unlock(&s->lock);
}

/* The rest from the stored blob, whose reader checks the digest of all of
 * it: what was read from the file before is read again and dropped. */
static int from_store(limg__layer_stream *s, size_t *out_len, void *buf, size_t cap)
{
	int rc;

	if (!s->reader) {
		if ((rc = limg_blob_reader_open(&s->reader, s->store, s->digest)) < 0)
			return rc;
		for (int64_t skip = s->pos; skip > 0;) {
			size_t n, want = (int64_t)cap < skip ? cap : (size_t)skip;
			if ((rc = limg_blob_reader_read(&n, s->reader, buf, want)) < 0)
				return rc;
			if (!n)
				return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, s->digest,
				                             "blob %s is shorter in the store than its download", s->digest);
			skip -= (int64_t)n;
		}
	}
	if ((rc = limg_blob_reader_read(out_len, s->reader, buf, cap)) < 0)
		return rc;
	advance(s, (int64_t)*out_len);
	return 0;
}

int limg__stream_read(size_t *out_len, void *buf, size_t cap, void *payload)
{
	limg__layer_stream *s = payload;
	enum stream_state state;
	int64_t at, until;
	int fd;

	*out_len = 0;
	if (s->ended)
		return 0;
	pthread_mutex_lock(&s->lock);
	while (s->state == S_WAITING || (s->state == S_FILE && s->ready <= s->pos)) {
		struct timespec ts;
		if (limg_cancel_requested(s->stop)) {
			pthread_mutex_unlock(&s->lock);
			return limg__error_set(LIMG_ECANCELLED, "cancelled");
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WAIT_STEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		s->waiting = true;
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
		s->waiting = false;
	}
	state = s->state;
	fd = s->fd;
	at = s->pos;
	until = s->ready;
	pthread_mutex_unlock(&s->lock);
	if (state == S_FAILED)
		return limg__error_restore(&s->error);
	if (state == S_STORED)
		return from_store(s, out_len, buf, cap);
	if (at >= until) { /* committed, and all of it read */
		s->ended = true;
		return 0;
	}
	if (until - at < (int64_t)cap)
		cap = (size_t)(until - at);
	for (;;) {
		ssize_t n = pread(fd, buf, cap, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? limg__error_set(LIMG_ESYSTEM, "layer %s: cannot read back what was downloaded: %s",
			                               s->digest, strerror(errno))
			             : limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, s->digest,
			                                     "blob %s: the downloaded file is shorter than what was written",
			                                     s->digest);
		advance(s, n);
		*out_len = (size_t)n;
		return 0;
	}
}
