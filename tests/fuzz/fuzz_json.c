/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the strict JSON reader and the index.json model on
 * arbitrary bytes. What the reader accepts cJSON also accepts; an index
 * that parses formats to text that parses again to the same text.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "core/json.h"
#include "manifest/fields.h"
#include "store/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];
	limg__index *ix = NULL, *again = NULL;
	limg_buf text = LIMG_BUF_INIT, text2 = LIMG_BUF_INIT;

	if (limg__json_check((const char *)data, size, NULL, why, sizeof why) == 0) {
		cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
		assert(doc); /* nothing we accept is refused by the parser behind us */
		cJSON_Delete(doc);
	}
	/* with the documents' field names, only more is refused (keys Go folds together) */
	if (limg__json_check((const char *)data, size, &limg__manifest_fields, why, sizeof why) == 0)
		assert(limg__json_check((const char *)data, size, NULL, why, sizeof why) == 0);
	if (limg__index_parse(&ix, (const char *)data, size, "fuzz") == 0) {
		assert(limg__index_format(&text, ix) == 0);
		assert(limg__index_parse(&again, text.ptr, text.size, "fuzz again") == 0);
		assert(limg__index_format(&text2, again) == 0);
		assert(text.size == text2.size && !memcmp(text.ptr, text2.ptr, text.size));
	}
	limg__index_free(ix);
	limg__index_free(again);
	limg_buf_dispose(&text);
	limg_buf_dispose(&text2);
	limg_error_clear();
	return 0;
}
