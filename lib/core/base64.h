/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648): the standard alphabet, padded (credentials, Go's
 * []byte in JSON); and, for signatures, either alphabet. */
#ifndef LIMG_CORE_BASE64_H
#define LIMG_CORE_BASE64_H

#include "libimage/common.h"

int limg__base64_encode(limg_buf *out, const void *data, size_t len);
/* LIMG_EINVALID (not raised) on malformed input. */
int limg__base64_decode(limg_buf *out, const char *text, size_t len);
/* The standard or the URL-safe alphabet (not mixed), padding optional but
 * correct when present: what DSSE asks verifiers to accept. LIMG_EINVALID
 * (not raised) on malformed input. */
int limg__base64_decode_any(limg_buf *out, const char *text, size_t len);

#endif
