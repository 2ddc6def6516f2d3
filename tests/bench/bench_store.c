/* SPDX-License-Identifier: MIT */
/*
 * Store benchmarks.
 *
 *   bench_store ingest [MiB] [DIR] [ROUNDS]   ingest a file of MiB (default
 *                                    1024) and compare with openssl dgst
 *                                    -sha256 + cp + sync, ROUNDS (5) rounds
 *                                    interleaved
 *   bench_store tags [N] [DIR]       tag set, lookup and full listing with N
 *                                    tags (default 10000) in the store
 *   bench_store tagops STORE N REPS DIGEST OTHER
 *                                    lookups, sets, moves and removals one by
 *                                    one on a store bench_index.py filled with
 *                                    N tags (DIGEST, OTHER: images in it);
 *                                    median and worst per call, peak RSS
 *
 * DIR (default $TMPDIR or /tmp) should be on the disk you care about.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libimage/libimage.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, limg_error_message(limg_error_last()));
	exit(1);
}

static double run(const char *cmd)
{
	double t = now();
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(1);
	}
	return now() - t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of @n values (sorted in place). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double ingest_once(const char *dir, const char *src, const char *digest, size_t mib, int round)
{
	static unsigned char chunk[1 << 20];
	char path[1200], cmd[2600];
	limg_store *store;
	limg_blob_writer *w;
	double t;
	int fd;

	snprintf(path, sizeof path, "%s/store%d", dir, round);
	if (limg_store_open(&store, NULL, path, NULL) < 0)
		die("open");
	t = now();
	fd = open(src, O_RDONLY);
	if (limg_blob_writer_open(&w, store, digest, (int64_t)(mib << 20)) < 0)
		die("writer");
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n <= 0)
			break;
		if (limg_blob_writer_write(w, chunk, (size_t)n) < 0)
			die("write");
	}
	if (limg_blob_writer_commit(w) < 0)
		die("commit");
	t = now() - t;
	close(fd);
	limg_blob_writer_close(w);
	limg_store_close(store);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	run(cmd);
	return t;
}

/* The floor of an ingest: hashing the file as fast as this machine hashes
 * (OpenSSL's SHA-256, which uses the SHA extensions where the CPU has them,
 * as libimage does; Debian's sha256sum does not), then copying it and
 * flushing the copy. Rounds interleave floor and libimage (A B A B) so that
 * drift in the machine's speed falls on both; medians against medians, bests
 * against bests. */
static int bench_ingest(size_t mib, const char *base, int rounds)
{
	char dir[1024], src[1100], cmd[8192], digest[100] = "";
	static unsigned char chunk[1 << 20];
	double hash[16], copy[16], copy_sync[16], floor_[16], ours[16], best_floor, best_ours;
	FILE *f;
	int fd;

	if (rounds < 1 || rounds > 16)
		return fprintf(stderr, "rounds: 1 to 16\n"), 2;
	snprintf(dir, sizeof dir, "%s/limg-bench-XXXXXX", base);
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(src, sizeof src, "%s/source.bin", dir);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (size_t i = 0; i < mib; i++) {
		for (size_t j = 0; j < sizeof chunk; j += 8) {
			unsigned long long x = (i * sizeof chunk + j) * 0x9E3779B97F4A7C15ull;
			memcpy(chunk + j, &x, 8);
		}
		if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
			return perror("write"), 1;
	}
	fsync(fd);
	close(fd);

	/* warm the page cache so every contender reads from memory */
	snprintf(cmd, sizeof cmd, "cat '%s' > /dev/null", src);
	run(cmd);
	snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s' > '%s/sum'", src, dir);
	run(cmd);
	snprintf(cmd, sizeof cmd, "%s/sum", dir);
	f = fopen(cmd, "r");
	if (!f || fscanf(f, "%64s", digest + 7) != 1)
		return fprintf(stderr, "cannot read openssl's output\n"), 1;
	fclose(f);
	memcpy(digest, "sha256:", 7);
	for (int r = 0; r < rounds; r++) {
		snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s' > /dev/null", src);
		hash[r] = run(cmd);
		snprintf(cmd, sizeof cmd, "cp '%s' '%s/copy' && rm '%s/copy'", src, dir, dir);
		copy[r] = run(cmd);
		snprintf(cmd, sizeof cmd, "cp '%s' '%s/copy' && sync '%s/copy' && rm '%s/copy'", src, dir, dir, dir);
		copy_sync[r] = run(cmd);
		floor_[r] = hash[r] + copy_sync[r];
		ours[r] = ingest_once(dir, src, digest, mib, r);
	}
	best_floor = floor_[0];
	best_ours = ours[0];
	for (int r = 1; r < rounds; r++) {
		best_floor = floor_[r] < best_floor ? floor_[r] : best_floor;
		best_ours = ours[r] < best_ours ? ours[r] : best_ours;
	}
	{
		char fs[64] = "?";
		snprintf(cmd, sizeof cmd, "stat -f -c %%T '%s'", dir);
		if ((f = popen(cmd, "r"))) {
			if (!fgets(fs, sizeof fs, f))
				snprintf(fs, sizeof fs, "?");
			fs[strcspn(fs, "\n")] = '\0';
			pclose(f);
		}
		printf("ingest of %zu MiB in %s (%s), page cache warm, commit includes fsync; %d rounds interleaved, "
		       "medians:\n", mib, dir, fs, rounds);
	}
	printf("  openssl dgst -sha256    %6.3f s  %7.0f MB/s\n", median(hash, rounds), mib * 1.048576 / median(hash, rounds));
	printf("  cp                      %6.3f s\n", median(copy, rounds));
	printf("  cp + sync               %6.3f s\n", median(copy_sync, rounds));
	printf("  floor (openssl + cp + sync, per round) %6.3f s (best %.3f s)\n", median(floor_, rounds), best_floor);
	printf("  libimage ingest         %6.3f s  %7.0f MB/s (best %.3f s)\n", median(ours, rounds),
	       mib * 1.048576 / median(ours, rounds), best_ours);
	printf("  floor / libimage        %5.0f%% of medians, %.0f%% of bests (target >= 90%%)\n",
	       100.0 * median(floor_, rounds) / median(ours, rounds), 100.0 * best_floor / best_ours);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	run(cmd);
	return 0;
}

static int bench_tags(int n, const char *base)
{
	char dir[1024], path[1100], ref[256], manifest[100];
	struct stat st;
	const char *text = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                   "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
	                   "\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},"
	                   "\"layers\":[]}";
	limg_store *store;
	limg_blob_writer *w;
	limg_buf d = LIMG_BUF_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	double t0, t_set, t_lookup, t_list;
	int count = 0, reps = 20;
	FILE *f;

	snprintf(dir, sizeof dir, "%s/limg-bench-XXXXXX", base);
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	if (limg_store_open(&store, NULL, dir, NULL) < 0)
		die("open");
	/* the config the manifest names ("{}"): a tag only points at a whole image */
	if (limg_blob_writer_open(&w, store, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2) < 0 ||
	    limg_blob_writer_write(w, "{}", 2) < 0 || limg_blob_writer_commit(w) < 0)
		die("config");
	limg_blob_writer_close(w);
	if (limg_digest_compute(&d, LIMG_DIGEST_SHA256, text, strlen(text)) < 0)
		die("digest");
	snprintf(manifest, sizeof manifest, "%s", d.ptr);
	if (limg_blob_writer_open(&w, store, manifest, (int64_t)strlen(text)) < 0 ||
	    limg_blob_writer_write(w, text, strlen(text)) < 0 || limg_blob_writer_commit(w) < 0)
		die("manifest");
	limg_blob_writer_close(w);

	/* N tags written straight into index.json: setting them one by one
	 * would rewrite the file N times and measure nothing of interest */
	snprintf(path, sizeof path, "%s/index.json", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
	for (int i = 0; i < n; i++)
		fprintf(f,
		        "%s{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
		        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"registry.example.com/team%d/app%d:v%d\","
		        "\"io.libimage.image.id\":\"%s\",\"io.libimage.image.created\":\"2024-01-15T10:00:00Z\","
		        "\"io.libimage.image.size\":\"123456789\"}}",
		        i ? "," : "", manifest, strlen(text), i % 50, i, i % 7, manifest);
	fprintf(f, "]}");
	fclose(f);

	snprintf(path, sizeof path, "%s/index.json", dir);
	t0 = now();
	for (int i = 0; i < reps; i++) {
		snprintf(ref, sizeof ref, "registry.example.com/extra/app:r%d", i);
		if (limg_tags_set(store, ref, manifest) < 0)
			die("set");
	}
	t_set = (now() - t0) / reps;
	t0 = now();
	for (int i = 0; i < reps; i++) {
		snprintf(ref, sizeof ref, "registry.example.com/team%d/app%d:v%d", (i * 37) % 50, i * 37, (i * 37) % 7);
		if (limg_tags_lookup(&d, store, ref) < 0)
			die("lookup");
	}
	t_lookup = (now() - t0) / reps;
	t0 = now();
	for (int i = 0; i < reps; i++) {
		count = 0;
		if (limg_tag_iterator_new(&it, store, NULL) < 0)
			die("list");
		while (limg_tag_iterator_next(&t, it) == 0)
			count += limg_tag_annotation(t, "io.libimage.image.size") != NULL;
		limg_tag_iterator_free(it);
	}
	t_list = (now() - t0) / reps;
	/* what `docker images` needs: tags joined with image ID, created, size */
	t0 = now();
	for (int i = 0; i < reps; i++) {
		limg_images_iterator *images;
		const limg_images_row *e;
		if (limg_images_iterator_new(&images, store, NULL) < 0)
			die("images");
		int rows = 0;
		while (limg_images_iterator_next(&e, images) == 0)
			rows += limg_images_row_size(e) > 0;
		if (rows != count)
			die("images listing lost rows");
		limg_images_iterator_free(images);
	}
	double t_images = (now() - t0) / reps;
	stat(path, &st);
	printf("tag index with %d tags (index.json %.1f MB):\n", count, st.st_size / 1e6);
	printf("  set (atomic rewrite + fsync)  %7.2f ms\n", t_set * 1e3);
	printf("  lookup                        %7.2f ms\n", t_lookup * 1e3);
	printf("  full listing, sorted          %7.2f ms (target < 50 ms)\n", t_list * 1e3);
	printf("  images listing (ID, CREATED, SIZE) %5.2f ms (target < 50 ms)\n", t_images * 1e3);
	limg_buf_dispose(&d);
	limg_store_close(store);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	run(path);
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, compare_doubles);
	printf("  %-34s median %7.3f ms  worst %7.3f ms  (%d calls; peak RSS so far %.1f MB)\n", what, t[n / 2] * 1e3,
	       t[n - 1] * 1e3, n, peak_rss_kib() / 1024.0);
}

/* One call at a time on a big store: what a program that tags or looks up once pays, less its start. */
static int bench_tagops(const char *dir, int n, int reps, const char *digest, const char *other)
{
	limg_store *store;
	limg_buf d = LIMG_BUF_INIT;
	limg_tag_iterator_opts o = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	double *times = calloc((size_t)reps, sizeof *times), t0;
	char ref[256];
	long count = 0;

	if (!times || limg_store_open(&store, NULL, dir, NULL) < 0)
		die("open");
	printf("one call at a time, %d tags in the store:\n", n);
	t0 = now();
	if (limg_tags_lookup(&d, store, "docker.io/team/app1:v1") < 0)
		die("first lookup");
	printf("  %-34s %7.3f ms (after another program wrote index.json)\n", "first lookup", (now() - t0) * 1e3);
	for (int i = 0; i < reps; i++) {
		int k = (int)(((long)i * 7919) % n);
		snprintf(ref, sizeof ref, "docker.io/team/app%d:v%d", k % 5000, k);
		t0 = now();
		if (limg_tags_lookup(&d, store, ref) < 0)
			die(ref);
		times[i] = now() - t0;
	}
	report("lookup (limg_tags_lookup)", times, reps);
	for (int i = 0; i < reps; i++) {
		snprintf(ref, sizeof ref, "docker.io/team/bench:r%d", i);
		t0 = now();
		if (limg_tags_set(store, ref, digest) < 0)
			die("set");
		times[i] = now() - t0;
	}
	report("new tag (limg_tags_set)", times, reps);
	for (int i = 0; i < reps; i++) {
		snprintf(ref, sizeof ref, "docker.io/team/bench:r%d", i);
		t0 = now();
		if (limg_tags_set(store, ref, other) < 0)
			die("move");
		times[i] = now() - t0;
	}
	report("tag moved to another image", times, reps);
	for (int i = 0; i < reps; i++) {
		snprintf(ref, sizeof ref, "docker.io/team/bench:r%d", i);
		t0 = now();
		if (limg_tags_remove(store, ref) < 0)
			die("remove");
		times[i] = now() - t0;
	}
	report("tag removed (limg_tags_remove)", times, reps);
	for (int i = 0; i < reps && i < 20; i++) {
		o.repository = "team/app7";
		count = 0;
		t0 = now();
		if (limg_tag_iterator_new(&it, store, &o) < 0)
			die("repository listing");
		while (limg_tag_iterator_next(&t, it) == 0)
			count++;
		limg_tag_iterator_free(it);
		times[i] = now() - t0;
	}
	report("listing of one repository", times, reps < 20 ? reps : 20);
	printf("  (%ld tags in team/app7)\n", count);
	t0 = now();
	count = 0;
	if (limg_tag_iterator_new(&it, store, NULL) < 0)
		die("listing");
	while (limg_tag_iterator_next(&t, it) == 0)
		count++;
	limg_tag_iterator_free(it);
	printf("  %-34s %7.3f ms for %ld tags (peak RSS so far %.1f MB)\n", "full tag listing, sorted", (now() - t0) * 1e3,
	       count, peak_rss_kib() / 1024.0);
	limg_buf_dispose(&d);
	limg_store_close(store);
	free(times);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (argc >= 2 && !strcmp(argv[1], "ingest"))
		return bench_ingest(argc > 2 ? (size_t)atol(argv[2]) : 1024, argc > 3 ? argv[3] : base,
		                    argc > 4 ? atoi(argv[4]) : 5);
	if (argc >= 2 && !strcmp(argv[1], "tags"))
		return bench_tags(argc > 2 ? atoi(argv[2]) : 10000, argc > 3 ? argv[3] : base);
	if (argc == 7 && !strcmp(argv[1], "tagops"))
		return bench_tagops(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
	fprintf(stderr, "usage: %s ingest [MiB] [DIR] [ROUNDS] | tags [N] [DIR] | tagops STORE N REPS DIGEST OTHER\n",
	        argv[0]);
	return 2;
}
