/* SPDX-License-Identifier: MIT */
/* The version of the library that is loaded. */
#include "libimage/version.h"

const char *limg_version(void)
{
	return LIBIMAGE_VERSION;
}

int limg_version_number(int *major, int *minor, int *patch)
{
	if (major)
		*major = LIBIMAGE_VERSION_MAJOR;
	if (minor)
		*minor = LIBIMAGE_VERSION_MINOR;
	if (patch)
		*patch = LIBIMAGE_VERSION_PATCH;
	return LIBIMAGE_VERSION_NUMBER;
}
