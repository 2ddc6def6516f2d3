/* SPDX-License-Identifier: MIT */
/* Ordering references from most to least specific (distribution/reference sort.go). */
#include <string.h>

#include "reference_internal.h"

static int rank(const limg_reference *r)
{
	if (!r->name)
		return 5;
	if (r->tag)
		return r->digest ? 1 : 2;
	return r->digest ? 3 : 4;
}

int limg_reference_compare(const limg_reference *a, const limg_reference *b)
{
	int ra, rb;

	if (!a || !b)
		return (a != NULL) - (b != NULL);
	ra = rank(a);
	rb = rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->full, b->full);
}
