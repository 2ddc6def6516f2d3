/* SPDX-License-Identifier: MIT */
/**
 * @file compress.h
 * @brief Decompressing layers, as pulls, unpacking and archives do.
 *
 * Streaming and strict: gzip (ISA-L's inflate where it is built in, zlib
 * otherwise; concatenated members; header and CRC checked; anything after
 * the last member refused) and zstd (concatenated and skippable frames),
 * with a ceiling on the bytes one stream may produce, so that a
 * decompression bomb stops with LIMG_ETOOBIG instead of filling a disk.
 */
#ifndef LIBIMAGE_COMPRESS_H
#define LIBIMAGE_COMPRESS_H

#include <stdint.h>

#include "bounds.h"
#include "common.h"

LIMG_BEGIN_DECL

/** How a layer is compressed. Values are ABI. @since 1.0 */
typedef enum limg_compression {
	LIMG_COMPRESSION_UNKNOWN = -1, /**< a media type this library cannot unpack */
	LIMG_COMPRESSION_NONE = 0,     /**< a plain tar */
	LIMG_COMPRESSION_GZIP = 1,     /**< gzip (RFC 1952), one member or several */
	LIMG_COMPRESSION_ZSTD = 2      /**< zstd frames */
} limg_compression;

/**
 * The compression a layer's media type names (OCI and Docker types:
 * "...tar", "...tar+gzip", "...tar.gzip", "...tar+zstd", foreign and
 * non-distributable variants).
 * @param media_type the descriptor's media type
 * @return a limg_compression; LIMG_COMPRESSION_UNKNOWN for NULL or other types
 * @since 1.0
 */
LIMG_EXTERN(int) limg_compression_from_media_type(const char *media_type);

/**
 * The compression the first bytes of a stream show (gzip and zstd magic
 * numbers); LIMG_COMPRESSION_NONE for anything else. For archives, whose
 * layer files carry no media type.
 * @param head the first bytes
 * @param len how many (4 are enough)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_compression_detect(const void *head, size_t len);

/** A streaming decompressor. @since 1.0 */
typedef struct limg_decompressor limg_decompressor;

/**
 * Creates a decompressor.
 * @param out receives it; free with limg_decompressor_free()
 * @param compression a limg_compression (NONE passes bytes through)
 * @param max_output bytes the stream may produce at most; 0 for LIMG_LAYER_SIZE_MAX_DEFAULT
 * @return 0, LIMG_EUNSUPPORTED (LIMG_COMPRESSION_UNKNOWN, or not built in), LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_decompressor_new(limg_decompressor **out, int compression, int64_t max_output);

/**
 * Feeds compressed bytes; what they decompress to goes to @p write.
 * @param d the decompressor
 * @param data compressed bytes
 * @param len how many
 * @param write receives the decompressed bytes
 * @param payload passed to @p write
 * @return 0, LIMG_ECORRUPT (not a valid stream), LIMG_ETOOBIG (past
 *         max_output), or what @p write returned to stop (errors.h)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_decompressor_update(limg_decompressor *d, const void *data, size_t len, limg_write_cb write,
                                          void *payload);

/**
 * Checks that the stream ended where it should (the last member or frame
 * complete). @return 0 or LIMG_ECORRUPT. @since 1.0
 */
LIMG_EXTERN(int) limg_decompressor_finish(limg_decompressor *d);

/** Bytes produced so far. @since 1.0 */
LIMG_EXTERN(int64_t) limg_decompressor_bytes_out(const limg_decompressor *d);

/** Frees a decompressor; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_decompressor_free(limg_decompressor *d);

LIMG_END_DECL

#endif /* LIBIMAGE_COMPRESS_H */
