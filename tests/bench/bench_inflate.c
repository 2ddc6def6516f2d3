/* SPDX-License-Identifier: MIT */
/*
 * bench_inflate FILE [RUNS]: the serial part of verifying one gzip layer.
 * Inflates FILE from memory through libimage's decompressor (ISA-L when
 * built in), alone and then with SHA-256 of the output on the same thread,
 * and prints the best of RUNS (default 3) as
 *   "inflate_s S inflate_hash_s S out_bytes N".
 * A deflate stream cannot be split, so a verified pull of an image waits at
 * least the inflate of its largest layer, however many cores it has.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double best[2] = { 1e9, 1e9 };
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
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < 2; k++) {
			double t = pass(in, n, k, &out);
			if (t < 0) {
				fprintf(stderr, "bench_inflate: %s\n", limg_error_message(limg_error_last()));
				return 1;
			}
			if (t < best[k])
				best[k] = t;
		}
	printf("inflate_s %.4f inflate_hash_s %.4f out_bytes %zu\n", best[0], best[1], out);
	free(in);
	return 0;
}
