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
static int nap(limg_registry *r, long ms)
{
	while (ms > 0) {
		long step = ms < 100 ? ms : 100;
		if (limg_cancel_requested(r->o.cancel))
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

/* For an insecure registry: https if it answers, else plain http. */
static int settle(limg_registry *r)
{
	limg__http_resp resp;
	limg__http_req req = { 0 };
	char *url = NULL;
	int rc;

	pthread_mutex_lock(&r->lock);
	if (r->settled || !r->insecure) {
		r->settled = true;
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	limg__http_resp_init(&resp);
	if (asprintf(&url, "%s/v2/", r->base) < 0) {
		pthread_mutex_unlock(&r->lock);
		return limg__error_oom();
	}
	req.url = url;
	req.max_body = 64 * 1024;
	rc = limg__http_do(r->http, &req, &resp);
	if (rc == LIMG_ECANCELLED) {
		free(url);
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	if (rc < 0) {
		char *plain;
		if (asprintf(&plain, "http://%s", r->host) < 0) {
			free(url);
			pthread_mutex_unlock(&r->lock);
			return limg__error_oom();
		}
		limg__log(r->ctx, LIMG_LOG_INFO, "%s: no https (%s); using plain http", r->domain,
		          limg_error_message(limg_error_last()));
		free(r->base);
		r->base = plain;
	}
	r->settled = true;
	limg__http_resp_dispose(&resp);
	free(url);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* base + path; base may be replaced by settle() on another thread, so it
 * is read under the lock. */
static char *url_for(limg_registry *r, const char *path)
{
	char *url = NULL;

	pthread_mutex_lock(&r->lock);
	if (asprintf(&url, "%s%s", r->base, path) < 0)
		url = NULL;
	pthread_mutex_unlock(&r->lock);
	return url;
}

/* A 401 that came without a challenge: ask /v2/ for one (gcr.io did this). */
static char *challenge_from_ping(limg_registry *r)
{
	limg__http_resp resp;
	limg__http_req req = { 0 };
	char *url, *challenge = NULL;

	limg__http_resp_init(&resp);
	if (!(url = url_for(r, "/v2/")))
		return NULL;
	req.url = url;
	req.max_body = 64 * 1024;
	if (limg__http_do(r->http, &req, &resp) == 0 && resp.www_authenticate)
		challenge = strdup(resp.www_authenticate);
	limg__http_resp_dispose(&resp);
	free(url);
	return challenge;
}

bool limg__registry_plain_http(limg_registry *r)
{
	bool plain;

	pthread_mutex_lock(&r->lock);
	plain = !strncmp(r->base, "http://", 7);
	pthread_mutex_unlock(&r->lock);
	return plain;
}

/* The operation's deadline passed: a timeout naming what timed out. */
static int past_deadline(const limg__call *c, int64_t deadline)
{
	if (!deadline || limg__now_ms() < deadline)
		return 0;
	return limg__error_set(LIMG_ETIMEOUT, "%s: took longer than the operation timeout", c->what);
}

int limg__registry_call(limg_registry *r, const limg__call *c, limg__http_resp *resp)
{
	char *url = NULL, *auth = NULL, range[48];
	bool answered_challenge = false;
	int attempt = 0, rc;
	bool can_retry = !c->source || c->rewind; /* a streamed body goes once unless it can be put back */
	int64_t progress = c->resume_from ? *c->resume_from : 0;
	int64_t deadline = c->deadline_ms ? c->deadline_ms
	                   : r->o.operation_timeout_s > 0 ? limg__now_ms() + r->o.operation_timeout_s * 1000
	                                                  : 0;

	if ((rc = settle(r)) < 0)
		return rc;
	if (!(url = c->url[0] == '/' ? url_for(r, c->url) : strdup(c->url)))
		return limg__error_oom();
	if (c->scope && !c->no_auth)
		auth = limg__auth_cached(r->auth, c->scope);
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
		rc = limg__http_do(r->http, &req, resp);
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
			if (retryable_error(rc) && attempt < r->o.max_attempts && can_retry) {
				limg__log(r->ctx, LIMG_LOG_INFO, "%s: %s; retrying (%d/%d)", c->what,
				          limg_error_message(limg_error_last()), attempt + 1, r->o.max_attempts);
				if ((rc = nap(r, backoff(r, attempt))) < 0)
					break;
				continue;
			}
			break;
		}
		if (resp->status == 401 && c->scope && !c->no_auth && !answered_challenge && can_retry) {
			char *challenge = resp->www_authenticate ? strdup(resp->www_authenticate) : challenge_from_ping(r);
			char *fresh = NULL;
			answered_challenge = true;
			if (auth)
				limg__auth_forget(r->auth, c->scope);
			rc = limg__auth_answer(r->auth, r->http, challenge, c->scope, limg__registry_plain_http(r), &fresh);
			free(challenge);
			if (rc != 0)
				break;
			if (auth) {
				memset(auth, 0, strlen(auth));
				free(auth);
			}
			auth = fresh;
			attempt--; /* answering a challenge is not a failure */
			continue;
		}
		if (retryable_status(resp->status) && attempt < r->o.max_attempts && can_retry) {
			long wait = limg__retry_after_seconds(resp->retry_after);
			if (wait > r->o.retry_after_max_s) {
				rc = limg__registry_error(resp, c->what);
				break;
			}
			wait = wait >= 0 ? wait * 1000 : backoff(r, attempt);
			limg__log(r->ctx, LIMG_LOG_INFO, "%s: HTTP %ld; retrying in %ld ms (%d/%d)", c->what, resp->status,
			          wait, attempt + 1, r->o.max_attempts);
			if ((rc = nap(r, wait)) < 0)
				break;
			continue;
		}
		rc = 0;
		break;
	}
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(url);
	return rc;
}
