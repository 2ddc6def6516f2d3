/* Image configs: what `docker images` and `docker inspect` show, and the diff_ids pull verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "manifest_internal.h"

struct limg_image_config {
	cJSON *doc;
	const char *created, *architecture, *os, *variant, *os_version;
	int64_t created_unix;
	const char **diff_ids;
	size_t diff_id_count, history_count;
	const cJSON *labels;
	char *settings_json;
};

static const char *str_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse(limg_image_config *c, const void *data, size_t len)
{
	const cJSON *diff_ids, *d, *history, *settings;
	char why[200];
	size_t i = 0;

	/* one document for every reader: no duplicate keys, no \u0000, valid UTF-8 */
	if (limg__json_check(data, len, why, sizeof why) < 0)
		return limg__error_set(LIMG_EMANIFEST, "invalid image config: not valid, unambiguous JSON (%s)", why);
	c->doc = cJSON_ParseWithLength(data, len);
	if (!cJSON_IsObject(c->doc))
		return limg__error_set(LIMG_EMANIFEST, "invalid image config: not a JSON object");
	c->created = str_field(c->doc, "created");
	c->created_unix = limg__parse_rfc3339(c->created);
	c->architecture = str_field(c->doc, "architecture");
	c->os = str_field(c->doc, "os");
	c->variant = str_field(c->doc, "variant");
	c->os_version = str_field(c->doc, "os.version");
	diff_ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->doc, "rootfs"), "diff_ids");
	if (diff_ids && !cJSON_IsArray(diff_ids))
		return limg__error_set(LIMG_EMANIFEST, "invalid image config: rootfs.diff_ids is not a list");
	c->diff_id_count = (size_t)cJSON_GetArraySize(diff_ids);
	if (c->diff_id_count && !(c->diff_ids = calloc(c->diff_id_count, sizeof *c->diff_ids)))
		return limg__error_oom();
	cJSON_ArrayForEach(d, diff_ids) {
		if (!cJSON_IsString(d) || limg__digest_check(d->valuestring, strlen(d->valuestring), NULL) != 0)
			return limg__error_set(LIMG_EMANIFEST, "invalid image config: rootfs.diff_ids[%zu] is not a digest", i);
		c->diff_ids[i++] = d->valuestring;
	}
	history = cJSON_GetObjectItemCaseSensitive(c->doc, "history");
	c->history_count = cJSON_IsArray(history) ? (size_t)cJSON_GetArraySize(history) : 0;
	settings = cJSON_GetObjectItemCaseSensitive(c->doc, "config");
	c->labels = cJSON_GetObjectItemCaseSensitive(settings, "Labels");
	c->settings_json = cJSON_IsObject(settings) ? cJSON_PrintUnformatted(settings) : strdup("{}");
	if (!c->settings_json)
		return limg__error_oom();
	return 0;
}

int limg_image_config_parse(limg_image_config **out, const void *data, size_t len)
{
	limg_image_config *c;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!data && len)
		return limg__error_invalid("data");
	if (len > LIMG_MANIFEST_SIZE_MAX)
		return limg__error_set(LIMG_ETOOBIG, "image config of %zu bytes is over the %d-byte limit", len,
		                       LIMG_MANIFEST_SIZE_MAX);
	if (!(c = calloc(1, sizeof *c)))
		return limg__error_oom();
	if ((rc = parse(c, data ? data : "", len)) < 0) {
		limg_image_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void limg_image_config_free(limg_image_config *c)
{
	if (!c)
		return;
	cJSON_Delete(c->doc);
	free(c->diff_ids);
	free(c->settings_json);
	free(c);
}

const char *limg_image_config_created(const limg_image_config *c)
{
	return c ? c->created : NULL;
}

int64_t limg_image_config_created_unix(const limg_image_config *c)
{
	return c ? c->created_unix : -1;
}

const char *limg_image_config_architecture(const limg_image_config *c)
{
	return c && c->architecture ? c->architecture : "";
}

const char *limg_image_config_os(const limg_image_config *c)
{
	return c && c->os ? c->os : "";
}

const char *limg_image_config_variant(const limg_image_config *c)
{
	return c ? c->variant : NULL;
}

const char *limg_image_config_os_version(const limg_image_config *c)
{
	return c ? c->os_version : NULL;
}

size_t limg_image_config_diff_id_count(const limg_image_config *c)
{
	return c ? c->diff_id_count : 0;
}

const char *limg_image_config_diff_id(const limg_image_config *c, size_t i)
{
	return c && i < c->diff_id_count ? c->diff_ids[i] : NULL;
}

size_t limg_image_config_history_count(const limg_image_config *c)
{
	return c ? c->history_count : 0;
}

const char *limg_image_config_label(const limg_image_config *c, const char *key)
{
	const cJSON *v;

	if (!c || !key)
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(c->labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *limg_image_config_settings_json(const limg_image_config *c)
{
	return c ? c->settings_json : NULL;
}
