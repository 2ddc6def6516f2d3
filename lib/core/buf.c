/* SPDX-License-Identifier: MIT */
/* limg_buf: growable byte buffers handed to callers. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void limg_buf_dispose(limg_buf *buf)
{
	if (!buf)
		return;
	if (buf->reserved)
		limg__free(buf->ptr);
	buf->ptr = NULL;
	buf->size = 0;
	buf->reserved = 0;
}

int limg__buf_grow(limg_buf *buf, size_t need)
{
	size_t want;
	char *p;

	if (need < buf->reserved)
		return 0;
	want = buf->reserved ? buf->reserved : 64;
	while (want <= need) {
		if (want > ((size_t)-1) / 2)
			return limg__error_oom();
		want *= 2;
	}
	p = limg__realloc(buf->reserved ? buf->ptr : NULL, want);
	if (!p)
		return limg__error_oom();
	if (!buf->reserved && buf->size)
		memcpy(p, buf->ptr, buf->size);
	buf->ptr = p;
	buf->reserved = want;
	return 0;
}

int limg__buf_put(limg_buf *buf, const void *data, size_t len)
{
	if (len > ((size_t)-1) - buf->size - 1)
		return limg__error_oom();
	if (limg__buf_grow(buf, buf->size + len + 1) < 0)
		return LIMG_ENOMEM;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int limg_buf_set(limg_buf *buf, const void *data, size_t len)
{
	if (!buf || (!data && len))
		return limg__error_invalid(buf ? "data" : "buf");
	if (buf->ptr && !buf->reserved)
		buf->ptr = NULL; /* borrowed memory is not ours to reuse */
	buf->size = 0;
	return limg__buf_put(buf, data, len);
}
