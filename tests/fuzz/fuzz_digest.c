/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: digest validation and parsing on arbitrary bytes.
 * A string that validates must parse, round-trip, and contain nothing
 * but [a-z0-9:] (so it is safe as a file name).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libimage/libimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	limg_digest *d = NULL;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = limg_digest_validate(text);
	assert(rc == 0 || rc == LIMG_EDIGEST_FORMAT || rc == LIMG_EDIGEST_LENGTH || rc == LIMG_EDIGEST_UNSUPPORTED);
	assert(limg_digest_parse(&d, text) == rc);
	if (rc == 0) {
		assert(!strcmp(limg_digest_string(d), text));
		assert(strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789:") == strlen(text));
		assert(limg_digest_verify(text, data, size) == 0 || limg_error_code(limg_error_last()) == LIMG_EDIGEST_MISMATCH);
		limg_digest_free(d);
	}
	free(text);
	return 0;
}
