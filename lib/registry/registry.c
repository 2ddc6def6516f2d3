/* SPDX-License-Identifier: MIT */
/* Opening a registry: endpoint, TLS material from certs.d, insecure handling, ping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/fs.h"
#include "libimage/bounds.h"
#include "reference/grammar.h"
#include "hosts/hosts.h"
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

	if (limg__asprintf(&path, "%s/%s/%s", dir, host, name) < 0)
		return NULL;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return path;
	limg__free(path);
	return NULL;
}

/* A TLS file an endpoint names, read whole (at most 1 MiB): regular files
 * only, found without blocking (a FIFO named as a CA used to hang the pull). */
static int tls_file(limg_buf *out, const char *path, const char *what, const char *url)
{
	int rc;

	if (!path)
		return 0;
	if ((rc = limg__fs_read(out, path, 1u << 20)) < 0) {
		limg__error_prefix("%s of %.200s", what, url);
		if (limg_error_subject(limg_error_last()) == LIMG_SUBJECT_NONE)
			limg__error_about(LIMG_SUBJECT_FILE, path);
	}
	return rc;
}

#define MIRROR_DIAL_MS_DEFAULT 3000

/* The credentials the registry's settings carry (skopeo's --creds): given
 * before the caller's callback and config.json would be asked. */
static int settings_credentials(limg_buf *user, limg_buf *secret, const char *host, void *payload)
{
	const limg_registry *r = payload;

	(void)host;
	if (limg_buf_set(user, r->username, strlen(r->username)) < 0 ||
	    limg_buf_set(secret, r->password ? r->password : "", r->password ? strlen(r->password) : 0) < 0)
		return LIMG_ENOMEM;
	return 0;
}

/* Frees a copy of a secret, wiped first. */
static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		limg__free(s);
	}
}

static void endpoint_dispose(limg__endpoint *e)
{
	limg__auth_free(e->auth);
	limg__http_free(e->http);
	limg__free(e->base);
	limg__free(e->host);
	limg__free(e->prefix);
	limg__free(e->ca_file);
	limg__free(e->client_cert);
	limg__free(e->client_key);
	for (size_t i = 0; i < e->nheaders; i++)
		limg__free(e->headers[i]);
	limg__free(e->headers);
}

/* An endpoint from its spec: "scheme://host[:port][/path]", its TLS and its own credentials. */
static int endpoint_init(limg_registry *r, limg__endpoint *e, const limg__endpoint_spec *spec, bool mirror,
                         const char *certs_dir)
{
	const char *url = spec->url, *rest;
	bool plain = !strncmp(url, "http://", 7);
	limg__http_opts ho;
	limg__auth_opts ao;
	limg_buf ca = LIMG_BUF_INIT, cert = LIMG_BUF_INIT, key = LIMG_BUF_INIT;
	long dial = spec->dial_timeout_ms > 0 ? spec->dial_timeout_ms : mirror ? MIRROR_DIAL_MS_DEFAULT : 0;
	size_t hn;
	int rc;

	rest = url + (plain ? 7 : 8);
	hn = strcspn(rest, "/?#");
	e->mirror = mirror;
	e->caps = mirror ? spec->caps : LIMG_ENDPOINT_CAP_PULL | LIMG_ENDPOINT_CAP_RESOLVE | LIMG_ENDPOINT_CAP_PUSH;
	if (!hn || !(e->host = limg__strndup(rest, hn)) || !limg__ref_match_domain(e->host, strlen(e->host)))
		return e->host ? limg__error_set(LIMG_EINVALID, "endpoint %.200s: no host in it", url) : limg__error_oom();
	/* the API root: the URL's path, with "/v2" added unless it is the root already */
	{
		const char *path = rest + hn;
		size_t pn = strcspn(path, "?#");
		while (pn && path[pn - 1] == '/')
			pn--;
		if (spec->override_path || (pn >= 3 && !strncmp(path + pn - 3, "/v2", 3)))
			rc = limg__asprintf(&e->prefix, "%.*s", (int)pn, path);
		else
			rc = limg__asprintf(&e->prefix, "%.*s/v2", (int)pn, path);
		if (rc < 0) {
			e->prefix = NULL;
			return limg__error_oom();
		}
	}
	if (plain) {
		if (r->insecure == 0)
			return limg__error_set(LIMG_EINVALID, "endpoint %.200s is plain HTTP, but insecure registries are "
			                                      "not allowed", url);
		e->insecure = true;
	} else {
		/* Docker's rule: loopback registries may be plain HTTP (tried after https) */
		e->insecure = r->insecure == 1 || (r->insecure < 0 && is_loopback(e->host));
	}
	if (limg__asprintf(&e->base, "%s://%s", plain ? "http" : "https", e->host) < 0) {
		e->base = NULL;
		return limg__error_oom();
	}
	e->settled = plain; /* http://: as written */
	e->ca_file = spec->ca_file ? limg__strdup(spec->ca_file) : file_if_exists(certs_dir, e->host, "ca.crt");
	e->client_cert = spec->client_cert ? limg__strdup(spec->client_cert) : file_if_exists(certs_dir, e->host, "client.cert");
	e->client_key = spec->client_key ? limg__strdup(spec->client_key)
	                : spec->client_cert ? NULL : file_if_exists(certs_dir, e->host, "client.key");
	if ((spec->ca_file && !e->ca_file) || (spec->client_cert && !e->client_cert) || (spec->client_key && !e->client_key))
		return limg__error_oom();
	/* read here, as any file a configuration names: regular files only, never blocking on one */
	if ((rc = tls_file(&ca, e->ca_file, "CA file", url)) < 0 || (rc = tls_file(&cert, e->client_cert, "client certificate", url)) < 0 ||
	    (rc = tls_file(&key, e->client_key, "client key", url)) < 0)
		goto out;
	if (spec->nheaders && !(e->headers = limg__calloc(spec->nheaders, sizeof *e->headers)))
		return limg__error_oom();
	for (; e->nheaders < spec->nheaders; e->nheaders++)
		if (!(e->headers[e->nheaders] = limg__strdup(spec->headers[e->nheaders])))
			return limg__error_oom();
	memset(&ho, 0, sizeof ho);
	ho.ctx = r->ctx;
	ho.user_agent = limg__context_user_agent(r->ctx);
	ho.tls_verify = r->tls_verify && !e->insecure && !spec->skip_verify;
	ho.ca_pem = ca.ptr;
	ho.client_cert_pem = cert.ptr;
	ho.client_key_pem = key.ptr;
	ho.connect_timeout_ms = dial ? dial : r->o.connect_timeout_ms;
	ho.low_speed_limit = 1;
	/* a mirror that accepts and never answers is left within its dial timeout */
	ho.low_speed_time_s = mirror ? (dial + 999) / 1000 : r->o.low_speed_time_s;
	ho.timeout_ms = r->o.request_timeout_s * 1000;
	rc = limg__http_new(&e->http, &ho);
out:
	limg_buf_dispose(&ca);
	limg_buf_dispose(&cert);
	if (key.ptr)
		memset(key.ptr, 0, key.size); /* a private key */
	limg_buf_dispose(&key);
	if (rc < 0)
		return rc;
	memset(&ao, 0, sizeof ao);
	ao.ctx = r->ctx;
	ao.host = mirror ? e->host : r->domain; /* a mirror's credentials are its own */
	ao.credentials = mirror ? NULL : r->username ? settings_credentials : r->cb.credentials;
	ao.payload = !mirror && r->username ? (void *)r : r->cb.payload;
	ao.docker_config_dir = r->docker_config_dir;
	ao.secrets_over_http = e->insecure;
	return limg__auth_new(&e->auth, &ao);
}

int limg_registry_callbacks_init(limg_registry_callbacks *cb, size_t size)
{
	static const limg_registry_callbacks defaults = LIMG_REGISTRY_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

int limg_registry_call_opts_init(limg_registry_call_opts *opts, size_t size)
{
	static const limg_registry_call_opts defaults = LIMG_REGISTRY_CALL_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

void limg__registry_settings_dispose(limg__registry_settings *s)
{
	if (!s)
		return;
	limg__free(s->ca_file);
	limg__free(s->certs_dir);
	limg__free(s->docker_config_dir);
	free_secret(s->username);
	free_secret(s->password);
	limg__free(s->client_cert);
	limg__free(s->client_key);
	for (size_t i = 0; i < s->nmirrors; i++)
		limg__endpoint_spec_dispose(&s->mirrors[i]);
	limg__free(s->mirrors);
	memset(s, 0, sizeof *s);
}

int limg__registry_settings_from(limg__registry_settings *s, const limg_registry_opts *opts)
{
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_opts")) < 0)
		return rc;
	if (o.mirrors_len && !o.mirrors)
		return limg__error_invalid("mirrors");
	if (o.tls < LIMG_TLS_DEFAULT || o.tls > LIMG_TLS_INSECURE)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "tls", "invalid argument: tls mode %d", o.tls);
	/* zero means the default in every field */
	s->n = o;
	s->n.max_attempts = o.max_attempts > 0 ? o.max_attempts : 5;
	s->n.backoff_ms = o.backoff_ms > 0 ? o.backoff_ms : 200;
	s->n.backoff_max_ms = o.backoff_max_ms > 0 ? o.backoff_max_ms : 10000;
	s->n.retry_after_max_s = o.retry_after_max_s > 0 ? o.retry_after_max_s : 60;
	s->n.connect_timeout_ms = o.connect_timeout_ms > 0 ? o.connect_timeout_ms : 30000;
	s->n.low_speed_time_s = o.low_speed_time_s > 0 ? o.low_speed_time_s : 30;
	s->n.request_timeout_s = o.request_timeout_s > 0 ? o.request_timeout_s : 300;
	s->n.max_blob_size = o.max_blob_size > 0 ? o.max_blob_size : LIMG_BLOB_SIZE_MAX_DEFAULT;
	if (o.max_requests_per_second < 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "max_requests_per_second",
		                             "invalid argument: max_requests_per_second %d", o.max_requests_per_second);
	if (o.max_connections < 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "max_connections",
		                             "invalid argument: max_connections %d", o.max_connections);
	if (o.password && !o.username)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "password",
		                             "invalid argument: a password without a username");
	s->n.ca_file = s->n.certs_dir = s->n.docker_config_dir = NULL;
	s->n.username = s->n.password = s->n.client_cert = s->n.client_key = NULL;
	s->n.mirrors = NULL;
	s->n.mirrors_len = 0;
	if ((o.ca_file && !(s->ca_file = limg__strdup(o.ca_file))) ||
	    !(s->certs_dir = limg__strdup(o.certs_dir ? o.certs_dir : "/etc/docker/certs.d")) ||
	    (o.docker_config_dir && !(s->docker_config_dir = limg__strdup(o.docker_config_dir))) ||
	    (o.username && !(s->username = limg__strdup(o.username))) || (o.password && !(s->password = limg__strdup(o.password))) ||
	    (o.client_cert && !(s->client_cert = limg__strdup(o.client_cert))) ||
	    (o.client_key && !(s->client_key = limg__strdup(o.client_key)))) {
		limg__registry_settings_dispose(s);
		return limg__error_oom();
	}
	if (o.mirrors_len && !(s->mirrors = limg__calloc(o.mirrors_len, sizeof *s->mirrors))) {
		limg__registry_settings_dispose(s);
		return limg__error_oom();
	}
	for (; s->nmirrors < o.mirrors_len; s->nmirrors++)
		if (!o.mirrors[s->nmirrors] ||
		    (rc = limg__endpoint_spec_copy(&s->mirrors[s->nmirrors], o.mirrors[s->nmirrors])) < 0) {
			if (!o.mirrors[s->nmirrors])
				rc = limg__error_invalid("mirrors[i]");
			limg__registry_settings_dispose(s);
			return rc;
		}
	return 0;
}

int limg__registry_settings_copy(limg__registry_settings *dst, const limg__registry_settings *src)
{
	memset(dst, 0, sizeof *dst);
	dst->n = src->n;
	if ((src->ca_file && !(dst->ca_file = limg__strdup(src->ca_file))) ||
	    (src->certs_dir && !(dst->certs_dir = limg__strdup(src->certs_dir))) ||
	    (src->docker_config_dir && !(dst->docker_config_dir = limg__strdup(src->docker_config_dir))) ||
	    (src->username && !(dst->username = limg__strdup(src->username))) ||
	    (src->password && !(dst->password = limg__strdup(src->password))) ||
	    (src->client_cert && !(dst->client_cert = limg__strdup(src->client_cert))) ||
	    (src->client_key && !(dst->client_key = limg__strdup(src->client_key))) ||
	    (src->nmirrors && !(dst->mirrors = limg__calloc(src->nmirrors, sizeof *dst->mirrors)))) {
		limg__registry_settings_dispose(dst);
		return limg__error_oom();
	}
	for (; dst->nmirrors < src->nmirrors; dst->nmirrors++)
		if (limg__endpoint_spec_dup(&dst->mirrors[dst->nmirrors], &src->mirrors[dst->nmirrors]) < 0) {
			limg__registry_settings_dispose(dst);
			return limg__error_oom();
		}
	return 0;
}

/* A string setting replaced by @value when it is given. */
static int override_string(char **field, const char *value, bool secret)
{
	char *copy;

	if (!value)
		return 0;
	if (!(copy = limg__strdup(value)))
		return limg__error_oom();
	if (secret)
		free_secret(*field);
	else
		limg__free(*field);
	*field = copy;
	return 0;
}

int limg__registry_settings_override(limg__registry_settings *s, const limg_registry_opts *over)
{
	limg__registry_settings checked;
	limg_registry_opts o = LIMG_REGISTRY_OPTS_INIT;
	int rc;

	/* the same checks as a whole set of settings */
	if ((rc = limg__opts_copy(&o, sizeof o, over, "limg_registry_opts")) < 0 ||
	    (rc = limg__registry_settings_from(&checked, &o)) < 0)
		return rc;
	limg__registry_settings_dispose(&checked);
	if (o.mirrors_len)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "mirrors",
		                             "invalid argument: mirrors cannot be changed here");
#define OVERRIDE(field) \
	if (o.field) \
		s->n.field = o.field
	OVERRIDE(tls);
	OVERRIDE(skip_hosts_toml);
	OVERRIDE(max_attempts);
	OVERRIDE(backoff_ms);
	OVERRIDE(backoff_max_ms);
	OVERRIDE(retry_after_max_s);
	OVERRIDE(connect_timeout_ms);
	OVERRIDE(low_speed_time_s);
	OVERRIDE(request_timeout_s);
	OVERRIDE(operation_timeout_s);
	OVERRIDE(max_blob_size);
	OVERRIDE(max_requests_per_second);
	OVERRIDE(max_connections);
#undef OVERRIDE
	if ((rc = override_string(&s->ca_file, o.ca_file, false)) < 0 ||
	    (rc = override_string(&s->certs_dir, o.certs_dir, false)) < 0 ||
	    (rc = override_string(&s->docker_config_dir, o.docker_config_dir, false)) < 0 ||
	    (rc = override_string(&s->username, o.username, true)) < 0 ||
	    (rc = override_string(&s->password, o.password, true)) < 0 ||
	    (rc = override_string(&s->client_cert, o.client_cert, false)) < 0 ||
	    (rc = override_string(&s->client_key, o.client_key, false)) < 0)
		return rc;
	if (o.username && !o.password) {
		free_secret(s->password);
		s->password = NULL;
	}
	return 0;
}

int limg__registry_open_with(limg_registry **out, limg_context *ctx, const char *domain,
                             const limg__registry_settings *set, const limg_registry_callbacks *cb)
{
	limg_registry_callbacks callbacks = LIMG_REGISTRY_CALLBACKS_INIT;
	limg__endpoint_spec *specs = NULL, origin;
	limg__hosts hosts;
	limg_registry *r;
	size_t nspecs = 0;
	int rc;

	*out = NULL;
	memset(&hosts, 0, sizeof hosts);
	memset(&origin, 0, sizeof origin);
	if (!domain || !limg__ref_match_domain(domain, strlen(domain)))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_REGISTRY, domain ? domain : "",
		                             "invalid registry domain \"%.100s\"", domain ? domain : "");
	if ((rc = limg__opts_copy(&callbacks, sizeof callbacks, cb, "limg_registry_callbacks")) < 0)
		return rc;
	if (!(r = limg__calloc(1, sizeof *r)))
		return limg__error_oom();
	pthread_mutex_init(&r->lock, NULL);
	atomic_init(&r->refs, 1);
	r->ctx = ctx;
	r->o = set->n;
	r->cb = callbacks;
	r->insecure = set->n.tls == LIMG_TLS_INSECURE ? 1 : set->n.tls == LIMG_TLS_VERIFY ? 0 : -1;
	r->tls_verify = set->n.tls != LIMG_TLS_INSECURE;
	limg__registry_pace_init(&r->pace, set->n.max_requests_per_second, set->n.max_connections);
	if (!(r->domain = limg__strdup(domain)) ||
	    (set->docker_config_dir && !(r->docker_config_dir = limg__strdup(set->docker_config_dir))) ||
	    (set->username && !(r->username = limg__strdup(set->username))) ||
	    (set->password && !(r->password = limg__strdup(set->password)))) {
		rc = limg__error_oom();
		goto fail;
	}
	/* the endpoints: the caller's mirrors, hosts.toml's, then the registry */
	if (!set->n.skip_hosts_toml && (rc = limg__hosts_load(&hosts, set->certs_dir, domain, ctx)) < 0)
		goto fail;
	if (!(specs = limg__calloc(set->nmirrors + hosts.n + 1, sizeof *specs))) {
		rc = limg__error_oom();
		goto fail;
	}
	for (size_t i = 0; i < set->nmirrors; i++, nspecs++)
		if ((rc = limg__endpoint_spec_dup(&specs[nspecs], &set->mirrors[i])) < 0)
			goto fail;
	for (size_t i = 0; i < hosts.n; i++) {
		specs[nspecs++] = hosts.hosts[i];
		memset(&hosts.hosts[i], 0, sizeof hosts.hosts[i]);
	}
	/* hosts.toml's root settings (its [header], ca, client, ...) are the server's, named or not */
	origin = hosts.server;
	memset(&hosts.server, 0, sizeof hosts.server);
	if (!origin.url) {
		/* Docker Hub's API lives on another name than its references use */
		const char *host = !strcmp(domain, "docker.io") || !strcmp(domain, "index.docker.io") ? "registry-1.docker.io"
		                                                                                       : domain;
		if (limg__asprintf(&origin.url, "https://%s", host) < 0) {
			origin.url = NULL;
			rc = limg__error_oom();
			goto fail;
		}
	}
	if ((set->ca_file && !origin.ca_file && !(origin.ca_file = limg__strdup(set->ca_file))) ||
	    (set->client_cert && !origin.client_cert && !(origin.client_cert = limg__strdup(set->client_cert))) ||
	    (set->client_key && !origin.client_key && !(origin.client_key = limg__strdup(set->client_key)))) {
		rc = limg__error_oom();
		goto fail;
	}
	if (!(r->ep = limg__calloc(nspecs + 1, sizeof *r->ep))) {
		rc = limg__error_oom();
		goto fail;
	}
	for (size_t i = 0; i < nspecs; i++, r->nep++)
		if ((rc = endpoint_init(r, &r->ep[i], &specs[i], true, set->certs_dir)) < 0) {
			r->nep++;
			goto fail;
		}
	r->nep++;
	if ((rc = endpoint_init(r, LIMG_ORIGIN(r), &origin, false, set->certs_dir)) < 0)
		goto fail;
	limg__log(ctx, LIMG_LOG_DEBUG, "registry %s at %s%s, %zu mirror(s)%s%s", domain, LIMG_ORIGIN(r)->host,
	          LIMG_ORIGIN(r)->insecure ? " (insecure)" : "", r->nep - 1, hosts.path ? " from " : "",
	          hosts.path ? hosts.path : "");
	for (size_t i = 0; i < nspecs; i++)
		limg__endpoint_spec_dispose(&specs[i]);
	limg__free(specs);
	limg__endpoint_spec_dispose(&origin);
	limg__hosts_dispose(&hosts);
	*out = r;
	return 0;
fail:
	for (size_t i = 0; specs && i < set->nmirrors + hosts.n + 1; i++)
		limg__endpoint_spec_dispose(&specs[i]);
	limg__free(specs);
	limg__endpoint_spec_dispose(&origin);
	limg__hosts_dispose(&hosts);
	limg_registry_close(r);
	return rc;
}

int limg_registry_open(limg_registry **out, limg_context *ctx, const char *domain, const limg_registry_opts *opts,
                       const limg_registry_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(ctx);
	limg__registry_settings set;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__registry_settings_from(&set, opts)) < 0)
		return rc;
	rc = limg__registry_open_with(out, ctx, domain, &set, cb);
	limg__registry_settings_dispose(&set);
	return rc;
}

limg_registry *limg__registry_ref(limg_registry *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

void limg_registry_close(limg_registry *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) > 1)
		return;
	for (size_t i = 0; i < r->nep; i++)
		endpoint_dispose(&r->ep[i]);
	limg__free(r->ep);
	pthread_mutex_destroy(&r->lock);
	limg__registry_pace_dispose(&r->pace);
	free_secret(r->username);
	free_secret(r->password);
	limg__free(r->domain);
	limg__free(r->docker_config_dir);
	limg__free(r);
}

const char *limg_registry_base_url(const limg_registry *r)
{
	return r && r->nep ? LIMG_ORIGIN(r)->base : NULL;
}

limg_context *limg__registry_context(const limg_registry *r)
{
	return r ? r->ctx : NULL;
}

const char *limg_registry_domain(const limg_registry *r)
{
	return r ? r->domain : NULL;
}

int limg_registry_ping(limg_registry *r, const limg_registry_call_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__registry_context(r));
	limg_registry_call_opts o = LIMG_REGISTRY_CALL_OPTS_INIT;
	limg__http_resp resp;
	limg__call call = { 0 };
	int rc;

	if (!r)
		return limg__error_invalid("registry");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_registry_call_opts")) < 0)
		return rc;
	limg__http_resp_init(&resp);
	call.cancel = o.cancel;
	call.url = "/v2/";
	call.what = "ping";
	call.max_body = 64 * 1024;
	rc = limg__registry_call(r, &call, &resp);
	if (rc == 0 && resp.status != 200 && resp.status != 401)
		rc = limg__registry_error(&resp, r->domain);
	limg__http_resp_dispose(&resp);
	return rc;
}
