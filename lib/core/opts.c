/* SPDX-License-Identifier: MIT */
/* Size-carrying options structs: checking, defaults, copying (libbpf style). */
#include <string.h>

#include "core.h"

int limg__opts_check(const void *opts, size_t known_size, const char *name)
{
	size_t size;

	memcpy(&size, opts, sizeof size);
	if (size < sizeof(size_t))
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, name,
		                             "%s: size field not set (use the _INIT macro)", name);
	for (size_t i = known_size; i < size; i++)
		if (((const unsigned char *)opts)[i] != 0)
			return limg__error_set_about(LIMG_EVERSION, LIMG_SUBJECT_OPTIONS, name,
			                             "%s: sets a field this version of libimage does not know", name);
	return 0;
}

int limg__opts_init(void *opts, size_t size, const void *defaults, size_t known_size)
{
	if (!opts || size < sizeof(size_t))
		return limg__error_invalid("opts");
	memset(opts, 0, size);
	memcpy(opts, defaults, size < known_size ? size : known_size);
	memcpy(opts, &size, sizeof size);
	return 0;
}

int limg__opts_copy(void *dst, size_t known_size, const void *src, const char *name)
{
	size_t size;
	int rc;

	if (!src)
		return 0;
	if ((rc = limg__opts_check(src, known_size, name)) < 0)
		return rc;
	memcpy(&size, src, sizeof size);
	memcpy(dst, src, size < known_size ? size : known_size);
	memcpy(dst, &known_size, sizeof known_size);
	return 0;
}
