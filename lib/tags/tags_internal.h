/* Tag-index helpers shared by the tags files and the images layer. */
#ifndef LIMG_TAGS_INTERNAL_H
#define LIMG_TAGS_INTERNAL_H

#include <cjson/cJSON.h>

#include "libimage/tags.h"

#define LIMG_REF_NAME_KEY "org.opencontainers.image.ref.name"
/* Annotations under this prefix are libimage's listing cache: they follow an
 * image when its tags move, and are rebuilt from the blobs when missing. */
#define LIMG_CACHE_PREFIX "io.libimage."

const char *limg__entry_ref(const cJSON *entry);
const char *limg__entry_digest(const cJSON *entry);

/* Sets annotations (@n key/value pairs) on every index.json entry of
 * @digest, under the index lock. */
int limg__tags_annotate(limg_store *store, const char *digest, const char *const *keys, const char *const *values,
                        size_t n);

#endif
