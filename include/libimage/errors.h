/* SPDX-License-Identifier: MIT */
/**
 * @file errors.h
 * @brief Error codes, what a failure was about, the per-thread last error,
 *        and the one rule for what callbacks return.
 *
 * A function that can fail returns an int: 0 on success or one of the
 * negative codes below, never a positive value. The codes have fixed
 * values that are never changed or reused; new codes are only appended.
 * After a failure limg_error_last() describes it: a one-line message, the
 * subject (what was not found, refused or damaged: an image, a tag, a
 * blob, ...) and the object's name, and for registry answers the HTTP status, the
 * registry's own code and Retry-After. Programs branch on the code and the
 * subject, never on the message text, which may be reworded.
 *
 * Messages start with a lowercase letter unless they repeat a phrase a
 * peer prints for the same case (Docker's "No such image: x"), name the bad
 * input quoted and escaped, and never contain credentials.
 *
 * # What callbacks return (every callback of the library that returns int)
 *
 * (limg_log_cb returns nothing: a message is told, it cannot stop anything.)
 *
 * - 0: go on.
 * - A negative value: stop. The operation stops promptly, leaves
 *   everything consistent (a partial download resumable), and returns that
 *   value as it is: a callback may return a LIMG_E* code, or a negative
 *   code of its own (below -10000 never collides with the library's).
 * - A positive value: stop, and the operation returns LIMG_EUSER (the
 *   message says which value the callback returned).
 * - LIMG_PASSTHROUGH, from a callback that answers a question (the
 *   credentials callback): "do what you would do without me" (for
 *   credentials: look in Docker's config.json and its helpers). From any
 *   other callback it stops the operation like any negative value.
 */
#ifndef LIBIMAGE_ERRORS_H
#define LIBIMAGE_ERRORS_H

#include "common.h"

LIMG_BEGIN_DECL

/** Return codes. Values are part of the ABI. @since 1.0 */
typedef enum limg_status {
	LIMG_OK = 0,                    /**< success */

	/* general (-1 .. -99) */
	LIMG_ERROR = -1,                /**< an error with no more specific code */
	LIMG_EINVALID = -2,             /**< invalid argument or API misuse */
	LIMG_ENOMEM = -3,               /**< out of memory */
	LIMG_ESYSTEM = -4,              /**< an operating-system call failed (the message says which) */
	LIMG_ENOTFOUND = -5,            /**< the thing asked for does not exist (limg_error_subject() says what) */
	LIMG_EEXISTS = -6,              /**< the thing to create exists already */
	LIMG_ECANCELLED = -7,           /**< the operation was cancelled */
	LIMG_EUSER = -8,                /**< a callback returned a positive value to stop */
	LIMG_EVERSION = -9,             /**< an options struct is newer than this library understands */
	LIMG_ECORRUPT = -10,            /**< stored or received data is damaged (the message names it) */
	LIMG_ENOSPACE = -11,            /**< no space left on the device, or a file size limit hit */
	LIMG_ETOOBIG = -12,             /**< input larger than the limit for its kind */
	LIMG_EUNSUPPORTED = -13,        /**< a valid but unsupported format (e.g. schema1 manifests) */
	LIMG_ECONFLICT = -14,           /**< the request conflicts with the state (e.g. removing a shared image) */
	LIMG_EPARTIAL = -15,            /**< some parts of a many-part operation failed, the others succeeded
	                                     (a sync: its report says which and why) */
	LIMG_PASSTHROUGH = -30,         /**< from a callback: do what you would do without me (not an error) */
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
	LIMG_EMANIFEST = -140,          /**< an invalid manifest, index or image config */
	LIMG_EPLATFORM = -141,          /**< no image for the requested platform */

	/* network and registries (-160 .. -199) */
	LIMG_ENETWORK = -160,           /**< cannot reach the registry (connect, reset), after retries */
	LIMG_ETIMEOUT = -161,           /**< the transfer stalled or took too long */
	LIMG_EHTTP = -162,              /**< the registry answered with an unexpected HTTP status */
	LIMG_EAUTH = -163,              /**< authentication required, or access refused (subject CREDENTIALS:
	                                     the credentials given were refused) */
	LIMG_ERATELIMIT = -164,         /**< too many requests (429, TOOMANYREQUESTS) */
	LIMG_ETLS = -165,               /**< TLS failed (certificate not trusted, handshake) */
	LIMG_EREDIRECT = -166,          /**< too many redirects, or a redirect from https to http */
	LIMG_EPROTOCOL = -167,          /**< a malformed answer (challenge, token, Content-Range, ...) */

	/* signatures and policy (-200 .. -219) */
	LIMG_EREJECTED = -200,          /**< the signature policy rejected the image (subject POLICY; the message
	                                     names the image, the scope that applied and why) */
	LIMG_ESIGNATURE = -201          /**< a signature does not verify with the key, or is no signature
	                                     (subject SIGNATURE) */
} limg_status;

/**
 * What a failure was about: with LIMG_ENOTFOUND, what does not exist; with
 * other codes, what was refused, damaged or invalid. Values are ABI.
 * @since 1.0
 */
typedef enum limg_subject {
	LIMG_SUBJECT_NONE = 0,        /**< nothing more specific */
	LIMG_SUBJECT_IMAGE = 1,       /**< an image of the store ("No such image") */
	LIMG_SUBJECT_TAG = 2,         /**< a tag (of the store, or of a registry's repository) */
	LIMG_SUBJECT_BLOB = 3,        /**< a blob (stored, or of a registry) */
	LIMG_SUBJECT_MANIFEST = 4,    /**< a manifest or index (of a registry: "manifest unknown") */
	LIMG_SUBJECT_REPOSITORY = 5,  /**< a repository of a registry ("repository does not exist") */
	LIMG_SUBJECT_PLATFORM = 6,    /**< a platform of an index */
	LIMG_SUBJECT_REGISTRY = 7,    /**< a registry host (unreachable, or not a registry) */
	LIMG_SUBJECT_CREDENTIALS = 8, /**< credentials (refused, or unreadable config.json) */
	LIMG_SUBJECT_CERTIFICATE = 9, /**< a TLS certificate (not trusted: see --cert-dir / certs.d) */
	LIMG_SUBJECT_REFERENCE = 10,  /**< an image reference as text */
	LIMG_SUBJECT_FILE = 11,       /**< a file or directory named by the caller */
	LIMG_SUBJECT_STORE = 12,      /**< the store itself (no store there, or not a usable layout) */
	LIMG_SUBJECT_ARCHIVE = 13,    /**< an archive, or a member of one */
	LIMG_SUBJECT_LAYER = 14,      /**< a layer's contents (a tar entry, a diff_id) */
	LIMG_SUBJECT_CONFIG = 15,     /**< an image config */
	LIMG_SUBJECT_OPTIONS = 16,    /**< an options struct or a callbacks struct */
	LIMG_SUBJECT_SIGNATURE = 17,  /**< a signature (a cosign payload, a Sigstore bundle, a DSSE envelope) */
	LIMG_SUBJECT_POLICY = 18,     /**< a signature policy (containers-policy.json) or registries.d file */
	LIMG_SUBJECT_KEY = 19         /**< a public or private key (unreadable, unsupported, wrong passphrase) */
} limg_subject;

/** Details of a failure; read through the accessors below. @since 1.0 */
typedef struct limg_error limg_error;

/**
 * The last error raised on this thread.
 *
 * @return never NULL. When nothing failed yet, code LIMG_OK and message "no error".
 *         Borrowed: valid until the next libimage call on this thread.
 * @since 1.0
 */
LIMG_EXTERN(const limg_error *) limg_error_last(void);

/** Forgets the last error of this thread. @since 1.0 */
LIMG_EXTERN(void) limg_error_clear(void);

/** The error's code (a limg_status); LIMG_OK for NULL. @since 1.0 */
LIMG_EXTERN(int) limg_error_code(const limg_error *err);

/**
 * One line that says what went wrong; never NULL, never contains secrets.
 * Borrowed, with the lifetime of @p err. @since 1.0
 */
LIMG_EXTERN(const char *) limg_error_message(const limg_error *err);

/** What the failure was about, a limg_subject; LIMG_SUBJECT_NONE for NULL. @since 1.0 */
LIMG_EXTERN(int) limg_error_subject(const limg_error *err);

/**
 * The name of the thing the failure was about, as the caller gave it or
 * the library read it (an image reference, a digest, a registry host, a
 * path), escaped so that it is safe to print; "" when none applies. Never
 * NULL; borrowed, with the lifetime of @p err. @since 1.0
 */
LIMG_EXTERN(const char *) limg_error_object(const limg_error *err);

/** HTTP status of the failing registry response, or 0 when none applies. @since 1.0 */
LIMG_EXTERN(int) limg_error_http_status(const limg_error *err);

/**
 * The registry's own error code ("MANIFEST_UNKNOWN", "DENIED", ...), or ""
 * when none applies. Never NULL; borrowed, with the lifetime of @p err.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_error_registry_code(const limg_error *err);

/**
 * Seconds the registry asked us to wait (Retry-After), or 0 when it did not.
 * @since 1.0
 */
LIMG_EXTERN(long) limg_error_retry_after(const limg_error *err);

/**
 * A fixed description of a code ("invalid reference format").
 * @return a static string; never NULL ("unknown error" for unknown codes).
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_strerror(int code);

/**
 * The code's name as spelled in this header ("LIMG_EREF_FORMAT"), so that
 * bindings can map codes without copying numbers.
 * @return a static string, or NULL for an unknown code.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_error_name(int code);

/**
 * A subject's name as spelled in this header ("LIMG_SUBJECT_IMAGE").
 * @return a static string, or NULL for an unknown subject.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_subject_name(int subject);

LIMG_END_DECL

#endif /* LIBIMAGE_ERRORS_H */
