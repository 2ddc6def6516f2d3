/* SPDX-License-Identifier: MIT */
/*
 * limg-test-pull: limg_pull with the options the integration tests need
 * and limg-pull does not offer.
 *
 *   limg-test-pull [OPTIONS] STORE REFERENCE
 *
 * OPTIONS: --max-layer-size N --max-blob-size N --operation-timeout S
 *          --request-timeout S --low-speed-time S --attempts N --no-diff-ids
 *          --tls default|verify|insecure --platform P
 *          --stop-after BYTES --stop-value V   progress callback returns V once
 *                                              BYTES have been downloaded
 *          --close-after BYTES                 another thread closes the store once
 *                                              BYTES have been downloaded
 *
 * Prints "rc=<code> <name>" and, on failure, the message on stderr; exits 0
 * when the pull returned 0, else 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libimage/libimage.h>

static int64_t stop_after = -1;
static int stop_value;

/* --close-after: the progress callback wakes the closing thread (a byte count, not a
 * timer: a loaded machine may start the download late or finish it early) */
static struct closer {
	pthread_mutex_t lock;
	pthread_cond_t due;
	int64_t after; /* -1: no closing thread */
	int woken;
	limg_store *store;
} closer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, 0, NULL };

static void wake_closer(void)
{
	pthread_mutex_lock(&closer.lock);
	closer.woken = 1;
	pthread_cond_signal(&closer.due);
	pthread_mutex_unlock(&closer.lock);
}

static void *close_when_due(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closer.lock);
	while (!closer.woken)
		pthread_cond_wait(&closer.due, &closer.lock);
	pthread_mutex_unlock(&closer.lock);
	limg_store_close(closer.store);
	return NULL;
}

static int progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                    void *payload)
{
	(void)digest;
	(void)kind;
	(void)total;
	(void)detail;
	(void)payload;
	if (closer.after >= 0 && event == LIMG_EVENT_OVERALL && done >= closer.after)
		wake_closer();
	if (stop_after >= 0 && event == LIMG_EVENT_OVERALL && done >= stop_after)
		return stop_value;
	return 0;
}

int main(int argc, char **argv)
{
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT;
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
	limg_session *session = NULL;
	limg_store *store;
	limg_pull_result *result = NULL;
	pthread_t thread;
	int i = 1, rc;

	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--no-diff-ids")) {
			opts.skip_diff_ids = 1;
			continue;
		}
		if (!strcmp(a, "--max-layer-size"))
			opts.max_layer_size = atoll(v);
		else if (!strcmp(a, "--max-blob-size"))
			ro.max_blob_size = atoll(v);
		else if (!strcmp(a, "--operation-timeout"))
			ro.operation_timeout_s = atol(v);
		else if (!strcmp(a, "--request-timeout"))
			ro.request_timeout_s = atol(v);
		else if (!strcmp(a, "--low-speed-time"))
			ro.low_speed_time_s = atol(v);
		else if (!strcmp(a, "--attempts"))
			ro.max_attempts = atoi(v);
		else if (!strcmp(a, "--tls"))
			ro.tls = !strcmp(v, "verify") ? LIMG_TLS_VERIFY : !strcmp(v, "insecure") ? LIMG_TLS_INSECURE
			                                                                           : LIMG_TLS_DEFAULT;
		else if (!strcmp(a, "--platform"))
			opts.platform = v;
		else if (!strcmp(a, "--stop-after"))
			stop_after = atoll(v);
		else if (!strcmp(a, "--stop-value"))
			stop_value = atoi(v);
		else if (!strcmp(a, "--close-after"))
			closer.after = atoll(v);
		else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (i + 2 != argc) {
		fprintf(stderr, "usage: limg-test-pull [OPTIONS] STORE REFERENCE\n");
		return 2;
	}
	ro.docker_config_dir = "";
	ro.backoff_ms = 50;
	cb.progress = progress;
	if (limg_session_new(&session, NULL, &ro, NULL) < 0 || limg_store_open(&store, NULL, argv[i], NULL) < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		limg_session_free(session);
		return 1;
	}
	opts.session = session;
	if (closer.after >= 0) {
		closer.store = store;
		pthread_create(&thread, NULL, close_when_due, NULL);
	}
	rc = limg_pull(&result, store, argv[i + 1], &opts, &cb);
	if (closer.after >= 0)
		wake_closer(); /* the pull ended before the bytes came: close now */
	printf("rc=%d %s\n", rc, limg_error_name(rc) ? limg_error_name(rc) : "(the callback's value)");
	if (rc)
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	limg_pull_result_free(result);
	if (closer.after >= 0)
		pthread_join(thread, NULL);
	else
		limg_store_close(store);
	limg_session_free(session);
	return rc == 0 ? 0 : 1;
}
