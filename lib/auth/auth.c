/* SPDX-License-Identifier: MIT */
/* Per-registry authentication: credentials, the token flow, the token cache. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "challenge.h"
#include "core/base64.h"
#include "core/core.h"
#include "core/json.h"

#define TOKEN_BODY_MAX (1u << 20)
#define TOKEN_CACHE_MAX 64

struct token {
	char *scope;
	char *header; /* "Bearer ..." */
	time_t expires;
};

struct limg__auth {
	limg__auth_opts o;
	char *host, *config_dir;
	pthread_mutex_t lock;
	bool creds_loaded;
	limg_buf user, secret; /* empty: anonymous */
	char *basic;           /* "Basic ..." once a Basic challenge was seen */
	struct token tokens[TOKEN_CACHE_MAX];
	size_t ntokens;
};

int limg__auth_new(limg__auth **out, const limg__auth_opts *o)
{
	limg__auth *a = limg__calloc(1, sizeof *a);

	*out = NULL;
	if (!a)
		return limg__error_oom();
	a->o = *o;
	a->host = limg__strdup(o->host);
	a->config_dir = o->docker_config_dir ? limg__strdup(o->docker_config_dir) : NULL;
	if (!a->host || (o->docker_config_dir && !a->config_dir)) {
		limg__auth_free(a);
		return limg__error_oom();
	}
	a->o.host = a->host;
	a->o.docker_config_dir = a->config_dir;
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return 0;
}

static void wipe(limg_buf *b)
{
	if (b->ptr)
		memset(b->ptr, 0, b->size);
	limg_buf_dispose(b);
}

void limg__auth_free(limg__auth *a)
{
	if (!a)
		return;
	wipe(&a->user);
	wipe(&a->secret);
	limg__free(a->basic);
	for (size_t i = 0; i < a->ntokens; i++) {
		limg__free(a->tokens[i].scope);
		limg__free(a->tokens[i].header);
	}
	pthread_mutex_destroy(&a->lock);
	limg__free(a->host);
	limg__free(a->config_dir);
	limg__free(a);
}

/* Loads credentials once: the callback's answer (credentials, anonymous,
 * or LIMG_PASSTHROUGH), else Docker's config (unless disabled). */
static int load_credentials(limg__auth *a)
{
	bool look_up = !(a->config_dir && !*a->config_dir);
	int rc = 0;

	if (a->creds_loaded)
		return 0;
	if (a->o.credentials) {
		rc = a->o.credentials(&a->user, &a->secret, a->host, a->o.payload);
		if (rc == LIMG_PASSTHROUGH) {
			wipe(&a->user);
			wipe(&a->secret);
		} else if (rc) {
			wipe(&a->user);
			wipe(&a->secret);
			return limg__error_after_callback(rc, "authentication");
		} else {
			look_up = false; /* an answer: credentials, or anonymous when both are empty */
		}
	}
	if (look_up) {
		rc = limg_credentials_lookup(&a->user, &a->secret, a->host, a->config_dir);
		if (rc == LIMG_ENOTFOUND || rc == LIMG_EAUTH) {
			/* a missing or broken helper must not break anonymous pulls */
			if (rc == LIMG_EAUTH)
				limg__log(a->o.ctx, LIMG_LOG_WARN, "%s; continuing without credentials",
				          limg_error_message(limg_error_last()));
			wipe(&a->user);
			wipe(&a->secret);
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	a->creds_loaded = true;
	limg__log(a->o.ctx, LIMG_LOG_DEBUG, "%s: %s", a->host, a->user.size ? "using stored credentials" : "anonymous");
	return 0;
}

bool limg__auth_has_credentials(limg__auth *a)
{
	bool has;

	pthread_mutex_lock(&a->lock);
	has = a->user.size || a->secret.size;
	pthread_mutex_unlock(&a->lock);
	return has;
}

char *limg__auth_cached(limg__auth *a, const char *scope)
{
	char *out = NULL;
	time_t now = time(NULL);

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->ntokens; i++)
		if (!strcmp(a->tokens[i].scope, scope) && a->tokens[i].expires > now) {
			out = limg__strdup(a->tokens[i].header);
			break;
		}
	if (!out && a->basic)
		out = limg__strdup(a->basic);
	pthread_mutex_unlock(&a->lock);
	return out;
}

void limg__auth_forget(limg__auth *a, const char *scope)
{
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->ntokens; i++)
		if (!strcmp(a->tokens[i].scope, scope)) {
			a->tokens[i].expires = 0;
			break;
		}
	pthread_mutex_unlock(&a->lock);
}

static void remember(limg__auth *a, const char *scope, const char *header, long expires_in)
{
	struct token *t = NULL;
	char *s = limg__strdup(scope), *h = limg__strdup(header);

	if (!s || !h) {
		limg__free(s);
		limg__free(h);
		return;
	}
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->ntokens && !t; i++)
		if (!strcmp(a->tokens[i].scope, scope))
			t = &a->tokens[i];
	if (!t) {
		if (a->ntokens == TOKEN_CACHE_MAX) {
			/* full: drop the oldest */
			limg__free(a->tokens[0].scope);
			limg__free(a->tokens[0].header);
			memmove(a->tokens, a->tokens + 1, sizeof a->tokens[0] * (TOKEN_CACHE_MAX - 1));
			a->ntokens--;
		}
		t = &a->tokens[a->ntokens++];
		t->scope = t->header = NULL;
	}
	limg__free(t->scope);
	limg__free(t->header);
	t->scope = s;
	t->header = h;
	/* spec: at least 60 s; renew a little early */
	t->expires = time(NULL) + (expires_in < 60 ? 60 : expires_in) - 10;
	pthread_mutex_unlock(&a->lock);
}

static int basic_header(limg__auth *a, char **out)
{
	limg_buf plain = LIMG_BUF_INIT, enc = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg__buf_put(&plain, a->user.ptr, a->user.size)) < 0 || (rc = limg__buf_put(&plain, ":", 1)) < 0 ||
	    (rc = limg__buf_put(&plain, a->secret.ptr, a->secret.size)) < 0 ||
	    (rc = limg__base64_encode(&enc, plain.ptr, plain.size)) < 0)
		goto out;
	if (!(*out = limg__malloc(enc.size + 7))) {
		rc = limg__error_oom();
		goto out;
	}
	memcpy(*out, "Basic ", 6);
	memcpy(*out + 6, enc.ptr, enc.size + 1);
out:
	wipe(&plain);
	wipe(&enc);
	return rc;
}

static int append_param(limg_buf *url, const char *name, const char *value, bool *first)
{
	if (limg__buf_put(url, *first ? (strchr(url->ptr, '?') ? "&" : "?") : "&", 1) < 0 ||
	    limg__buf_put(url, name, strlen(name)) < 0 || limg__buf_put(url, "=", 1) < 0 ||
	    limg__http_escape(url, value) < 0)
		return LIMG_ENOMEM;
	*first = false;
	return 0;
}

/* Adds each space-separated scope as its own parameter. */
static int append_scopes(limg_buf *url, const char *scopes, bool *first, bool form)
{
	const char *p = scopes;

	while (p && *p) {
		size_t n = strcspn(p, " ");
		char *one = limg__strndup(p, n);
		int rc;
		if (!one)
			return limg__error_oom();
		rc = form ? (limg__buf_put(url, "&scope=", 7) < 0 || limg__http_escape(url, one) < 0 ? LIMG_ENOMEM : 0)
		          : append_param(url, "scope", one, first);
		limg__free(one);
		if (rc < 0)
			return rc;
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The token server's answer: {"token"|"access_token", "expires_in"}. */
static int read_token(char **header, long *expires_in, const limg_buf *body, const char *realm)
{
	cJSON *doc = NULL;
	const cJSON *t, *e;
	char why[200];
	int rc = 0;

	if ((rc = limg__json_parse(&doc, body->ptr, body->size, NULL, why, sizeof why)) == LIMG_ENOMEM)
		return limg__error_oom();
	if (rc < 0)
		return limg__error_set(LIMG_EPROTOCOL, "token server %s gave no usable token (%s)", realm, why);
	t = cJSON_GetObjectItemCaseSensitive(doc, "token");
	e = cJSON_GetObjectItemCaseSensitive(doc, "expires_in");
	if (!cJSON_IsString(t) || !*t->valuestring)
		t = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
	if (!cJSON_IsString(t) || !*t->valuestring || strpbrk(t->valuestring, "\r\n")) {
		rc = limg__error_set(LIMG_EPROTOCOL, "token server %s gave no usable token", realm);
	} else if (!(*header = limg__malloc(strlen(t->valuestring) + 8))) {
		rc = limg__error_oom();
	} else {
		sprintf(*header, "Bearer %s", t->valuestring);
		*expires_in = cJSON_IsNumber(e) ? (long)e->valuedouble : 60;
	}
	if (t && cJSON_IsString(t))
		memset(t->valuestring, 0, strlen(t->valuestring));
	cJSON_Delete(doc);
	return rc;
}

static int fetch_token(limg__auth *a, limg__http *http, const limg__challenge *c, const char *scope,
                       bool registry_plain, const limg_cancel *cancel, char **header)
{
	limg_buf url = LIMG_BUF_INIT, form = LIMG_BUF_INIT;
	limg__http_resp resp;
	limg__http_req req = { 0 };
	char *basic = NULL;
	bool first = true, has_user = a->user.size || a->secret.size;
	bool identity = a->user.size == 7 && !memcmp(a->user.ptr, "<token>", 7);
	long expires_in = 60;
	int rc;
	char realm[300], what[400];

	limg__http_resp_init(&resp);
	limg__sanitize(realm, sizeof realm, c->realm ? c->realm : "", c->realm ? strlen(c->realm) : 0);
	if (!c->realm || strncasecmp(c->realm, "http", 4) != 0)
		return limg__error_set(LIMG_EPROTOCOL, "Bearer challenge from %s without a usable realm", a->host);
	/* a registry reached over HTTPS never has its credentials sent in the clear, wherever its realm is */
	if (has_user && strncasecmp(c->realm, "https:", 6) != 0 && !(a->o.secrets_over_http && registry_plain))
		return limg__error_set(LIMG_EAUTH, "refusing to send credentials for %s to %s over plain HTTP", a->host,
		                       realm);
	if ((rc = limg__buf_put(&url, c->realm, strlen(c->realm))) < 0)
		goto out;
	if (identity) {
		/* OAuth2 refresh-token grant, as docker login's identity tokens need */
		req.method = "POST";
		if ((rc = limg__buf_put(&form, "grant_type=refresh_token&client_id=libimage&refresh_token=", 58)) < 0 ||
		    (rc = limg__http_escape(&form, a->secret.ptr)) < 0 ||
		    (c->service && ((rc = limg__buf_put(&form, "&service=", 9)) < 0 ||
		                    (rc = limg__http_escape(&form, c->service)) < 0)) ||
		    (rc = append_scopes(&form, scope, &first, true)) < 0)
			goto out;
		req.form = form.ptr;
	} else {
		if ((c->service && (rc = append_param(&url, "service", c->service, &first)) < 0) ||
		    (rc = append_scopes(&url, scope, &first, false)) < 0)
			goto out;
		if (has_user) {
			if ((rc = append_param(&url, "account", a->user.ptr, &first)) < 0 || (rc = basic_header(a, &basic)) < 0)
				goto out;
			req.authorization = basic;
		}
	}
	snprintf(what, sizeof what, "the token server %s", realm);
	req.url = url.ptr;
	req.what = what;
	req.max_body = TOKEN_BODY_MAX;
	req.cancel = cancel;
	if ((rc = limg__http_do(http, &req, &resp)) < 0)
		goto out;
	if (resp.status == 401 || resp.status == 403) {
		rc = limg__error_set(LIMG_EAUTH, "token server %s refused %s for %s (HTTP %ld)", realm,
		                     has_user ? "the credentials" : "anonymous access", a->host, resp.status);
		if (has_user)
			limg__error_about(LIMG_SUBJECT_CREDENTIALS, a->host);
		limg__error_set_http((int)resp.status, resp.status == 401 ? "UNAUTHORIZED" : "DENIED");
		goto out;
	}
	if (resp.status != 200) {
		rc = limg__error_set(LIMG_EAUTH, "token server %s answered HTTP %ld", realm, resp.status);
		limg__error_set_http((int)resp.status, "");
		goto out;
	}
	if ((rc = read_token(header, &expires_in, &resp.body, realm)) == 0)
		remember(a, scope, *header, expires_in);
out:
	if (resp.body.ptr)
		memset(resp.body.ptr, 0, resp.body.size);
	limg__http_resp_dispose(&resp);
	if (basic) {
		memset(basic, 0, strlen(basic));
		limg__free(basic);
	}
	wipe(&form);
	limg_buf_dispose(&url);
	return rc;
}

int limg__auth_answer(limg__auth *a, limg__http *http, const char *header, const char *scope, bool registry_plain,
                      const limg_cancel *cancel, char **out)
{
	limg__challenge c[LIMG_CHALLENGES_MAX];
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!header)
		return limg__error_set(LIMG_EAUTH, "%s requires authentication but sent no challenge", a->host);
	if ((rc = limg__challenges_parse(c, &n, header)) < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	rc = load_credentials(a);
	pthread_mutex_unlock(&a->lock);
	if (rc == 0) {
		rc = limg__error_set(LIMG_EAUTH, "%s: no supported authentication scheme", a->host);
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(c[i].scheme, "bearer")) {
				/* insufficient_scope names the scope it wants: ask for both */
				char *want = NULL;
				if (c[i].scope && !strstr(scope, c[i].scope) && limg__asprintf(&want, "%s %s", scope, c[i].scope) < 0)
					want = NULL;
				rc = fetch_token(a, http, &c[i], want ? want : scope, registry_plain, cancel, out);
				if (rc == 0 && want)
					remember(a, scope, *out, 60);
				limg__free(want);
				break;
			}
			if (!strcmp(c[i].scheme, "basic")) {
				if (!a->user.size && !a->secret.size) {
					rc = limg__error_set(LIMG_EAUTH, "%s requires a user name and password", a->host);
					continue;
				}
				if (registry_plain && !a->o.secrets_over_http) {
					rc = limg__error_set(LIMG_EAUTH, "refusing to send credentials for %s over plain HTTP",
					                     a->host);
					continue;
				}
				if ((rc = basic_header(a, out)) == 0) {
					pthread_mutex_lock(&a->lock);
					limg__free(a->basic);
					a->basic = limg__strdup(*out);
					pthread_mutex_unlock(&a->lock);
				}
				break;
			}
		}
	}
	limg__challenges_free(c, n);
	return rc;
}
