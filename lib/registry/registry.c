/* Opening a registry: endpoint, TLS material from certs.d, insecure handling, ping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/core.h"
#include "reference/grammar.h"
#include "registry_internal.h"

int limg_registry_opts_init(limg_registry_opts *opts, size_t size)
{
	static const limg_registry_opts defaults = LIMG_REGISTRY_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static bool is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");

	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5);
	return (n == 9 && !strncasecmp(host, "localhost", 9)) || !strncmp(host, "127.", 4);
}

static char *file_if_exists(const char *dir, const char *host, const char *name)
{
	struct stat st;
	char *path;

	if (asprintf(&path, "%s/%s/%s", dir, host, name) < 0)
		return NULL;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return path;
	free(path);
	return NULL;
}

int limg_registry_open(limg_registry **out, limg_context *ctx, const char *domain, const limg_registry_opts *opts)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	limg__http_opts ho;
	limg__auth_opts ao;
	limg_registry *r;
	const char *certs_dir;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!domain || !limg__ref_match_domain(domain, strlen(domain)))
		return limg__error_set(LIMG_EINVALID, "invalid registry domain \"%.100s\"", domain ? domain : "");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_opts")) < 0)
		return rc;
	if (o.max_attempts <= 0)
		o.max_attempts = 5;
	if (o.backoff_ms <= 0)
		o.backoff_ms = 200;
	if (o.backoff_max_ms <= 0)
		o.backoff_max_ms = 10000;
	if (o.retry_after_max_s <= 0)
		o.retry_after_max_s = 60;
	if (o.request_timeout_s <= 0)
		o.request_timeout_s = 300;
	if (o.max_blob_size <= 0)
		o.max_blob_size = LIMG_BLOB_SIZE_MAX_DEFAULT;
	if (!(r = calloc(1, sizeof *r)))
		return limg__error_oom();
	pthread_mutex_init(&r->lock, NULL);
	r->ctx = ctx;
	r->o = o;
	r->o.ca_file = r->o.certs_dir = r->o.docker_config_dir = r->o.mirror = NULL;
	r->domain = strdup(domain);
	/* Docker Hub's API lives on another name than its references use */
	if (o.mirror && *o.mirror) {
		/* "http://host:port", "https://host:port" or "host:port" */
		const char *m = o.mirror, *sep = strstr(m, "://");
		r->host = strndup(sep ? sep + 3 : m, strcspn(sep ? sep + 3 : m, "/"));
		if (sep && !strncmp(m, "http://", 7)) {
			if (o.insecure == 0) {
				rc = limg__error_set(LIMG_EINVALID, "mirror %.200s is plain HTTP, but insecure registries are "
				                                    "not allowed", m);
				goto fail;
			}
			o.insecure = 1;
		}
	} else {
		r->host = strdup(!strcmp(domain, "docker.io") || !strcmp(domain, "index.docker.io") ? "registry-1.docker.io"
		                                                                                     : domain);
	}
	if (!r->host) {
		rc = limg__error_oom();
		goto fail;
	}
	r->insecure = o.insecure == 1 || (o.insecure < 0 && is_loopback(r->host));
	certs_dir = o.certs_dir ? o.certs_dir : "/etc/docker/certs.d";
	r->ca_file = o.ca_file ? strdup(o.ca_file) : file_if_exists(certs_dir, domain, "ca.crt");
	r->client_cert = file_if_exists(certs_dir, domain, "client.cert");
	r->client_key = file_if_exists(certs_dir, domain, "client.key");
	if (!r->domain || !r->host || asprintf(&r->base, "https://%s", r->host) < 0) {
		r->base = NULL;
		rc = limg__error_oom();
		goto fail;
	}

	memset(&ho, 0, sizeof ho);
	ho.ctx = ctx;
	ho.user_agent = limg__context_user_agent(ctx);
	ho.tls_verify = o.tls_verify != 0 && !r->insecure;
	ho.ca_file = r->ca_file;
	ho.client_cert = r->client_cert;
	ho.client_key = r->client_key;
	ho.connect_timeout_ms = o.connect_timeout_ms;
	ho.low_speed_limit = 1;
	ho.low_speed_time_s = o.low_speed_time_s;
	ho.timeout_ms = o.request_timeout_s * 1000;
	ho.cancel = o.cancel;
	if ((rc = limg__http_new(&r->http, &ho)) < 0)
		goto fail;

	memset(&ao, 0, sizeof ao);
	ao.ctx = ctx;
	ao.host = o.mirror && *o.mirror ? r->host : domain; /* a mirror's credentials are its own */
	ao.credentials = o.credentials;
	ao.payload = o.credentials_payload;
	ao.docker_config_dir = o.docker_config_dir;
	ao.secrets_over_http = r->insecure;
	if ((rc = limg__auth_new(&r->auth, &ao)) < 0)
		goto fail;
	limg__log(ctx, LIMG_LOG_DEBUG, "registry %s at %s%s%s", domain, r->host, r->insecure ? " (insecure)" : "",
	          r->ca_file ? " with its own CA" : "");
	*out = r;
	return 0;
fail:
	limg_registry_close(r);
	return rc;
}

void limg_registry_close(limg_registry *r)
{
	if (!r)
		return;
	limg__auth_free(r->auth);
	limg__http_free(r->http);
	pthread_mutex_destroy(&r->lock);
	free(r->domain);
	free(r->host);
	free(r->base);
	free(r->ca_file);
	free(r->client_cert);
	free(r->client_key);
	free(r);
}

const char *limg_registry_endpoint(const limg_registry *r)
{
	return r ? r->base : NULL;
}

int limg_registry_ping(limg_registry *r)
{
	limg__http_resp resp;
	limg__call call = { 0 };
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	limg__http_resp_init(&resp);
	call.url = "/v2/";
	call.what = "ping";
	call.max_body = 64 * 1024;
	rc = limg__registry_call(r, &call, &resp);
	if (rc == 0 && resp.status != 200 && resp.status != 401)
		rc = limg__registry_error(&resp, r->domain);
	limg__http_resp_dispose(&resp);
	return rc;
}
