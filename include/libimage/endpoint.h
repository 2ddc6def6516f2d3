/* SPDX-License-Identifier: MIT */
/**
 * @file endpoint.h
 * @brief Mirrors and pull-through caches of a registry (what containerd's
 *        hosts.toml [host] entries and Docker's registry-mirrors name).
 */
#ifndef LIBIMAGE_ENDPOINT_H
#define LIBIMAGE_ENDPOINT_H

#include "common.h"

LIMG_BEGIN_DECL

/** What an endpoint may be asked; bits. Values are ABI. @since 1.0 */
typedef enum limg_endpoint_capability {
	LIMG_ENDPOINT_CAP_PULL = 1,    /**< blobs, and manifests by digest */
	LIMG_ENDPOINT_CAP_RESOLVE = 2, /**< tags to digests (trusted to say what a tag is) */
	LIMG_ENDPOINT_CAP_PUSH = 4     /**< (pushes go to the registry itself) */
} limg_endpoint_capability;

/**
 * A mirror or pull-through cache of a registry, tried before the registry
 * itself. Whatever a mirror serves is verified by digest as always; a
 * failure there moves on to the next endpoint. Passed as an array of
 * pointers (limg_registry_opts.mirrors), so that the struct may grow.
 * @since 1.0
 */
typedef struct limg_endpoint {
	size_t size;                 /**< sizeof the struct as the caller knows it */
	const char *url;             /**< "https://mirror:5000", or with a path ("https://harbor/v2/proxy"),
	                                  or "host:port" (https) */
	unsigned capabilities;       /**< LIMG_ENDPOINT_CAP_* bits; 0: pull and resolve */
	int skip_verify;             /**< do not verify its TLS certificate */
	const char *ca_file;         /**< PEM CA bundle trusted for it; may be NULL */
	const char *client_cert;     /**< PEM client certificate; may be NULL */
	const char *client_key;      /**< its key (NULL: in client_cert) */
	int override_path;           /**< the URL's path is the API root (no "/v2" added) */
	const char *const *headers;  /**< "Name: value" lines sent to it (and only to it) */
	size_t headers_len;          /**< number of @ref headers */
	long dial_timeout_ms;        /**< connect timeout, and longest wait for an answer to start; 0: 3000 */
} limg_endpoint;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_ENDPOINT_INIT LIMG_SIZED_INIT(limg_endpoint)

/** Fills @p endpoint with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_endpoint_init(limg_endpoint *endpoint, size_t size);

LIMG_END_DECL

#endif /* LIBIMAGE_ENDPOINT_H */
