/* SPDX-License-Identifier: MIT */
/* Built against an installed libimage by tests/checks/consumer.sh. */
#include <stdio.h>

#include <libimage/libimage.h>

int main(void)
{
	limg_reference *ref;

	if (limg_reference_parse_docker(&ref, "redis") < 0) {
		fprintf(stderr, "%s\n", limg_error_message(limg_error_last()));
		return 1;
	}
	printf("%s\n", limg_reference_string(ref));
	limg_reference_free(ref);
	return 0;
}
