/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the WWW-Authenticate parser on arbitrary bytes.
 * Every parsed challenge has a lowercase scheme and bounded values.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/challenge.h"
#include "libimage/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg__challenge c[LIMG_CHALLENGES_MAX];
	char *text = malloc(size + 1);
	size_t n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (limg__challenges_parse(c, &n, text) == 0) {
		assert(n >= 1 && n <= LIMG_CHALLENGES_MAX);
		for (size_t i = 0; i < n; i++) {
			for (const char *p = c[i].scheme; *p; p++)
				assert(!(*p >= 'A' && *p <= 'Z'));
			assert(!c[i].realm || strlen(c[i].realm) <= 4096);
		}
		limg__challenges_free(c, n);
	} else {
		assert(n == 0);
		assert(limg_error_code(limg_error_last()) == LIMG_EPROTOCOL ||
		       limg_error_code(limg_error_last()) == LIMG_ENOMEM);
	}
	free(text);
	return 0;
}
