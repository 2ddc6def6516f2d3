/* SPDX-License-Identifier: MIT */
/*
 * Reference throughput: parse + normalize + default tag + format, on a mix
 * of Docker's own examples, registries with ports and digest references.
 *
 *   bench_reference [seconds]      (default 2)
 *
 * Prints references per second on one thread. The target is 6.5
 * million per second (10x the upstream Go library on this machine).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libimage/libimage.h>

static const char *const MIX[] = {
	"redis",
	"redis:latest",
	"alpine",
	"mongo:4.2.24",
	"busybox:glibc",
	"nigelpoulton/tu-demo:v2",
	"gcr.io/google-containers/git-sync:v3.1.5",
	"mcr.microsoft.com/powershell:latest",
	"localhost:5000/team/app:1.2.3",
	"registry.example.com:8443/org/project/service:v10",
	"[::1]:5000/debian:bookworm",
	"ubuntu@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
	"quay.io/prometheus/node-exporter:v1.8.1@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
	"docker.io/library/nginx:1.27-alpine",
	"index.docker.io/bitnami/postgresql",
	"ghcr.io/owner/repo/sub/image:sha-1a2b3c",
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	const size_t n = sizeof MIX / sizeof MIX[0];
	unsigned long long count = 0;
	size_t checksum = 0;
	double start, elapsed;

	start = now();
	do {
		for (int rep = 0; rep < 1000; rep++) {
			for (size_t i = 0; i < n; i++) {
				limg_reference *r;
				if (limg_reference_parse_docker(&r, MIX[i]) < 0) {
					fprintf(stderr, "%s: %s\n", MIX[i], limg_error_message(limg_error_last()));
					return 1;
				}
				/* the formatted forms a caller reads */
				checksum += strlen(limg_reference_string(r)) + strlen(limg_reference_familiar_string(r));
				limg_reference_free(r);
			}
		}
		count += 1000 * n;
		elapsed = now() - start;
	} while (elapsed < seconds);

	printf("reference parse+normalize+default+format: %.2f million/s (%llu in %.2f s, %zu-reference mix, "
	       "checksum %zu)\n",
	       (double)count / elapsed / 1e6, count, elapsed, n, checksum % 1000);
	printf("target: >= 6.50 million/s\n");
	return 0;
}
