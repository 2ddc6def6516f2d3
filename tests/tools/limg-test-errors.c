/* SPDX-License-Identifier: MIT */
/*
 * limg-test-errors: makes one call fail and says what limg_error_last()
 * reports about it, for the integration tests of error subjects.
 *
 *   limg-test-errors [OPTIONS] pull STORE REFERENCE     limg_pull
 *   limg-test-errors [OPTIONS] head DOMAIN REPO REF     limg_registry_manifest_head
 *   limg-test-errors [OPTIONS] get DOMAIN REPO REF      limg_registry_manifest_fetch
 *   limg-test-errors [OPTIONS] blob DOMAIN REPO DIGEST  limg_registry_blob_fetch
 *   limg-test-errors [OPTIONS] tags DOMAIN REPO         limg_registry_tags_foreach
 *   limg-test-errors image STORE IMAGE                  limg_image_lookup
 *   limg-test-errors tag STORE REFERENCE                limg_tags_lookup
 *
 * OPTIONS (each as "--name VALUE" or "--name=VALUE"): --tls default|verify|insecure
 *          --ca FILE --certs-dir DIR --user U --password P (else anonymous;
 *          Docker's config.json is never read) --attempts N
 *
 * Prints one JSON object on stdout: {"rc": the code's name (limg_error_name)
 * or "LIMG_OK", "subject": limg_subject_name(), "object": limg_error_object(),
 * "message", "http_status", "registry_code"}. Exits 0 when the call
 * succeeded, 1 when it failed, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libimage/libimage.h>

static const char *user, *password;

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

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int report(int rc)
{
	const limg_error *e = limg_error_last();
	const char *subject = limg_subject_name(limg_error_subject(e));

	printf("{\"rc\":");
	json_string(rc == 0 ? "LIMG_OK" : limg_error_name(rc) ? limg_error_name(rc) : "?");
	printf(",\"subject\":");
	json_string(rc == 0 ? "" : subject ? subject : "?");
	printf(",\"object\":");
	json_string(rc == 0 ? "" : limg_error_object(e));
	printf(",\"message\":");
	json_string(rc == 0 ? "" : limg_error_message(e));
	printf(",\"http_status\":%d,\"registry_code\":", rc == 0 ? 0 : limg_error_http_status(e));
	json_string(rc == 0 ? "" : limg_error_registry_code(e));
	printf("}\n");
	return rc == 0 ? 0 : 1;
}

static int discard(const void *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return 0;
}

static int ignore_name(const char *name, void *payload)
{
	(void)name;
	(void)payload;
	return 0;
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

static int store_call(const char *cmd, const char *path, const char *name)
{
	limg_store_opts so = LIMG_STORE_OPTS_INIT;
	limg_store *store;
	limg_image *img = NULL;
	limg_buf digest = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg_store_open(&store, NULL, path, &so)) < 0)
		return report(rc);
	rc = !strcmp(cmd, "image") ? limg_image_lookup(&img, store, name, NULL) : limg_tags_lookup(&digest, store, name);
	rc = report(rc);
	limg_image_free(img);
	limg_buf_dispose(&digest);
	limg_store_close(store);
	return rc;
}

int main(int argc, char **argv)
{
	limg_registry_opts ro = LIMG_REGISTRY_OPTS_INIT;
	limg_registry_callbacks rcb = LIMG_REGISTRY_CALLBACKS_INIT;
	limg_session *session = NULL;
	limg_registry *r = NULL;
	const char *cmd, *v;
	int i = 1, rc, status;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (option(argc, argv, &i, "--tls", &v))
			ro.tls = !strcmp(v, "verify") ? LIMG_TLS_VERIFY : !strcmp(v, "insecure") ? LIMG_TLS_INSECURE
			                                                                         : LIMG_TLS_DEFAULT;
		else if (option(argc, argv, &i, "--attempts", &v))
			ro.max_attempts = atoi(v);
		else if (!option(argc, argv, &i, "--ca", &ro.ca_file) &&
		         !option(argc, argv, &i, "--certs-dir", &ro.certs_dir) && !option(argc, argv, &i, "--user", &user) &&
		         !option(argc, argv, &i, "--password", &password)) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 2 >= argc) {
		fprintf(stderr, "usage: see the comment at the top of limg-test-errors.c\n");
		return 2;
	}
	cmd = argv[i];
	if (!strcmp(cmd, "image") || !strcmp(cmd, "tag"))
		return store_call(cmd, argv[i + 1], argv[i + 2]);
	ro.docker_config_dir = ""; /* never the machine's credentials */
	ro.backoff_ms = 20;
	rcb.credentials = credentials;
	if ((rc = limg_session_new(&session, NULL, &ro, &rcb)) < 0)
		return report(rc);
	if (!strcmp(cmd, "pull")) {
		limg_pull_opts po = LIMG_PULL_OPTS_INIT;
		limg_store *store;
		po.session = session;
		if ((rc = limg_store_open(&store, NULL, argv[i + 1], NULL)) == 0) {
			rc = limg_pull(NULL, store, argv[i + 2], &po, NULL);
			limg_store_close(store);
		}
		status = report(rc);
	} else if ((rc = limg_session_registry(&r, session, argv[i + 1])) < 0) {
		status = report(rc);
	} else if (!strcmp(cmd, "head") && i + 3 < argc) {
		limg_remote_manifest *m = NULL;
		status = report(limg_registry_manifest_head(&m, r, argv[i + 2], argv[i + 3], NULL));
		limg_remote_manifest_free(m);
	} else if (!strcmp(cmd, "get") && i + 3 < argc) {
		limg_remote_manifest *m = NULL;
		status = report(limg_registry_manifest_fetch(&m, r, argv[i + 2], argv[i + 3], NULL));
		limg_remote_manifest_free(m);
	} else if (!strcmp(cmd, "blob") && i + 3 < argc) {
		limg_registry_fetch_callbacks fcb = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;
		fcb.write = discard;
		status = report(limg_registry_blob_fetch(r, argv[i + 2], argv[i + 3], -1, NULL, &fcb));
	} else if (!strcmp(cmd, "tags")) {
		limg_registry_list_callbacks lcb = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
		lcb.name = ignore_name;
		status = report(limg_registry_tags_foreach(r, argv[i + 2], NULL, &lcb));
	} else {
		fprintf(stderr, "bad command or arguments\n");
		status = 2;
	}
	limg_registry_close(r);
	limg_session_free(session);
	return status;
}
