/* SPDX-License-Identifier: MIT */
/* compress: gzip through ISA-L and zlib alike, zstd; strictness; the ceiling; the digester's stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "compress/compress_internal.h"
#include "libimage/libimage.h"
#include "helpers.h"

/* Some compressible, not trivial, data. */
static unsigned char *sample(size_t n)
{
	unsigned char *p = malloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (unsigned char)("the quick brown fox jumps over the lazy dog 0123456789"[(x >> 16) % 54]);
	}
	return p;
}

static size_t gzip_of(unsigned char *out, size_t cap, const void *in, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

struct collect {
	unsigned char *p;
	size_t n, cap;
};

static int collect(const void *data, size_t len, void *payload)
{
	struct collect *c = payload;
	if (c->n + len > c->cap)
		return -99;
	memcpy(c->p + c->n, data, len);
	c->n += len;
	return 0;
}

/* Feeds @in in pieces of @step bytes; returns the first failure (update or finish). */
static int run(int kind, const unsigned char *in, size_t len, size_t step, int64_t max, struct collect *out)
{
	limg_decompressor *d;
	int rc = 0;

	ASSERT_OK(limg_decompressor_new(&d, kind, max));
	for (size_t at = 0; at < len && !rc; at += step)
		rc = limg_decompressor_update(d, in + at, len - at < step ? len - at : step, collect, out);
	if (!rc)
		rc = limg_decompressor_finish(d);
	limg_decompressor_free(d);
	return rc;
}

static void both_backends(void (*test)(void))
{
	limg__compress_force_zlib(false);
	test();
	limg__compress_force_zlib(true);
	test();
	limg__compress_force_zlib(false);
}

static void gzip_cases(void)
{
	size_t n = 256 << 10, glen; /* small enough for valgrind, big enough for many blocks */
	unsigned char *data = sample(n), *gz = malloc(2 * n + 100), *bad = malloc(2 * n + 200);
	struct collect out = { malloc(2 * n + 10), 0, 2 * n + 10 };
	size_t steps[] = { 7, 4096, 1 << 20, SIZE_MAX };

	/* byte by byte, on a small stream: headers and trailers split anywhere */
	glen = gzip_of(gz, 2 * n + 100, data, 3000);
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, gz, glen, 1, 0, &out), 0);
	assert_int_equal(out.n, 3000);
	assert_memory_equal(out.p, data, 3000);
	glen = gzip_of(gz, 2 * n + 100, data, n);
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		size_t step = steps[s] == SIZE_MAX ? glen : steps[s];
		out.n = 0;
		assert_int_equal(run(LIMG_COMPRESSION_GZIP, gz, glen, step, 0, &out), 0);
		assert_int_equal(out.n, n);
		assert_memory_equal(out.p, data, n);
	}
	/* two members one after the other: one stream */
	memcpy(bad, gz, glen);
	memcpy(bad + glen, gz, glen);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, bad, 2 * glen, 65536, 0, &out), 0);
	assert_int_equal(out.n, 2 * n);
	/* cut short */
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, gz, glen - 5, 65536, 0, &out), LIMG_ECORRUPT);
	/* a flipped byte in the CRC, then in the data */
	memcpy(bad, gz, glen);
	bad[glen - 6] ^= 0x55;
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, bad, glen, 65536, 0, &out), LIMG_ECORRUPT);
	memcpy(bad, gz, glen);
	bad[glen / 2] ^= 0x55;
	out.n = 0;
	assert_true(run(LIMG_COMPRESSION_GZIP, bad, glen, 65536, 0, &out) < 0);
	/* bytes after the last member that are no member */
	memcpy(bad, gz, glen);
	memcpy(bad + glen, "garbage!", 8);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, bad, glen + 8, 65536, 0, &out), LIMG_ECORRUPT);
	/* not gzip at all; nothing at all */
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, data, 1000, 100, 0, &out), LIMG_ECORRUPT);
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, data, 0, 100, 0, &out), LIMG_ECORRUPT);
	/* the ceiling: a stream that would produce more stops there */
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_GZIP, gz, glen, 65536, 100000, &out), LIMG_ETOOBIG);
	assert_true(out.n <= 100000);
	assert_non_null(strstr(limg_error_message(limg_error_last()), "layer size limit"));
	free(data);
	free(gz);
	free(bad);
	free(out.p);
}

static void test_gzip(void **state)
{
	(void)state;
	both_backends(gzip_cases);
}

static void test_zstd(void **state)
{
	size_t n = 256 << 10, zlen, zcap = ZSTD_compressBound(n);
	unsigned char *data = sample(n), *z = malloc(2 * zcap + 64), *bad = malloc(2 * zcap + 64);
	struct collect out = { malloc(2 * n + 10), 0, 2 * n + 10 };
	static const unsigned char skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'n', 'o', 't', 'e' };

	(void)state;
	zlen = ZSTD_compress(z, zcap, data, n, 3);
	assert_false(ZSTD_isError(zlen));
	assert_int_equal(run(LIMG_COMPRESSION_ZSTD, z, zlen, 5000, 0, &out), 0);
	assert_int_equal(out.n, n);
	assert_memory_equal(out.p, data, n);
	/* a skippable frame, then two frames */
	memcpy(bad, skippable, sizeof skippable);
	memcpy(bad + sizeof skippable, z, zlen);
	memcpy(bad + sizeof skippable + zlen, z, zlen);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_ZSTD, bad, sizeof skippable + 2 * zlen, 70000, 0, &out), 0);
	assert_int_equal(out.n, 2 * n);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_ZSTD, z, zlen - 3, 5000, 0, &out), LIMG_ECORRUPT);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_ZSTD, z, zlen, 5000, 50000, &out), LIMG_ETOOBIG);
	out.n = 0;
	assert_int_equal(run(LIMG_COMPRESSION_ZSTD, data, 5000, 5000, 0, &out), LIMG_ECORRUPT);
	free(data);
	free(z);
	free(bad);
	free(out.p);
}

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(limg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+gzip"), LIMG_COMPRESSION_GZIP);
	assert_int_equal(limg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+zstd"), LIMG_COMPRESSION_ZSTD);
	assert_int_equal(limg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar"), LIMG_COMPRESSION_NONE);
	assert_int_equal(limg_compression_from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip"), LIMG_COMPRESSION_GZIP);
	assert_int_equal(limg_compression_from_media_type("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
	                 LIMG_COMPRESSION_GZIP);
	assert_int_equal(limg_compression_from_media_type("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"),
	                 LIMG_COMPRESSION_ZSTD);
	assert_int_equal(limg_compression_from_media_type("application/vnd.example.tar+gzip"), LIMG_COMPRESSION_UNKNOWN);
	assert_int_equal(limg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+bzip2"), LIMG_COMPRESSION_UNKNOWN);
	assert_int_equal(limg_compression_from_media_type(NULL), LIMG_COMPRESSION_UNKNOWN);
	assert_int_equal(limg_compression_detect("\x1f\x8b\x08", 3), LIMG_COMPRESSION_GZIP);
	assert_int_equal(limg_compression_detect("\x28\xb5\x2f\xfd", 4), LIMG_COMPRESSION_ZSTD);
	assert_int_equal(limg_compression_detect("ustar", 5), LIMG_COMPRESSION_NONE);
	assert_int_equal(limg_decompressor_new(&(limg_decompressor *){ NULL }, LIMG_COMPRESSION_UNKNOWN, 0),
	                 LIMG_EUNSUPPORTED);
}

/* One, two or three stages: the same digest; a failure found on a thread comes back. */
static void test_digester_stages(void **state)
{
	size_t n = 1 << 20, glen;
	unsigned char *data = sample(n), *gz = malloc(2 * n);
	char want[200];
	limg_buf b = LIMG_BUF_INIT;

	(void)state;
	glen = gzip_of(gz, 2 * n, data, n);
	ASSERT_OK(limg_digest_compute(&b, LIMG_DIGEST_SHA256, data, n));
	snprintf(want, sizeof want, "%s", b.ptr);
	for (int stages = 1; stages <= 3; stages++) {
		limg__digester *d;
		const char *got;
		int64_t size;
		int rc = 0;

		assert_int_equal(limg__digester_new(&d, LIMG_COMPRESSION_GZIP, 0, stages), 0);
		for (size_t at = 0; at < glen; at += 10000)
			assert_int_equal(limg__digester_feed(d, gz + at, glen - at < 10000 ? glen - at : 10000), 0);
		assert_int_equal(limg__digester_finish(d, &got, &size), 0);
		assert_string_equal(got, want);
		assert_int_equal(size, n);
		limg__digester_free(d);

		/* a bomb, for a ceiling of 128 KiB: found by the inflating thread */
		assert_int_equal(limg__digester_new(&d, LIMG_COMPRESSION_GZIP, 128 << 10, stages), 0);
		for (size_t at = 0; at < glen && !rc; at += 10000)
			rc = limg__digester_feed(d, gz + at, glen - at < 10000 ? glen - at : 10000);
		if (!rc)
			rc = limg__digester_finish(d, &got, &size);
		assert_int_equal(rc, LIMG_ETOOBIG);
		limg__digester_free(d);

		/* freed half way: the threads stop */
		assert_int_equal(limg__digester_new(&d, LIMG_COMPRESSION_GZIP, 0, stages), 0);
		assert_int_equal(limg__digester_feed(d, gz, glen / 2), 0);
		limg__digester_free(d);
	}
	limg_buf_dispose(&b);
	free(data);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_digester_stages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
