/*
 * libimage: shared declarations used by every public header.
 *
 * Everything here is part of the stable ABI: the export macro, the C++
 * guards and the two plain-data types that cross the API (limg_buf).
 */
#ifndef LIBIMAGE_COMMON_H
#define LIBIMAGE_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
# define LIMG_BEGIN_DECL extern "C" {
# define LIMG_END_DECL }
#else
# define LIMG_BEGIN_DECL
# define LIMG_END_DECL
#endif

/** Marks a function as part of the public ABI (exported; everything else is hidden). */
#if defined(_WIN32)
# if defined(LIMG_BUILDING_SHARED)
#  define LIMG_EXTERN(type) extern __declspec(dllexport) type
# else
#  define LIMG_EXTERN(type) extern type
# endif
#elif defined(__GNUC__)
# define LIMG_EXTERN(type) extern __attribute__((visibility("default"))) type
#else
# define LIMG_EXTERN(type) extern type
#endif

LIMG_BEGIN_DECL

/**
 * A byte buffer the library fills and the caller releases.
 *
 * `ptr` is NUL-terminated when the library fills it with text; `size` does
 * not count that NUL. Release with limg_buf_dispose(); a buffer set to
 * LIMG_BUF_INIT needs no release.
 *
 * @since 0.1
 */
typedef struct limg_buf {
	char *ptr;       /**< the bytes, or NULL when empty */
	size_t size;     /**< number of bytes in use */
	size_t reserved; /**< bytes allocated; 0 when the buffer owns nothing */
} limg_buf;

/** Static initializer for an empty limg_buf. @since 0.1 */
#define LIMG_BUF_INIT { NULL, 0, 0 }

/**
 * Frees what a limg_buf owns and resets it to empty.
 *
 * @param buf the buffer; NULL is accepted and ignored.
 * @since 0.1
 */
LIMG_EXTERN(void) limg_buf_dispose(limg_buf *buf);

/**
 * Replaces a buffer's contents with a copy of @p len bytes (NUL-terminated),
 * for callbacks that hand data back to the library.
 *
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_buf_set(limg_buf *buf, const void *data, size_t len);

LIMG_END_DECL

#endif /* LIBIMAGE_COMMON_H */
