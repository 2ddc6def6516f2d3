/* SPDX-License-Identifier: MIT */
/*
 * limg-test-watched: runs one operation with the library watched, for the
 * tests of what the README promises about its behaviour:
 *
 *   - it never prints: file descriptors 1 and 2 point to a scratch file
 *     from the context's creation to its release, which must stay empty;
 *   - progress callbacks of one operation never overlap (common.h), though
 *     they come from several threads: each call holds a flag for a moment
 *     and counts the calls that find it held;
 *   - logs never hold secrets: with --log FILE every message, at
 *     LIMG_LOG_TRACE (every level), goes to FILE for the test to search
 *     (--log - writes them to fd 2 as a library that printed would: the
 *     test of the watch itself).
 *
 *   limg-test-watched [OPTIONS] pull STORE REFERENCE
 *   limg-test-watched [OPTIONS] push STORE REFERENCE
 *   limg-test-watched [OPTIONS] copy SOURCE DESTINATION
 *   limg-test-watched [OPTIONS] unpack STORE IMAGE DIR
 *
 * OPTIONS (each as "--name VALUE"): --log FILE, --user U --password P
 *   (else anonymous), --config-dir DIR (Docker's config.json; else none),
 *   --certs-dir DIR, --concurrency N, --range-threshold N (pull: ranged
 *   downloads from N bytes, 256 KiB each, 4 at once), --hold-us N (how long
 *   each progress call holds its flag; default 200).
 *
 * Prints one JSON object: {"rc": the code's name or "LIMG_OK", "message",
 * "progress_calls", "progress_threads" (distinct threads that called),
 * "overlaps", "library_output" (what was written to fd 1 or 2), and for a
 * pull "reference", "digest", "manifest_digest", "image_id", "up_to_date",
 * "bytes_downloaded" (limg_pull_result_*), for push and copy "digest"}.
 * Exits 0 when the operation succeeded, 1 when it failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libimage/libimage.h>

#define THREADS_MAX 64

static const char *user, *password;
static atomic_int inside, overlaps, calls;
static pthread_t threads[THREADS_MAX];
static int nthreads, hold_us = 200;
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;

static int credentials(limg_buf *out_user, limg_buf *out_secret, const char *host, void *payload)
{
	int rc;

	(void)host;
	(void)payload;
	if (!user)
		return LIMG_PASSTHROUGH; /* as without this callback: config.json, if any */
	if ((rc = limg_buf_set(out_user, user, strlen(user))) < 0)
		return rc;
	return limg_buf_set(out_secret, password ? password : "", password ? strlen(password) : 0);
}

static void seen_thread(void)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&threads_lock);
	for (int i = 0; i < nthreads; i++)
		if (pthread_equal(threads[i], self)) {
			pthread_mutex_unlock(&threads_lock);
			return;
		}
	if (nthreads < THREADS_MAX)
		threads[nthreads++] = self;
	pthread_mutex_unlock(&threads_lock);
}

static int progress(const char *digest, int kind, int event, int64_t done, int64_t total, const char *detail,
                    void *payload)
{
	(void)digest;
	(void)kind;
	(void)event;
	(void)done;
	(void)total;
	(void)detail;
	(void)payload;
	if (atomic_fetch_add(&inside, 1) != 0)
		atomic_fetch_add(&overlaps, 1);
	atomic_fetch_add(&calls, 1);
	seen_thread();
	usleep((useconds_t)hold_us); /* a window wide enough for another call to walk into */
	atomic_fetch_sub(&inside, 1);
	return 0;
}

static void log_line(int level, const char *message, void *payload)
{
	fprintf((FILE *)payload, "%d %s\n", level, message);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void field(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",\"%s\":", name);
	json_string(out, value);
}

/* "--name VALUE": 1 with *value set, else 0. */
static int option(int argc, char **argv, int *i, const char *name, const char **value)
{
	if (strcmp(argv[*i], name) || *i + 1 >= argc)
		return 0;
	*value = argv[++*i];
	return 1;
}

int main(int argc, char **argv)
{
	limg_context_opts co = LIMG_CONTEXT_OPTS_INIT;
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_registry_callbacks rcb = LIMG_REGISTRY_CALLBACKS_INIT;
	limg_context *ctx = NULL;
	limg_session *session = NULL;
	limg_store *store = NULL;
	limg_pull_result *pulled = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	const char *log_path = NULL, *v, *cmd;
	int64_t range_threshold = 0;
	int concurrency = 0, i = 1, rc, saved_out, saved_err, status;
	FILE *log = NULL, *scratch, *out;
	char *said;
	long said_len;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (option(argc, argv, &i, "--concurrency", &v))
			concurrency = atoi(v);
		else if (option(argc, argv, &i, "--range-threshold", &v))
			range_threshold = atoll(v);
		else if (option(argc, argv, &i, "--hold-us", &v))
			hold_us = atoi(v);
		else if (!option(argc, argv, &i, "--log", &log_path) && !option(argc, argv, &i, "--user", &user) &&
		         !option(argc, argv, &i, "--password", &password) &&
		         !option(argc, argv, &i, "--config-dir", &ro.docker_config_dir) &&
		         !option(argc, argv, &i, "--certs-dir", &ro.certs_dir)) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 2 >= argc || (!strcmp(argv[i], "unpack") && i + 3 >= argc)) {
		fprintf(stderr, "usage: see the comment at the top of limg-test-watched.c\n");
		return 2;
	}
	cmd = argv[i];
	if (!ro.docker_config_dir)
		ro.docker_config_dir = ""; /* never the machine's credentials */
	if (log_path && strcmp(log_path, "-") && !(log = fopen(log_path, "w"))) {
		perror(log_path);
		return 2;
	}
	/* from here to limg_context_free(), whatever reaches fd 1 or 2 is the library's */
	fflush(NULL);
	if (!(scratch = tmpfile()) || (saved_out = dup(1)) < 0 || (saved_err = dup(2)) < 0 ||
	    dup2(fileno(scratch), 1) < 0 || dup2(fileno(scratch), 2) < 0)
		return 2;

	if ((rc = limg_context_new(&ctx, &co)) == 0 && log_path)
		rc = limg_context_set_log(ctx, log_line, LIMG_LOG_TRACE, log ? log : stderr);
	ro.backoff_ms = 20;
	rcb.credentials = credentials;
	if (rc == 0)
		rc = limg_session_new(&session, ctx, &ro, &rcb);
	if (rc == 0 && strcmp(cmd, "copy") != 0)
		rc = limg_store_open(&store, ctx, argv[i + 1], NULL);
	if (rc == 0 && !strcmp(cmd, "pull")) {
		limg_pull_opts po = LIMG_PULL_OPTS_INIT;
		limg_pull_callbacks cb = LIMG_PULL_CALLBACKS_INIT;
		po.session = session;
		po.concurrency = concurrency;
		if (range_threshold) {
			po.range_threshold = range_threshold;
			po.range_chunk = 256 << 10;
			po.range_parallel = 4;
		}
		cb.progress = progress;
		rc = limg_pull(&pulled, store, argv[i + 2], &po, &cb);
	} else if (rc == 0 && !strcmp(cmd, "push")) {
		limg_push_opts po = LIMG_PUSH_OPTS_INIT;
		limg_push_callbacks cb = LIMG_PUSH_CALLBACKS_INIT;
		po.session = session;
		po.concurrency = concurrency;
		cb.progress = progress;
		rc = limg_push(&digest, store, argv[i + 2], &po, &cb);
	} else if (rc == 0 && !strcmp(cmd, "copy")) {
		limg_copy_opts po = LIMG_COPY_OPTS_INIT;
		limg_copy_callbacks cb = LIMG_COPY_CALLBACKS_INIT;
		po.concurrency = concurrency;
		cb.progress = progress;
		rc = limg_copy(&digest, session, argv[i + 1], argv[i + 2], &po, &cb);
	} else if (rc == 0 && !strcmp(cmd, "unpack")) {
		limg_unpack_callbacks cb = LIMG_UNPACK_CALLBACKS_INIT;
		cb.progress = progress;
		rc = limg_unpack(store, argv[i + 2], argv[i + 3], NULL, &cb);
	} else if (rc == 0) {
		rc = LIMG_EINVALID;
	}

	/* the report, to the real stdout once the library is done */
	out = fdopen(saved_out, "w");
	fprintf(out, "{\"rc\":");
	json_string(out, rc == 0 ? "LIMG_OK" : limg_error_name(rc) ? limg_error_name(rc) : "?");
	field(out, "message", rc == 0 ? "" : limg_error_message(limg_error_last()));
	if (pulled) {
		field(out, "reference", limg_pull_result_reference(pulled));
		field(out, "digest", limg_pull_result_digest(pulled));
		field(out, "manifest_digest", limg_pull_result_manifest_digest(pulled));
		field(out, "image_id", limg_pull_result_image_id(pulled));
		fprintf(out, ",\"up_to_date\":%d,\"bytes_downloaded\":%lld", limg_pull_result_up_to_date(pulled),
		        (long long)limg_pull_result_bytes_downloaded(pulled));
	} else if (digest.size) {
		field(out, "digest", digest.ptr);
	}
	limg_pull_result_free(pulled);
	limg_buf_dispose(&digest);
	limg_store_close(store);
	limg_session_free(session);
	limg_context_free(ctx);
	fflush(NULL);
	dup2(saved_err, 2);
	close(saved_err);
	said_len = lseek(fileno(scratch), 0, SEEK_END);
	said = calloc(1, (size_t)(said_len > 0 ? said_len : 0) + 1);
	if (said && said_len > 0 && pread(fileno(scratch), said, (size_t)said_len, 0) < 0)
		said[0] = '\0';
	fprintf(out, ",\"progress_calls\":%d,\"progress_threads\":%d,\"overlaps\":%d", atomic_load(&calls), nthreads,
	        atomic_load(&overlaps));
	field(out, "library_output", said ? said : "");
	fprintf(out, "}\n");
	free(said);
	fclose(scratch);
	if (log)
		fclose(log);
	status = rc == 0 ? 0 : 1;
	fclose(out);
	return status;
}
