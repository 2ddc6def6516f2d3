/* SPDX-License-Identifier: MIT */
/**
 * @file bounds.h
 * @brief Every size limit in one place: what the library refuses to
 *        read, and the defaults of the limits a caller may change.
 */
#ifndef LIBIMAGE_BOUNDS_H
#define LIBIMAGE_BOUNDS_H

#include <stdint.h>

/** Largest manifest, index or image config accepted (4 MiB). @since 1.0 */
#define LIMG_MANIFEST_SIZE_MAX (4 * 1024 * 1024)

/** Default ceiling on one blob (64 GiB): larger ones are refused before
 * any byte is fetched or stored (`max_blob_size`). @since 1.0 */
#define LIMG_BLOB_SIZE_MAX_DEFAULT ((int64_t)64 << 30)

/** Default ceiling on the uncompressed size of one layer (64 GiB): where
 * decompression stops with LIMG_ETOOBIG (gzip bombs, `max_layer_size`). @since 1.0 */
#define LIMG_LAYER_SIZE_MAX_DEFAULT ((int64_t)64 << 30)

/** Default ceiling on the entries of one layer (`max_entries`). @since 1.0 */
#define LIMG_LAYER_ENTRIES_MAX_DEFAULT ((int64_t)1000000)

/** Bytes of a registry's error answer read before the connection is dropped (64 KiB). @since 1.0 */
#define LIMG_ERROR_BODY_MAX (64 * 1024)

/** Bytes of response headers accepted from a registry (256 KiB). @since 1.0 */
#define LIMG_HEADERS_SIZE_MAX (256 * 1024)

#endif /* LIBIMAGE_BOUNDS_H */
