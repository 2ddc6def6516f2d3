/* SPDX-License-Identifier: MIT */
/* The inside of limg_registry: settings, the chosen endpoint, and the request loop. */
#ifndef LIMG_REGISTRY_INTERNAL_H
#define LIMG_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "auth/auth.h"
#include "hosts/hosts.h"
#include "http/http.h"
#include "libimage/registry.h"

/* What requests the registry was sent through a handle, by kind (counted
 * at the registry itself and its mirrors, each try: what a proxy in front
 * of it would see). */
enum limg__request_kind {
	LIMG__REQ_MANIFEST_HEAD,
	LIMG__REQ_MANIFEST_GET,
	LIMG__REQ_MANIFEST_PUT,
	LIMG__REQ_BLOB_HEAD,
	LIMG__REQ_BLOB_GET,
	LIMG__REQ_BLOB_UPLOAD, /* POST, PATCH, PUT, GET and DELETE of uploads (mounts too) */
	LIMG__REQ_TAGS_LIST,
	LIMG__REQ_CATALOG,
	LIMG__REQ_OTHER,       /* /v2/ pings, referrers, anything else */
	LIMG__REQ_KINDS
};

/* The pace of one registry's requests, across every call through the handle:
 * no more than the rate asked for, and nothing while a 429 holds us back. */
typedef struct {
	pthread_mutex_t lock;
	int per_second;          /* 0: no limit */
	int64_t next_ms;         /* the earliest start of the next request (monotonic) */
	int64_t paused_until_ms; /* a 429 said wait: nothing starts before this */
	atomic_llong count[LIMG__REQ_KINDS];
	atomic_llong throttled;  /* 429 answers received */
	/* max_connections: requests in flight at once (under @lock) */
	pthread_cond_t freed;
	int slots_max;           /* 0: no limit */
	int slots_used;
} limg__registry_pace;

void limg__registry_pace_init(limg__registry_pace *p, int per_second, int max_connections);
void limg__registry_pace_dispose(limg__registry_pace *p);
/* Waits until a request may start (the rate, a pause). 0, or LIMG_ECANCELLED. */
int limg__registry_pace_wait(limg__registry_pace *p, const limg_cancel *cancel);
/* A 429: every request waits @ms from now (a longer pause already set stays). */
void limg__registry_pace_hold(limg__registry_pace *p, long ms);
/* Counts one request sent. */
void limg__registry_count(limg__registry_pace *p, const char *method, const char *url);

/* max_connections: takes @n slots at once (fewer when the limit is lower),
 * waiting while they are in use; the calling thread holds them then, and
 * its requests to that registry take none of their own. 0 or
 * LIMG_ECANCELLED. Without a limit nothing is taken. */
int limg__registry_slots_take(limg__registry_pace *p, int n, const limg_cancel *cancel);
/* Gives back what limg__registry_slots_take() took (the same @n). */
void limg__registry_slots_give(limg__registry_pace *p, int n);
/* The calling thread works under slots another thread took for it (a
 * streamed blob's fetch): its requests to @p take none; NULL: no more. */
void limg__registry_slots_lend(limg__registry_pace *p);
/* One request's slot, unless the calling thread holds the registry's:
 * *@took says whether to give it back. */
int limg__registry_slot_enter(limg__registry_pace *p, const limg_cancel *cancel, bool *took);
void limg__registry_slot_leave(limg__registry_pace *p, bool took);

/* Where requests go: a mirror (tried first, in order) or the registry
 * itself (the last one, which can do everything). */
typedef struct {
	char *base;     /* "https://host" or, for an insecure endpoint that needs it, "http://host"; under the lock */
	char *host;     /* where it is served: "registry-1.docker.io", "mirror:5000" */
	char *prefix;   /* the API root: "/v2", or a path of its own ("/v2/proxy", override_path) */
	bool mirror;    /* not the registry itself: requests carry ?ns=<domain> */
	unsigned caps;  /* LIMG_CAP_* */
	bool insecure;
	bool settled;   /* base is known to work */
	char *ca_file, *client_cert, *client_key;
	char **headers; /* "Name: value", sent to it */
	size_t nheaders;
	limg__http *http;
	limg__auth *auth; /* its own credentials: the registry's never go to a mirror */
	int64_t down_until; /* a mirror that could not be reached is passed over until then (monotonic ms) */
} limg__endpoint;

/* A registry's settings, owned: the caller's numbers with the defaults
 * filled in, and copies of its strings and mirrors. */
typedef struct {
	limg_registry_opts n; /* numbers only: its pointers are NULL */
	char *ca_file, *certs_dir, *docker_config_dir;
	char *username, *password; /* wiped when disposed */
	char *client_cert, *client_key;
	limg__endpoint_spec *mirrors;
	size_t nmirrors;
} limg__registry_settings;

int limg__registry_settings_from(limg__registry_settings *s, const limg_registry_opts *opts);
int limg__registry_settings_copy(limg__registry_settings *dst, const limg__registry_settings *src);
void limg__registry_settings_dispose(limg__registry_settings *s);
/* Changes the settings @over gives: its non-zero numbers, its non-NULL strings
 * (checked as limg_registry_opts are; mirrors cannot be changed this way). */
int limg__registry_settings_override(limg__registry_settings *s, const limg_registry_opts *over);
/* The same for one registry of a session, before its first use there
 * (LIMG_EEXISTS after). */
int limg__session_override(limg_session *s, const char *domain, const limg_registry_opts *over);

/* Opens a registry with settings already read. */
int limg__registry_open_with(limg_registry **out, limg_context *ctx, const char *domain,
                             const limg__registry_settings *set, const limg_registry_callbacks *cb);
/* The context a session was made with (NULL for NULL). */
limg_context *limg__session_context(const limg_session *s);
/* The context a registry was opened with (NULL for NULL). */
limg_context *limg__registry_context(const limg_registry *r);

/* The requests sent through @r so far, by kind (LIMG__REQ_*), and the 429s received. */
void limg__registry_counts(limg_registry *r, int64_t out[LIMG__REQ_KINDS], int64_t *throttled);

/* One more reference (limg_registry_close() drops one). */
limg_registry *limg__registry_ref(limg_registry *r);

struct limg_registry {
	limg_context *ctx;
	limg_registry_opts o;       /* numbers, defaults filled in (limg__registry_settings.n) */
	limg_registry_callbacks cb;
	int insecure;               /* 1: plain HTTP and unverified TLS allowed; 0: never; -1: loopback only */
	bool tls_verify;
	char *docker_config_dir;
	atomic_int refs;
	char *domain;   /* as references name it: "docker.io" */
	pthread_mutex_t lock;
	limg__endpoint *ep; /* mirrors in order, then the registry itself */
	size_t nep;
	bool ranges_ignored; /* a bounded Range request was answered with the whole blob */
	atomic_int referrers_api; /* 0: not known yet; 1: the registry serves GET /referrers; -1: it does not */
	char *username, *password; /* the settings' own credentials (limg_registry_opts), or NULL */
	limg__registry_pace pace;  /* spacing and 429 pauses shared by every call (pace.c) */
};

/* The registry itself: the last endpoint. */
#define LIMG_ORIGIN(r) (&(r)->ep[(r)->nep - 1])

/* One logical request: the loop adds authentication and retries. */
typedef struct {
	const char *method;
	const char *url;          /* absolute, or a path under base */
	const char *accept;
	const char *scope;        /* token scope: "repository:<name>:pull" */
	const char *what;         /* names the thing in error messages */
	limg__http_sink sink;
	limg__http_start start;
	void *payload;
	size_t max_body;
	int64_t *resume_from;     /* when set, retries ask for "bytes=<*resume_from>-" */
	int64_t resume_end;       /* the expected size with resume_from (-1: unknown): once there, done */
	int64_t range_stop;       /* with resume_from: a bounded range, "bytes=<*resume_from>-<range_stop - 1>",
	                             asked from the first request on; 0: open-ended, and only when resuming */
	int64_t deadline_ms;      /* CLOCK_MONOTONIC end of the whole call; 0: from operation_timeout_s */
	/* a request body: in memory (retried as it is), or streamed from @source
	 * (retried only when @rewind puts the source back at its start) */
	const void *body;
	size_t body_len;
	limg__http_source source;
	void *source_payload;
	int64_t source_len;
	int (*rewind)(void *source_payload);
	const char *content_type;
	const char *content_range;
	bool no_auth;             /* another origin (an upload URL elsewhere): no credentials */
	unsigned need;            /* the capability asked for (LIMG_CAP_*); 0: LIMG_ENDPOINT_CAP_PULL. Endpoints
	                             without it are passed over; pushes and listings go to the registry */
	bool origin_only;         /* the registry's own (listings): no mirror */
	size_t first;             /* the first endpoint to try (after one served bytes that did not verify) */
	size_t *used;             /* receives the endpoint that answered; may be NULL */
	const limg_cancel *cancel; /* the caller's token for this call; may be NULL */
} limg__call;

/* Runs a call: at each endpoint that can answer it in turn (a mirror that
 * fails, refuses, times out, answers 404 or 5xx is left for the next),
 * auth on 401 (once), retries on transport errors, 5xx and 429 with
 * backoff at the registry itself. 0 with the final answer in @resp (any
 * status), or a transport/auth error, or a callback's non-zero code
 * (positive ones too). */
int limg__registry_call(limg_registry *r, const limg__call *call, limg__http_resp *resp);

/* Turns an unwanted answer into the error it means (registry JSON errors
 * mapped to codes; HTTP status, registry code and Retry-After recorded). */
int limg__registry_error(const limg__http_resp *resp, const char *what);
/* The same, with the subject of a 404 the registry gives no code for (a
 * code the registry gives says it itself) and the object's name. */
int limg__registry_error_about(const limg__http_resp *resp, const char *what, int subject, const char *object);

/* Fetches bytes [start, end] (inclusive) of a blob into @sink, resuming
 * within the range after a break. A registry that answers 200 (it ignores
 * Range) gives LIMG_EUNSUPPORTED before any byte reaches the sink, and the
 * handle remembers it (limg__registry_ranges_ignored). The sink's non-zero
 * answer is returned as it is. */
int limg__registry_blob_range(limg_registry *r, const char *repository, const char *digest, int64_t start,
                              int64_t end, limg_write_cb sink, void *payload, const limg_cancel *cancel);
bool limg__registry_ranges_ignored(limg_registry *r);

/* (headers.c) The target of a Link header's rel="next" link-value (RFC 8288;
 * several link-values, quoted parameters), or NULL; the caller frees it. */
char *limg__link_next(const char *link);
/* (headers.c) "bytes FIRST-LAST/TOTAL" (TOTAL "*": -1), with FIRST <= LAST <
 * TOTAL: 0, or -1 for anything else. */
int limg__content_range_parse(const char *s, int64_t *first, int64_t *last, int64_t *total);

/* Bytes that fail verification (a byte flipped in transit, an answer cut
 * short that still looked whole) are asked for again from the start: at the
 * next endpoint while there is one, then at the last one this many more
 * times, before the mismatch is the answer. */
#define LIMG__REFETCH_MAX 2

/* Where to ask again after bytes that did not verify: the endpoint to
 * start from (the next one, else the same), or -1 when *@refetches are
 * spent. Counts the refetch. */
static inline long limg__registry_refetch_from(size_t used, size_t endpoints, int *refetches)
{
	if (used + 1 < endpoints)
		return (long)used + 1;
	return (*refetches)++ < LIMG__REFETCH_MAX ? (long)used : -1;
}

/* What a fetch inside the library asks: the public options and callbacks,
 * without their checks. Its callbacks may return a positive value to stop
 * at once (returned as it is). */
typedef struct {
	int64_t offset;
	bool verify;
	const limg_cancel *cancel;
	limg_write_cb write;
	int (*restart)(void *payload);
	void *payload;
} limg__blob_fetch;

/* limg_registry_blob_fetch() from endpoint @first on; *@used learns which
 * one gave the bytes (for a caller that checks them itself, and asks the
 * next endpoint when they do not verify). */
int limg__registry_blob_fetch_at(limg_registry *r, const char *repository, const char *digest, int64_t size,
                                 const limg__blob_fetch *how, size_t first, size_t *used);
/* How many endpoints (mirrors, then the registry itself). */
size_t limg__registry_endpoints(const limg_registry *r);

/* The registry's own base URL, copied under the lock (caller frees). */
char *limg__registry_origin_base(limg_registry *r);

/* limg_registry_manifest_head() asked of the registry itself (a push's
 * "is the tag there already", which a mirror cannot answer). */
int limg__registry_manifest_head_origin(limg_remote_manifest **out, limg_registry *r, const char *repository,
                                        const char *reference, const limg_registry_call_opts *opts);

/* limg_registry_manifest_put() without the options' checks; *@out_subject
 * (may be NULL) receives the OCI-Subject the registry answered, or NULL. */
int limg__registry_manifest_put(limg_buf *out_digest, char **out_subject, limg_registry *r, const char *repo,
                                const char *reference, const char *media_type, const void *body, size_t len,
                                const limg_cancel *cancel);
/* limg_registry_manifest_head() of a tag that is often absent (a .sig
 * tag): a 404 is LIMG_ENOTFOUND at once, without the GET that would fetch
 * the registry's words for it. */
int limg__registry_manifest_probe(limg_remote_manifest **out, limg_registry *r, const char *repository,
                                  const char *reference, const limg_cancel *cancel);
/* limg_registry_manifest_fetch() asked of the registry itself (a referrers tag, which a mirror may hold stale). */
int limg__registry_manifest_fetch_origin(limg_remote_manifest **out, limg_registry *r, const char *repository,
                                         const char *reference, const limg_cancel *cancel);

/* The next page of a listing from a Link header: *@next NULL at the end;
 * LIMG_EPROTOCOL (raised, naming @what) for a link to another origin. */
int limg__registry_next_page(limg_registry *r, const char *link, char **next, const char *what);

/* One blob of an artifact: a file, or bytes in memory. */
typedef struct {
	const char *media_type;
	const char *title; /* its org.opencontainers.image.title, or NULL */
	const void *data;  /* in memory (len bytes), or */
	size_t len;
	const char *path;  /* a file */
} limg__artifact_blob;

/* Pushes an artifact referring to the subject (given as its descriptor):
 * its blobs, the empty config, the manifest (annotations as key, value,
 * key, value: @nann strings), the referrers tag where needed. */
int limg__registry_attach(limg_buf *out_digest, limg_registry *r, const char *repo, const char *subject_type,
                          const char *subject_digest, int64_t subject_size, const char *artifact_type,
                          const limg__artifact_blob *blobs, size_t n, const char *const *annotations, size_t nann,
                          int mode, const limg_cancel *cancel);

/* Checks a repository path and a tag-or-digest for use in a URL. */
int limg__registry_check_name(const char *repository);
int limg__registry_check_reference(const char *reference, bool *is_digest);

#endif
