/*
 * The descriptors one manifest or index document points at. Generic over
 * OCI and Docker media types: "manifests" (index entries), "config",
 * "layers" and "blobs" (artifact manifests) all hold descriptors.
 */
#include <string.h>

#include "core/core.h"
#include "store_internal.h"

static int visit(const cJSON *d, const char *list, limg__child_cb cb, void *payload)
{
	const cJSON *digest = cJSON_GetObjectItemCaseSensitive(d, "digest");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "mediaType");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");

	if (!cJSON_IsString(digest))
		return 0;
	return cb(digest->valuestring, cJSON_IsString(type) ? type->valuestring : NULL,
	          cJSON_IsNumber(size) ? (int64_t)size->valuedouble : -1, list, payload);
}

int limg__walk_children(const char *json, size_t len, limg__child_cb cb, void *payload)
{
	static const char *const lists[] = { "manifests", "layers", "blobs" };
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const cJSON *d;
	int rc = 0;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return LIMG_ECORRUPT;
	}
	rc = visit(cJSON_GetObjectItemCaseSensitive(doc, "config"), "config", cb, payload);
	for (size_t i = 0; rc == 0 && i < sizeof lists / sizeof lists[0]; i++)
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(doc, lists[i]))
			if ((rc = visit(d, lists[i], cb, payload)) != 0)
				break;
	cJSON_Delete(doc);
	return rc;
}
