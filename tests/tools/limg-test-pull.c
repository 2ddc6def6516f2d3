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
 *          --close-after-ms MS                 another thread closes the store
 *
 * Prints "rc=<code> <name>" and, on failure, the message on stderr; exits 0
 * when the pull returned 0, else 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libimage/libimage.h>

static int64_t stop_after = -1;
static int stop_value;

static int progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                    void *payload)
{
	(void)digest;
	(void)kind;
	(void)total;
	(void)detail;
	(void)payload;
	if (stop_after >= 0 && event == LIMG_EVENT_OVERALL && done >= stop_after)
		return stop_value;
	return 0;
}

struct closer {
	limg_store *store;
	long ms;
};

static void *close_later(void *arg)
{
	struct closer *c = arg;
	struct timespec ts = { c->ms / 1000, (c->ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	limg_store_close(c->store);
	return NULL;
}

int main(int argc, char **argv)
{
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT;
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
	struct closer closer = { NULL, -1 };
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
		else if (!strcmp(a, "--close-after-ms"))
			closer.ms = atol(v);
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
	if (closer.ms >= 0) {
		closer.store = store;
		pthread_create(&thread, NULL, close_later, &closer);
	}
	rc = limg_pull(&result, store, argv[i + 1], &opts, &cb);
	printf("rc=%d %s\n", rc, limg_error_name(rc) ? limg_error_name(rc) : "(the callback's value)");
	if (rc)
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
	limg_pull_result_free(result);
	if (closer.ms >= 0)
		pthread_join(thread, NULL);
	else
		limg_store_close(store);
	limg_session_free(session);
	return rc == 0 ? 0 : 1;
}
