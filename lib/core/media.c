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
