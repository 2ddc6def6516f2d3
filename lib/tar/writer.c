/* SPDX-License-Identifier: MIT */
/* The tar writer (see writer.h): names are ours (blobs/sha256/<hex> and
 * a few fixed ones), always shorter than ustar's 100 bytes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "writer.h"

#define BLOCK 512
#define WAIT_MS 100 /* longest wait before the token is looked at again */

enum { FD_UNKNOWN = 0, FD_PLAIN, FD_PIPE, FD_SOCKET };

/* What the descriptor is; a pipe gets a non-blocking description of its
 * own (reopened through /proc), so that a write never waits inside the
 * kernel where the token cannot reach it. */
static void learn_fd(limg__tar_writer *t)
{
	struct stat st;
	char path[64];

	t->own_fd = -1;
	t->kind = FD_PLAIN;
	if (fstat(t->fd, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		t->kind = FD_SOCKET;
	} else if (S_ISFIFO(st.st_mode)) {
		t->kind = FD_PIPE;
		snprintf(path, sizeof path, "/proc/self/fd/%d", t->fd);
		t->own_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	}
}

/* Waits until the descriptor takes bytes, looking at the token between
 * waits (and after a signal, which is how SIGINT reaches a program's token). */
static int writable(limg__tar_writer *t)
{
	for (;;) {
		struct pollfd p = { t->fd, POLLOUT, 0 };
		int ready;

		if (limg_cancel_requested(t->cancel))
			return limg__error_set(LIMG_ECANCELLED, "save cancelled");
		ready = poll(&p, 1, WAIT_MS);
		if (ready > 0)
			return 0; /* (POLLERR and POLLHUP too: the write says what they mean) */
		if (ready < 0 && errno != EINTR)
			return limg__error_set(LIMG_ESYSTEM, "cannot write the archive: %s", strerror(errno));
	}
}

/* One write that does not block on a pipe or a socket (-1 with EAGAIN when it would). */
static ssize_t write_some(limg__tar_writer *t, const void *p, size_t len)
{
	switch (t->kind) {
	case FD_SOCKET:
		return send(t->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case FD_PIPE:
		/* without a description of our own, what surely fits once poll said there is room: a page */
		return t->own_fd >= 0 ? write(t->own_fd, p, len) : write(t->fd, p, len < PIPE_BUF ? len : PIPE_BUF);
	default:
		return write(t->fd, p, len);
	}
}

static int put(limg__tar_writer *t, const void *data, size_t len)
{
	const char *p = data;
	int rc;

	if (t->write) {
		if (len && (rc = t->write(data, len, t->payload)) != 0)
			return limg__error_after_callback(rc, "writing the archive");
		t->written += (int64_t)len;
		return 0;
	}
	if (t->kind == FD_UNKNOWN)
		learn_fd(t);
	while (len) {
		ssize_t n;
		if (limg_cancel_requested(t->cancel))
			return limg__error_set(LIMG_ECANCELLED, "save cancelled");
		if (t->kind != FD_PLAIN && (rc = writable(t)) < 0)
			return rc;
		n = write_some(t, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return limg__error_set(errno == ENOSPC || errno == EDQUOT ? LIMG_ENOSPACE : LIMG_ESYSTEM,
			                       "cannot write the archive: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
		t->written += n;
	}
	return 0;
}

void limg__tar_writer_dispose(limg__tar_writer *t)
{
	if (t->kind != FD_UNKNOWN && t->own_fd >= 0)
		close(t->own_fd);
	t->own_fd = -1;
	t->kind = FD_UNKNOWN;
}

static void octal(char *field, size_t width, uint64_t value)
{
	/* width - 1 digits and a NUL, as ustar wants */
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)value);
}

static int header(limg__tar_writer *t, const char *name, char type, int64_t size, unsigned mode)
{
	unsigned char h[BLOCK];
	unsigned sum = 0;

	if (strlen(name) >= 100)
		return limg__error_set(LIMG_EINVALID, "tar name too long: %s", name);
	memset(h, 0, sizeof h);
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	if (size < (int64_t)077777777777) {
		octal((char *)h + 124, 12, (uint64_t)size);
	} else {
		/* GNU base-256: the high bit set, then the size big-endian */
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (unsigned char)((uint64_t)size >> (8 * i));
	}
	octal((char *)h + 136, 12, 0); /* mtime: fixed, for archives that compare equal */
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return put(t, h, sizeof h);
}

int limg__tar_dir(limg__tar_writer *t, const char *name)
{
	return header(t, name, '5', 0, 0755);
}

int limg__tar_file_header(limg__tar_writer *t, const char *name, int64_t size)
{
	return header(t, name, '0', size, 0644);
}

int limg__tar_data(limg__tar_writer *t, const void *data, size_t len)
{
	return put(t, data, len);
}

int limg__tar_pad(limg__tar_writer *t, int64_t size)
{
	static const unsigned char zeros[BLOCK];
	size_t rest = (size_t)(size % BLOCK);

	return rest ? put(t, zeros, BLOCK - rest) : 0;
}

int limg__tar_file(limg__tar_writer *t, const char *name, const void *data, size_t len)
{
	int rc;

	if ((rc = limg__tar_file_header(t, name, (int64_t)len)) < 0 || (rc = put(t, data, len)) < 0)
		return rc;
	return limg__tar_pad(t, (int64_t)len);
}

int limg__tar_finish(limg__tar_writer *t)
{
	static const unsigned char zeros[2 * BLOCK];
	return put(t, zeros, sizeof zeros);
}
