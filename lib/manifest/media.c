/* SPDX-License-Identifier: MIT */
/* Media-type facts shared by the layers that read manifests: one place for
 * what each type means (the strings are manifest.h's). */
#include <string.h>

#include "libimage/manifest.h"
#include "media.h"

#define STARTS(t, prefix) (!strncmp(t, prefix, sizeof prefix - 1))

bool limg__media_is_manifest(const char *t)
{
	return t && (!strcmp(t, LIMG_MEDIA_OCI_MANIFEST) || !strcmp(t, LIMG_MEDIA_OCI_INDEX) ||
	             !strcmp(t, LIMG_MEDIA_DOCKER_MANIFEST) || !strcmp(t, LIMG_MEDIA_DOCKER_LIST));
}

bool limg__media_is_index(const char *t)
{
	return t && (!strcmp(t, LIMG_MEDIA_OCI_INDEX) || !strcmp(t, LIMG_MEDIA_DOCKER_LIST));
}

bool limg__media_is_schema1(const char *t)
{
	return t && STARTS(t, "application/vnd.docker.distribution.manifest.v1+");
}

bool limg__media_is_foreign(const char *t)
{
	return t && (!strcmp(t, LIMG_MEDIA_DOCKER_FOREIGN_LAYER) ||
	             STARTS(t, "application/vnd.oci.image.layer.nondistributable."));
}

bool limg__media_is_config(const char *t)
{
	return t && (!strcmp(t, LIMG_MEDIA_OCI_CONFIG) || !strcmp(t, LIMG_MEDIA_DOCKER_CONFIG));
}

bool limg__media_is_layer(const char *t)
{
	return t && (STARTS(t, "application/vnd.oci.image.layer.") || STARTS(t, "application/vnd.docker.image.rootfs."));
}

const char *limg__manifest_artifact(const limg_manifest *m)
{
	const char *t;

	if (!m || limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE)
		return NULL;
	if ((t = limg_manifest_artifact_type(m)))
		return t;
	if (!limg__media_is_config(t = limg_descriptor_media_type(limg_manifest_config(m))))
		return t;
	for (size_t i = 0; i < limg_manifest_count(m); i++)
		if (!limg__media_is_layer(t = limg_descriptor_media_type(limg_manifest_entry(m, i))))
			return t;
	return NULL;
}

const char *limg__media_bare_type(char *buf, size_t cap, const char *content_type)
{
	size_t n = content_type ? strcspn(content_type, ";") : 0;

	while (n && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, content_type ? content_type : "", n);
	buf[n] = '\0';
	return buf;
}
