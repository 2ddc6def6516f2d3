/* SPDX-License-Identifier: MIT */
/**
 * @file version.h
 * @brief Version of the headers, and of the library actually loaded.
 *
 * From 1.0 on, a release with the same major version only adds: new
 * functions, new fields at the end of options and callbacks structs, new
 * enum values and error codes. The SONAME is libimage.so.LIBIMAGE_SOVERSION.
 */
#ifndef LIBIMAGE_VERSION_H
#define LIBIMAGE_VERSION_H

#include "common.h"

/** Version of these headers. @since 1.0 */
#define LIBIMAGE_VERSION "1.0.0"
/** Major version: changes only on an incompatible release. @since 1.0 */
#define LIBIMAGE_VERSION_MAJOR 1
/** Minor version: a release that adds. @since 1.0 */
#define LIBIMAGE_VERSION_MINOR 0
/** Patch level: fixes only. @since 1.0 */
#define LIBIMAGE_VERSION_PATCH 0
/** 0xMMmmpp, for compile-time comparisons. @since 1.0 */
#define LIBIMAGE_VERSION_NUMBER 0x010000
/** The shared library's ABI version (libimage.so.1). @since 1.0 */
#define LIBIMAGE_SOVERSION 1

/**
 * True when these headers are at least version @p major.@p minor.@p patch:
 * `#if LIBIMAGE_VERSION_CHECK(1, 1, 0)`.
 * @since 1.0
 */
#define LIBIMAGE_VERSION_CHECK(major, minor, patch) \
	(LIBIMAGE_VERSION_NUMBER >= (((major) << 16) | ((minor) << 8) | (patch)))

LIMG_BEGIN_DECL

/**
 * Version of the library that is loaded, which may be newer than the headers.
 *
 * @return a static string such as "1.0.0"; never NULL.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_version(void);

/**
 * Version of the loaded library as numbers.
 *
 * @param out_major receives the major version; may be NULL.
 * @param out_minor receives the minor version; may be NULL.
 * @param out_patch receives the patch level; may be NULL.
 * @return LIBIMAGE_VERSION_NUMBER of the loaded library.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_version_number(int *out_major, int *out_minor, int *out_patch);

LIMG_END_DECL

#endif /* LIBIMAGE_VERSION_H */
