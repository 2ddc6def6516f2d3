/*
 * HTTP on libcurl, the only layer that includes curl. Requests are
 * synchronous for the caller but run on a multi handle, so that a
 * cancellation token is noticed while waiting; connections, DNS answers and
 * TLS sessions are shared by all requests of one client, across threads.
 * Redirects are followed here, not by curl, so that Authorization never
 * reaches another origin and https never turns into http.
 */
#ifndef LIMG_HTTP_H
#define LIMG_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "libimage/cancel.h"
#include "libimage/common.h"
#include "libimage/context.h"

typedef struct limg__http limg__http;

typedef struct {
	limg_context *ctx;
	const char *user_agent;
	bool tls_verify;
	const char *ca_file;     /* trusted in addition to the system's; may be NULL */
	const char *client_cert; /* PEM; may be NULL */
	const char *client_key;
	long connect_timeout_ms;
	long low_speed_limit;    /* bytes per second ... */
	long low_speed_time_s;   /* ... below which, for this long, a transfer fails */
	const limg_cancel *cancel;
} limg__http_opts;

int limg__http_new(limg__http **out, const limg__http_opts *opts);
void limg__http_free(limg__http *http);

/* Receives a successful (2xx) body; a non-zero return aborts the transfer
 * and is returned by limg__http_do. */
typedef int (*limg__http_sink)(const void *data, size_t len, void *payload);

struct limg__http_resp_s;
/* Called once a 2xx body starts, with the status and headers; non-zero aborts. */
typedef int (*limg__http_start)(const struct limg__http_resp_s *resp, void *payload);

typedef struct {
	const char *method;        /* "GET" (default), "HEAD", or "POST" with form */
	const char *url;
	const char *accept;        /* Accept header value, or NULL */
	const char *range;         /* "bytes=N-", or NULL */
	const char *authorization; /* Authorization value, sent only to the origin of url */
	const char *form;          /* a POST body (application/x-www-form-urlencoded), or NULL */
	limg__http_sink sink;      /* 2xx body goes here; NULL: buffered in resp->body */
	limg__http_start start;    /* told when a 2xx body starts going to the sink; may be NULL */
	void *payload;
	size_t max_body;           /* cap for buffered bodies; past it: LIMG_ETOOBIG (2xx) or truncation */
} limg__http_req;

typedef struct limg__http_resp_s {
	long status;
	limg_buf body;
	char *content_type, *docker_digest, *location, *link, *retry_after, *content_range, *www_authenticate;
	int64_t content_length; /* -1: not given */
	char *final_url;        /* the URL that answered, after redirects */
	int64_t delivered;      /* bytes handed to the sink */
	bool redirected;        /* some redirect was followed */
} limg__http_resp;

void limg__http_resp_init(limg__http_resp *resp);
void limg__http_resp_dispose(limg__http_resp *resp);

/* Performs a request. 0 means an HTTP answer arrived (any status, in
 * resp->status); negative codes are transport failures: LIMG_ENETWORK,
 * LIMG_ETIMEOUT, LIMG_ETLS, LIMG_EREDIRECT, LIMG_ECANCELLED, LIMG_ETOOBIG,
 * or the sink's own code. */
int limg__http_do(limg__http *http, const limg__http_req *req, limg__http_resp *resp);

/* Origin ("scheme://host:port") comparison of two absolute URLs. */
bool limg__http_same_origin(const char *a, const char *b);

/* URL-escapes @s into @out (appending). */
int limg__http_escape(limg_buf *out, const char *s);

#endif
