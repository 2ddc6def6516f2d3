/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: every reference parser, and the match pattern parser,
 * on arbitrary bytes. Input: "<reference>\n<pattern>" (pattern optional).
 * Checks invariants on success: the canonical string parses back to itself,
 * and the familiar forms are suffixes of the full forms.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libimage/libimage.h"

typedef int (*parse_fn)(limg_reference **, const char *);

static void check(const limg_reference *r)
{
	const char *full = limg_reference_string(r), *fam = limg_reference_familiar_string(r);
	limg_reference *again = NULL;

	assert(strlen(fam) <= strlen(full) && !strcmp(full + strlen(full) - strlen(fam), fam));
	if (limg_reference_name(r)) {
		assert(limg_reference_parse(&again, full) == 0);
		assert(!strcmp(limg_reference_string(again), full));
		assert(!strcmp(limg_reference_domain(again), limg_reference_domain(r)));
		limg_reference_free(again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const parse_fn parsers[] = {
		limg_reference_parse,        limg_reference_parse_normalized, limg_reference_parse_docker,
		limg_reference_parse_canonical, limg_reference_parse_any,     limg_reference_parse_name,
	};
	char *text = malloc(size + 1);
	char *pattern;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pattern = strchr(text, '\n');
	if (pattern)
		*pattern++ = '\0';
	for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
		limg_reference *r = NULL, *t = NULL;
		int rc = parsers[i](&r, text);
		assert((rc == 0) == (r != NULL));
		assert(rc == 0 || limg_error_code(limg_error_last()) == rc);
		if (!r)
			continue;
		check(r);
		if (limg_reference_with_default_tag(&t, r) == 0) {
			check(t);
			limg_reference_free(t);
		}
		if (pattern) {
			int m;
			rc = limg_reference_familiar_match(&m, r, pattern);
			assert(rc == 0 || rc == LIMG_EPATTERN);
		}
		limg_reference_free(r);
	}
	free(text);
	return 0;
}
