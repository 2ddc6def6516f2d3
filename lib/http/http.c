/* SPDX-License-Identifier: MIT */
/* Requests on libcurl: shared connections, manual redirects, cancellation, bounded bodies. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/core.h"
#include "http.h"

#define MAX_REDIRECTS 10

struct conn {
	CURL *easy;
	CURLM *multi;
};

struct limg__http {
	limg__http_opts o;
	char *user_agent, *ca_pem, *client_cert_pem, *client_key_pem;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	struct conn *pool;
	size_t pooled, pool_cap;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *user)
{
	(void)easy;
	(void)access;
	pthread_mutex_lock(&((limg__http *)user)->share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *user)
{
	(void)easy;
	pthread_mutex_unlock(&((limg__http *)user)->share_locks[data]);
}

static char *dup_or_null(const char *s)
{
	return s ? limg__strdup(s) : NULL;
}

int limg__http_new(limg__http **out, const limg__http_opts *o)
{
	limg__http *h;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return limg__error_set(LIMG_ERROR, "libcurl initialization failed: %s", curl_easy_strerror(global_rc));
	if (!(h = limg__calloc(1, sizeof *h)))
		return limg__error_oom();
	h->o = *o;
	h->user_agent = dup_or_null(o->user_agent ? o->user_agent : "libimage");
	h->ca_pem = dup_or_null(o->ca_pem);
	h->client_cert_pem = dup_or_null(o->client_cert_pem);
	h->client_key_pem = dup_or_null(o->client_key_pem);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	h->share = curl_share_init();
	if (!h->share || !h->user_agent || (o->ca_pem && !h->ca_pem) || (o->client_cert_pem && !h->client_cert_pem) ||
	    (o->client_key_pem && !h->client_key_pem)) {
		limg__http_free(h);
		return limg__error_oom();
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	/* Connections are not shared: curl documents a shared connection cache as
	 * unsafe across threads (KNOWN_BUGS, curl #4915); each pooled easy handle
	 * keeps its own in its multi handle. TLS sessions only from curl 8.10 on:
	 * before it, threads resuming one session race inside OpenSSL (curl #14751). */
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	if (curl_version_info(CURLVERSION_NOW)->version_num >= 0x080a00)
		curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = h;
	return 0;
}

void limg__http_free(limg__http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->pooled; i++) {
		curl_multi_cleanup(h->pool[i].multi);
		curl_easy_cleanup(h->pool[i].easy);
	}
	limg__free(h->pool);
	if (h->share)
		curl_share_cleanup(h->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	pthread_mutex_destroy(&h->pool_lock);
	limg__free(h->user_agent);
	limg__free(h->ca_pem);
	limg__free(h->client_cert_pem);
	if (h->client_key_pem) {
		memset(h->client_key_pem, 0, strlen(h->client_key_pem)); /* a private key */
		limg__free(h->client_key_pem);
	}
	limg__free(h);
}

static int take_conn(limg__http *h, struct conn *c)
{
	pthread_mutex_lock(&h->pool_lock);
	if (h->pooled) {
		*c = h->pool[--h->pooled];
		pthread_mutex_unlock(&h->pool_lock);
		return 0;
	}
	pthread_mutex_unlock(&h->pool_lock);
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (!c->easy || !c->multi) {
		curl_easy_cleanup(c->easy);
		curl_multi_cleanup(c->multi);
		return limg__error_oom();
	}
	return 0;
}

static void give_conn(limg__http *h, struct conn *c)
{
	pthread_mutex_lock(&h->pool_lock);
	if (limg__array_grow((void **)&h->pool, &h->pool_cap, h->pooled + 1, sizeof *h->pool) < 0) {
		pthread_mutex_unlock(&h->pool_lock);
		limg_error_clear(); /* a connection not kept costs a new one later */
		curl_multi_cleanup(c->multi);
		curl_easy_cleanup(c->easy);
		return;
	}
	h->pool[h->pooled++] = *c;
	pthread_mutex_unlock(&h->pool_lock);
}

void limg__http_resp_init(limg__http_resp *r)
{
	memset(r, 0, sizeof *r);
	r->content_length = -1;
}

static void clear_headers(limg__http_resp *r)
{
	limg__free(r->content_type);
	limg__free(r->location);
	limg__free(r->link);
	limg__free(r->content_range);
	limg__free(r->www_authenticate);
	limg__free(r->range);
	r->content_type = r->location = r->link = r->content_range = r->www_authenticate = r->range = NULL;
	limg_buf_dispose(&r->headers);
}

const char *limg__http_header(const limg__http_resp *r, const char *name)
{
	size_t n = strlen(name);

	/* "name: value\0" lines, names as received */
	for (const char *p = r->headers.ptr, *end = p + r->headers.size; p && p < end; p += strlen(p) + 1)
		if (!strncasecmp(p, name, n) && p[n] == ':')
			return p + n + 1 + (p[n + 1] == ' ');
	return NULL;
}

long limg__http_retry_after(const limg__http_resp *r)
{
	const char *v = limg__http_header(r, "Retry-After");
	char *end;
	long n;
	time_t when;

	if (!v || !*v)
		return -1;
	n = strtol(v, &end, 10);
	if (end != v && !*end)
		return n < 0 ? 0 : n;
	when = curl_getdate(v, NULL); /* an HTTP-date */
	if (when < 0)
		return -1;
	n = (long)(when - time(NULL));
	return n < 0 ? 0 : n;
}

void limg__http_resp_dispose(limg__http_resp *r)
{
	clear_headers(r);
	limg__free(r->final_url);
	limg_buf_dispose(&r->body);
	limg__http_resp_init(r);
}

/* State of one transfer, seen by the curl callbacks. */
struct xfer {
	const limg__http_req *req;
	limg__http_resp *resp;
	CURL *easy;
	int abort_code;
	bool decided, to_sink, success, enough;
	size_t header_bytes;
	/* the request body, for this hop */
	const char *body;
	size_t body_len, body_sent;
};

/* Headers of all hops together are bounded too (curl bounds each line). */
#define HEADERS_MAX (256u * 1024)

static size_t on_header(char *line, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n, name_len;
	const char *colon;
	char **slot = NULL, *value;

	if ((x->header_bytes += len) > HEADERS_MAX) {
		x->abort_code = limg__error_set(LIMG_ETOOBIG, "%s: response headers over the %u-byte limit",
		                                x->req->what ? x->req->what : "request", HEADERS_MAX);
		return 0;
	}
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		clear_headers(x->resp); /* a new response (after 100-continue, or a redirect hop) */
		return len;
	}
	colon = memchr(line, ':', len);
	if (!colon)
		return len;
	name_len = (size_t)(colon - line);
	{
		/* every header, for limg__http_header(): "name: value" without the line end */
		size_t keep = len;
		while (keep && (line[keep - 1] == '\r' || line[keep - 1] == '\n' || line[keep - 1] == ' '))
			keep--;
		if (limg__buf_put(&x->resp->headers, line, keep) < 0 || limg__buf_put(&x->resp->headers, "", 1) < 0)
			return 0;
	}
#define HEADER(name, field)                                                          \
	if (name_len == sizeof name - 1 && !strncasecmp(line, name, name_len)) \
		slot = &x->resp->field;
	HEADER("content-type", content_type)
	HEADER("location", location)
	HEADER("link", link)
	HEADER("content-range", content_range)
	HEADER("www-authenticate", www_authenticate)
	HEADER("range", range)
#undef HEADER
	if (!slot)
		return len;
	colon++;
	while (colon < line + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	len -= (size_t)(colon - line);
	while (len && (colon[len - 1] == '\r' || colon[len - 1] == '\n' || colon[len - 1] == ' '))
		len--;
	if (*slot && slot == &x->resp->www_authenticate) {
		/* several challenges: one comma-separated list, as RFC 9110 allows */
		size_t old = strlen(*slot);
		value = limg__realloc(*slot, old + 2 + len + 1);
		if (!value)
			return 0;
		memcpy(value + old, ", ", 2);
		memcpy(value + old + 2, colon, len);
		value[old + 2 + len] = '\0';
	} else {
		limg__free(*slot);
		if (!(value = limg__malloc(len + 1)))
			return 0;
		memcpy(value, colon, len);
		value[len] = '\0';
	}
	*slot = value;
	return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n, limit;

	if (!x->decided) {
		long status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->decided = true;
		x->success = status >= 200 && status < 300;
		x->to_sink = x->req->sink && x->success;
		if (x->to_sink && x->req->start) {
			int rc;
			x->resp->status = status;
			if ((rc = x->req->start(x->resp, x->req->payload)) != 0) {
				x->abort_code = rc;
				return 0;
			}
		}
	}
	if (x->to_sink) {
		int rc = x->req->sink(data, len, x->req->payload);
		if (rc) {
			x->abort_code = rc;
			return 0;
		}
		x->resp->delivered += (int64_t)len;
		return len;
	}
	if (x->success && x->resp->body.size + len > x->req->max_body) {
		x->abort_code = limg__error_set(LIMG_ETOOBIG, "%s: the answer is over the %zu-byte limit",
		                                x->req->what ? x->req->what : "request", x->req->max_body);
		return 0;
	}
	/* an error page, a redirect's body: read a little, never to the end of a hostile stream */
	limit = x->req->max_body < LIMG_HTTP_ERROR_BODY_MAX ? x->req->max_body : LIMG_HTTP_ERROR_BODY_MAX;
	if (!x->success && x->resp->body.size + len > limit) {
		len = limit - x->resp->body.size;
		if (len && limg__buf_put(&x->resp->body, data, len) < 0) {
			x->abort_code = LIMG_ENOMEM;
			return 0;
		}
		x->enough = true;
		x->resp->truncated = true;
		return 0; /* stops the transfer; curl drops the connection */
	}
	if (limg__buf_put(&x->resp->body, data, len) < 0) {
		x->abort_code = LIMG_ENOMEM;
		return 0;
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t cap = size * n, got = 0;
	int rc;

	if (x->body) {
		got = x->body_len - x->body_sent < cap ? x->body_len - x->body_sent : cap;
		memcpy(buf, x->body + x->body_sent, got);
		x->body_sent += got;
		return got;
	}
	if ((rc = x->req->source(buf, cap, &got, x->req->source_payload)) != 0) {
		x->abort_code = rc;
		return CURL_READFUNC_ABORT;
	}
	return got;
}

/* The URL without its query (presigned blob URLs carry signatures there),
 * made printable: a Location comes from the server. */
static void redact(char *dst, size_t cap, const char *url)
{
	size_t n = strcspn(url, "?#");
	char safe[400];

	limg__sanitize(safe, sizeof safe, url, n);
	snprintf(dst, cap, "%s%s", safe, url[n] ? "?..." : "");
}

static int map_curl_error(CURLcode rc, const char *method, const char *url, const char *detail)
{
	char where[512], why[300];
	int code;

	redact(where, sizeof where, url);
	/* curl's words can quote what the server sent */
	limg__sanitize(why, sizeof why, detail && *detail ? detail : curl_easy_strerror(rc),
	               strlen(detail && *detail ? detail : curl_easy_strerror(rc)));
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		code = LIMG_ETIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
		code = LIMG_ETLS;
		break;
	case CURLE_OUT_OF_MEMORY:
		/* what libcurl says when an answer's header line is over its 100 KB
		 * (CURL_MAX_HTTP_HEADER), before we see it; memory itself runs out rarely */
		redact(where, sizeof where, url);
		return limg__error_set(LIMG_ETOOBIG, "%s %s: the answer has a header line longer than libcurl takes "
		                                     "(100 KB; a Location, a Link?), or memory ran out", method, where);
	default:
		code = LIMG_ENETWORK;
		break;
	}
	{
		/* the object: the host (and port) the request went to */
		const char *h = strstr(where, "://");
		char host[256];
		h = h ? h + 3 : where;
		snprintf(host, sizeof host, "%.*s", (int)strcspn(h, "/?#"), h);
		if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR)
			return limg__error_set_about(code, LIMG_SUBJECT_CERTIFICATE, host,
			                             "%s %s: %s; to trust %s, put its CA certificate in "
			                             "<certs.d>/%s/ca.crt (Docker's /etc/docker/certs.d) or name it as the "
			                             "registry's ca_file",
			                             method, where, why, host, host);
		return limg__error_set_about(code, code == LIMG_ENOMEM ? LIMG_SUBJECT_NONE : LIMG_SUBJECT_REGISTRY, host,
		                             "%s %s: %s", method, where, why);
	}
}

static int set_options(limg__http *h, CURL *e, const limg__http_req *req, const char *url, const char *method,
                       bool with_body, bool send_auth, struct curl_slist **headers, struct xfer *x, char *errbuf)
{
	char line[8192];

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_SHARE, h->share);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	/* big reads: a quarter as many syscalls and callbacks per layer as the 16 KiB default
	 * (128 KiB is no faster and costs memory in every connection) */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 64L * 1024);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms > 0 ? h->o.connect_timeout_ms : 30000L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, h->o.low_speed_limit > 0 ? h->o.low_speed_limit : 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, h->o.low_speed_time_s > 0 ? h->o.low_speed_time_s : 30L);
	if (req->timeout_ms > 0 || h->o.timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : h->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
	if (h->ca_pem) {
		/* trusted next to the system's CAs, as Docker adds certs.d CAs to the pool */
		struct curl_blob ca = { h->ca_pem, strlen(h->ca_pem), CURL_BLOB_NOCOPY };
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
		curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (h->client_cert_pem && h->client_key_pem) {
		struct curl_blob cert = { h->client_cert_pem, strlen(h->client_cert_pem), CURL_BLOB_NOCOPY };
		struct curl_blob key = { h->client_key_pem, strlen(h->client_key_pem), CURL_BLOB_NOCOPY };
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	*headers = NULL;
	x->body = NULL;
	x->body_len = x->body_sent = 0;
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (with_body && (req->form || req->body)) {
		/* a body in memory: sent through the read callback, so that curl keeps no copy */
		x->body = req->form ? req->form : req->body;
		x->body_len = req->form ? strlen(req->form) : req->body_len;
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	} else if (with_body && req->source) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		/* big writes: fewer, larger reads of the source and sends to the server */
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->source_len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		/* POST, PUT, PATCH or DELETE without a body */
		if (strcmp(method, "DELETE") != 0) {
			curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(e, CURLOPT_READDATA, x);
			curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
			x->body = "";
		}
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	/* no "Expect: 100-continue" round trip before bodies */
	*headers = curl_slist_append(*headers, "Expect:");
	if (with_body && (req->form || req->body || req->source)) {
		snprintf(line, sizeof line, "Content-Type: %s",
		         req->form ? "application/x-www-form-urlencoded"
		                   : req->content_type ? req->content_type : "application/octet-stream");
		*headers = curl_slist_append(*headers, line);
		if (req->content_range) {
			snprintf(line, sizeof line, "Content-Range: %s", req->content_range);
			*headers = curl_slist_append(*headers, line);
		}
	}
	if (req->accept) {
		snprintf(line, sizeof line, "Accept: %s", req->accept);
		*headers = curl_slist_append(*headers, line);
	}
	/* an endpoint's own headers (hosts.toml [header]): to its own origin only */
	for (size_t i = 0; send_auth && i < req->nheaders; i++)
		*headers = curl_slist_append(*headers, req->headers[i]);
	if (req->range) {
		snprintf(line, sizeof line, "Range: %s", req->range);
		*headers = curl_slist_append(*headers, line);
	}
	if (send_auth && req->authorization) {
		snprintf(line, sizeof line, "Authorization: %s", req->authorization);
		*headers = curl_slist_append(*headers, line);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

/* Runs the transfer on the multi handle, waking up to look at the token,
 * and (with @answer_ms) at how long the answer takes once @upload bytes of
 * body went out: a server that drips its answer is left then (*@late). */
static CURLcode perform(limg__http *h, struct conn *c, const limg_cancel *call_cancel, int64_t upload,
                        long answer_ms, bool *cancelled, bool *late)
{
	CURLcode result = CURLE_OK;
	int64_t sent_at = 0;
	int running = 1;

	*cancelled = *late = false;
	curl_multi_add_handle(c->multi, c->easy);
	while (running) {
		CURLMcode mc = curl_multi_perform(c->multi, &running);
		if (mc != CURLM_OK) {
			result = CURLE_RECV_ERROR;
			break;
		}
		if (!running)
			break;
		if (limg_cancel_requested(h->o.cancel) || limg_cancel_requested(call_cancel)) {
			*cancelled = true;
			break;
		}
		if (answer_ms > 0 && upload >= 0) {
			curl_off_t up = 0;
			if (!sent_at && curl_easy_getinfo(c->easy, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up >= upload)
				sent_at = limg__now_ms();
			if (sent_at && limg__now_ms() - sent_at > answer_ms) {
				*late = true;
				break;
			}
		}
		curl_multi_poll(c->multi, NULL, 0, 200, NULL);
	}
	if (!*cancelled && !*late) {
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(c->multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				result = msg->data.result;
	}
	curl_multi_remove_handle(c->multi, c->easy);
	return result;
}

/* @location resolved against @base (a Location may be relative), as a
 * new string; NULL when it is no http(s) URL. */
char *limg__http_resolve(const char *base, const char *location)
{
	CURLU *u = curl_url();
	char *out = NULL, *scheme = NULL, *copy = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, CURLU_URLENCODE) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https")) &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		copy = limg__strdup(out);
	curl_free(out);
	curl_free(scheme);
	curl_url_cleanup(u);
	return copy;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int limg__http_do(limg__http *h, const limg__http_req *req, limg__http_resp *resp)
{
	char *url = limg__strdup(req->url), errbuf[CURL_ERROR_SIZE], where[512];
	const char *method = req->method ? req->method : (req->form ? "POST" : "GET");
	bool with_body = true;
	struct conn c;
	int rc = 0;

	limg__http_resp_dispose(resp);
	if (!url)
		return limg__error_oom();
	if ((rc = take_conn(h, &c)) < 0) {
		limg__free(url);
		return rc;
	}
	for (int hop = 0;; hop++) {
		struct xfer x = { req, resp, c.easy, 0, false, false, false, false, 0, NULL, 0, 0 };
		struct curl_slist *headers = NULL;
		bool cancelled, late, same_origin = limg__http_same_origin(req->url, url);
		int64_t upload = -1;
		CURLcode cr;
		char *next = NULL;

		errbuf[0] = '\0';
		limg_buf_dispose(&resp->body);
		resp->truncated = false;
		/* what the first origin was sent (credentials, a refresh token) stays there */
		if (!same_origin && with_body && (req->form || req->body || req->source)) {
			with_body = false;
			method = "GET";
		}
		set_options(h, c.easy, req, url, method, with_body, same_origin, &headers, &x, errbuf);
		if (with_body && (req->form || req->body || req->source))
			upload = req->form ? (int64_t)strlen(req->form) : req->body ? (int64_t)req->body_len : req->source_len;
		cr = perform(h, &c, req->cancel, upload, req->answer_timeout_ms, &cancelled, &late);
		curl_slist_free_all(headers);
		curl_easy_getinfo(c.easy, CURLINFO_RESPONSE_CODE, &resp->status);
		if (cancelled) {
			rc = limg__error_set(LIMG_ECANCELLED, "%s cancelled", method);
			break;
		}
		if (late) {
			redact(where, sizeof where, url);
			rc = limg__error_set(LIMG_ETIMEOUT, "%s %s: no whole answer within %ld s of the request", method, where,
			                     (req->answer_timeout_ms + 999) / 1000);
			break;
		}
		if (x.abort_code) {
			rc = x.abort_code;
			break;
		}
		if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && x.enough)) {
			rc = map_curl_error(cr, method, url, errbuf);
			break;
		}
		if (!is_redirect(resp->status) || !resp->location) {
			curl_off_t cl = -1;
			curl_easy_getinfo(c.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
			resp->content_length = cl;
			resp->final_url = url;
			url = NULL;
			break;
		}
		if (hop == MAX_REDIRECTS) {
			redact(where, sizeof where, req->url);
			rc = limg__error_set(LIMG_EREDIRECT, "%s %s: more than %d redirects", method, where, MAX_REDIRECTS);
			break;
		}
		next = limg__http_resolve(url, resp->location);
		if (!next) {
			redact(where, sizeof where, req->url);
			rc = limg__error_set(LIMG_EPROTOCOL, "%s %s: redirect without a usable Location", method, where);
			break;
		}
		if (!strncasecmp(url, "https:", 6) && strncasecmp(next, "https:", 6) != 0) {
			char to[512];
			redact(where, sizeof where, req->url);
			redact(to, sizeof to, next);
			rc = limg__error_set(LIMG_EREDIRECT, "%s %s: refusing a redirect from https to %s", method, where, to);
			limg__free(next);
			break;
		}
		if (with_body && req->source) {
			/* a streamed body cannot be sent twice */
			redact(where, sizeof where, req->url);
			rc = limg__error_set(LIMG_EREDIRECT, "%s %s: redirected, and the body cannot be sent again", method,
			                     where);
			limg__free(next);
			break;
		}
		/* 303, and 301/302 after a POST, continue as GET (RFC 9110 15.4) */
		if (resp->status == 303 || ((resp->status == 301 || resp->status == 302) && !strcmp(method, "POST"))) {
			method = "GET";
			with_body = false;
		}
		limg__free(url);
		url = next;
		resp->redirected = true;
	}
	give_conn(h, &c);
	limg__free(url);
	return rc;
}

bool limg__http_same_origin(const char *a, const char *b)
{
	CURLU *ua = curl_url(), *ub = curl_url();
	char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
	bool same = false;

	if (ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK && curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) == CURLUE_OK)
		same = !strcasecmp(sa, sb) && !strcasecmp(ha, hb) && !strcmp(pa, pb);
	curl_free(sa);
	curl_free(sb);
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

int limg__http_escape(limg_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char enc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		             ch == '-' || ch == '.' || ch == '_' || ch == '~';
		if (limg__buf_put(out, plain ? (const char *)&ch : enc, plain ? 1 : 3) < 0)
			return LIMG_ENOMEM;
	}
	return 0;
}
