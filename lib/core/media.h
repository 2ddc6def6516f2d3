/* Media-type facts shared by the store (reachability) and the manifest layer. */
#ifndef LIMG_CORE_MEDIA_H
#define LIMG_CORE_MEDIA_H

#include <stdbool.h>

/* Manifests and indexes, OCI and Docker: blobs that list further blobs. */
bool limg__media_is_manifest(const char *media_type);
/* Layers registries need not serve (Docker foreign, OCI non-distributable). */
bool limg__media_is_foreign(const char *media_type);

#endif
