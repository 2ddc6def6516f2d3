/* SPDX-License-Identifier: MIT */
/* One-shot digest computation and verification of buffers and streams. */
#include <string.h>

#include "core/core.h"
#include "digest_internal.h"

int limg_digest_compute(limg_buf *out, int algorithm, const void *data, size_t len)
{
	limg_hasher *h;
	const char *d;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = limg_hasher_new(&h, algorithm)) < 0)
		return rc;
	if ((rc = limg_hasher_update(h, data, len)) == 0 && (rc = limg_hasher_finish(&d, h)) == 0) {
		out->size = 0;
		rc = limg__buf_put(out, d, strlen(d));
	}
	limg_hasher_free(h);
	return rc;
}

/* A hasher for the algorithm of an expected digest (validated here). */
static int hasher_for(limg_hasher **out, const char *expected)
{
	int rc, algo = 0;

	if (!expected)
		return limg__error_invalid("expected");
	if ((rc = limg__digest_check(expected, strlen(expected), &algo)) < 0)
		return limg__digest_raise(rc, expected, strlen(expected));
	return limg_hasher_new(out, algo);
}

int limg_digest_verify(const char *expected, const void *data, size_t len)
{
	limg_hasher *h;
	int rc;

	if ((rc = hasher_for(&h, expected)) < 0)
		return rc;
	if ((rc = limg_hasher_update(h, data, len)) == 0)
		rc = limg_hasher_verify(h, expected);
	limg_hasher_free(h);
	return rc;
}

int limg_digest_verify_stream(const char *expected, limg_read_cb read, void *payload)
{
	unsigned char chunk[64 * 1024];
	limg_hasher *h;
	int rc;

	if (!read)
		return limg__error_invalid("read");
	if ((rc = hasher_for(&h, expected)) < 0)
		return rc;
	for (;;) {
		size_t got = 0;
		if ((rc = read(&got, chunk, sizeof chunk, payload)) != 0) {
			/* errors.h: a positive value is LIMG_EUSER, a negative one comes back as it is */
			rc = limg__error_after_callback(rc, "digest verification");
			break;
		}
		if (got > sizeof chunk) {
			rc = limg__error_set(LIMG_EINVALID, "read callback claims %zu bytes in a %zu-byte buffer",
			                     got, sizeof chunk);
			break;
		}
		if (got == 0) {
			rc = limg_hasher_verify(h, expected);
			break;
		}
		limg_hasher_update(h, chunk, got);
	}
	limg_hasher_free(h);
	return rc;
}
