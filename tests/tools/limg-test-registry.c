/*
 * limg-test-registry: drives the registry API from the command line for the
 * integration tests.
 *
 *   limg-test-registry [OPTIONS] ping DOMAIN
 *   limg-test-registry [OPTIONS] head DOMAIN REPO REF
 *   limg-test-registry [OPTIONS] get DOMAIN REPO REF OUTFILE
 *   limg-test-registry [OPTIONS] blob DOMAIN REPO DIGEST SIZE OUTFILE
 *   limg-test-registry [OPTIONS] tags DOMAIN REPO [PAGE]
 *   limg-test-registry [OPTIONS] catalog DOMAIN [PAGE]
 *
 * OPTIONS: --insecure=N --tls-verify=N --ca FILE --certs-dir DIR --config-dir DIR
 *          --user U --password P --attempts N --backoff-ms N --retry-after-max N
 *          --low-speed-time N --offset N --no-verify --request-timeout S
 *          --operation-timeout S --max-blob-size N
 *
 * Results go to stdout; a failure prints one JSON object to stderr
 * (code, message, http_status, registry_code, retry_after) and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libimage/libimage.h>

static const char *user, *password;

static int credentials(limg_buf *out_user, limg_buf *out_secret, const char *host, void *payload)
{
	(void)host;
	(void)payload;
	if (!user)
		return 0;
	if (limg_buf_set(out_user, user, strlen(user)) < 0)
		return -1;
	return limg_buf_set(out_secret, password ? password : "", password ? strlen(password) : 0);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
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
	fprintf(stderr, "{\"code\":\"%s\",\"message\":", limg_error_name(rc) ? limg_error_name(rc) : "?");
	json_string(stderr, limg_error_message(e));
	fprintf(stderr, ",\"http_status\":%d,\"registry_code\":", limg_error_http_status(e));
	json_string(stderr, limg_error_registry_code(e));
	fprintf(stderr, ",\"retry_after\":%ld}\n", limg_error_retry_after(e));
	return 1;
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

int main(int argc, char **argv)
{
	limg_registry_opts opts = LIMG_REGISTRY_OPTS_INIT;
	limg_blob_fetch_opts fetch = LIMG_BLOB_FETCH_OPTS_INIT;
	limg_registry *r;
	limg_remote_manifest *m = NULL;
	int i = 1, rc = 0;
	const char *cmd;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i];
		const char *v = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < argc ? argv[i + 1] : "");
		int inline_value = strchr(a, '=') != NULL;
		if (!strncmp(a, "--insecure", 10))
			opts.insecure = atoi(v);
		else if (!strncmp(a, "--tls-verify", 12))
			opts.tls_verify = atoi(v);
		else if (!strncmp(a, "--ca", 4) && a[4] != 'r')
			opts.ca_file = v;
		else if (!strncmp(a, "--certs-dir", 11))
			opts.certs_dir = v;
		else if (!strncmp(a, "--config-dir", 12))
			opts.docker_config_dir = v;
		else if (!strncmp(a, "--user", 6))
			user = v;
		else if (!strncmp(a, "--password", 10))
			password = v;
		else if (!strncmp(a, "--attempts", 10))
			opts.max_attempts = atoi(v);
		else if (!strncmp(a, "--backoff-ms", 12))
			opts.backoff_ms = atol(v);
		else if (!strncmp(a, "--retry-after-max", 17))
			opts.retry_after_max_s = atol(v);
		else if (!strncmp(a, "--low-speed-time", 16))
			opts.low_speed_time_s = atol(v);
		else if (!strncmp(a, "--request-timeout", 17))
			opts.request_timeout_s = atol(v);
		else if (!strncmp(a, "--operation-timeout", 19))
			opts.operation_timeout_s = atol(v);
		else if (!strncmp(a, "--max-blob-size", 15))
			opts.max_blob_size = atoll(v);
		else if (!strncmp(a, "--offset", 8))
			fetch.offset = atoll(v);
		else if (!strcmp(a, "--no-verify")) {
			fetch.verify = 0;
			continue;
		} else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
		if (!inline_value)
			i++;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: see the comment at the top of limg-test-registry.c\n");
		return 2;
	}
	cmd = argv[i];
	opts.credentials = credentials;
	if ((rc = limg_registry_open(&r, NULL, argv[i + 1], &opts)) < 0)
		return fail(rc);
	if (!strcmp(cmd, "ping")) {
		rc = limg_registry_ping(r);
		if (!rc)
			printf("%s\n", limg_registry_endpoint(r));
	} else if (!strcmp(cmd, "head") && i + 3 < argc) {
		rc = limg_registry_manifest_head(&m, r, argv[i + 2], argv[i + 3]);
	} else if (!strcmp(cmd, "get") && i + 4 < argc) {
		rc = limg_registry_manifest_get(&m, r, argv[i + 2], argv[i + 3]);
		if (!rc) {
			size_t len;
			const void *body = limg_remote_manifest_body(m, &len);
			FILE *f = fopen(argv[i + 4], "wb");
			fwrite(body, 1, len, f);
			fclose(f);
		}
	} else if (!strcmp(cmd, "blob") && i + 5 < argc) {
		FILE *f = fopen(argv[i + 5], fetch.offset ? "ab" : "wb");
		fetch.sink = to_file;
		fetch.payload = f;
		rc = limg_registry_blob_fetch(r, argv[i + 2], argv[i + 3], atoll(argv[i + 4]), &fetch);
		fclose(f);
		if (!rc)
			printf("ok\n");
	} else if (!strcmp(cmd, "tags") && i + 2 < argc) {
		rc = limg_registry_tags_foreach(r, argv[i + 2], i + 3 < argc ? atoi(argv[i + 3]) : 0, print_name, NULL);
	} else if (!strcmp(cmd, "catalog")) {
		rc = limg_registry_catalog_foreach(r, i + 2 < argc ? atoi(argv[i + 2]) : 0, print_name, NULL);
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
