/* SPDX-License-Identifier: MIT */
/*
 * limg-test-registry: drives the registry API from the command line for the
 * integration tests.
 *
 *   limg-test-registry [OPTIONS] ping DOMAIN
 *   limg-test-registry [OPTIONS] login DOMAIN      (the credentials checked, as docker login does)
 *   limg-test-registry [OPTIONS] head DOMAIN REPO REF
 *   limg-test-registry [OPTIONS] get DOMAIN REPO REF OUTFILE
 *   limg-test-registry [OPTIONS] blob DOMAIN REPO DIGEST SIZE OUTFILE
 *   limg-test-registry [OPTIONS] tags DOMAIN REPO [PAGE]
 *   limg-test-registry [OPTIONS] catalog DOMAIN [PAGE]
 *   limg-test-registry [OPTIONS] upload DOMAIN REPO FILE    (prints pushed, exists or mounted)
 *
 * OPTIONS (each as "--name VALUE" or "--name=VALUE"):
 *          --tls default|verify|insecure --ca FILE --certs-dir DIR --config-dir DIR
 *          --user U --password P --attempts N --backoff-ms N --retry-after-max N
 *          --low-speed-time N --offset N --request-timeout S --operation-timeout S
 *          --max-blob-size N --chunk-size N, and --no-verify (no value)
 *
 * Results go to stdout; a failure prints one JSON object to stderr
 * (code, subject, object, message, http_status, registry_code, retry_after)
 * and exits 1.
 */
#include <limits.h>
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
		return LIMG_PASSTHROUGH; /* Docker's config.json, as without a callback */
	if ((rc = limg_buf_set(out_user, user, strlen(user))) < 0)
		return rc;
	return limg_buf_set(out_secret, password ? password : "", password ? strlen(password) : 0);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int fail(int rc)
{
	const limg_error *e = limg_error_last();
	const char *subject = limg_subject_name(limg_error_subject(e));

	fprintf(stderr, "{\"code\":\"%s\",\"subject\":\"%s\",\"object\":", limg_error_name(rc) ? limg_error_name(rc) : "?",
	        subject ? subject : "?");
	json_string(stderr, limg_error_object(e));
	fprintf(stderr, ",\"message\":");
	json_string(stderr, limg_error_message(e));
	fprintf(stderr, ",\"http_status\":%d,\"registry_code\":", limg_error_http_status(e));
	json_string(stderr, limg_error_registry_code(e));
	fprintf(stderr, ",\"retry_after\":%ld}\n", limg_error_retry_after(e));
	return 1;
}

struct upload_source {
	FILE *f;
};

static int read_file(size_t *out_len, void *buf, size_t cap, void *payload)
{
	struct upload_source *u = payload;

	*out_len = fread(buf, 1, cap, u->f);
	return ferror(u->f) ? LIMG_ESYSTEM : 0;
}

static int seek_file(int64_t offset, void *payload)
{
	struct upload_source *u = payload;

	return offset <= LONG_MAX && fseek(u->f, (long)offset, SEEK_SET) == 0 ? 0 : LIMG_ESYSTEM;
}

/* The whole file as one blob (its sha256 computed first). */
static int upload(limg_registry *r, const char *repo, const char *path, int64_t chunk_size)
{
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	struct upload_source u = { fopen(path, "rb") };
	limg_hasher *h = NULL;
	const char *digest;
	char buf[65536];
	int64_t size = 0;
	int result = 0, rc;
	size_t n;

	if (!u.f) {
		perror(path);
		return 2;
	}
	if ((rc = limg_hasher_new(&h, LIMG_DIGEST_SHA256)) < 0)
		goto out;
	while ((n = fread(buf, 1, sizeof buf, u.f)) > 0) {
		limg_hasher_update(h, buf, n);
		size += (int64_t)n;
	}
	if ((rc = limg_hasher_finish(&digest, h)) < 0)
		goto out;
	rewind(u.f);
	uo.chunk_size = chunk_size;
	ucb.read = read_file;
	ucb.seek = seek_file;
	ucb.payload = &u;
	if ((rc = limg_registry_blob_upload(&result, r, repo, digest, size, &uo, &ucb)) == 0)
		printf("%s\n", result == LIMG_UPLOAD_EXISTS ? "exists" : result == LIMG_UPLOAD_MOUNTED ? "mounted" : "pushed");
out:
	limg_hasher_free(h);
	fclose(u.f);
	return rc;
}

static int print_name(const char *name, void *payload)
{
	(void)payload;
	printf("%s\n", name);
	return 0;
}

static int to_file(const void *data, size_t len, void *payload)
{
	return fwrite(data, 1, len, payload) == len ? 0 : LIMG_ESYSTEM;
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
	limg_registry_opts opts = LIMG_REGISTRY_OPTS_INIT;
	limg_registry_callbacks rcb = LIMG_REGISTRY_CALLBACKS_INIT;
	limg_registry_fetch_opts fetch = LIMG_REGISTRY_FETCH_OPTS_INIT;
	limg_registry_fetch_callbacks fcb = LIMG_REGISTRY_FETCH_CALLBACKS_INIT;
	limg_registry_list_opts list = LIMG_REGISTRY_LIST_OPTS_INIT;
	limg_registry_list_callbacks lcb = LIMG_REGISTRY_LIST_CALLBACKS_INIT;
	limg_registry *r;
	limg_remote_manifest *m = NULL;
	int i = 1, rc = 0;
	int64_t chunk_size = 0;
	const char *cmd, *v;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--no-verify"))
			fetch.skip_verify = 1;
		else if (option(argc, argv, &i, "--tls", &v))
			opts.tls = !strcmp(v, "verify") ? LIMG_TLS_VERIFY : !strcmp(v, "insecure") ? LIMG_TLS_INSECURE
			                                                                           : LIMG_TLS_DEFAULT;
		else if (option(argc, argv, &i, "--ca", &opts.ca_file) ||
		         option(argc, argv, &i, "--certs-dir", &opts.certs_dir) ||
		         option(argc, argv, &i, "--config-dir", &opts.docker_config_dir) ||
		         option(argc, argv, &i, "--user", &user) || option(argc, argv, &i, "--password", &password))
			;
		else if (option(argc, argv, &i, "--attempts", &v))
			opts.max_attempts = atoi(v);
		else if (option(argc, argv, &i, "--backoff-ms", &v))
			opts.backoff_ms = atol(v);
		else if (option(argc, argv, &i, "--retry-after-max", &v))
			opts.retry_after_max_s = atol(v);
		else if (option(argc, argv, &i, "--low-speed-time", &v))
			opts.low_speed_time_s = atol(v);
		else if (option(argc, argv, &i, "--request-timeout", &v))
			opts.request_timeout_s = atol(v);
		else if (option(argc, argv, &i, "--operation-timeout", &v))
			opts.operation_timeout_s = atol(v);
		else if (option(argc, argv, &i, "--max-blob-size", &v))
			opts.max_blob_size = atoll(v);
		else if (option(argc, argv, &i, "--chunk-size", &v))
			chunk_size = atoll(v);
		else if (option(argc, argv, &i, "--offset", &v))
			fetch.offset = atoll(v);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: see the comment at the top of limg-test-registry.c\n");
		return 2;
	}
	cmd = argv[i];
	rcb.credentials = credentials;
	if ((rc = limg_registry_open(&r, NULL, argv[i + 1], &opts, &rcb)) < 0)
		return fail(rc);
	if (!strcmp(cmd, "ping")) {
		rc = limg_registry_ping(r, NULL);
		if (!rc)
			printf("%s\n", limg_registry_base_url(r));
	} else if (!strcmp(cmd, "login")) {
		rc = limg_registry_login(r, NULL);
		if (!rc)
			printf("Login Succeeded\n");
	} else if (!strcmp(cmd, "head") && i + 3 < argc) {
		rc = limg_registry_manifest_head(&m, r, argv[i + 2], argv[i + 3], NULL);
	} else if (!strcmp(cmd, "get") && i + 4 < argc) {
		rc = limg_registry_manifest_fetch(&m, r, argv[i + 2], argv[i + 3], NULL);
		if (!rc) {
			FILE *f = fopen(argv[i + 4], "wb");
			if (!f || fwrite(limg_remote_manifest_body(m), 1, (size_t)limg_remote_manifest_size(m), f) !=
			              (size_t)limg_remote_manifest_size(m)) {
				perror(argv[i + 4]);
				rc = 2;
			}
			if (f)
				fclose(f);
		}
	} else if (!strcmp(cmd, "blob") && i + 5 < argc) {
		FILE *f = fopen(argv[i + 5], fetch.offset ? "ab" : "wb");
		if (!f) {
			perror(argv[i + 5]);
			rc = 2;
		} else {
			fcb.write = to_file;
			fcb.payload = f;
			rc = limg_registry_blob_fetch(r, argv[i + 2], argv[i + 3], atoll(argv[i + 4]), &fetch, &fcb);
			fclose(f);
			if (!rc)
				printf("ok\n");
		}
	} else if (!strcmp(cmd, "tags") && i + 2 < argc) {
		list.page_size = i + 3 < argc ? atoi(argv[i + 3]) : 0;
		lcb.name = print_name;
		rc = limg_registry_tags_foreach(r, argv[i + 2], &list, &lcb);
	} else if (!strcmp(cmd, "upload") && i + 3 < argc) {
		rc = upload(r, argv[i + 2], argv[i + 3], chunk_size);
	} else if (!strcmp(cmd, "catalog")) {
		list.page_size = i + 2 < argc ? atoi(argv[i + 2]) : 0;
		lcb.name = print_name;
		rc = limg_registry_catalog_foreach(r, &list, &lcb);
	} else {
		fprintf(stderr, "bad command or arguments\n");
		rc = 2;
	}
	if (m)
		printf("%s %s %lld\n", limg_remote_manifest_digest(m), limg_remote_manifest_media_type(m),
		       (long long)limg_remote_manifest_size(m));
	limg_remote_manifest_free(m);
	limg_registry_close(r);
	if (rc == 2)
		return 2;
	return rc < 0 ? fail(rc) : 0;
}
