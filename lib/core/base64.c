/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648): the standard alphabet, and the URL-safe one for signatures. */
#include <stdbool.h>
#include <string.h>

#include "base64.h"
#include "core.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int limg__base64_encode(limg_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char quad[4];

	out->size = 0;
	if (limg__buf_grow(out, (len + 2) / 3 * 4 + 1) < 0)
		return LIMG_ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
		quad[0] = alphabet[v >> 18 & 63];
		quad[1] = alphabet[v >> 12 & 63];
		quad[2] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		quad[3] = i + 2 < len ? alphabet[v & 63] : '=';
		limg__buf_put(out, quad, 4);
	}
	if (!len)
		limg__buf_put(out, "", 0);
	return 0;
}

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int decode(limg_buf *out, const char *text, size_t len, const char *set)
{
	unsigned v = 0;
	int bits = 0;
	size_t pad = 0;

	out->size = 0;
	if (limg__buf_grow(out, len / 4 * 3 + 4) < 0)
		return LIMG_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const char *at;
		char c = text[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !c || !(at = strchr(set, c)))
			return LIMG_EINVALID;
		v = v << 6 | (unsigned)(at - set);
		bits += 6;
		if (bits >= 8) {
			char byte = (char)(v >> (bits - 8) & 0xff);
			bits -= 8;
			limg__buf_put(out, &byte, 1);
		}
	}
	if (pad > 2 || (len % 4 && pad) || (len - pad) % 4 == 1)
		return LIMG_EINVALID;
	if (!out->size)
		limg__buf_put(out, "", 0);
	return 0;
}

int limg__base64_decode(limg_buf *out, const char *text, size_t len)
{
	return decode(out, text, len, alphabet);
}

int limg__base64_decode_any(limg_buf *out, const char *text, size_t len)
{
	/* one alphabet per text: "+" or "/" says standard, "-" or "_" URL-safe */
	bool url = memchr(text, '-', len) || memchr(text, '_', len);
	return decode(out, text, len, url ? url_alphabet : alphabet);
}
