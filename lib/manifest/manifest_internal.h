/* SPDX-License-Identifier: MIT */
/* The inside of manifests and descriptors, for the layers above. */
#ifndef LIMG_MANIFEST_INTERNAL_H
#define LIMG_MANIFEST_INTERNAL_H

#include <stdbool.h>

#include "core/json.h"
#include "libimage/manifest.h"

/* Strings point into the owning manifest's parsed document. */
struct limg_descriptor {
	const char *media_type;
	const char *digest;
	int64_t size;
	const char *artifact_type;
	const char *os, *architecture, *variant, *os_version;
	const cJSON *annotations;
	const cJSON *urls;
	size_t url_count;
};

struct limg_manifest {
	cJSON *doc;
	int kind;
	char *media_type;
	const char *artifact_type;
	const cJSON *annotations;
	limg_descriptor config;
	limg_descriptor subject;
	bool has_subject;
	limg_descriptor *items; /* layers or index entries */
	size_t count;
};

/* Fills @d from a JSON descriptor; raises LIMG_EMANIFEST naming @where. */
int limg__descriptor_read(limg_descriptor *d, const cJSON *json, const char *where);

#endif
