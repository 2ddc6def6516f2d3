/* SPDX-License-Identifier: MIT */
/**
 * @file platform.h
 * @brief Platforms ("linux/amd64", "linux/arm64/v8", "windows(10.0.20348)/amd64").
 */
#ifndef LIBIMAGE_PLATFORM_H
#define LIBIMAGE_PLATFORM_H

#include "common.h"

LIMG_BEGIN_DECL

/** This machine's platform ("linux/amd64", "linux/arm64/v8", ...); static. @since 1.0 */
LIMG_EXTERN(const char *) limg_platform_native(void);

/**
 * Normalizes a platform as containerd does: lowercase, "aarch64" is arm64,
 * "x86_64" amd64, arm64 without variant "v8", arm without variant "v7".
 * @param out receives "os[(os.version)]/arch[/variant]"; release with limg_buf_dispose()
 * @param platform the text
 * @return 0, LIMG_EINVALID (malformed), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_platform_normalize(limg_buf *out, const char *platform);

LIMG_END_DECL

#endif /* LIBIMAGE_PLATFORM_H */
