/* SPDX-License-Identifier: MIT */
/*
 * bench_inflate FILE [RUNS]: the serial part of verifying one gzip layer.
 * Inflates FILE from memory through libimage's decompressor (ISA-L when
 * built in), alone and then with SHA-256 of the output on the same thread,
 * and with zlib's own inflate for comparison, the three interleaved in each
 * of RUNS (default 3) rounds; prints the bests and the medians as
 *   "inflate_s S inflate_hash_s S out_bytes N median_inflate_s S
 *    median_inflate_hash_s S zlib_inflate_s S median_zlib_inflate_s S".
 * A deflate stream cannot be split, so a verified pull of an image waits at
 * least the inflate of its largest layer, however many cores it has.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include <libimage/libimage.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int count(const void *data, size_t len, void *payload)
{
	(void)data;
	*(size_t *)payload += len;
	return 0;
}

static int hash(const void *data, size_t len, void *payload)
{
	return limg_hasher_update(payload, data, len);
}

/* One pass over @in; the seconds it took, or -1. */
static double pass(const unsigned char *in, size_t n, int with_hash, size_t *out)
{
	limg_decompressor *d = NULL;
	limg_hasher *h = NULL;
	const char *digest;
	double t;
	int rc = 0;

	*out = 0;
	if (limg_decompressor_new(&d, LIMG_COMPRESSION_GZIP, 0) < 0 ||
	    (with_hash && limg_hasher_new(&h, LIMG_DIGEST_SHA256) < 0))
		return -1;
	t = now();
	/* in 128 KiB pieces, as a download hands them over */
	for (size_t at = 0; at < n && rc == 0; at += 128 << 10)
		rc = limg_decompressor_update(d, in + at, n - at < (128u << 10) ? n - at : 128u << 10,
		                              with_hash ? hash : count, with_hash ? (void *)h : (void *)out);
	if (rc == 0)
		rc = limg_decompressor_finish(d);
	if (rc == 0 && with_hash)
		rc = limg_hasher_finish(&digest, h);
	t = now() - t;
	*out = (size_t)limg_decompressor_bytes_out(d);
	limg_hasher_free(h);
	limg_decompressor_free(d);
	return rc == 0 ? t : -1;
}

/* The same pass through zlib's inflate alone (what libimage would use without ISA-L). */
static double zlib_pass(const unsigned char *in, size_t n, size_t *out)
{
	static unsigned char buf[256 << 10];
	z_stream z = { 0 };
	double t;
	int rc = Z_OK;

	*out = 0;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	t = now();
	for (size_t at = 0; at < n && rc != Z_STREAM_END; at += 128 << 10) {
		z.next_in = (unsigned char *)in + at;
		z.avail_in = (uInt)(n - at < (128u << 10) ? n - at : 128u << 10);
		do {
			z.next_out = buf;
			z.avail_out = sizeof buf;
			rc = inflate(&z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				inflateEnd(&z);
				return -1;
			}
			*out += sizeof buf - z.avail_out;
		} while (z.avail_out == 0 && rc != Z_STREAM_END);
	}
	t = now() - t;
	inflateEnd(&z);
	return rc == Z_STREAM_END ? t : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double best[3] = { 1e9, 1e9, 1e9 }, *times[3];
	size_t zout = 0;
	unsigned char *in;
	size_t n, out = 0;
	long size;
	FILE *f;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: bench_inflate FILE [RUNS]\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || size > (1L << 30) ||
	    fseek(f, 0, SEEK_SET) || !(in = malloc((size_t)size + 1)) || fread(in, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "bench_inflate: cannot read %s (at most 1 GiB)\n", argv[1]);
		return 1;
	}
	fclose(f);
	n = (size_t)size;
	for (int k = 0; k < 3; k++)
		times[k] = calloc((size_t)runs, sizeof *times[k]);
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < 3; k++) {
			double t = k < 2 ? pass(in, n, k, &out) : zlib_pass(in, n, &zout);
			if (t < 0) {
				fprintf(stderr, "bench_inflate: %s\n", k < 2 ? limg_error_message(limg_error_last()) : "zlib");
				return 1;
			}
			times[k][r] = t;
			if (t < best[k])
				best[k] = t;
		}
	if (zout != out) {
		fprintf(stderr, "bench_inflate: zlib made %zu bytes, libimage %zu\n", zout, out);
		return 1;
	}
	printf("inflate_s %.4f inflate_hash_s %.4f out_bytes %zu", best[0], best[1], out);
	printf(" median_inflate_s %.4f median_inflate_hash_s %.4f", median(times[0], runs), median(times[1], runs));
	printf(" zlib_inflate_s %.4f median_zlib_inflate_s %.4f\n", best[2], median(times[2], runs));
	for (int k = 0; k < 3; k++)
		free(times[k]);
	free(in);
	return 0;
}
