/*
 * libFuzzer target: the manifest, index and image-config parsers on
 * arbitrary bytes, with and without a Content-Type. What parses has
 * validated descriptors; platform choice on an index never crashes.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "libimage/libimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, LIMG_MEDIA_OCI_MANIFEST, LIMG_MEDIA_DOCKER_LIST,
		                             "application/vnd.docker.distribution.manifest.v1+prettyjws" };
	limg_manifest *m;
	limg_image_config *c;

	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		if (limg_manifest_parse(&m, data, size, types[t]) != 0) {
			assert(m == NULL);
			continue;
		}
		for (size_t i = 0; i < limg_manifest_count(m); i++)
			assert(limg_digest_validate(limg_descriptor_digest(limg_manifest_get(m, i))) == 0);
		if (limg_manifest_kind_of(m) == LIMG_MANIFEST_INDEX) {
			const limg_descriptor *d;
			limg_manifest_select(&d, m, "linux/arm/v7");
			limg_manifest_select(&d, m, "windows(10.0.17763.1)/amd64");
		} else {
			assert(limg_digest_validate(limg_descriptor_digest(limg_manifest_config(m))) == 0);
		}
		limg_manifest_free(m);
	}
	if (limg_image_config_parse(&c, data, size) == 0) {
		for (size_t i = 0; i < limg_image_config_diff_id_count(c); i++)
			assert(limg_digest_validate(limg_image_config_diff_id(c, i)) == 0);
		limg_image_config_free(c);
	}
	return 0;
}
