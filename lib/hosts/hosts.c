/* SPDX-License-Identifier: MIT */
/*
 * hosts.toml, as containerd documents it (docs/hosts.md): `server`, then
 * [host."URL"] tables with capabilities, skip_verify, ca, client, header,
 * override_path and dial_timeout. Keys this library does not know are
 * logged and left alone (containerd adds some now and then); values of the
 * wrong kind are refused with their line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "hosts.h"
#include "toml.h"

#define HOSTS_FILE_MAX (1u << 20)
#define HOSTS_MAX 32

void limg__endpoint_spec_dispose(limg__endpoint_spec *e)
{
	limg__free(e->url);
	limg__free(e->ca_file);
	limg__free(e->client_cert);
	limg__free(e->client_key);
	for (size_t i = 0; i < e->nheaders; i++)
		limg__free(e->headers[i]);
	limg__free(e->headers);
	memset(e, 0, sizeof *e);
}

void limg__hosts_dispose(limg__hosts *h)
{
	for (size_t i = 0; i < h->n; i++)
		limg__endpoint_spec_dispose(&h->hosts[i]);
	limg__free(h->hosts);
	limg__endpoint_spec_dispose(&h->server);
	limg__free(h->path);
	memset(h, 0, sizeof *h);
}

static int add_header(limg__endpoint_spec *e, const char *name, const char *value)
{
	char **grown = limg__realloc(e->headers, (e->nheaders + 1) * sizeof *grown);

	if (!grown)
		return limg__error_oom();
	e->headers = grown;
	if (limg__asprintf(&e->headers[e->nheaders], "%s: %s", name, value) < 0)
		return limg__error_oom();
	e->nheaders++;
	return 0;
}

static bool header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false; /* no CR/LF: a header never starts another */
	return true;
}

int limg_endpoint_init(limg_endpoint *endpoint, size_t size)
{
	static const limg_endpoint defaults = LIMG_ENDPOINT_INIT;

	return limg__opts_init(endpoint, size, &defaults, sizeof defaults);
}

int limg__endpoint_spec_copy(limg__endpoint_spec *out, const limg_endpoint *in)
{
	limg_endpoint e;
	bool bare;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&e, 0, sizeof e);
	if ((rc = limg__opts_copy(&e, sizeof e, in, "limg_endpoint")) < 0)
		return rc;
	/* "host:port" is https, as Docker's registry-mirrors are */
	bare = e.url && !strstr(e.url, "://");
	if (!e.url || (!bare && strncmp(e.url, "http://", 7) && strncmp(e.url, "https://", 8)))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, e.url ? e.url : "",
		                             "endpoint \"%.200s\" is no http(s) URL", e.url ? e.url : "");
	out->caps = e.capabilities ? e.capabilities : LIMG_ENDPOINT_CAP_PULL | LIMG_ENDPOINT_CAP_RESOLVE;
	out->skip_verify = e.skip_verify != 0;
	out->override_path = e.override_path != 0;
	out->dial_timeout_ms = e.dial_timeout_ms;
	if (bare && limg__asprintf(&out->url, "https://%s", e.url) < 0)
		out->url = NULL;
	if (!(bare ? out->url : (out->url = limg__strdup(e.url))) || (e.ca_file && !(out->ca_file = limg__strdup(e.ca_file))) ||
	    (e.client_cert && !(out->client_cert = limg__strdup(e.client_cert))) ||
	    (e.client_key && !(out->client_key = limg__strdup(e.client_key)))) {
		limg__endpoint_spec_dispose(out);
		return limg__error_oom();
	}
	for (size_t i = 0; i < e.headers_len; i++) {
		const char *colon = e.headers && e.headers[i] ? strchr(e.headers[i], ':') : NULL;
		if (!colon || colon == e.headers[i] || !header_safe(e.headers[i])) {
			limg__endpoint_spec_dispose(out);
			return limg__error_set(LIMG_EINVALID, "endpoint %s: header %zu is not \"Name: value\"", e.url, i);
		}
		{
			char **grown = limg__realloc(out->headers, (out->nheaders + 1) * sizeof *grown);
			if (!grown || !(grown[out->nheaders] = limg__strdup(e.headers[i]))) {
				if (grown)
					out->headers = grown;
				limg__endpoint_spec_dispose(out);
				return limg__error_oom();
			}
			out->headers = grown;
			out->nheaders++;
		}
	}
	return 0;
}

int limg__endpoint_spec_dup(limg__endpoint_spec *out, const limg__endpoint_spec *in)
{
	*out = *in;
	out->url = out->ca_file = out->client_cert = out->client_key = NULL;
	out->headers = NULL;
	out->nheaders = 0;
	if ((in->url && !(out->url = limg__strdup(in->url))) || (in->ca_file && !(out->ca_file = limg__strdup(in->ca_file))) ||
	    (in->client_cert && !(out->client_cert = limg__strdup(in->client_cert))) ||
	    (in->client_key && !(out->client_key = limg__strdup(in->client_key))) ||
	    (in->nheaders && !(out->headers = limg__calloc(in->nheaders, sizeof *out->headers))))
		goto oom;
	for (; out->nheaders < in->nheaders; out->nheaders++)
		if (!(out->headers[out->nheaders] = limg__strdup(in->headers[out->nheaders])))
			goto oom;
	return 0;
oom:
	limg__endpoint_spec_dispose(out);
	return limg__error_oom();
}

/* ---- hosts.toml ------------------------------------------------------------- */

typedef struct {
	const char *label, *base_dir;
	limg_context *ctx;
} reading;

static int wrong(const reading *r, const limg__toml *v, const char *what)
{
	return limg__error_set(LIMG_ECORRUPT, "%s:%d: %s must be %s", r->label, v->line, v->key ? v->key : "a value", what);
}

/* A file name, relative ones from the hosts.toml's directory. */
static int path_of(const reading *r, const char *name, char **out)
{
	if (name[0] == '/' || !r->base_dir)
		*out = limg__strdup(name);
	else if (limg__asprintf(out, "%s/%s", r->base_dir, name) < 0)
		*out = NULL;
	return *out ? 0 : limg__error_oom();
}

static int capabilities(const reading *r, const limg__toml *v, unsigned *caps)
{
	*caps = 0;
	if (v->type != LIMG_TOML_ARRAY)
		return wrong(r, v, "a list of \"pull\", \"resolve\", \"push\"");
	for (size_t i = 0; i < v->count; i++) {
		const limg__toml *c = v->items[i];
		if (c->type != LIMG_TOML_STRING)
			return wrong(r, v, "a list of \"pull\", \"resolve\", \"push\"");
		if (!strcmp(c->string, "pull"))
			*caps |= LIMG_ENDPOINT_CAP_PULL;
		else if (!strcmp(c->string, "resolve"))
			*caps |= LIMG_ENDPOINT_CAP_RESOLVE;
		else if (!strcmp(c->string, "push"))
			*caps |= LIMG_ENDPOINT_CAP_PUSH;
		else
			return limg__error_set(LIMG_ECORRUPT, "%s:%d: unknown capability \"%.40s\"", r->label, c->line, c->string);
	}
	return 0;
}

/* "1s", "500ms", "2m": containerd's Go durations, the simple ones. */
static int duration_ms(const reading *r, const limg__toml *v, long *out)
{
	char *end;
	double n;

	if (v->type != LIMG_TOML_STRING)
		return wrong(r, v, "a duration such as \"1s\" or \"500ms\"");
	errno = 0;
	n = strtod(v->string, &end);
	if (errno || end == v->string || n < 0 || n > 86400)
		return wrong(r, v, "a duration such as \"1s\" or \"500ms\"");
	if (!strcmp(end, "ms"))
		*out = (long)n;
	else if (!strcmp(end, "s"))
		*out = (long)(n * 1000);
	else if (!strcmp(end, "m"))
		*out = (long)(n * 60000);
	else
		return wrong(r, v, "a duration such as \"1s\" or \"500ms\"");
	return 0;
}

static int client_pair(const reading *r, const limg__toml *v, limg__endpoint_spec *e)
{
	int rc;

	if (v->type == LIMG_TOML_STRING) {
		limg__free(e->client_cert);
		return path_of(r, v->string, &e->client_cert);
	}
	if (v->type != LIMG_TOML_ARRAY || v->count < 1 || v->count > 2 || v->items[0]->type != LIMG_TOML_STRING ||
	    (v->count == 2 && v->items[1]->type != LIMG_TOML_STRING))
		return wrong(r, v, "a file, [cert, key], or a list of those");
	limg__free(e->client_cert);
	limg__free(e->client_key);
	e->client_cert = e->client_key = NULL;
	if ((rc = path_of(r, v->items[0]->string, &e->client_cert)) < 0)
		return rc;
	return v->count == 2 ? path_of(r, v->items[1]->string, &e->client_key) : 0;
}

static int host_settings(const reading *r, const limg__toml *t, limg__endpoint_spec *e, bool server)
{
	int rc = 0;

	e->caps = LIMG_ENDPOINT_CAP_PULL | LIMG_ENDPOINT_CAP_RESOLVE | LIMG_ENDPOINT_CAP_PUSH; /* containerd's default */
	for (size_t i = 0; i < t->count && rc == 0; i++) {
		const limg__toml *v = t->items[i];
		const char *k = v->key;
		if (server && (!strcmp(k, "server") || (v->type == LIMG_TOML_TABLE && strcmp(k, "header") != 0)))
			continue; /* (the root's: server itself, and the [host] tables; its [header] is the server's) */
		if (!strcmp(k, "capabilities")) {
			rc = capabilities(r, v, &e->caps);
		} else if (!strcmp(k, "skip_verify") || !strcmp(k, "override_path")) {
			if (v->type != LIMG_TOML_BOOL)
				return wrong(r, v, "true or false");
			if (k[0] == 's')
				e->skip_verify = v->integer != 0;
			else
				e->override_path = v->integer != 0;
		} else if (!strcmp(k, "ca")) {
			const limg__toml *first = v->type == LIMG_TOML_ARRAY && v->count ? v->items[0] : v;
			if (first->type != LIMG_TOML_STRING)
				return wrong(r, v, "a file or a list of files");
			if (v->type == LIMG_TOML_ARRAY && v->count > 1)
				limg__log(r->ctx, LIMG_LOG_WARN, "%s:%d: only the first CA file is used", r->label, v->line);
			limg__free(e->ca_file);
			e->ca_file = NULL;
			rc = path_of(r, first->string, &e->ca_file);
		} else if (!strcmp(k, "client")) {
			rc = client_pair(r, v->type == LIMG_TOML_ARRAY && v->count && v->items[0]->type == LIMG_TOML_ARRAY
			                        ? v->items[0]
			                        : v,
			                 e);
		} else if (!strcmp(k, "dial_timeout")) {
			rc = duration_ms(r, v, &e->dial_timeout_ms);
		} else if (!strcmp(k, "header")) {
			if (v->type != LIMG_TOML_TABLE)
				return wrong(r, v, "a table");
			for (size_t h = 0; h < v->count && rc == 0; h++) {
				const limg__toml *hv = v->items[h];
				if (!header_safe(hv->key) || strchr(hv->key, ':') || !*hv->key)
					return limg__error_set(LIMG_ECORRUPT, "%s:%d: a header name must be a token", r->label, hv->line);
				if (hv->type == LIMG_TOML_STRING) {
					rc = header_safe(hv->string) ? add_header(e, hv->key, hv->string)
					                             : wrong(r, hv, "one line of text");
				} else if (hv->type == LIMG_TOML_ARRAY) {
					for (size_t j = 0; j < hv->count && rc == 0; j++)
						rc = hv->items[j]->type == LIMG_TOML_STRING && header_safe(hv->items[j]->string)
						             ? add_header(e, hv->key, hv->items[j]->string)
						             : wrong(r, hv, "text, or a list of texts");
				} else {
					return wrong(r, hv, "text, or a list of texts");
				}
			}
		} else {
			limg__log(r->ctx, LIMG_LOG_WARN, "%s:%d: %s is not known to libimage; ignored", r->label, v->line, k);
		}
	}
	return rc;
}

static bool http_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

int limg__hosts_parse(limg__hosts *out, const char *text, size_t len, const char *label, const char *base_dir,
                      limg_context *ctx)
{
	reading r = { label, base_dir, ctx };
	limg__toml *doc = NULL;
	const limg__toml *server, *hosts;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = limg__toml_parse(&doc, text, len, label)) < 0)
		return rc;
	if ((server = limg__toml_get(doc, "server"))) {
		if (server->type != LIMG_TOML_STRING || !http_url(server->string)) {
			rc = wrong(&r, server, "an http(s) URL");
			goto fail;
		}
		if (!(out->server.url = limg__strdup(server->string))) {
			rc = limg__error_oom();
			goto fail;
		}
	}
	/* the root's settings are the server's, whether it is named or the registry's own (containerd's) */
	if ((rc = host_settings(&r, doc, &out->server, true)) < 0)
		goto fail;
	if ((hosts = limg__toml_get(doc, "host"))) {
		if (hosts->type != LIMG_TOML_TABLE) {
			rc = wrong(&r, hosts, "tables: [host.\"https://...\"]");
			goto fail;
		}
		if (hosts->count > HOSTS_MAX) {
			rc = limg__error_set(LIMG_ETOOBIG, "%s: more than %d hosts", label, HOSTS_MAX);
			goto fail;
		}
		if (hosts->count && !(out->hosts = limg__calloc(hosts->count, sizeof *out->hosts))) {
			rc = limg__error_oom();
			goto fail;
		}
		for (size_t i = 0; i < hosts->count; i++) {
			const limg__toml *h = hosts->items[i];
			limg__endpoint_spec *e = &out->hosts[out->n++];
			if (h->type != LIMG_TOML_TABLE || !http_url(h->key)) {
				rc = limg__error_set(LIMG_ECORRUPT, "%s:%d: [host.\"%.100s\"] must name an http(s) URL", label,
				                     h->line, h->key);
				goto fail;
			}
			if (!(e->url = limg__strdup(h->key))) {
				rc = limg__error_oom();
				goto fail;
			}
			if ((rc = host_settings(&r, h, e, false)) < 0)
				goto fail;
		}
	}
	limg__toml_free(doc);
	return 0;
fail:
	limg__toml_free(doc);
	limg__hosts_dispose(out);
	return rc;
}

/* A configuration file (symlinks followed: it is the administrator's). LIMG_ENOTFOUND (not raised) when absent. */
static int read_config(limg_buf *out, const char *path)
{
	struct stat st;
	char chunk[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), rc = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? LIMG_ENOTFOUND
		                                           : limg__error_set(LIMG_ESYSTEM, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", path);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = limg__error_set(LIMG_ESYSTEM, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (!n)
			break;
		if (out->size + (size_t)n > HOSTS_FILE_MAX) {
			rc = limg__error_set(LIMG_ETOOBIG, "%s is larger than %u bytes", path, HOSTS_FILE_MAX);
			break;
		}
		if (limg__buf_put(out, chunk, (size_t)n) < 0) {
			rc = limg__error_oom();
			break;
		}
	}
	close(fd);
	return rc;
}

int limg__hosts_load(limg__hosts *out, const char *dir, const char *host, limg_context *ctx)
{
	const char *candidates[2] = { host, "_default" };
	int rc;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < 2; i++) {
		limg_buf text = LIMG_BUF_INIT;
		char *sub = NULL, *path = NULL;
		if (limg__asprintf(&sub, "%s/%s", dir, candidates[i]) < 0 || limg__asprintf(&path, "%s/hosts.toml", sub) < 0) {
			limg__free(sub);
			return limg__error_oom();
		}
		if ((rc = read_config(&text, path)) == LIMG_ENOTFOUND) {
			limg__free(sub);
			limg__free(path);
			continue;
		}
		if (rc == 0)
			rc = limg__hosts_parse(out, text.ptr ? text.ptr : "", text.size, path, sub, ctx);
		limg_buf_dispose(&text);
		limg__free(sub);
		if (rc == 0)
			out->path = path;
		else
			limg__free(path);
		return rc;
	}
	return 0;
}
