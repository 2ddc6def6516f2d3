/* What `docker images` shows about one image, from the cache or from its blobs. */
#ifndef LIMG_IMAGES_FACTS_H
#define LIMG_IMAGES_FACTS_H

#include <stdint.h>

#include "libimage/store.h"
#include "libimage/tags.h"

typedef struct {
	char id[160];      /* config digest, "" when unknown */
	char created[64];  /* RFC 3339 as in the config, "" when unknown */
	int64_t size;      /* uncompressed, -1 when unknown */
} limg__facts;

/* Facts of the entry @t: its cached annotations, completed from the blobs
 * (and the cache then updated) when @compute allows. Never fails: what
 * cannot be known stays unknown. */
void limg__image_facts(limg_store *store, const limg_tag *t, const char *platform, limg__facts *out);

#endif
