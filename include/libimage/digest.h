/* SPDX-License-Identifier: MIT */
/**
 * @file digest.h
 * @brief Content digests (`"sha256:<hex>"`) and streaming hashers.
 *
 * A digest crosses the API as an "algorithm:hex" string. Parsing is strict:
 * only registered algorithms (sha256, sha512), lowercase hex of exactly the
 * algorithm's length. A digest that parses is therefore safe to use as a
 * file name.
 */
#ifndef LIBIMAGE_DIGEST_H
#define LIBIMAGE_DIGEST_H

#include "common.h"

LIMG_BEGIN_DECL

/** Digest algorithms. Values are part of the ABI. @since 1.0 */
typedef enum limg_digest_alg {
	LIMG_DIGEST_SHA256 = 1, /**< sha256, 64 hex digits */
	LIMG_DIGEST_SHA512 = 2  /**< sha512, 128 hex digits */
} limg_digest_alg;

/** A validated digest. @since 1.0 */
typedef struct limg_digest limg_digest;

/**
 * Checks that @p str is a valid digest.
 *
 * @return 0, or LIMG_EDIGEST_FORMAT, LIMG_EDIGEST_LENGTH, LIMG_EDIGEST_UNSUPPORTED,
 *         LIMG_EINVALID (NULL)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_digest_validate(const char *str);

/**
 * Parses and validates a digest string.
 *
 * @param out receives the digest; free with limg_digest_free()
 * @param str "algorithm:hex"
 * @return 0, or the codes of limg_digest_validate(), or LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_digest_parse(limg_digest **out, const char *str);

/** Frees a digest; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_digest_free(limg_digest *digest);

/** `"sha256:<hex>"`; borrowed until the digest is freed. @since 1.0 */
LIMG_EXTERN(const char *) limg_digest_string(const limg_digest *digest);

/** The hex part; borrowed until the digest is freed. @since 1.0 */
LIMG_EXTERN(const char *) limg_digest_hex(const limg_digest *digest);

/** The algorithm, a limg_digest_alg. @since 1.0 */
LIMG_EXTERN(int) limg_digest_algorithm(const limg_digest *digest);

/**
 * Name of an algorithm ("sha256").
 * @return a static string, or NULL for an unknown algorithm
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_digest_algorithm_name(int algorithm);

/** True (1) when two digests are equal, else 0. @since 1.0 */
LIMG_EXTERN(int) limg_digest_equal(const limg_digest *a, const limg_digest *b);

/**
 * Digests a buffer.
 *
 * @param out receives "algorithm:hex"; release with limg_buf_dispose()
 * @param algorithm a limg_digest_alg
 * @param data the bytes (may be NULL when @p len is 0)
 * @param len number of bytes
 * @return 0, LIMG_EINVALID, LIMG_EDIGEST_UNSUPPORTED, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_digest_compute(limg_buf *out, int algorithm, const void *data, size_t len);

/**
 * Checks that a buffer has the expected digest.
 *
 * @return 0, LIMG_EDIGEST_MISMATCH, or an error of limg_digest_validate() for @p expected
 * @since 1.0
 */
LIMG_EXTERN(int) limg_digest_verify(const char *expected, const void *data, size_t len);

/**
 * Reads a stream to its end and checks it has the expected digest.
 *
 * @param expected the digest the bytes must have
 * @param read supplies the bytes
 * @param payload passed to @p read
 * @return 0, LIMG_EDIGEST_MISMATCH, an error of limg_digest_validate(), or
 *         what @p read returned to stop (errors.h)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_digest_verify_stream(const char *expected, limg_read_cb read, void *payload);

/** A streaming hasher. Not safe to share between threads. @since 1.0 */
typedef struct limg_hasher limg_hasher;

/**
 * Creates a hasher.
 *
 * @param out receives the hasher; free with limg_hasher_free()
 * @param algorithm a limg_digest_alg
 * @return 0, LIMG_EDIGEST_UNSUPPORTED, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_hasher_new(limg_hasher **out, int algorithm);

/** Adds bytes. @return 0, or LIMG_EINVALID after finish. @since 1.0 */
LIMG_EXTERN(int) limg_hasher_update(limg_hasher *hasher, const void *data, size_t len);

/**
 * Finishes hashing.
 *
 * @param out receives "algorithm:hex", borrowed until the hasher is reset or freed
 * @param hasher the hasher; calling again returns the same digest
 * @return 0 or LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_hasher_finish(const char **out, limg_hasher *hasher);

/**
 * Finishes hashing and compares with @p expected.
 *
 * @return 0, LIMG_EDIGEST_MISMATCH (also when @p expected uses another algorithm),
 *         or an error of limg_digest_validate()
 * @since 1.0
 */
LIMG_EXTERN(int) limg_hasher_verify(limg_hasher *hasher, const char *expected);

/** Starts over with the same algorithm. @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_hasher_reset(limg_hasher *hasher);

/** Frees a hasher; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_hasher_free(limg_hasher *hasher);

LIMG_END_DECL

#endif /* LIBIMAGE_DIGEST_H */
