/* SPDX-License-Identifier: MIT */
/*
 * Reading an archive (input.h). A descriptor is waited on with poll() and a
 * short timeout, never with a blocking read: a stalled pipe or an idle
 * socket lets the cancel token (set by another thread or a signal handler)
 * stop the load within a fraction of a second, and an interrupted call
 * looks at the token before it waits again.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "input.h"
#include "libimage/cancel.h"

#define READ_CHUNK (256u * 1024)
#define FEED_CHUNK (16u * 1024)  /* compressed bytes per step: bounds what one step inflates to */
#define PROGRESS_STEP (4u << 20) /* archive bytes between progress reports */
#define WAIT_MS 100              /* longest wait before the token is looked at again */

static int stop(limg__input *in, int rc)
{
	in->stopped = rc;
	limg__error_save(&in->stopped_error);
	errno = ECANCELED;
	return -1;
}

/* read(2) that waits in poll(), looking at the token between waits. */
static ssize_t fd_read(limg__input *in, void *buf, size_t cap)
{
	for (;;) {
		struct pollfd p = { in->fd, POLLIN, 0 };
		ssize_t n;
		int ready;

		if (limg_cancel_requested(in->cancel))
			return stop(in, limg__error_set(LIMG_ECANCELLED, "load cancelled"));
		ready = poll(&p, 1, WAIT_MS);
		if (ready < 0 && errno != EINTR)
			return -1;
		if (ready <= 0)
			continue; /* the timeout, or a signal: the token first */
		n = read(in->fd, buf, cap);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
	}
}

/* The caller's bytes; -1 with errno, or with in->stopped set. */
static ssize_t source_read(limg__input *in, void *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	if (in->fd >= 0) {
		n = fd_read(in, buf, cap);
	} else if ((rc = in->cb->read(&got, buf, cap, in->cb->payload)) != 0) {
		return stop(in, limg__error_after_callback(rc, "load"));
	} else {
		n = (ssize_t)(got > cap ? cap : got);
	}
	if (n > 0) {
		in->read_total += n;
		if (in->cb->progress && in->read_total - in->reported >= (int64_t)PROGRESS_STEP) {
			in->reported = in->read_total;
			if ((rc = in->cb->progress(NULL, LIMG_BLOB_NONE, LIMG_EVENT_READING, in->read_total, -1, NULL,
			                           in->cb->payload)) != 0)
				return stop(in, limg__error_after_callback(rc, "load"));
		}
	}
	return n;
}

static ssize_t raw_read(limg__input *in, void *buf, size_t cap)
{
	if (in->head_given < in->head_len) {
		size_t k = in->head_len - in->head_given < cap ? in->head_len - in->head_given : cap;
		memcpy(buf, in->head + in->head_given, k);
		in->head_given += k;
		return (ssize_t)k;
	}
	return source_read(in, buf, cap);
}

static int to_out(const void *data, size_t len, void *payload)
{
	return limg__buf_put(payload, data, len) < 0 ? LIMG_ENOMEM : 0;
}

static la_ssize_t input_read(struct archive *ar, void *payload, const void **data)
{
	limg__input *in = payload;
	ssize_t n;

	if (limg_cancel_requested(in->cancel)) {
		stop(in, limg__error_set(LIMG_ECANCELLED, "load cancelled"));
		archive_set_error(ar, ECANCELED, "cancelled");
		return -1;
	}
	if (!in->dec) {
		n = raw_read(in, in->in, READ_CHUNK);
		if (n < 0)
			archive_set_error(ar, errno, "cannot read the archive: %s", strerror(errno));
		*data = in->in;
		return n;
	}
	in->out.size = 0;
	while (!in->out.size && !in->in_eof) {
		n = raw_read(in, in->in, FEED_CHUNK);
		if (n < 0) {
			archive_set_error(ar, errno, "cannot read the archive: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			in->in_eof = true;
			if (limg_decompressor_finish(in->dec) < 0) {
				archive_set_error(ar, EINVAL, "%s", limg_error_message(limg_error_last()));
				return -1;
			}
			break;
		}
		if (limg_decompressor_update(in->dec, in->in, (size_t)n, to_out, &in->out) < 0) {
			archive_set_error(ar, EINVAL, "%s", limg_error_message(limg_error_last()));
			return -1;
		}
	}
	*data = in->out.ptr;
	return (la_ssize_t)in->out.size;
}

int limg__input_open(limg__input *in, int fd, const limg_archive_load_callbacks *cb, const limg_cancel *cancel)
{
	ssize_t n;
	int c;

	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->cb = cb;
	in->cancel = cancel;
	if (!(in->in = limg__malloc(READ_CHUNK)))
		return limg__error_oom();
	while (in->head_len < sizeof in->head) {
		n = source_read(in, in->head + in->head_len, sizeof in->head - in->head_len);
		if (n < 0)
			return in->stopped ? limg__input_stopped(in)
			                   : limg__error_set(LIMG_ESYSTEM, "cannot read the archive: %s", strerror(errno));
		if (n == 0)
			break;
		in->head_len += (size_t)n;
	}
	c = limg_compression_detect(in->head, in->head_len);
	if (c == LIMG_COMPRESSION_GZIP || c == LIMG_COMPRESSION_ZSTD)
		return limg_decompressor_new(&in->dec, c, INT64_MAX);
	return 0;
}

int limg__input_open_archive(struct archive **out, limg__input *in)
{
	struct archive *ar;
	int rc;

	*out = NULL;
	if ((rc = limg__libarchive_load()) < 0)
		return rc;
	if (!(ar = archive_read_new()) || archive_read_support_format_tar(ar) != ARCHIVE_OK) {
		archive_read_free(ar);
		return limg__error_oom();
	}
	if (archive_read_open(ar, in, NULL, input_read, NULL) != ARCHIVE_OK) {
		rc = in->stopped ? limg__input_stopped(in)
		                 : limg__error_set(LIMG_ECORRUPT, "not a tar archive: %s",
		                                   archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
		archive_read_free(ar);
		return rc;
	}
	*out = ar;
	return 0;
}

int limg__input_stopped(limg__input *in)
{
	return in->stopped ? limg__error_restore(&in->stopped_error) : 0;
}

void limg__input_dispose(limg__input *in)
{
	limg_decompressor_free(in->dec);
	limg_buf_dispose(&in->out);
	limg__free(in->in);
	memset(in, 0, sizeof *in);
}
