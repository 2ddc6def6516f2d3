/*
 * libimage: decompressing layers, as pulls, unpacking and archives do.
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

#include "common.h"

LIMG_BEGIN_DECL

/** How a layer is compressed. Values are ABI. @since 0.2 */
typedef enum limg_compression {
	LIMG_COMPRESSION_UNKNOWN = -1, /**< a media type this library cannot unpack */
	LIMG_COMPRESSION_NONE = 0,     /**< a plain tar */
	LIMG_COMPRESSION_GZIP = 1,
	LIMG_COMPRESSION_ZSTD = 2
} limg_compression;

/**
 * The compression a layer's media type names (OCI and Docker types:
 * "...tar", "...tar+gzip", "...tar.gzip", "...tar+zstd", foreign and
 * non-distributable variants).
 * @return a limg_compression; LIMG_COMPRESSION_UNKNOWN for NULL or other types
 * @since 0.2
 */
LIMG_EXTERN(int) limg_compression_of(const char *media_type);

/**
 * The compression the first bytes of a stream show (gzip and zstd magic
 * numbers); LIMG_COMPRESSION_NONE for anything else. For archives, whose
 * layer files carry no media type.
 * @since 0.2
 */
LIMG_EXTERN(int) limg_compression_detect(const void *head, size_t len);

/** A streaming decompressor. @since 0.2 */
typedef struct limg_decompressor limg_decompressor;

/**
 * Receives decompressed bytes.
 * @return 0 to go on; non-zero stops, and is returned by the call that fed it
 * @since 0.2
 */
typedef int (*limg_data_cb)(const void *data, size_t len, void *payload);

/**
 * Creates a decompressor.
 * @param out receives it; free with limg_decompressor_free()
 * @param compression a limg_compression (NONE passes bytes through)
 * @param max_output bytes the stream may produce at most; 0 for LIMG_LAYER_SIZE_MAX_DEFAULT
 * @return 0, LIMG_EUNSUPPORTED (LIMG_COMPRESSION_UNKNOWN, or not built in), LIMG_ENOMEM
 * @since 0.2
 */
LIMG_EXTERN(int) limg_decompressor_new(limg_decompressor **out, int compression, int64_t max_output);

/**
 * Feeds compressed bytes; what they decompress to goes to @p cb.
 * @return 0, LIMG_ECORRUPT (not a valid stream), LIMG_ETOOBIG (past
 *         max_output), or @p cb's non-zero value
 * @since 0.2
 */
LIMG_EXTERN(int) limg_decompressor_update(limg_decompressor *d, const void *data, size_t len, limg_data_cb cb,
                                          void *payload);

/**
 * Checks that the stream ended where it should (the last member or frame
 * complete). @return 0 or LIMG_ECORRUPT. @since 0.2
 */
LIMG_EXTERN(int) limg_decompressor_finish(limg_decompressor *d);

/** Bytes produced so far. @since 0.2 */
LIMG_EXTERN(int64_t) limg_decompressor_total_out(const limg_decompressor *d);

/** Frees a decompressor; NULL is accepted. @since 0.2 */
LIMG_EXTERN(void) limg_decompressor_free(limg_decompressor *d);

LIMG_END_DECL

#endif /* LIBIMAGE_COMPRESS_H */
