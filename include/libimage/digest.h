/*
 * libimage: content digests ("sha256:<hex>") and streaming hashers.
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

/** Digest algorithms. Values are part of the ABI. @since 0.1 */
typedef enum limg_digest_algorithm {
	LIMG_DIGEST_SHA256 = 1,
	LIMG_DIGEST_SHA512 = 2
} limg_digest_algorithm;

/** A validated digest. @since 0.1 */
typedef struct limg_digest limg_digest;

/**
 * Checks that @p str is a valid digest.
 *
 * @return 0, or LIMG_EDIGEST_FORMAT, LIMG_EDIGEST_LENGTH, LIMG_EDIGEST_UNSUPPORTED,
 *         LIMG_EINVALID (NULL)
 * @since 0.1
 */
LIMG_EXTERN(int) limg_digest_validate(const char *str);

/**
 * Parses and validates a digest string.
 *
 * @param out receives the digest; free with limg_digest_free()
 * @param str "algorithm:hex"
 * @return 0, or the codes of limg_digest_validate(), or LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_digest_parse(limg_digest **out, const char *str);

/** Frees a digest; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_digest_free(limg_digest *digest);

/** "sha256:<hex>"; borrowed until the digest is freed. @since 0.1 */
LIMG_EXTERN(const char *) limg_digest_string(const limg_digest *digest);

/** The hex part; borrowed until the digest is freed. @since 0.1 */
LIMG_EXTERN(const char *) limg_digest_hex(const limg_digest *digest);

/** The algorithm, a limg_digest_algorithm. @since 0.1 */
LIMG_EXTERN(int) limg_digest_algorithm_of(const limg_digest *digest);

/**
 * Name of an algorithm ("sha256").
 * @return a static string, or NULL for an unknown algorithm
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_digest_algorithm_name(int algorithm);

/** True (1) when two digests are equal, else 0. @since 0.1 */
LIMG_EXTERN(int) limg_digest_equal(const limg_digest *a, const limg_digest *b);

/**
 * Digests a buffer.
 *
 * @param out receives "algorithm:hex"; release with limg_buf_dispose()
 * @param algorithm a limg_digest_algorithm
 * @param data the bytes (may be NULL when @p len is 0)
 * @param len number of bytes
 * @return 0, LIMG_EINVALID, LIMG_EDIGEST_UNSUPPORTED, LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_digest_compute(limg_buf *out, int algorithm, const void *data, size_t len);

/**
 * Checks that a buffer has the expected digest.
 *
 * @return 0, LIMG_EDIGEST_MISMATCH, or an error of limg_digest_validate() for @p expected
 * @since 0.1
 */
LIMG_EXTERN(int) limg_digest_verify(const char *expected, const void *data, size_t len);

/**
 * Supplies the next bytes of a stream.
 *
 * @param out_len receives how many bytes were written to @p buf; 0 means end of stream
 * @param buf where to write
 * @param cap room in @p buf
 * @param payload the caller's payload
 * @return 0 to go on; anything else aborts, and is returned to the caller
 * @since 0.1
 */
typedef int (*limg_read_cb)(size_t *out_len, void *buf, size_t cap, void *payload);

/**
 * Reads a stream to its end and checks it has the expected digest.
 *
 * @return 0, LIMG_EDIGEST_MISMATCH, an error of limg_digest_validate(), or the
 *         callback's non-zero return value
 * @since 0.1
 */
LIMG_EXTERN(int) limg_digest_verify_stream(const char *expected, limg_read_cb read, void *payload);

/** A streaming hasher. Not safe to share between threads. @since 0.1 */
typedef struct limg_hasher limg_hasher;

/**
 * Creates a hasher.
 *
 * @param out receives the hasher; free with limg_hasher_free()
 * @param algorithm a limg_digest_algorithm
 * @return 0, LIMG_EDIGEST_UNSUPPORTED, LIMG_EINVALID, LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_hasher_new(limg_hasher **out, int algorithm);

/** Adds bytes. @return 0, or LIMG_EINVALID after finish. @since 0.1 */
LIMG_EXTERN(int) limg_hasher_update(limg_hasher *hasher, const void *data, size_t len);

/**
 * Finishes hashing.
 *
 * @param out receives "algorithm:hex", borrowed until the hasher is reset or freed
 * @param hasher the hasher; calling again returns the same digest
 * @return 0 or LIMG_EINVALID
 * @since 0.1
 */
LIMG_EXTERN(int) limg_hasher_finish(const char **out, limg_hasher *hasher);

/**
 * Finishes hashing and compares with @p expected.
 *
 * @return 0, LIMG_EDIGEST_MISMATCH (also when @p expected uses another algorithm),
 *         or an error of limg_digest_validate()
 * @since 0.1
 */
LIMG_EXTERN(int) limg_hasher_verify(limg_hasher *hasher, const char *expected);

/** Starts over with the same algorithm. @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_hasher_reset(limg_hasher *hasher);

/** Frees a hasher; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_hasher_free(limg_hasher *hasher);

LIMG_END_DECL

#endif /* LIBIMAGE_DIGEST_H */
