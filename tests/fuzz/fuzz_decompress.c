/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes through both decompressors (the first
 * byte picks gzip or zstd), fed in pieces of varying sizes, with a ceiling:
 * never more out than the ceiling, every failure an error with a message.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "libimage/compress.h"

#define CEILING (1 << 20)

static int count(const void *data, size_t len, void *payload)
{
	(void)data;
	*(size_t *)payload += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg_decompressor *d = NULL;
	size_t out = 0, at = 1;
	int rc = 0;

	if (size < 1)
		return 0;
	if (limg_decompressor_new(&d, data[0] & 1 ? LIMG_COMPRESSION_ZSTD : LIMG_COMPRESSION_GZIP, CEILING) < 0) {
		limg_error_clear();
		return 0;
	}
	while (rc == 0 && at < size) {
		size_t n = 1 + (data[at - 1] % 97);
		if (n > size - at)
			n = size - at;
		rc = limg_decompressor_update(d, data + at, n, count, &out);
		at += n;
	}
	if (rc == 0)
		rc = limg_decompressor_finish(d);
	assert(out <= CEILING);
	assert(limg_decompressor_bytes_out(d) == (int64_t)out);
	if (rc < 0)
		assert(limg_error_message(limg_error_last())[0]);
	limg_decompressor_free(d);
	limg_error_clear();
	return 0;
}
