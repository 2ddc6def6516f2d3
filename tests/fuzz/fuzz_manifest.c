/* SPDX-License-Identifier: MIT */
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
	limg_config *c;

	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		if (limg_manifest_parse(&m, data, size, types[t]) != 0) {
			assert(m == NULL);
			continue;
		}
		for (size_t i = 0; i < limg_manifest_count(m); i++) {
			const limg_descriptor *d = limg_manifest_entry(m, i);
			assert(limg_digest_validate(limg_descriptor_digest(d)) == 0);
			for (size_t u = 0; u < limg_descriptor_url_count(d); u++)
				assert(limg_descriptor_url(d, u));
			assert(!limg_descriptor_url(d, limg_descriptor_url_count(d)));
			(void)limg_descriptor_artifact_type(d);
		}
		assert(!limg_manifest_entry(m, limg_manifest_count(m)));
		if (limg_manifest_subject(m))
			assert(limg_digest_validate(limg_descriptor_digest(limg_manifest_subject(m))) == 0);
		(void)limg_manifest_artifact_type(m);
		(void)limg_manifest_annotation(m, "org.opencontainers.image.created");
		if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX) {
			const limg_descriptor *d;
			limg_manifest_select(&d, m, "linux/arm/v7");
			limg_manifest_select(&d, m, "windows(10.0.17763.1)/amd64");
		} else {
			assert(limg_digest_validate(limg_descriptor_digest(limg_manifest_config(m))) == 0);
		}
		limg_manifest_free(m);
	}
	if (limg_config_parse(&c, data, size) == 0) {
		for (size_t i = 0; i < limg_config_diff_id_count(c); i++)
			assert(limg_digest_validate(limg_config_diff_id(c, i)) == 0);
		/* every accessor answers within its count and NULL past it */
		for (size_t i = 0; i < limg_config_env_count(c); i++)
			assert(limg_config_env(c, i));
		assert(!limg_config_env(c, limg_config_env_count(c)));
		for (size_t i = 0; i < limg_config_cmd_count(c); i++)
			assert(limg_config_cmd(c, i));
		assert(!limg_config_cmd(c, limg_config_cmd_count(c)));
		for (size_t i = 0; i < limg_config_entrypoint_count(c); i++)
			assert(limg_config_entrypoint(c, i));
		assert(!limg_config_entrypoint(c, limg_config_entrypoint_count(c)));
		for (size_t i = 0; i < limg_config_label_count(c); i++) {
			const char *key = limg_config_label_key(c, i);
			assert(key && limg_config_label(c, key));
		}
		assert(!limg_config_label_key(c, limg_config_label_count(c)));
		for (size_t i = 0; i < limg_config_exposed_port_count(c); i++)
			assert(limg_config_exposed_port(c, i));
		for (size_t i = 0; i < limg_config_volume_count(c); i++)
			assert(limg_config_volume(c, i));
		for (size_t i = 0; i < limg_config_history_count(c); i++) {
			(void)limg_config_history_created(c, i);
			(void)limg_config_history_created_by(c, i);
			(void)limg_config_history_comment(c, i);
			(void)limg_config_history_author(c, i);
			(void)limg_config_history_empty_layer(c, i);
		}
		assert(limg_config_container_json(c));
		assert(limg_config_architecture(c) && limg_config_os(c));
		(void)limg_config_created_unix(c);
		(void)limg_config_user(c);
		(void)limg_config_working_dir(c);
		(void)limg_config_stop_signal(c);
		(void)limg_config_author(c);
		limg_config_free(c);
	} else {
		assert(c == NULL);
	}
	return 0;
}
