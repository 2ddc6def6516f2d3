/* SPDX-License-Identifier: MIT */
/**
 * @file registry.h
 * @brief Talking to Docker/OCI registries (the distribution spec, both
 *        sides), and sessions that share registries between calls.
 *
 * A registry handle is one registry host with its settings: TLS (verified
 * by default; Docker's certs.d directory for per-registry CAs and client
 * certificates), plain HTTP only where limg_tls_mode allows it,
 * credentials (never sent over plain HTTP when the registry speaks HTTPS,
 * not even to its token server), mirrors (tried first, verified like the
 * registry), retries with exponential backoff and jitter honouring
 * Retry-After, and bearer tokens cached per scope. A 429 (too many
 * requests) holds back every request to the registry through the handle,
 * not only the one refused, until its Retry-After (or the backoff) has
 * passed; max_requests_per_second spaces them out before the registry has
 * to ask, and max_connections bounds how many are in flight at once.
 * Proxies come from the
 * environment as libcurl reads it: http_proxy (lowercase only: the
 * uppercase HTTP_PROXY is ignored on purpose), HTTPS_PROXY or
 * https_proxy, ALL_PROXY, and NO_PROXY.
 *
 * A session (curl's share handle is the model) hands out one registry
 * handle per registry host, so that pulls, pushes and copies given the
 * same session reuse connections, TLS sessions and tokens. Handles and
 * sessions may be used from several threads at once.
 */
#ifndef LIBIMAGE_REGISTRY_H
#define LIBIMAGE_REGISTRY_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "context.h"
#include "credentials.h"
#include "endpoint.h"
#include "manifest.h"

LIMG_BEGIN_DECL

/** A registry host. @since 1.0 */
typedef struct limg_registry limg_registry;

/** Registries shared between calls. @since 1.0 */
typedef struct limg_session limg_session;

/** How TLS is used. Values are ABI. @since 1.0 */
typedef enum limg_tls_mode {
	LIMG_TLS_DEFAULT = 0,  /**< verified HTTPS; a registry on 127.0.0.0/8 or ::1 may also
	                            answer over plain HTTP (Docker's rule) */
	LIMG_TLS_VERIFY = 1,   /**< verified HTTPS only, loopback too (podman's and skopeo's
	                            --tls-verify=true) */
	LIMG_TLS_INSECURE = 2  /**< plain HTTP and unverified TLS allowed (--tls-verify=false,
	                            Docker's insecure-registries) */
} limg_tls_mode;

/** Settings of a registry; zero means the default in every field. @since 1.0 */
typedef struct limg_registry_opts {
	size_t size;                    /**< sizeof the struct as the caller knows it */
	int tls;                        /**< a limg_tls_mode */
	const char *ca_file;            /**< PEM CA bundle trusted besides the system's; NULL: none */
	const char *certs_dir;          /**< root of <host:port>/ca.crt, client.cert, client.key and
	                                     hosts.toml; NULL: /etc/docker/certs.d */
	const char *docker_config_dir;  /**< where config.json is; NULL: $DOCKER_CONFIG, else ~/.docker; "": none */
	const limg_endpoint *const *mirrors; /**< tried in order before the registry (then hosts.toml's);
	                                     NULL: none */
	size_t mirrors_len;             /**< number of @ref mirrors */
	int skip_hosts_toml;            /**< do not read `certs_dir/<registry>/hosts.toml` (else
	                                     certs_dir/_default/hosts.toml), which containerd reads */
	int max_attempts;               /**< tries per request on network errors, 5xx and 429; 0: 5 */
	long backoff_ms;                /**< first wait between tries, doubled each time, with jitter; 0: 200 */
	long backoff_max_ms;            /**< longest wait between tries; 0: 10000 */
	long retry_after_max_s;         /**< longest Retry-After honoured (longer fails at once); 0: 60 */
	long connect_timeout_ms;        /**< 0: 30000 */
	long low_speed_time_s;          /**< a transfer under 1 byte/s this long fails, and so does an answer
	                                     not whole this long after the request's body went out; 0: 30 */
	long request_timeout_s;         /**< longest one request may take, body included; 0: 300. A blob
	                                     transfer that takes longer goes on with a Range request */
	long operation_timeout_s;       /**< longest one call (a manifest, a blob, a listing page, a whole
	                                     blob upload) may take with all its retries and resumes; 0: no
	                                     limit for calls that move a blob, request_timeout_s for the others */
	int64_t max_blob_size;          /**< larger blobs are refused before any byte is fetched;
	                                     0: LIMG_BLOB_SIZE_MAX_DEFAULT */
	int max_requests_per_second;    /**< requests started per second at the registry itself, by every
	                                     call and thread sharing the handle (a session's); 0: no limit */
	const char *username;           /**< credentials for this registry (skopeo's --creds), asked before
	                                     the callback and config.json; NULL: none (copied) */
	const char *password;           /**< the password or token that goes with @ref username (copied) */
	const char *client_cert;        /**< PEM client certificate for TLS to the registry itself (besides
	                                     certs_dir's client.cert); NULL: none (copied) */
	const char *client_key;         /**< its PEM key; NULL: in @ref client_cert (copied) */
	int max_connections;            /**< requests in flight at the registry itself at once (each holds a
	                                     connection for its whole exchange, a blob's body included), by
	                                     every call and thread sharing the handle (a session's); a copy's
	                                     streamed blob holds one at each end for its whole transfer.
	                                     Others wait their turn. Idle connections are kept per thread;
	                                     0: no limit */
} limg_registry_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_OPTS_INIT LIMG_SIZED_INIT(limg_registry_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_opts_init(limg_registry_opts *opts, size_t size);

/** Callbacks of a registry or session. @since 1.0 */
typedef struct limg_registry_callbacks {
	size_t size;                     /**< sizeof the struct as the caller knows it */
	limg_credentials_cb credentials; /**< asked first for credentials; may be NULL */
	void *payload;                   /**< passed last to every callback */
} limg_registry_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_REGISTRY_CALLBACKS_INIT LIMG_SIZED_INIT(limg_registry_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_callbacks_init(limg_registry_callbacks *cb, size_t size);

/**
 * Opens a registry by the domain references use ("docker.io", "gcr.io",
 * "localhost:5000"), on its own (limg_session_registry() shares one).
 * docker.io is served from registry-1.docker.io. No request is made yet.
 *
 * @param out receives the handle; close with limg_registry_close()
 * @param ctx settings (user agent, logging); may be NULL; must outlive the handle
 * @param domain the registry
 * @param opts settings, or NULL for the defaults
 * @param cb callbacks, or NULL
 * @return 0, LIMG_EINVALID (a domain that is not one), LIMG_EVERSION, LIMG_ECORRUPT
 *         (an unreadable hosts.toml), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_open(limg_registry **out, limg_context *ctx, const char *domain,
                                    const limg_registry_opts *opts, const limg_registry_callbacks *cb);

/**
 * Closes a handle (or drops a session's reference to it); NULL is accepted.
 * No call may still use it.
 * @since 1.0
 */
LIMG_EXTERN(void) limg_registry_close(limg_registry *registry);

/** The domain as references name it ("docker.io"). @since 1.0 */
LIMG_EXTERN(const char *) limg_registry_domain(const limg_registry *registry);

/**
 * The base URL in use ("https://registry-1.docker.io"). Borrowed until the
 * handle is closed; a registry that may answer over plain HTTP settles
 * between https and http at its first request, which may change it.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_registry_base_url(const limg_registry *registry);

/**
 * Creates a session: registry handles made on first use with @p opts and
 * @p cb (or the settings given for that registry), kept and shared by
 * every call given the session, so that connections, TLS sessions and
 * bearer tokens are reused.
 *
 * @param out receives the session; free with limg_session_free()
 * @param ctx settings (user agent, logging); may be NULL; must outlive the session
 * @param opts the settings of every registry, or NULL for the defaults
 * @param cb callbacks of every registry (credentials), or NULL
 * @return 0, LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_session_new(limg_session **out, limg_context *ctx, const limg_registry_opts *opts,
                                  const limg_registry_callbacks *cb);

/**
 * Gives one registry its own settings (a copy's source and destination
 * need not be alike: another CA, plain HTTP, mirrors), before its first use
 * in the session.
 *
 * @param session the session
 * @param domain the registry ("localhost:5000", "docker.io")
 * @param opts its settings (the session's callbacks stay)
 * @return 0, LIMG_EINVALID, LIMG_EVERSION, LIMG_EEXISTS (the registry is in use
 *         already), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_session_set_registry_opts(limg_session *session, const char *domain,
                                                const limg_registry_opts *opts);

/**
 * The session's handle of a registry, opened on first use.
 *
 * @param out receives a reference to the shared handle; release it with
 *        limg_registry_close() (it stays valid after limg_session_free()
 *        until then)
 * @param session the session
 * @param domain the registry
 * @return the codes of limg_registry_open()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_session_registry(limg_registry **out, limg_session *session, const char *domain);

/** Frees a session; NULL is accepted. Handles it gave out stay valid until closed. @since 1.0 */
LIMG_EXTERN(void) limg_session_free(limg_session *session);

/** Options of one registry request; zero means the default. @since 1.0 */
typedef struct limg_registry_call_opts {
	size_t size;         /**< sizeof the struct as the caller knows it */
	limg_cancel *cancel; /**< stops this call from any thread; may be NULL */
} limg_registry_call_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_CALL_OPTS_INIT LIMG_SIZED_INIT(limg_registry_call_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_call_opts_init(limg_registry_call_opts *opts, size_t size);

/**
 * Checks that the registry speaks the distribution API (GET /v2/), and
 * settles between https and http where plain HTTP is allowed.
 * @param registry the registry
 * @param opts options, or NULL
 * @return 0 (also when it asks for authentication), LIMG_ENETWORK, LIMG_ETLS,
 *         LIMG_ETIMEOUT, LIMG_EHTTP, LIMG_ECANCELLED
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_ping(limg_registry *registry, const limg_registry_call_opts *opts);

/**
 * Checks that the registry accepts the credentials the handle has (its
 * credentials callback's, else config.json's), as `docker login` does:
 * GET /v2/ at the registry itself (never a mirror), answering its
 * challenge with a token from its token server (no scope) or with Basic
 * credentials. A registry that asks for none accepts anyone.
 *
 * @param registry the registry
 * @param opts options (a cancel token), or NULL
 * @return 0; LIMG_EAUTH with subject CREDENTIALS when the credentials were
 *         refused, or when the registry asks for credentials and there are
 *         none; LIMG_EAUTH without it when they cannot be sent safely (over
 *         plain HTTP); LIMG_ENETWORK, LIMG_ETLS, LIMG_ETIMEOUT, LIMG_EHTTP,
 *         LIMG_EPROTOCOL, LIMG_ECANCELLED
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_login(limg_registry *registry, const limg_registry_call_opts *opts);

/** A manifest as the registry described (and, after a fetch, delivered) it. @since 1.0 */
typedef struct limg_remote_manifest limg_remote_manifest;

/**
 * Resolves a tag or digest to a descriptor with HEAD, falling back to GET
 * when the registry does not answer HEAD with a digest. Costs one request
 * on an open, anonymous registry.
 *
 * @param out receives the descriptor; free with limg_remote_manifest_free()
 * @param registry the registry
 * @param repository the path ("library/redis")
 * @param reference a tag or a digest
 * @param opts options, or NULL
 * @return 0, LIMG_ENOTFOUND (subject MANIFEST or REPOSITORY), LIMG_EAUTH,
 *         LIMG_ERATELIMIT, LIMG_EUNSUPPORTED (schema 1), network errors
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_manifest_head(limg_remote_manifest **out, limg_registry *registry,
                                             const char *repository, const char *reference,
                                             const limg_registry_call_opts *opts);

/**
 * Fetches a manifest or index (at most LIMG_MANIFEST_SIZE_MAX). Its digest
 * is verified: against @p reference when that is a digest, else against
 * Docker-Content-Digest when the registry sends one.
 *
 * @return the codes of limg_registry_manifest_head(), LIMG_EDIGEST_MISMATCH, LIMG_ETOOBIG
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_manifest_fetch(limg_remote_manifest **out, limg_registry *registry,
                                              const char *repository, const char *reference,
                                              const limg_registry_call_opts *opts);

/** Frees a remote manifest; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_remote_manifest_free(limg_remote_manifest *manifest);
/** Its digest ("sha256:..."). @since 1.0 */
LIMG_EXTERN(const char *) limg_remote_manifest_digest(const limg_remote_manifest *manifest);
/** Its media type (Content-Type without parameters). @since 1.0 */
LIMG_EXTERN(const char *) limg_remote_manifest_media_type(const limg_remote_manifest *manifest);
/** Its size in bytes. @since 1.0 */
LIMG_EXTERN(int64_t) limg_remote_manifest_size(const limg_remote_manifest *manifest);
/** Its bytes (limg_remote_manifest_size() of them) after a fetch, or NULL after a HEAD. @since 1.0 */
LIMG_EXTERN(const void *) limg_remote_manifest_body(const limg_remote_manifest *manifest);

/**
 * Told that a blob comes again from its start (from the next endpoint: a
 * mirror's bytes did not verify): forget what the write callback was given.
 * @return 0 to go on; anything else stops the fetch (errors.h)
 * @since 1.0
 */
typedef int (*limg_restart_cb)(void *payload);

/** Options for limg_registry_blob_fetch(); zero means the default. @since 1.0 */
typedef struct limg_registry_fetch_opts {
	size_t size;         /**< sizeof the struct as the caller knows it */
	int64_t offset;      /**< bytes the caller has already: fetching starts after them */
	int skip_verify;     /**< do not check the digest (it is checked only from offset 0) */
	limg_cancel *cancel; /**< stops the fetch from any thread; may be NULL */
} limg_registry_fetch_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_FETCH_OPTS_INIT LIMG_SIZED_INIT(limg_registry_fetch_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_fetch_opts_init(limg_registry_fetch_opts *opts, size_t size);

/** Callbacks of limg_registry_blob_fetch(). @since 1.0 */
typedef struct limg_registry_fetch_callbacks {
	size_t size;             /**< sizeof the struct as the caller knows it */
	limg_write_cb write;     /**< receives the bytes (required) */
	limg_restart_cb restart; /**< may be NULL: then a mismatch at a mirror fails the fetch */
	void *payload;           /**< passed last to every callback */
} limg_registry_fetch_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_REGISTRY_FETCH_CALLBACKS_INIT LIMG_SIZED_INIT(limg_registry_fetch_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_fetch_callbacks_init(limg_registry_fetch_callbacks *cb, size_t size);

/**
 * Streams a blob to @p cb->write. A transfer that breaks is resumed with a
 * Range request from the last byte received (asking the registry URL again,
 * so a fresh redirect is used), within the retry budget. The callback never
 * sees a byte twice, except after a restart. A registry that ignores Range
 * (answers 200) is followed from the start once; a second time fails.
 *
 * @param registry the registry
 * @param repository the path ("library/redis")
 * @param digest the blob
 * @param size the expected size, or -1 when unknown (then bounded by max_blob_size)
 * @param opts options, or NULL
 * @param cb callbacks (write is required)
 * @return 0, LIMG_EDIGEST_MISMATCH (the bytes do not match: the callback has
 *         seen them, so discard them), LIMG_ENOTFOUND (subject BLOB), LIMG_EAUTH,
 *         LIMG_EPROTOCOL (a bad Content-Range, Range ignored twice), LIMG_ETOOBIG
 *         (over max_blob_size), network errors, LIMG_ECANCELLED, or what a
 *         callback returned to stop (errors.h)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_blob_fetch(limg_registry *registry, const char *repository, const char *digest,
                                          int64_t size, const limg_registry_fetch_opts *opts,
                                          const limg_registry_fetch_callbacks *cb);

/**
 * Receives one name of a listing.
 * @return 0 to go on; anything else stops (errors.h)
 * @since 1.0
 */
typedef int (*limg_name_cb)(const char *name, void *payload);

/** Options of a listing; zero means the default. @since 1.0 */
typedef struct limg_registry_list_opts {
	size_t size;         /**< sizeof the struct as the caller knows it */
	int page_size;       /**< names per request; 0: the registry's default */
	limg_cancel *cancel; /**< stops the listing from any thread; may be NULL */
} limg_registry_list_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_LIST_OPTS_INIT LIMG_SIZED_INIT(limg_registry_list_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_list_opts_init(limg_registry_list_opts *opts, size_t size);

/** Callbacks of a listing. @since 1.0 */
typedef struct limg_registry_list_callbacks {
	size_t size;       /**< sizeof the struct as the caller knows it */
	limg_name_cb name; /**< called per name (required) */
	void *payload;     /**< passed last to every callback */
} limg_registry_list_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_REGISTRY_LIST_CALLBACKS_INIT LIMG_SIZED_INIT(limg_registry_list_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_list_callbacks_init(limg_registry_list_callbacks *cb, size_t size);

/**
 * Lists a repository's tags, following pagination (n, last, Link).
 * @return 0, LIMG_ENOTFOUND (subject REPOSITORY), LIMG_EAUTH, network errors,
 *         or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_tags_foreach(limg_registry *registry, const char *repository,
                                            const limg_registry_list_opts *opts,
                                            const limg_registry_list_callbacks *cb);

/**
 * Lists the registry's repositories (GET /v2/_catalog), following pagination.
 * @return as limg_registry_tags_foreach()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_catalog_foreach(limg_registry *registry, const limg_registry_list_opts *opts,
                                               const limg_registry_list_callbacks *cb);

/* ---- the push side -------------------------------------------------- */

/**
 * Asks whether the registry has a blob in a repository (HEAD).
 * @param out_exists receives 1 when it has it, else 0
 * @param out_size receives its size when it has it; may be NULL
 * @param registry the registry
 * @param repository the path
 * @param digest the blob
 * @param opts options, or NULL
 * @return 0, LIMG_EAUTH, network errors, LIMG_ECANCELLED
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_blob_exists(int *out_exists, int64_t *out_size, limg_registry *registry,
                                           const char *repository, const char *digest,
                                           const limg_registry_call_opts *opts);

/**
 * Puts an upload's source back at @p offset (0 for a fresh start), so that
 * a broken upload can go on from where the registry says it is.
 * @return 0, or anything else when it cannot (the upload then stops: errors.h)
 * @since 1.0
 */
typedef int (*limg_seek_cb)(int64_t offset, void *payload);

/** How an upload ended. Values are ABI. @since 1.0 */
typedef enum limg_upload_result {
	LIMG_UPLOAD_PUSHED = 1,  /**< the bytes were sent */
	LIMG_UPLOAD_MOUNTED = 2, /**< mounted from another repository: no byte sent */
	LIMG_UPLOAD_EXISTS = 3   /**< the registry had it already (HEAD) */
} limg_upload_result;

/** Options for limg_registry_blob_upload(); zero means the default. @since 1.0 */
typedef struct limg_registry_upload_opts {
	size_t size;             /**< sizeof the struct as the caller knows it */
	const char *mount_from;  /**< a repository of the same registry that has the blob: mounted when
	                              the registry lets us (?mount=&from=), uploaded when not */
	int64_t chunk_size;      /**< 0: one PUT with the whole blob; > 0: PATCH requests of this many
	                              bytes (raised to the registry's OCI-Chunk-Min-Length) */
	int skip_exists_check;   /**< do not ask first (HEAD) whether the registry has the blob */
	limg_cancel *cancel;     /**< stops the upload from any thread; may be NULL */
} limg_registry_upload_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_UPLOAD_OPTS_INIT LIMG_SIZED_INIT(limg_registry_upload_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_upload_opts_init(limg_registry_upload_opts *opts, size_t size);

/** Callbacks of limg_registry_blob_upload(). @since 1.0 */
typedef struct limg_registry_upload_callbacks {
	size_t size;                /**< sizeof the struct as the caller knows it */
	limg_read_cb read;          /**< gives the bytes (required) */
	limg_seek_cb seek;          /**< lets a broken upload go on (or start over); NULL: a break fails */
	limg_progress_cb progress;  /**< LIMG_EVENT_UPLOADING reports; may be NULL */
	void *payload;              /**< passed last to every callback */
} limg_registry_upload_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT LIMG_SIZED_INIT(limg_registry_upload_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_upload_callbacks_init(limg_registry_upload_callbacks *cb, size_t size);

/**
 * Uploads a blob of @p size bytes with the given digest to a repository:
 * HEAD (skipped when it is there), POST (with a mount when asked; a refused
 * mount falls back to an upload), then one PUT of the bytes or PATCH chunks
 * and a closing PUT with the digest, which the registry checks. A break is
 * resumed from the offset the upload URL reports when @p cb->seek allows,
 * within the retry budget. Tokens are asked for pull and push on the
 * repository (and pull on the mount source).
 *
 * @param out_result receives a limg_upload_result; may be NULL
 * @param registry the registry
 * @param repository the path
 * @param digest the blob's digest
 * @param size its size
 * @param opts options, or NULL
 * @param cb callbacks (read is required)
 * @return 0, LIMG_EDIGEST_MISMATCH (the registry refused the digest: the bytes
 *         differ), LIMG_EAUTH (no push access), LIMG_EPROTOCOL (no upload URL, a
 *         bad Range), network errors, LIMG_ECANCELLED, or what a callback
 *         returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_blob_upload(int *out_result, limg_registry *registry, const char *repository,
                                           const char *digest, int64_t size, const limg_registry_upload_opts *opts,
                                           const limg_registry_upload_callbacks *cb);

/**
 * Puts a manifest under a tag or a digest, byte for byte, with @p media_type
 * as its Content-Type. The registry's Docker-Content-Digest must be the
 * digest of the bytes.
 * @param out_digest receives "sha256:..."; may be NULL
 * @param registry the registry
 * @param repository the path
 * @param reference a tag, or the manifest's digest
 * @param media_type its media type
 * @param body the bytes
 * @param len how many
 * @param opts options, or NULL
 * @return 0, LIMG_EMANIFEST (refused as invalid or unknown: MANIFEST_INVALID,
 *         MANIFEST_BLOB_UNKNOWN, an unsupported type), LIMG_EAUTH,
 *         LIMG_EDIGEST_MISMATCH, LIMG_EPROTOCOL (a malformed digest header),
 *         network errors, LIMG_ECANCELLED
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_manifest_put(limg_buf *out_digest, limg_registry *registry, const char *repository,
                                            const char *reference, const char *media_type, const void *body,
                                            size_t len, const limg_registry_call_opts *opts);

/* ---- referrers (OCI 1.1) ----------------------------------------------- */

/**
 * How the referrers of a manifest are found and recorded. Registries
 * without the referrers API (Debian's docker-registry 2.8, Docker Hub,
 * GHCR) keep them in an index under the tag `sha256-<hex>` (the
 * distribution spec's referrers tag schema). Values are ABI.
 * @since 1.0
 */
typedef enum limg_referrers_mode {
	LIMG_REFERRERS_AUTO = 0, /**< the API (`GET /v2/NAME/referrers/DIGEST`); when the registry lacks it
	                              (404), the tag; learnt once per registry handle */
	LIMG_REFERRERS_API = 1,  /**< the API only: a registry without it is an error (LIMG_EUNSUPPORTED) */
	LIMG_REFERRERS_TAG = 2   /**< the tag schema only */
} limg_referrers_mode;

/** Options of the referrers calls; zero means the default. @since 1.0 */
typedef struct limg_registry_referrers_opts {
	size_t size;               /**< sizeof the struct as the caller knows it */
	const char *artifact_type; /**< listing: only referrers of this artifactType (asked of the registry,
	                                and checked here when it does not say it filtered); NULL: all */
	int mode;                  /**< a limg_referrers_mode */
	limg_cancel *cancel;       /**< stops the call from any thread; may be NULL */
} limg_registry_referrers_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_REFERRERS_OPTS_INIT LIMG_SIZED_INIT(limg_registry_referrers_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_referrers_opts_init(limg_registry_referrers_opts *opts, size_t size);

/**
 * Receives one referrer: a descriptor of a manifest (or index) whose
 * subject is the digest listed, with its artifactType and annotations.
 * @param referrer borrowed for the call
 * @param payload the listing's payload
 * @return 0 to go on; anything else stops (errors.h)
 * @since 1.0
 */
typedef int (*limg_referrer_cb)(const limg_descriptor *referrer, void *payload);

/** Callbacks of limg_registry_referrers_foreach(). @since 1.0 */
typedef struct limg_registry_referrers_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_referrer_cb referrer; /**< called per referrer (required) */
	void *payload;             /**< passed last to every callback */
} limg_registry_referrers_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_REGISTRY_REFERRERS_CALLBACKS_INIT LIMG_SIZED_INIT(limg_registry_referrers_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_referrers_callbacks_init(limg_registry_referrers_callbacks *cb, size_t size);

/**
 * Lists the referrers of a manifest, as oras discover does: the API's
 * pages (following Link, at most 64 of at most 4 MiB), else the referrers
 * tag (a missing tag: none). Bounded and checked: a listing that names the
 * digest listed (or its own index) as a referrer, entries that are no
 * manifests, or endless pages are refused.
 *
 * @param registry the registry
 * @param repository the path ("team/app")
 * @param digest the manifest whose referrers are wanted
 * @param opts options, or NULL
 * @param cb callbacks (referrer is required)
 * @return 0, LIMG_EINVALID (a bad digest), LIMG_EMANIFEST (a listing that is no valid
 *         index, or lists itself), LIMG_EPROTOCOL (endless pages, a link elsewhere),
 *         LIMG_EUNSUPPORTED (LIMG_REFERRERS_API at a registry without it), LIMG_EAUTH,
 *         network errors, LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_referrers_foreach(limg_registry *registry, const char *repository, const char *digest,
                                                 const limg_registry_referrers_opts *opts,
                                                 const limg_registry_referrers_callbacks *cb);

/**
 * Puts a manifest that has a `subject` (a referrer: a signature, an SBOM,
 * any artifact) by its digest, then, where the registry lacks the
 * referrers API, adds it to the subject's referrers tag (read, appended to
 * unless listed already, put back: the registry checks that every listed
 * manifest exists, so the referrer goes first). Its config and layers must
 * be in the repository already (the empty config `{}` too).
 *
 * @param out_digest receives the referrer's digest; may be NULL
 * @param registry the registry
 * @param repository the path
 * @param media_type the manifest's media type
 * @param body its bytes (put byte for byte)
 * @param len how many
 * @param opts options (mode, cancel), or NULL
 * @return the codes of limg_registry_manifest_put(), LIMG_EINVALID (no subject),
 *         LIMG_EMANIFEST (the referrers tag holds something else than an index)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_referrer_put(limg_buf *out_digest, limg_registry *registry, const char *repository,
                                            const char *media_type, const void *body, size_t len,
                                            const limg_registry_referrers_opts *opts);

/** Options of limg_registry_attach(); zero means the default. @since 1.0 */
typedef struct limg_registry_attach_opts {
	size_t size;                     /**< sizeof the struct as the caller knows it */
	const char *const *media_types;  /**< the media type of each file; NULL (or a NULL entry):
	                                      application/vnd.oci.image.layer.v1.tar, as oras uses */
	const char *const *annotations;  /**< the manifest's annotations, "key=value" each; NULL: none
	                                      (org.opencontainers.image.created is always set) */
	size_t annotations_len;          /**< number of @ref annotations */
	int mode;                        /**< a limg_referrers_mode */
	limg_cancel *cancel;             /**< stops the call from any thread; may be NULL */
} limg_registry_attach_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REGISTRY_ATTACH_OPTS_INIT LIMG_SIZED_INIT(limg_registry_attach_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_registry_attach_opts_init(limg_registry_attach_opts *opts, size_t size);

/**
 * Attaches files to an image as an artifact, as `oras attach` does: each
 * file uploaded as a layer (titled by its name), the empty config `{}`,
 * then an OCI manifest with the artifactType and the image as its subject,
 * put with limg_registry_referrer_put().
 *
 * @param out_digest receives the artifact manifest's digest; may be NULL
 * @param registry the registry
 * @param repository the path
 * @param subject the image: a tag or a digest (resolved with HEAD)
 * @param artifact_type the artifact's type ("application/spdx+json")
 * @param paths the files (none for an artifact of annotations alone)
 * @param paths_len how many
 * @param opts options, or NULL
 * @return 0, LIMG_EINVALID, LIMG_ENOTFOUND (subject MANIFEST: no such image;
 *         FILE: no such file), the codes of limg_registry_blob_upload() and
 *         limg_registry_referrer_put()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_attach(limg_buf *out_digest, limg_registry *registry, const char *repository,
                                      const char *subject, const char *artifact_type, const char *const *paths,
                                      size_t paths_len, const limg_registry_attach_opts *opts);

/**
 * The referrers tag of a digest, as the distribution spec makes it
 * ("sha256:abc..." is "sha256-abc..."), where registries without the
 * referrers API keep a manifest's referrers (and cosign its `.sig`
 * signatures, as this tag plus ".sig").
 *
 * @param out receives the tag
 * @param digest the digest
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_registry_referrers_tag(limg_buf *out, const char *digest);

LIMG_END_DECL

#endif /* LIBIMAGE_REGISTRY_H */
