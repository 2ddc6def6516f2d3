/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a registry's Link and Content-Range
 * headers. A Link gives a next target that was written inside <...>, or
 * none; a Content-Range gives FIRST <= LAST < TOTAL, or is refused.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/core.h"
#include "registry/registry_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *next;
	int64_t first, last, total;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((next = limg__link_next(text))) {
		assert(!strchr(next, '>'));
		assert(strstr(text, next));
		limg__free(next); /* the library's memory: its allocator's */
	}
	if (limg__content_range_parse(text, &first, &last, &total) == 0)
		assert(first >= 0 && first <= last && (total < 0 || last < total));
	free(text);
	limg_error_clear();
	return 0;
}
