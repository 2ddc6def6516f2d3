/* SPDX-License-Identifier: MIT */
/*
 * limg-test-session: registry sessions shared between calls, for the
 * integration tests.
 *
 *   limg-test-session [OPTIONS] pulls shared|separate STORE REFERENCE...
 *       pulls each REFERENCE in turn: all through one limg_session
 *       (shared), or each through a session of its own (separate).
 *       Prints "pulled REFERENCE DIGEST" per pull.
 *   limg-test-session [OPTIONS] cancel DOMAIN REPO REF DIGEST SIZE MS
 *       on one registry handle of a session, at once: call A fetches the
 *       manifest REF with its own cancel token (limg_registry_call_opts),
 *       call B the blob DIGEST of SIZE bytes without one; A's token is
 *       triggered after MS milliseconds. Prints one JSON object: A's and B's
 *       codes, how long A took to return after its cancel, and when B ended
 *       (milliseconds from the start), and the bytes B received.
 *
 * OPTIONS (each as "--name VALUE" or "--name=VALUE"): --user U --password P
 *          --concurrency N (blobs a pull fetches at once)
 *
 * Exits 0 when every call did what the command expects of it, else 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libimage/libimage.h>

static const char *user, *password;
static int concurrency;

static int credentials(limg_buf *out_user, limg_buf *out_secret, const char *host, void *payload)
{
	int rc;

	(void)host;
	(void)payload;
	if (!user)
		return 0; /* anonymous */
	if ((rc = limg_buf_set(out_user, user, strlen(user))) < 0)
		return rc;
	return limg_buf_set(out_secret, password ? password : "", password ? strlen(password) : 0);
}

static int new_session(limg_session **out)
{
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_registry_callbacks cb = LIMG_REGISTRY_CALLBACKS_INIT;

	ro.docker_config_dir = ""; /* never the machine's credentials */
	cb.credentials = credentials;
	return limg_session_new(out, NULL, &ro, &cb);
}

static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, limg_error_message(limg_error_last()));
	return 1;
}

static int pulls(int shared, const char *path, char **refs, int n)
{
	limg_pull_opts opts = LIMG_PULL_OPTS_INIT;
	limg_session *session = NULL;
	limg_store *store;
	int status = 0;

	opts.concurrency = concurrency;
	if (limg_store_open(&store, NULL, path, NULL) < 0)
		return fail(path);
	if (shared && new_session(&session) < 0) {
		limg_store_close(store);
		return fail("session");
	}
	for (int i = 0; i < n && !status; i++) {
		limg_session *own = NULL;
		limg_pull_result *result = NULL;
		if (!shared && new_session(&own) < 0) {
			status = fail("session");
			break;
		}
		opts.session = shared ? session : own;
		if (limg_pull(&result, store, refs[i], &opts, NULL) < 0)
			status = fail(refs[i]);
		else
			printf("pulled %s %s\n", refs[i], limg_pull_result_digest(result));
		limg_pull_result_free(result);
		limg_session_free(own); /* its connections and tokens go with it */
	}
	limg_session_free(session);
	limg_store_close(store);
	return status;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct call {
	limg_registry *registry;
	const char *repo, *ref;
	int64_t size;
	limg_cancel *cancel;
	int rc;
	int64_t bytes;
	double ended;
};

static void *manifest_call(void *arg)
{
	struct call *c = arg;
	limg_registry_call_opts opts = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg_remote_manifest *m = NULL;

	opts.cancel = c->cancel;
	c->rc = limg_registry_manifest_fetch(&m, c->registry, c->repo, c->ref, &opts);
	c->ended = now_ms();
	limg_remote_manifest_free(m);
	return NULL;
}

static int count(const void *data, size_t len, void *payload)
{
	(void)data;
	*(int64_t *)payload += (int64_t)len;
	return 0;
}

static void *blob_call(void *arg)
{
	struct call *c = arg;
	limg_registry_fetch_callbacks cb = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;

	cb.write = count;
	cb.payload = &c->bytes;
	c->rc = limg_registry_blob_fetch(c->registry, c->repo, c->ref, c->size, NULL, &cb);
	c->ended = now_ms();
	return NULL;
}

static const char *name(int rc)
{
	return rc == 0 ? "LIMG_OK" : limg_error_name(rc) ? limg_error_name(rc) : "?";
}

static int cancel_one(char **argv)
{
	limg_session *session;
	limg_registry *registry;
	struct call a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	struct timespec wait;
	long ms = atol(argv[5]);
	double start, cancelled;

	if (new_session(&session) < 0)
		return fail("session");
	if (limg_session_registry(&registry, session, argv[0]) < 0 || limg_cancel_new(&a.cancel) < 0) {
		limg_session_free(session);
		return fail(argv[0]);
	}
	a.registry = b.registry = registry; /* one handle: its connections, and its tokens */
	a.repo = b.repo = argv[1];
	a.ref = argv[2];
	b.ref = argv[3];
	b.size = atoll(argv[4]);
	start = now_ms();
	pthread_create(&ta, NULL, manifest_call, &a);
	pthread_create(&tb, NULL, blob_call, &b);
	wait.tv_sec = ms / 1000;
	wait.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&wait, NULL);
	cancelled = now_ms();
	limg_cancel_request(a.cancel);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	printf("{\"a\": \"%s\", \"a_after_cancel_ms\": %.0f, \"b\": \"%s\", \"b_bytes\": %lld, \"b_ended_ms\": %.0f, "
	       "\"cancelled_ms\": %.0f}\n",
	       name(a.rc), a.ended - cancelled, name(b.rc), (long long)b.bytes, b.ended - start, cancelled - start);
	limg_cancel_free(a.cancel);
	limg_registry_close(registry);
	limg_session_free(session);
	return a.rc == LIMG_ECANCELLED && b.rc == 0 ? 0 : 1;
}

/* "--name VALUE" or "--name=VALUE": 1 with *value set, else 0. */
static int option(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) || *i + 1 >= argc)
		return 0;
	*value = argv[++*i];
	return 1;
}

int main(int argc, char **argv)
{
	const char *v;
	int i = 1;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (option(argc, argv, &i, "--concurrency", &v))
			concurrency = atoi(v);
		else if (!option(argc, argv, &i, "--user", &user) && !option(argc, argv, &i, "--password", &password)) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 3 < argc && !strcmp(argv[i], "pulls") &&
	    (!strcmp(argv[i + 1], "shared") || !strcmp(argv[i + 1], "separate")))
		return pulls(!strcmp(argv[i + 1], "shared"), argv[i + 2], argv + i + 3, argc - i - 3);
	if (i + 7 == argc && !strcmp(argv[i], "cancel"))
		return cancel_one(argv + i + 1);
	fprintf(stderr, "usage: see the comment at the top of limg-test-session.c\n");
	return 2;
}
