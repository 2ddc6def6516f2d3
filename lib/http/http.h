/* SPDX-License-Identifier: MIT */
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
	/* TLS material as PEM text (read by the caller, so that curl never opens a
	 * file that could block it, a FIFO): may be NULL */
	const char *ca_pem;      /* trusted in addition to the system's */
	const char *client_cert_pem;
	const char *client_key_pem;
	long connect_timeout_ms;
	long low_speed_limit;    /* bytes per second ... */
	long low_speed_time_s;   /* ... below which, for this long, a transfer fails */
	long timeout_ms;         /* longest one request may take, body included; 0: none */
	const limg_cancel *cancel;
} limg__http_opts;

/* Bodies of answers that are not 2xx are read this far, then the
 * connection is dropped: an endless error page costs nothing. */
#define LIMG_HTTP_ERROR_BODY_MAX (64u * 1024)

int limg__http_new(limg__http **out, const limg__http_opts *opts);
void limg__http_free(limg__http *http);

/* Receives a successful (2xx) body; a non-zero return aborts the transfer
 * and is returned by limg__http_do. */
typedef int (*limg__http_sink)(const void *data, size_t len, void *payload);

struct limg__http_resp_s;
/* Called once a 2xx body starts, with the status and headers; non-zero aborts. */
typedef int (*limg__http_start)(const struct limg__http_resp_s *resp, void *payload);

/* Fills @buf with up to @cap bytes of a streamed request body: *@got bytes,
 * 0 at the end. Non-zero aborts the request and is returned. */
typedef int (*limg__http_source)(void *buf, size_t cap, size_t *got, void *payload);

typedef struct {
	const char *method;        /* "GET" (default), "HEAD", "POST", "PUT", "PATCH", "DELETE" */
	const char *url;
	const char *what;          /* names the request's object in errors ("manifest for x/y:1") */
	const char *accept;        /* Accept header value, or NULL */
	const char *range;         /* "bytes=N-" or "bytes=N-M", or NULL */
	const char *authorization; /* Authorization value, sent only to the origin of url */
	const char *form;          /* a POST body (application/x-www-form-urlencoded), or NULL */
	const void *body;          /* a request body in memory (body_len bytes), or NULL */
	size_t body_len;
	limg__http_source source;  /* or a streamed request body of source_len bytes (-1: chunked) */
	void *source_payload;
	int64_t source_len;
	const char *content_type;  /* of the request body */
	const char *content_range; /* Content-Range of the request body (chunked uploads), or NULL */
	limg__http_sink sink;      /* 2xx body goes here; NULL: buffered in resp->body */
	limg__http_start start;    /* told when a 2xx body starts going to the sink; may be NULL */
	void *payload;
	size_t max_body;           /* cap for buffered 2xx bodies; past it: LIMG_ETOOBIG naming @what */
	long timeout_ms;           /* this request's deadline, body included; 0: the client's */
	long answer_timeout_ms;    /* once the request body is all sent, the whole answer within this; 0: no limit */
	const char *const *headers; /* more "Name: value" lines (an endpoint's own), or NULL */
	size_t nheaders;
	const limg_cancel *cancel;  /* this request's own token (besides the client's); may be NULL */
} limg__http_req;

typedef struct limg__http_resp_s {
	long status;
	limg_buf body;
	char *content_type, *location, *link, *content_range, *www_authenticate;
	char *range;            /* an upload's Range ("0-1234") */
	limg_buf headers;       /* every header of the final answer, for limg__http_header() */
	int64_t content_length; /* -1: not given */
	char *final_url;        /* the URL that answered, after redirects */
	int64_t delivered;      /* bytes handed to the sink */
	bool redirected;        /* some redirect was followed */
	bool truncated;         /* a non-2xx body was cut at LIMG_HTTP_ERROR_BODY_MAX */
} limg__http_resp;

void limg__http_resp_init(limg__http_resp *resp);
void limg__http_resp_dispose(limg__http_resp *resp);

/* The value of a header of the answer (its first occurrence; name matched
 * without case), or NULL. Borrowed until the response is disposed. */
const char *limg__http_header(const limg__http_resp *resp, const char *name);

/* Retry-After in seconds (delta-seconds or an HTTP-date), or -1 when absent or unreadable. */
long limg__http_retry_after(const limg__http_resp *resp);

/* Performs a request. 0 means an HTTP answer arrived (any status, in
 * resp->status); negative codes are transport failures: LIMG_ENETWORK,
 * LIMG_ETIMEOUT, LIMG_ETLS, LIMG_EREDIRECT, LIMG_ECANCELLED, LIMG_ETOOBIG;
 * a sink's or source's non-zero code (positive ones too) is returned as it
 * is. After a transport failure resp->status still says what answer had
 * started, if any. A request body never follows a redirect to another
 * origin (the request goes on there as a GET without it). */
int limg__http_do(limg__http *http, const limg__http_req *req, limg__http_resp *resp);

/* @location (maybe relative) resolved against @base, as a new string; NULL
 * when it is no http(s) URL. */
char *limg__http_resolve(const char *base, const char *location);

/* Origin ("scheme://host:port") comparison of two absolute URLs. */
bool limg__http_same_origin(const char *a, const char *b);

/* URL-escapes @s into @out (appending). */
int limg__http_escape(limg_buf *out, const char *s);

#endif
