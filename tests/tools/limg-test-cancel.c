/* SPDX-License-Identifier: MIT */
/*
 * limg-test-cancel: runs an archive call on a descriptor that never moves
 * (stdin nobody writes, stdout nobody reads) and requests its cancel token
 * from another thread after a while, without any signal: the call must
 * come back with LIMG_ECANCELLED, promptly.
 *
 *   limg-test-cancel load STORE MS         limg_archive_load from stdin
 *   limg-test-cancel save STORE IMAGE MS   limg_archive_save to stdout
 *
 * Prints {"rc": the code's name, "ms": milliseconds from the request to
 * the return} on stderr. Exits 0 when the call returned LIMG_ECANCELLED.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libimage/libimage.h>

static limg_cancel *token;
static long delay_ms;
static struct timespec requested;

static void *request_later(void *arg)
{
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &requested);
	limg_cancel_request(token);
	return NULL;
}

int main(int argc, char **argv)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_store *store = NULL;
	struct timespec now;
	pthread_t thread;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "load") && strcmp(argv[1], "save")) || (!strcmp(argv[1], "save") && argc < 5)) {
		fprintf(stderr, "usage: limg-test-cancel load STORE MS | save STORE IMAGE MS\n");
		return 2;
	}
	delay_ms = atol(argv[argc - 1]);
	so.mode = LIMG_STORE_CREATE;
	if (limg_store_open(&store, NULL, argv[2], &so) < 0 || limg_cancel_new(&token) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		return 2;
	}
	pthread_create(&thread, NULL, request_later, NULL);
	if (!strcmp(argv[1], "load")) {
		limg_archive_load_opts o = LIMG_ARCHIVE_LOAD_OPTS_INIT;
		o.cancel = token;
		rc = limg_archive_load(store, STDIN_FILENO, &o, NULL);
	} else {
		limg_archive_save_opts o = LIMG_ARCHIVE_SAVE_OPTS_INIT;
		const char *images[] = { argv[3] };
		o.cancel = token;
		rc = limg_archive_save(store, images, 1, STDOUT_FILENO, &o, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_join(thread, NULL);
	fprintf(stderr, "{\"rc\": \"%s\", \"ms\": %ld}\n", rc ? limg_error_name(rc) : "LIMG_OK",
	        (long)((now.tv_sec - requested.tv_sec) * 1000 + (now.tv_nsec - requested.tv_nsec) / 1000000));
	limg_cancel_free(token);
	limg_store_close(store);
	return rc == LIMG_ECANCELLED ? 0 : 1;
}
