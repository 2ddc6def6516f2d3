/* Media-type facts shared by the store and the manifest layer. */
#include <string.h>

#include "media.h"

bool limg__media_is_manifest(const char *t)
{
	return t && (!strcmp(t, "application/vnd.oci.image.manifest.v1+json") ||
	             !strcmp(t, "application/vnd.oci.image.index.v1+json") ||
	             !strcmp(t, "application/vnd.docker.distribution.manifest.v2+json") ||
	             !strcmp(t, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

bool limg__media_is_foreign(const char *t)
{
	return t && (!strcmp(t, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") ||
	             !strncmp(t, "application/vnd.oci.image.layer.nondistributable.", 49));
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
