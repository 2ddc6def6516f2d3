/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648, standard alphabet, padded) for credentials. */
#ifndef LIMG_CORE_BASE64_H
#define LIMG_CORE_BASE64_H

#include "libimage/common.h"

int limg__base64_encode(limg_buf *out, const void *data, size_t len);
/* LIMG_EINVALID (not raised) on malformed input. */
int limg__base64_decode(limg_buf *out, const char *text, size_t len);

#endif
