/*
 * libimage: talking to a Docker/OCI registry (the pull side of the
 * distribution spec).
 *
 * A registry handle is one registry host with its settings: TLS (verified
 * by default; Docker's certs.d directory for per-registry CAs and client
 * certificates), plain HTTP only for insecure registries (127.0.0.0/8 and
 * ::1 are insecure by default, as in Docker; insecure = 0 makes them
 * verified HTTPS only, as podman's and skopeo's --tls-verify=true do),
 * credentials (never sent over plain HTTP when the registry speaks HTTPS,
 * not even to its token server), retries with
 * exponential backoff and jitter honouring Retry-After, and tokens cached
 * per scope. Proxies come from the environment as libcurl reads it:
 * http_proxy (lowercase only: the uppercase HTTP_PROXY is ignored on
 * purpose), HTTPS_PROXY or https_proxy, ALL_PROXY, and NO_PROXY.
 *
 * A handle may be used from several threads at once.
 */
#ifndef LIBIMAGE_REGISTRY_H
#define LIBIMAGE_REGISTRY_H

#include <stdint.h>

#include "auth.h"
#include "cancel.h"
#include "common.h"
#include "context.h"

LIMG_BEGIN_DECL

/** A registry host. @since 0.1 */
typedef struct limg_registry limg_registry;

/** What an endpoint may be asked. @since 0.2 */
typedef enum limg_endpoint_capability {
	LIMG_CAP_PULL = 1,    /**< blobs, and manifests by digest */
	LIMG_CAP_RESOLVE = 2, /**< tags to digests (trusted to say what a tag is) */
	LIMG_CAP_PUSH = 4     /**< (pushes go to the registry itself) */
} limg_endpoint_capability;

/**
 * A mirror or pull-through cache of a registry, tried before the registry
 * itself (as containerd's hosts.toml [host] entries). Whatever a mirror
 * serves is verified by digest as always; a failure there moves on to the
 * next endpoint.
 * @since 0.2
 */
typedef struct limg_endpoint {
	size_t size;                 /**< sizeof the struct as the caller knows it */
	const char *url;             /**< "https://mirror:5000", or with a path ("https://harbor/v2/proxy") */
	unsigned capabilities;       /**< LIMG_CAP_* bits; 0: pull and resolve */
	int skip_verify;             /**< do not verify its TLS certificate */
	const char *ca_file;         /**< PEM CA bundle trusted for it; may be NULL */
	const char *client_cert;     /**< PEM client certificate; may be NULL */
	const char *client_key;      /**< its key (NULL: in client_cert) */
	int override_path;           /**< the URL's path is the API root (no "/v2" added) */
	const char *const *headers;  /**< "Name: value" lines sent to it */
	size_t headers_len;
	long dial_timeout_ms;        /**< connect timeout, and longest wait for an answer to start;
	                                  0: 3000 */
} limg_endpoint;

/** Options for limg_registry_open(); zero or negative numbers mean the default. @since 0.1 */
typedef struct limg_registry_opts {
	size_t size;                     /**< sizeof the struct as the caller knows it */
	int insecure;                    /**< 1: allow plain HTTP and unverified TLS; 0: never; -1: loopback only (default) */
	int tls_verify;                  /**< verify certificates (default 1) */
	const char *ca_file;             /**< PEM CA bundle trusted besides the system's */
	const char *certs_dir;           /**< root of <host:port>/ca.crt, client.cert, client.key (default /etc/docker/certs.d) */
	const char *docker_config_dir;   /**< where config.json is; NULL: $DOCKER_CONFIG, else ~/.docker; "": none */
	limg_credentials_cb credentials; /**< asked first for credentials; may be NULL */
	void *credentials_payload;       /**< passed to @ref credentials */
	int max_attempts;                /**< tries per request on network errors, 5xx and 429 (default 5) */
	long backoff_ms;                 /**< first wait between tries, doubled each time, with jitter (default 200) */
	long backoff_max_ms;             /**< longest wait between tries (default 10000) */
	long retry_after_max_s;          /**< longest Retry-After honoured; longer ones fail at once (default 60) */
	long connect_timeout_ms;         /**< default 30000 */
	long low_speed_time_s;           /**< a transfer under 1 byte/s this long fails (default 30) */
	limg_cancel *cancel;             /**< stops requests when requested; may be NULL */
	const char *mirror;              /**< a mirror tried first ("host:port" or a URL), as Docker's
	                                      registry-mirrors for docker.io: on any failure there, the
	                                      registry itself (changed in 0.2: there was no fallback) */
	long request_timeout_s;          /**< longest one request may take, body included (default 300); a
	                                      blob transfer that takes longer goes on with a Range request
	                                      @since 0.2 */
	long operation_timeout_s;        /**< longest one call (a manifest, a blob, a listing) may take with
	                                      all its retries and resumes (default 0: no limit) @since 0.2 */
	int64_t max_blob_size;           /**< larger blobs are refused before any byte is fetched
	                                      (default 64 GiB) @since 0.2 */
	const limg_endpoint *mirrors;    /**< tried in order before the registry (then hosts.toml's,
	                                      then @ref mirror); NULL: none @since 0.2 */
	size_t mirrors_len;              /**< @since 0.2 */
	int hosts_toml;                  /**< read certs_dir/<registry>/hosts.toml, else
	                                      certs_dir/_default/hosts.toml, as containerd does
	                                      (default 1) @since 0.2 */
} limg_registry_opts;

/** Largest blob fetched when limg_registry_opts.max_blob_size is 0. @since 0.2 */
#define LIMG_BLOB_SIZE_MAX_DEFAULT ((int64_t)64 << 30)

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_REGISTRY_OPTS_INIT                                                                            \
	{ sizeof(limg_registry_opts), -1, 1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, NULL, 0, 1 }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_registry_opts_init(limg_registry_opts *opts, size_t size);

/**
 * Opens a registry by the domain references use ("docker.io",
 * "gcr.io", "localhost:5000"). docker.io is served from registry-1.docker.io.
 * No request is made yet.
 *
 * @param out receives the handle; close with limg_registry_close()
 * @param ctx settings (user agent, logging); may be NULL; must outlive the handle
 * @return 0, LIMG_EINVALID (a domain that is not one), LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_open(limg_registry **out, limg_context *ctx, const char *domain,
                                    const limg_registry_opts *opts);

/** Closes a handle; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_registry_close(limg_registry *registry);

/**
 * Checks that the registry speaks the distribution API (GET /v2/), and
 * settles between https and http for an insecure registry.
 * @return 0 (also when it asks for authentication), LIMG_ENETWORK, LIMG_ETLS,
 *         LIMG_ETIMEOUT, LIMG_EHTTP, LIMG_ECANCELLED
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_ping(limg_registry *registry);

/**
 * The base URL in use ("https://registry-1.docker.io"). Borrowed until the
 * handle is closed; an insecure registry settles between https and http at
 * its first request, which may change it.
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_registry_endpoint(const limg_registry *registry);

/** A manifest as the registry described (and, after a GET, delivered) it. @since 0.1 */
typedef struct limg_remote_manifest limg_remote_manifest;

/**
 * Resolves a tag or digest to a descriptor with HEAD, falling back to GET
 * when the registry does not answer HEAD with a digest. Costs one request
 * on an open, anonymous registry.
 *
 * @param repository the path ("library/redis")
 * @param reference a tag or a digest
 * @return 0, LIMG_ENOTFOUND (MANIFEST_UNKNOWN, NAME_UNKNOWN), LIMG_EAUTH,
 *         LIMG_ERATELIMIT, LIMG_EUNSUPPORTED (schema 1), network errors
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_manifest_head(limg_remote_manifest **out, limg_registry *registry,
                                             const char *repository, const char *reference);

/**
 * Fetches a manifest or index (at most 4 MiB). Its digest is verified: against
 * @p reference when that is a digest, else against Docker-Content-Digest when
 * the registry sends one.
 *
 * @return the codes of limg_registry_manifest_head(), LIMG_EDIGEST_MISMATCH, LIMG_ETOOBIG
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_manifest_get(limg_remote_manifest **out, limg_registry *registry,
                                            const char *repository, const char *reference);

/** Frees a remote manifest; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_remote_manifest_free(limg_remote_manifest *manifest);
/** Its digest ("sha256:..."). @since 0.1 */
LIMG_EXTERN(const char *) limg_remote_manifest_digest(const limg_remote_manifest *manifest);
/** Its media type (Content-Type without parameters). @since 0.1 */
LIMG_EXTERN(const char *) limg_remote_manifest_media_type(const limg_remote_manifest *manifest);
/** Its size in bytes. @since 0.1 */
LIMG_EXTERN(int64_t) limg_remote_manifest_size(const limg_remote_manifest *manifest);
/**
 * Its bytes after a GET, or NULL after a HEAD.
 * @param len receives the length; may be NULL
 * @since 0.1
 */
LIMG_EXTERN(const void *) limg_remote_manifest_body(const limg_remote_manifest *manifest, size_t *len);

/**
 * Receives the next bytes of a blob.
 * @return 0 to go on; non-zero aborts, and is returned by the fetch
 * @since 0.1
 */
typedef int (*limg_sink_cb)(const void *data, size_t len, void *payload);

/** Options for limg_registry_blob_fetch(). @since 0.1 */
typedef struct limg_blob_fetch_opts {
	size_t size;      /**< sizeof the struct as the caller knows it */
	int64_t offset;   /**< bytes the caller has already: fetching starts after them */
	int verify;       /**< check the digest (default 1; needs offset 0) */
	limg_sink_cb sink;
	void *payload;    /**< passed to @ref sink and @ref restart */
	int (*restart)(void *payload); /**< forget what the sink was given: the blob comes again from
	                                    its start, from the next endpoint (a mirror's bytes did not
	                                    verify); non-zero refuses; NULL: a mismatch fails @since 0.2 */
} limg_blob_fetch_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_BLOB_FETCH_OPTS_INIT { sizeof(limg_blob_fetch_opts), 0, 1, NULL, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_blob_fetch_opts_init(limg_blob_fetch_opts *opts, size_t size);

/**
 * Streams a blob to a sink. A transfer that breaks is resumed with a Range
 * request from the last byte received (asking the registry URL again, so a
 * fresh redirect is used), within the retry budget. The sink never sees a
 * byte twice. A registry that ignores Range (answers 200) is followed from
 * the start once; a second time fails. The sink's non-zero answer stops the
 * fetch at once and is returned as it is.
 *
 * @param size the expected size, or -1 when unknown (then bounded by max_blob_size)
 * @return 0, LIMG_EDIGEST_MISMATCH (the bytes do not match: the sink has seen
 *         them, so discard them), LIMG_ENOTFOUND (BLOB_UNKNOWN), LIMG_EAUTH,
 *         LIMG_EPROTOCOL (a bad Content-Range, Range ignored twice), LIMG_ETOOBIG
 *         (over max_blob_size), network errors, or the sink's code
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_blob_fetch(limg_registry *registry, const char *repository, const char *digest,
                                          int64_t size, const limg_blob_fetch_opts *opts);

/**
 * Receives one name of a listing.
 * @return 0 to go on; non-zero stops, and is returned
 * @since 0.1
 */
typedef int (*limg_name_cb)(const char *name, void *payload);

/**
 * Lists a repository's tags, following pagination (n, last, Link).
 * @param page_size tags per request, or 0 for the registry's default
 * @return 0, LIMG_ENOTFOUND (NAME_UNKNOWN), LIMG_EAUTH, network errors, the callback's code
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_tags_foreach(limg_registry *registry, const char *repository, int page_size,
                                            limg_name_cb cb, void *payload);

/**
 * Lists the registry's repositories (GET /v2/_catalog), following pagination.
 * @return as limg_registry_tags_foreach()
 * @since 0.1
 */
LIMG_EXTERN(int) limg_registry_catalog_foreach(limg_registry *registry, int page_size, limg_name_cb cb,
                                               void *payload);

/* ---- the push side -------------------------------------------------- */

/**
 * Asks whether the registry has a blob in a repository (HEAD).
 * @param out_size receives its size when it has it; may be NULL
 * @return 1 (it has it), 0 (it does not), LIMG_EAUTH, network errors
 * @since 0.2
 */
LIMG_EXTERN(int) limg_registry_blob_exists(limg_registry *registry, const char *repository, const char *digest,
                                           int64_t *out_size);

/**
 * Gives the next bytes of a blob being uploaded: up to @p cap into @p buf,
 * their count in *@p out_len, 0 at the end.
 * @return 0 to go on; non-zero stops the upload, and is returned
 * @since 0.2
 */
typedef int (*limg_source_cb)(void *buf, size_t cap, size_t *out_len, void *payload);

/**
 * Puts an upload's source back at @p offset (0 for a fresh start), so that
 * a broken upload can go on from where the registry says it is.
 * @return 0, or non-zero when it cannot (the upload then fails with it)
 * @since 0.2
 */
typedef int (*limg_seek_cb)(int64_t offset, void *payload);

/** How an upload ended. Values are ABI. @since 0.2 */
typedef enum limg_upload_result {
	LIMG_UPLOAD_PUSHED = 1,  /**< the bytes were sent */
	LIMG_UPLOAD_MOUNTED = 2, /**< mounted from another repository: no byte sent */
	LIMG_UPLOAD_EXISTS = 3   /**< the registry had it already (HEAD) */
} limg_upload_result;

/** Options for limg_registry_blob_upload(). @since 0.2 */
typedef struct limg_blob_upload_opts {
	size_t size;                 /**< sizeof the struct as the caller knows it */
	const char *mount_from;      /**< a repository of the same registry that has the blob: mounted when
	                                  the registry lets us (?mount=&from=), uploaded when not */
	int64_t chunk_size;          /**< 0: one PUT with the whole blob (default); > 0: PATCH requests of
	                                  this many bytes (raised to the registry's OCI-Chunk-Min-Length),
	                                  for registries and gateways that need them */
	int check_exists;            /**< HEAD first and skip a blob the registry has (default 1) */
	limg_seek_cb seek;           /**< lets a broken upload go on from the offset the upload URL reports,
	                                  or start over; NULL: a break fails the upload */
	int (*sent)(int64_t done, int64_t total, void *payload); /**< progress; non-zero stops; may be NULL */
} limg_blob_upload_opts;

/** Static initializer with the defaults. @since 0.2 */
#define LIMG_BLOB_UPLOAD_OPTS_INIT { sizeof(limg_blob_upload_opts), NULL, 0, 1, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.2 */
LIMG_EXTERN(int) limg_blob_upload_opts_init(limg_blob_upload_opts *opts, size_t size);

/**
 * Uploads a blob of @p size bytes with the given digest to a repository:
 * HEAD (skipped when it is there), POST (with a mount when asked; a refused
 * mount falls back to an upload), then one PUT of the bytes or PATCH chunks
 * and a closing PUT with the digest, which the registry checks. A break is
 * resumed from the offset the upload URL reports when @p opts->seek allows,
 * within the retry budget. Tokens are asked for pull and push on the
 * repository (and pull on the mount source).
 *
 * @param source gives the bytes; @p payload is passed to it, to seek and to sent
 * @param out_result receives a limg_upload_result; may be NULL
 * @return 0, LIMG_EDIGEST_MISMATCH (the registry refused the digest: the bytes
 *         differ), LIMG_EAUTH (no push access), LIMG_EPROTOCOL (no upload URL, a
 *         bad Range), network errors, or the source's or callback's code
 * @since 0.2
 */
LIMG_EXTERN(int) limg_registry_blob_upload(limg_registry *registry, const char *repository, const char *digest,
                                           int64_t size, limg_source_cb source, void *payload,
                                           const limg_blob_upload_opts *opts, int *out_result);

/**
 * Puts a manifest under a tag or a digest, byte for byte, with @p media_type
 * as its Content-Type. The registry's Docker-Content-Digest must be the
 * digest of the bytes.
 * @param out_digest receives "sha256:..."; may be NULL
 * @return 0, LIMG_EMANIFEST (refused as invalid or unknown: MANIFEST_INVALID,
 *         MANIFEST_BLOB_UNKNOWN, an unsupported type), LIMG_EAUTH, LIMG_EDIGEST_MISMATCH,
 *         network errors
 * @since 0.2
 */
LIMG_EXTERN(int) limg_registry_manifest_put(limg_registry *registry, const char *repository, const char *reference,
                                            const char *media_type, const void *body, size_t len,
                                            limg_buf *out_digest);

LIMG_END_DECL

#endif /* LIBIMAGE_REGISTRY_H */
