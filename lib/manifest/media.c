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
