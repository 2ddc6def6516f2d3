/* SPDX-License-Identifier: MIT */
/* Growable arrays: one place that doubles a capacity and checks the sizes. */
#include <stdint.h>
#include <stdlib.h>

#include "core.h"

int limg__array_grow(void **array, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *grown;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return limg__error_oom();
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return limg__error_oom();
	if (!(grown = limg__realloc(*array, n * elem)))
		return limg__error_oom();
	*array = grown;
	*cap = n;
	return 0;
}
