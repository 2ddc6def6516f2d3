/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a skopeo sync YAML list. The reader
 * accepts or refuses (with the file and line); what it accepts makes a
 * list whose repositories and tags are valid names.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "sync/list.h"
#include "sync/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	limg__yaml *y = NULL;
	limg_sync_list *l = NULL;

	if (limg__yaml_parse(&y, (const char *)data, size, "fuzz.yaml") == 0)
		limg__yaml_free(y);
	else
		assert(strstr(limg_error_message(limg_error_last()), "fuzz.yaml"));
	if (limg_sync_list_parse(&l, (const char *)data, size, "fuzz.yaml") == 0) {
		for (size_t i = 0; i < l->n; i++) {
			assert(l->src[i].domain && l->src[i].path);
			for (size_t k = 0; k < l->src[i].ntags; k++)
				assert(!strpbrk(l->src[i].tags[k], " \t\r\n/"));
		}
		limg_sync_list_free(l);
	}
	limg_error_clear();
	return 0;
}
