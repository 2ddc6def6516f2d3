/* SPDX-License-Identifier: MIT */
/*
 * The request loop every registry call goes through: settle https/http for
 * an insecure registry, add the Authorization known for the scope, answer
 * one 401 challenge, retry transport errors, 5xx and 429 with exponential
 * backoff and jitter (Retry-After honoured up to a bound), and resume a
 * streamed body from where it broke.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "reference/grammar.h"
#include "registry_internal.h"

int limg__registry_check_name(const char *repository)
{
	if (!repository || !limg__ref_match_path(repository, strlen(repository)) ||
	    strlen(repository) > LIMG_REF_PATH_MAX)
		return limg__error_set(LIMG_EREF_FORMAT, "invalid repository name \"%.100s\"", repository ? repository : "");
	return 0;
}

int limg__registry_check_reference(const char *reference, bool *is_digest)
{
	size_t n = reference ? strlen(reference) : 0;

	*is_digest = reference && strchr(reference, ':');
	if (*is_digest ? !limg__ref_match_digest(reference, n) : !limg__ref_match_tag(reference, n))
		return limg__error_set(*is_digest ? LIMG_EREF_DIGEST : LIMG_EREF_TAG, "invalid tag or digest \"%.140s\"",
		                       reference ? reference : "");
	return 0;
}

static bool retryable_status(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static bool retryable_error(int rc)
{
	return rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT;
}

/* Sleeps in short steps so that a cancellation is noticed. */
static int nap(const limg_cancel *cancel, long ms)
{
	while (ms > 0) {
		long step = ms < 100 ? ms : 100;
		if (limg_cancel_requested(cancel))
			return limg__error_set(LIMG_ECANCELLED, "cancelled while waiting to retry");
		usleep((useconds_t)step * 1000);
		ms -= step;
	}
	return 0;
}

static long backoff(limg_registry *r, int attempt)
{
	long ms = r->o.backoff_ms;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&ms ^ (unsigned)attempt;

	for (int i = 1; i < attempt && ms < r->o.backoff_max_ms; i++)
		ms *= 2;
	if (ms > r->o.backoff_max_ms)
		ms = r->o.backoff_max_ms;
	/* full jitter in [ms/2, ms] spreads clients that failed together */
	return ms / 2 + (long)(rand_r(&seed) % (unsigned)(ms / 2 + 1));
}

/* For an insecure endpoint: https if it answers, else plain http. */
static int settle(limg_registry *r, limg__endpoint *e, const limg_cancel *cancel)
{
	limg__http_resp resp;
	limg__http_req req = { 0 };
	char *url = NULL;
	int rc;

	pthread_mutex_lock(&r->lock);
	if (e->settled || !e->insecure) {
		e->settled = true;
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	limg__http_resp_init(&resp);
	if (limg__asprintf(&url, "%s%s/", e->base, e->prefix) < 0) {
		pthread_mutex_unlock(&r->lock);
		return limg__error_oom();
	}
	req.url = url;
	req.max_body = 64 * 1024;
	req.cancel = cancel;
	if (!e->mirror && (rc = limg__registry_pace_wait(&r->pace, cancel)) < 0) {
		limg__free(url);
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	if (!e->mirror)
		limg__registry_count(&r->pace, "GET", url);
	rc = limg__http_do(e->http, &req, &resp);
	if (rc == LIMG_ECANCELLED) {
		limg__free(url);
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	if (rc < 0) {
		char *plain;
		if (limg__asprintf(&plain, "http://%s", e->host) < 0) {
			limg__free(url);
			pthread_mutex_unlock(&r->lock);
			return limg__error_oom();
		}
		limg__log(r->ctx, LIMG_LOG_INFO, "%s: no https (%s); using plain http", e->host,
		          limg_error_message(limg_error_last()));
		limg_error_clear();
		limg__free(e->base);
		e->base = plain;
	}
	e->settled = true;
	limg__http_resp_dispose(&resp);
	limg__free(url);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* The URL of @path ("/v2/..."): the endpoint's base and API root, and for
 * a mirror ?ns=<registry> (containerd's, and the distribution spec's, way
 * of naming what is proxied). base may be replaced by settle() on another
 * thread, so it is read under the lock. */
static char *url_for(limg_registry *r, const limg__endpoint *e, const char *path)
{
	const char *rest = !strncmp(path, "/v2", 3) ? path + 3 : path;
	char *url = NULL;
	int n;

	pthread_mutex_lock(&r->lock);
	if (e->mirror)
		n = limg__asprintf(&url, "%s%s%s%sns=%s", e->base, e->prefix, rest, strchr(rest, '?') ? "&" : "?", r->domain);
	else
		n = limg__asprintf(&url, "%s%s%s", e->base, e->prefix, rest);
	if (n < 0)
		url = NULL;
	pthread_mutex_unlock(&r->lock);
	return url;
}

/* A 401 that came without a challenge: ask /v2/ for one (gcr.io did this). */
static char *challenge_from_ping(limg_registry *r, limg__endpoint *e, const limg_cancel *cancel)
{
	limg__http_resp resp;
	limg__http_req req = { 0 };
	char *url, *challenge = NULL;

	limg__http_resp_init(&resp);
	if (!(url = url_for(r, e, "/v2/")))
		return NULL;
	req.url = url;
	req.max_body = 64 * 1024;
	req.cancel = cancel;
	if (!e->mirror)
		limg__registry_count(&r->pace, "GET", url);
	if (limg__http_do(e->http, &req, &resp) == 0 && resp.www_authenticate)
		challenge = limg__strdup(resp.www_authenticate);
	limg__http_resp_dispose(&resp);
	limg__free(url);
	return challenge;
}

static bool endpoint_plain(limg_registry *r, const limg__endpoint *e)
{
	bool plain;

	pthread_mutex_lock(&r->lock);
	plain = !strncmp(e->base, "http://", 7);
	pthread_mutex_unlock(&r->lock);
	return plain;
}

/* True when @url is on the endpoint's own origin. */
static bool endpoint_origin_of(limg_registry *r, const limg__endpoint *e, const char *url)
{
	bool same;

	pthread_mutex_lock(&r->lock);
	same = limg__http_same_origin(e->base, url);
	pthread_mutex_unlock(&r->lock);
	return same;
}

char *limg__registry_origin_base(limg_registry *r)
{
	char *base;

	pthread_mutex_lock(&r->lock);
	base = limg__strdup(LIMG_ORIGIN(r)->base);
	pthread_mutex_unlock(&r->lock);
	return base;
}

/* The operation's deadline passed: a timeout naming what timed out. */
static int past_deadline(const limg__call *c, int64_t deadline)
{
	if (!deadline || limg__now_ms() < deadline)
		return 0;
	return limg__error_set(LIMG_ETIMEOUT, "%s: took longer than the operation timeout", c->what);
}

static int call_endpoint(limg_registry *r, limg__endpoint *e, const limg__call *c, limg__http_resp *resp,
                         bool last)
{
	char *url = NULL, *auth = NULL, range[48];
	bool answered_challenge = false, own_origin, took_slot;
	int attempt = 0, rc;
	bool can_retry = !c->source || c->rewind; /* a streamed body goes once unless it can be put back */
	int64_t progress = c->resume_from ? *c->resume_from : 0;
	/* the caller's deadline, else the operation timeout; a call that moves no blob (a manifest,
	 * a HEAD, an upload session's answers) is over at the request timeout, all its tries together */
	int64_t deadline = c->deadline_ms ? c->deadline_ms
	                   : r->o.operation_timeout_s > 0 ? limg__now_ms() + r->o.operation_timeout_s * 1000
	                   : !c->source && !c->sink       ? limg__now_ms() + r->o.request_timeout_s * 1000
	                                                  : 0;

	/* a mirror gets one try: the next endpoint is the retry */
	int max_attempts = last ? r->o.max_attempts : 1;

	if ((rc = settle(r, e, c->cancel)) < 0)
		return rc;
	if (!(url = c->url[0] == '/' ? url_for(r, e, c->url) : limg__strdup(c->url)))
		return limg__error_oom();
	if (c->scope && !c->no_auth)
		auth = limg__auth_cached(e->auth, c->scope);
	own_origin = endpoint_origin_of(r, e, url);
	for (;;) {
		limg__http_req req = { 0 };

		if ((rc = past_deadline(c, deadline)) < 0)
			break;
		req.method = c->method;
		req.url = url;
		req.what = c->what;
		req.accept = c->accept;
		req.authorization = auth;
		req.sink = c->sink;
		req.start = c->start;
		req.payload = c->payload;
		req.max_body = c->max_body ? c->max_body : 1u << 20;
		req.body = c->body;
		req.body_len = c->body_len;
		req.source = c->source;
		req.source_payload = c->source_payload;
		req.source_len = c->source_len;
		req.content_type = c->content_type;
		req.content_range = c->content_range;
		/* an answer comes right after the body, or the server is dripping it */
		req.answer_timeout_ms = r->o.low_speed_time_s * 1000;
		if (own_origin) {
			/* an endpoint's own headers (hosts.toml [header]) go to it alone: not to an upload
			 * URL on another host, nor (http.c) along a redirect elsewhere */
			req.headers = (const char *const *)e->headers;
			req.nheaders = e->nheaders;
		}
		req.cancel = c->cancel;
		if (attempt > 0 && c->source && (rc = c->rewind(c->source_payload)) != 0)
			break;
		if (c->resume_from && c->range_stop > 0) {
			snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)*c->resume_from,
			         (long long)c->range_stop - 1);
			req.range = range;
		} else if (c->resume_from && *c->resume_from > 0) {
			snprintf(range, sizeof range, "bytes=%lld-", (long long)*c->resume_from);
			req.range = range;
		}
		if (deadline) {
			long left = (long)(deadline - limg__now_ms());
			long per = r->o.request_timeout_s * 1000;
			req.timeout_ms = left < per || per <= 0 ? (left > 0 ? left : 1) : per;
		}
		attempt++;
		took_slot = false;
		if (!e->mirror) {
			/* the registry's own pace: its rate, a 429 that holds back every call, and
			 * max_connections (a slot for the exchange, unless this thread holds them) */
			if ((rc = limg__registry_pace_wait(&r->pace, c->cancel)) < 0 ||
			    (rc = limg__registry_slot_enter(&r->pace, c->cancel, &took_slot)) < 0)
				break;
			limg__registry_count(&r->pace, c->method, url);
		}
		rc = limg__http_do(e->http, &req, resp);
		limg__registry_slot_leave(&r->pace, took_slot);
		if (rc > 0)
			break; /* a callback said stop: its answer goes back as it is */
		if (c->resume_from && *c->resume_from > progress) {
			/* the budget is for failures in a row: bytes arrived, so start it over */
			progress = *c->resume_from;
			attempt = 1;
		}
		if (rc < 0 && c->resume_from && c->resume_end >= 0 && *c->resume_from >= c->resume_end &&
		    (resp->status == 200 || resp->status == 206)) {
			/* every byte arrived before the connection broke: nothing is left to ask for */
			limg_error_clear();
			rc = 0;
			break;
		}
		if (rc < 0) {
			if (rc == LIMG_ETIMEOUT && deadline && limg__now_ms() >= deadline) {
				rc = past_deadline(c, deadline);
				break;
			}
			if (retryable_error(rc) && attempt < max_attempts && can_retry) {
				limg__log(r->ctx, LIMG_LOG_INFO, "%s: %s; retrying (%d/%d)", c->what,
				          limg_error_message(limg_error_last()), attempt + 1, max_attempts);
				if ((rc = nap(c->cancel, backoff(r, attempt))) < 0)
					break;
				continue;
			}
			break;
		}
		if (resp->status == 401 && c->scope && !c->no_auth && !answered_challenge && can_retry) {
			char *challenge = resp->www_authenticate ? limg__strdup(resp->www_authenticate)
			                                         : challenge_from_ping(r, e, c->cancel);
			char *fresh = NULL;
			answered_challenge = true;
			if (auth)
				limg__auth_forget(e->auth, c->scope);
			rc = limg__auth_answer(e->auth, e->http, challenge, c->scope, endpoint_plain(r, e), c->cancel, &fresh);
			limg__free(challenge);
			if (rc != 0)
				break;
			if (auth) {
				memset(auth, 0, strlen(auth));
				limg__free(auth);
			}
			auth = fresh;
			attempt--; /* answering a challenge is not a failure */
			continue;
		}
		if (resp->status == 429 && !e->mirror) {
			/* every call through the handle waits, not only this one (at most as long as we would) */
			long asked = limg__http_retry_after(resp);
			if (asked > r->o.retry_after_max_s)
				asked = r->o.retry_after_max_s;
			limg__registry_pace_hold(&r->pace, asked >= 0 ? asked * 1000 : backoff(r, attempt));
		}
		if (retryable_status(resp->status) && attempt < max_attempts && can_retry) {
			long wait = limg__http_retry_after(resp);
			if (wait > r->o.retry_after_max_s) {
				rc = limg__registry_error(resp, c->what);
				break;
			}
			wait = wait >= 0 ? wait * 1000 : backoff(r, attempt);
			limg__log(r->ctx, LIMG_LOG_INFO, "%s: HTTP %ld; retrying in %ld ms (%d/%d)", c->what, resp->status,
			          wait, attempt + 1, max_attempts);
			if ((rc = nap(c->cancel, wait)) < 0)
				break;
			continue;
		}
		if (resp->status == 401 && answered_challenge && auth && limg__auth_has_credentials(e->auth)) {
			/* the registry took our token or Basic credentials, and still says who are you */
			char rcode[64];
			rc = limg__registry_error(resp, c->what);
			snprintf(rcode, sizeof rcode, "%s", limg_error_registry_code(limg_error_last()));
			limg__error_set_about(rc, LIMG_SUBJECT_CREDENTIALS, e->mirror ? e->host : r->domain,
			                      "%s: the credentials for %s were refused", c->what, e->mirror ? e->host : r->domain);
			limg__error_set_http((int)resp->status, rcode);
			break;
		}
		rc = 0;
		break;
	}
	if (auth) {
		memset(auth, 0, strlen(auth));
		limg__free(auth);
	}
	limg__free(url);
	return rc;
}

/* A mirror that cannot be reached is left alone for a while: the requests
 * after the first do not each wait for it to time out. */
#define MIRROR_DOWN_MS 60000

static bool mirror_down(limg_registry *r, const limg__endpoint *e)
{
	bool down;

	pthread_mutex_lock(&r->lock);
	down = e->down_until && limg__now_ms() < e->down_until;
	pthread_mutex_unlock(&r->lock);
	return down;
}

static void mark_down(limg_registry *r, limg__endpoint *e)
{
	pthread_mutex_lock(&r->lock);
	e->down_until = limg__now_ms() + MIRROR_DOWN_MS;
	pthread_mutex_unlock(&r->lock);
}

/* A mirror's answer that the next endpoint may do better with. */
static bool leave_mirror(int rc, const limg__http_resp *resp)
{
	if (rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT || rc == LIMG_ETLS || rc == LIMG_EREDIRECT || rc == LIMG_EAUTH ||
	    rc == LIMG_EPROTOCOL)
		return true;
	return rc == 0 && (resp->status >= 500 || resp->status == 404 || resp->status == 401 || resp->status == 403 ||
	                   resp->status == 429 || resp->status == 400);
}

int limg__registry_call(limg_registry *r, const limg__call *c, limg__http_resp *resp)
{
	unsigned need = c->need ? c->need : LIMG_ENDPOINT_CAP_PULL;
	size_t origin = r->nep - 1;
	int rc = 0;

	/* absolute URLs (uploads, pagination) and pushes are the registry's own */
	if (c->url[0] != '/' || c->origin_only || (need & LIMG_ENDPOINT_CAP_PUSH)) {
		if (c->used)
			*c->used = origin;
		return call_endpoint(r, LIMG_ORIGIN(r), c, resp, true);
	}
	for (size_t i = c->first < r->nep ? c->first : origin; i < r->nep; i++) {
		limg__endpoint *e = &r->ep[i];
		size_t next = i + 1;
		if (i < origin && ((e->caps & need) != need || mirror_down(r, e)))
			continue;
		while (next < origin && ((r->ep[next].caps & need) != need || mirror_down(r, &r->ep[next])))
			next++;
		if (c->used)
			*c->used = i;
		rc = call_endpoint(r, e, c, resp, i == origin);
		if (i == origin || !leave_mirror(rc, resp) || limg_cancel_requested(c->cancel))
			return rc;
		if (rc == LIMG_ENETWORK || rc == LIMG_ETIMEOUT || rc == LIMG_ETLS)
			mark_down(r, e);
		limg__log(r->ctx, LIMG_LOG_INFO, "%s at mirror %s: %s; trying %s", c->what, e->host,
		          rc ? limg_error_message(limg_error_last()) : "refused", next < origin ? r->ep[next].host : r->domain);
		limg_error_clear();
		i = next - 1;
	}
	return rc;
}
