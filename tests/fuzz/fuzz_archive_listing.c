/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as an archive's manifest.json and
 * index.json (split at the first NUL; the first byte says which of them
 * the archive has). The reader accepts or refuses; what it accepts is
 * plain strings (digests valid), and what it refuses leaves nothing.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "archive/listing.h"
#include "core/core.h"
#include "digest/digest_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1, *nul;
	size_t len, first;
	limg__listing l;

	if (!size)
		return 0;
	len = size - 1;
	nul = memchr(text, 0, len);
	first = nul ? (size_t)(nul - text) : len;
	if (limg__listing_parse(&l, data[0] & 1 ? text : NULL, first, data[0] & 2 ? (nul ? nul + 1 : "") : NULL,
	                        nul ? len - first - 1 : 0) == 0) {
		for (size_t i = 0; i < l.ndocker; i++) {
			assert(l.docker[i].config);
			for (size_t j = 0; j < l.docker[i].nlayers; j++)
				assert(l.docker[i].layers[j]);
		}
		for (size_t i = 0; i < l.noci; i++)
			assert(limg__digest_check(l.oci[i].digest, strlen(l.oci[i].digest), NULL) == 0);
		limg__listing_dispose(&l);
	} else {
		assert(!l.docker && !l.oci && !l.ndocker && !l.noci);
		assert(limg_error_code(limg_error_last()) < 0);
	}
	limg_error_clear();
	return 0;
}
