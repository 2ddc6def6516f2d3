/* SPDX-License-Identifier: MIT */
/* The tar writer (see writer.h): names are ours (blobs/sha256/<hex> and
 * a few fixed ones), always shorter than ustar's 100 bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "writer.h"

#define BLOCK 512

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
	while (len) {
		ssize_t n = write(t->fd, p, len);
		if (n < 0 && errno == EINTR)
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
