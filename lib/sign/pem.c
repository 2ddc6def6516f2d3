/* SPDX-License-Identifier: MIT */
/* PEM armour, read for the key formats mbedTLS does not know (cosign's
 * encrypted keys) and to name what it refuses (Ed25519). */
#include <stdio.h>
#include <string.h>

#include "core/base64.h"
#include "core/core.h"
#include "pem.h"

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

bool limg__pem_is(const void *data, size_t len)
{
	const char *p = skip_space(data, (const char *)data + len);
	size_t left = (size_t)((const char *)data + len - p);
	return left >= 11 && !memcmp(p, "-----BEGIN ", 11);
}

int limg__pem_decode(char *label, size_t cap, limg_buf *der, const void *data, size_t len)
{
	const char *end = (const char *)data + len, *p = skip_space(data, end), *l, *le, *body, *stop;
	char footer[160];
	limg_buf b64 = LIMG_BUF_INIT;
	int rc;

	if ((size_t)(end - p) < 11 || memcmp(p, "-----BEGIN ", 11))
		return LIMG_EINVALID;
	l = p + 11;
	if (!(le = memchr(l, '-', (size_t)(end - l))) || (size_t)(le - l) >= cap || end - le < 5 || memcmp(le, "-----", 5))
		return LIMG_EINVALID;
	memcpy(label, l, (size_t)(le - l));
	label[le - l] = '\0';
	body = le + 5;
	snprintf(footer, sizeof footer, "-----END %s-----", label);
	if (!(stop = memmem(body, (size_t)(end - body), footer, strlen(footer))))
		return LIMG_EINVALID;
	/* the body: base64 lines; headers ("Proc-Type: ...") are legacy encryption, which we do not read */
	for (const char *q = body; q < stop; q++) {
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			continue;
		if (*q == ':' || limg__buf_put(&b64, q, 1) < 0) {
			limg_buf_dispose(&b64);
			limg_error_clear();
			return LIMG_EINVALID;
		}
	}
	rc = limg__base64_decode(der, b64.ptr ? b64.ptr : "", b64.size);
	limg_buf_dispose(&b64);
	return rc < 0 ? LIMG_EINVALID : 0;
}
