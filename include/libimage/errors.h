/*
 * libimage: error codes and the per-thread last error.
 *
 * A function that can fail returns an int: 0 on success or one of the
 * negative codes below. The codes have fixed values that are never changed
 * or reused; new codes are only appended. After a failure,
 * limg_error_last() describes it in more detail.
 */
#ifndef LIBIMAGE_ERRORS_H
#define LIBIMAGE_ERRORS_H

#include "common.h"

LIMG_BEGIN_DECL

/** Return codes. Values are part of the ABI. @since 0.1 */
typedef enum limg_error_t {
	LIMG_OK = 0,                    /**< success */

	/* general (-1 .. -99) */
	LIMG_ERROR = -1,                /**< an error with no more specific code */
	LIMG_EINVALID = -2,             /**< invalid argument or API misuse */
	LIMG_ENOMEM = -3,               /**< out of memory */
	LIMG_EOS = -4,                  /**< an operating-system call failed */
	LIMG_ENOTFOUND = -5,            /**< the thing asked for does not exist */
	LIMG_EEXISTS = -6,              /**< the thing to create exists already */
	LIMG_ECANCELLED = -7,           /**< the operation was cancelled */
	LIMG_EUSER = -8,                /**< a callback asked to stop (when it returned no code of its own) */
	LIMG_EVERSION = -9,             /**< an options struct is newer than this library understands */
	LIMG_ECORRUPT = -10,            /**< stored data is damaged (the message names the file) @since 0.1 */
	LIMG_ENOSPACE = -11,            /**< no space left on the device, or a file size limit hit @since 0.1 */
	LIMG_ETOOBIG = -12,             /**< input larger than the limit for its kind @since 0.1 */
	LIMG_EUNSUPPORTED = -13,        /**< a valid but unsupported format (e.g. schema1 manifests) @since 0.1 */
	LIMG_ECONFLICT = -14,           /**< the request conflicts with the state (e.g. removing a shared image) @since 0.1 */
	LIMG_ITEROVER = -31,            /**< an iterator has no more items (not an error) */

	/* image references (-100 .. -119) */
	LIMG_EREF_FORMAT = -100,        /**< invalid reference format */
	LIMG_EREF_UPPERCASE = -101,     /**< repository name must be lowercase */
	LIMG_EREF_EMPTY = -102,         /**< repository name must have at least one component */
	LIMG_EREF_TOOLONG = -103,       /**< repository name longer than 255 characters */
	LIMG_EREF_NOTCANONICAL = -104,  /**< repository name must be canonical */
	LIMG_EREF_HEXNAME = -105,       /**< a 64-hex string cannot be a repository name */
	LIMG_EREF_TAG = -106,           /**< invalid tag format */
	LIMG_EREF_DIGEST = -107,        /**< invalid digest format (reference grammar) */
	LIMG_EPATTERN = -108,           /**< malformed match pattern */

	/* digests (-120 .. -139) */
	LIMG_EDIGEST_FORMAT = -120,     /**< invalid checksum digest format */
	LIMG_EDIGEST_LENGTH = -121,     /**< invalid checksum digest length */
	LIMG_EDIGEST_UNSUPPORTED = -122,/**< unsupported digest algorithm */
	LIMG_EDIGEST_MISMATCH = -123,   /**< content does not match its digest */

	/* manifests and configs (-140 .. -159) */
	LIMG_EMANIFEST = -140,          /**< an invalid manifest, index or image config @since 0.1 */
	LIMG_EPLATFORM = -141,          /**< no image for the requested platform @since 0.1 */

	/* network and registries (-160 .. -199) */
	LIMG_ENETWORK = -160,           /**< cannot reach the registry (connect, reset), after retries @since 0.1 */
	LIMG_ETIMEOUT = -161,           /**< the transfer stalled or took too long @since 0.1 */
	LIMG_EHTTP = -162,              /**< the registry answered with an unexpected HTTP status @since 0.1 */
	LIMG_EAUTH = -163,              /**< authentication required or refused (UNAUTHORIZED, DENIED) @since 0.1 */
	LIMG_ERATELIMIT = -164,         /**< too many requests (429, TOOMANYREQUESTS) @since 0.1 */
	LIMG_ETLS = -165,               /**< TLS failed (certificate not trusted, handshake) @since 0.1 */
	LIMG_EREDIRECT = -166,          /**< too many redirects, or a redirect from https to http @since 0.1 */
	LIMG_EPROTOCOL = -167           /**< a malformed answer (challenge, token, Content-Range, ...) @since 0.1 */
} limg_error_t;

/** Details of a failure; read through the accessors below. @since 0.1 */
typedef struct limg_error limg_error;

/**
 * The last error raised on this thread.
 *
 * @return never NULL. When nothing failed yet, code LIMG_OK and message "no error".
 *         Borrowed: valid until the next libimage call on this thread.
 * @since 0.1
 */
LIMG_EXTERN(const limg_error *) limg_error_last(void);

/** Forgets the last error of this thread. @since 0.1 */
LIMG_EXTERN(void) limg_error_clear(void);

/** The error's code (a limg_error_t); LIMG_OK for NULL. @since 0.1 */
LIMG_EXTERN(int) limg_error_code(const limg_error *err);

/**
 * One line that says what went wrong; never NULL, never contains secrets.
 * Borrowed, with the lifetime of @p err. @since 0.1
 */
LIMG_EXTERN(const char *) limg_error_message(const limg_error *err);

/** HTTP status of the failing registry response, or 0 when none applies. @since 0.1 */
LIMG_EXTERN(int) limg_error_http_status(const limg_error *err);

/**
 * The registry's own error code ("MANIFEST_UNKNOWN", "DENIED", ...), or "" when
 * none applies. Never NULL; borrowed, with the lifetime of @p err. @since 0.1
 */
LIMG_EXTERN(const char *) limg_error_registry_code(const limg_error *err);

/**
 * Seconds the registry asked us to wait (Retry-After), or 0 when it did not.
 * @since 0.1
 */
LIMG_EXTERN(long) limg_error_retry_after(const limg_error *err);

/**
 * A fixed description of a code ("invalid reference format").
 * @return a static string; never NULL ("unknown error" for unknown codes).
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_strerror(int code);

/**
 * The code's name as spelled in this header ("LIMG_EREF_FORMAT"), so that
 * bindings can map codes without copying numbers.
 * @return a static string, or NULL for an unknown code.
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_error_name(int code);

LIMG_END_DECL

#endif /* LIBIMAGE_ERRORS_H */
