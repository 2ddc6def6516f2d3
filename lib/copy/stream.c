/* SPDX-License-Identifier: MIT */
/*
 * A streamed blob runs as two threads joined by a bounded pipe: the fetch
 * (digest checked by the registry client) fills it, the upload drains it;
 * the last bytes go to the destination only once the source's digest has
 * checked out, and the destination checks the digest again. A broken blob
 * copy starts over, a few times.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/core.h"
#include "core/pipe.h"
#include "registry/registry_internal.h"
#include "stream.h"

#define BLOB_ATTEMPTS 3
#define PIPE_SLOTS 8
#define PIPE_SLOT (256u * 1024)

typedef struct {
	const limg__copy_stream *s;
	const limg__xfer_blob *b;
	limg__pipe *pipe;
	pthread_t thread;
	bool started;         /* the fetch starts with the first byte wanted: a mount wants none */
	int fetch_rc;
	const unsigned char *cur; /* the slot being drained */
	size_t left;
	int64_t given, reported;
} stream;

static int into_pipe(const void *data, size_t len, void *payload)
{
	return limg__pipe_write(payload, data, len);
}

static void *fetch_thread(void *arg)
{
	stream *st = arg;
	limg__blob_fetch how = { 0 };
	size_t used;

	limg__thread_name("limg-fetch");
	limg__registry_slots_lend(&st->s->from->pace); /* taken for this blob by stream_once() */
	/* (verified: the registry client checks the digest before it returns) */
	how.verify = true;
	how.cancel = st->s->cancel;
	how.write = into_pipe;
	how.payload = st->pipe;
	st->fetch_rc = limg__registry_blob_fetch_at(st->s->from, st->s->from_repo, st->b->digest, st->b->size, &how, 0,
	                                            &used);
	limg__pipe_finish(st->pipe, st->fetch_rc);
	limg__registry_slots_lend(NULL);
	return NULL;
}

/* The upload's source: what the fetch put in the pipe. */
static int from_pipe(size_t *got, void *buf, size_t cap, void *payload)
{
	stream *st = payload;
	const void *data;
	ssize_t n;
	size_t take;
	int rc;

	*got = 0;
	if (!st->started) {
		if ((rc = limg__thread_start(&st->thread, fetch_thread, st)) != 0)
			return rc == ENOMEM ? limg__error_oom()
			                    : limg__error_set(LIMG_ESYSTEM, "cannot start a thread for blob %s", st->b->digest);
		st->started = true;
	}
	if (!st->left) {
		if ((n = limg__pipe_read(st->pipe, &data)) < 0)
			return (int)n;
		if (n == 0)
			return 0; /* the upload notices the blob ended early */
		st->cur = data;
		st->left = (size_t)n;
	}
	take = cap < st->left ? cap : st->left;
	memcpy(buf, st->cur, take);
	st->cur += take;
	st->left -= take;
	st->given += (int64_t)take;
	if (st->given == st->b->size && !st->left && (n = limg__pipe_read(st->pipe, &data)) != 0)
		/* the last bytes wait for the source's digest: a mismatch never reaches the destination */
		return n < 0 ? (int)n : limg__error_set(LIMG_EPROTOCOL, "blob %s is longer than %lld bytes", st->b->digest,
		                                         (long long)st->b->size);
	*got = take;
	return st->s->plan ? limg__transfer_uploading(st->s->plan, &st->reported, st->b, st->given) : 0;
}

/* max_connections: both ends of the blob's transfer taken before either
 * starts (in one go within one registry, else in a fixed order), so that
 * no copy holds one end while it waits for the other. */
static int take_ends(const limg__copy_stream *s)
{
	limg__registry_pace *a = &s->from->pace, *b = &s->to->pace;
	int rc;

	if (a == b)
		return limg__registry_slots_take(a, 2, s->cancel);
	if (a > b) {
		limg__registry_pace *t = a;
		a = b;
		b = t;
	}
	if ((rc = limg__registry_slots_take(a, 1, s->cancel)) < 0)
		return rc;
	if ((rc = limg__registry_slots_take(b, 1, s->cancel)) < 0)
		limg__registry_slots_give(a, 1);
	return rc;
}

static void give_ends(const limg__copy_stream *s)
{
	limg__registry_pace *a = &s->from->pace, *b = &s->to->pace;

	if (a == b) {
		limg__registry_slots_give(a, 2);
	} else {
		limg__registry_slots_give(a, 1);
		limg__registry_slots_give(b, 1);
	}
}

static int stream_once(const limg__copy_stream *s, const limg__xfer_blob *b, int *result)
{
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	stream st;
	int rc;

	memset(&st, 0, sizeof st);
	st.s = s;
	st.b = b;
	if ((rc = take_ends(s)) < 0)
		return rc;
	if ((rc = limg__pipe_new(&st.pipe, PIPE_SLOTS, PIPE_SLOT)) < 0) {
		give_ends(s);
		return rc;
	}
	uo.skip_exists_check = 1; /* asked already */
	uo.mount_from = s->mount_from;
	uo.chunk_size = s->chunk_size;
	uo.cancel = s->cancel;
	ucb.read = from_pipe;
	ucb.payload = &st;
	rc = limg_registry_blob_upload(result, s->to, s->to_repo, b->digest, b->size, &uo, &ucb);
	if (st.started) {
		limg__pipe_abandon(st.pipe);
		pthread_join(st.thread, NULL);
	}
	limg__pipe_free(st.pipe);
	give_ends(s);
	return rc;
}

static bool worth_again(int rc)
{
	return rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT || rc == LIMG_EHTTP || rc == LIMG_EPROTOCOL;
}

int limg__copy_stream_blob(const limg__copy_stream *s, const limg__xfer_blob *b, int *result)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		*result = 0;
		if ((rc = stream_once(s, b, result)) == 0)
			return 0;
		if (!worth_again(rc) || attempt >= BLOB_ATTEMPTS || limg_cancel_requested(s->cancel))
			return rc;
		limg__log(s->from->ctx, LIMG_LOG_INFO, "blob %s: %s; copying it again (%d/%d)", b->digest,
		          limg_error_message(limg_error_last()), attempt + 1, BLOB_ATTEMPTS);
	}
}
