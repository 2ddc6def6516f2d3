/*
 * libimage: version of the headers and of the library actually loaded.
 */
#ifndef LIBIMAGE_VERSION_H
#define LIBIMAGE_VERSION_H

#include "common.h"

/** Version of these headers. @since 0.1 */
#define LIBIMAGE_VERSION "0.2.0"
#define LIBIMAGE_VERSION_MAJOR 0
#define LIBIMAGE_VERSION_MINOR 2
#define LIBIMAGE_VERSION_PATCH 0
/** 0xMMmmpp, for compile-time comparisons. @since 0.1 */
#define LIBIMAGE_VERSION_NUMBER 0x000200

LIMG_BEGIN_DECL

/**
 * Version of the library that is loaded, which may differ from the headers.
 *
 * @return a static string such as "0.1.0"; never NULL.
 * @since 0.1
 */
LIMG_EXTERN(const char *) limg_version(void);

/**
 * Version of the loaded library as numbers.
 *
 * @param major receives the major version; may be NULL.
 * @param minor receives the minor version; may be NULL.
 * @param patch receives the patch level; may be NULL.
 * @return LIBIMAGE_VERSION_NUMBER of the loaded library.
 * @since 0.1
 */
LIMG_EXTERN(int) limg_version_number(int *major, int *minor, int *patch);

LIMG_END_DECL

#endif /* LIBIMAGE_VERSION_H */
