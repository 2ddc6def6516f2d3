/* SPDX-License-Identifier: MIT */
/* Editing configs as JSON trees (see config.h). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/core.h"

/* The members of an image config in the order of ggcr's ConfigFile (what crane writes). */
static const char *const top_order[] = { "architecture", "author",  "container", "created", "docker_version",
	                                 "history",      "os",      "rootfs",    "config",  "os.version",
	                                 "variant",      "os.features", NULL };
/* The container settings in the order of Docker's container.Config. */
static const char *const settings_order[] = { "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout",
	                                      "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
	                                      "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes",
	                                      "WorkingDir", "Entrypoint", "NetworkDisabled", "MacAddress",
	                                      "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell", NULL };

static int rank(const char *key, const char *const *order)
{
	for (int i = 0; order && order[i]; i++)
		if (!strcmp(order[i], key))
			return i;
	return -1;
}

/* Links @value in as member @key of @obj right before @c (cJSON has no
 * insert-before for objects; its first item's prev is the last item). */
static int insert_before(cJSON *obj, cJSON *c, const char *key, cJSON *value)
{
	size_t len = strlen(key) + 1;

	/* cJSON's own memory: cJSON_Delete frees the key */
	if (!(value->string = cJSON_malloc(len))) {
		cJSON_Delete(value);
		return limg__error_oom();
	}
	memcpy(value->string, key, len);
	value->next = c;
	value->prev = c->prev;
	if (c == obj->child)
		obj->child = value;
	else
		c->prev->next = value;
	c->prev = value;
	return 0;
}

int limg__json_place(cJSON *obj, const char *key, cJSON *value, const char *const *order)
{
	cJSON *at = cJSON_GetObjectItemCaseSensitive(obj, key), *c;
	int r;

	if (!value) {
		if (at)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		return 0;
	}
	if (at)
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value) ? 0 : limg__error_oom();
	r = rank(key, order);
	/* before the first member that comes later in the order */
	for (c = obj->child; c && r >= 0; c = c->next) {
		int rc2 = rank(c->string, order);
		if (rc2 > r)
			return insert_before(obj, c, key, value);
	}
	return cJSON_AddItemToObject(obj, key, value) ? 0 : limg__error_oom();
}

cJSON *limg__json_strings(const char *const *items, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++) {
		cJSON *s = cJSON_CreateString(items[i] ? items[i] : "");
		if (!s) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, s);
	}
	return a;
}

const char *limg__json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *limg__config_new(const char *os, const char *architecture, const char *variant, const char *created)
{
	cJSON *c = cJSON_CreateObject(), *rootfs;

	if (!c)
		return NULL;
	cJSON_AddStringToObject(c, "architecture", architecture);
	cJSON_AddStringToObject(c, "created", created);
	cJSON_AddArrayToObject(c, "history");
	cJSON_AddStringToObject(c, "os", os);
	rootfs = cJSON_AddObjectToObject(c, "rootfs");
	if (rootfs) {
		cJSON_AddStringToObject(rootfs, "type", "layers");
		cJSON_AddArrayToObject(rootfs, "diff_ids");
	}
	cJSON_AddObjectToObject(c, "config");
	if (variant && *variant)
		cJSON_AddStringToObject(c, "variant", variant);
	if (!rootfs || !cJSON_GetObjectItemCaseSensitive(c, "config")) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

cJSON *limg__config_settings(cJSON *config)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(config, "config");

	if (cJSON_IsObject(s))
		return s;
	if (!(s = cJSON_CreateObject()))
		return NULL;
	if (limg__json_place(config, "config", s, top_order) < 0)
		return NULL;
	return s;
}

int limg__config_set_top(cJSON *config, const char *key, cJSON *value)
{
	return limg__json_place(config, key, value, top_order);
}

int limg__config_set(cJSON *config, const char *key, cJSON *value)
{
	cJSON *s = limg__config_settings(config);

	if (!s) {
		cJSON_Delete(value);
		return limg__error_oom();
	}
	return limg__json_place(s, key, value, settings_order);
}

int limg__config_map_set(cJSON *config, const char *map, const char *key, const char *value, bool set_object,
                         bool remove)
{
	cJSON *s = limg__config_settings(config), *m, *v;

	if (!s)
		return limg__error_oom();
	m = cJSON_GetObjectItemCaseSensitive(s, map);
	if (!cJSON_IsObject(m)) {
		if (remove)
			return 0;
		if (!(m = cJSON_CreateObject()) || limg__json_place(s, map, m, settings_order) < 0)
			return limg__error_oom();
	}
	if (remove || (!set_object && !value)) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, key);
		return 0;
	}
	if (!(v = set_object ? cJSON_CreateObject() : cJSON_CreateString(value)))
		return limg__error_oom();
	return limg__json_map_put(m, key, v);
}

int limg__json_map_put(cJSON *m, const char *key, cJSON *v)
{
	cJSON *c;

	if (cJSON_GetObjectItemCaseSensitive(m, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(m, key, v) ? 0 : limg__error_oom();
	/* sorted, as Go writes maps */
	for (c = m->child; c; c = c->next)
		if (strcmp(c->string, key) > 0)
			return insert_before(m, c, key, v);
	return cJSON_AddItemToObject(m, key, v) ? 0 : limg__error_oom();
}

int limg__json_map_set(cJSON *m, const char *key, const char *value)
{
	cJSON *v = cJSON_CreateString(value);

	return v ? limg__json_map_put(m, key, v) : limg__error_oom();
}

static cJSON *rootfs_ids(cJSON *config)
{
	cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(config, "rootfs"), *ids;

	if (!cJSON_IsObject(rootfs)) {
		if (!(rootfs = cJSON_CreateObject()) || limg__config_set_top(config, "rootfs", rootfs) < 0)
			return NULL;
		cJSON_AddStringToObject(rootfs, "type", "layers");
	}
	ids = cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids");
	if (!cJSON_IsArray(ids)) {
		cJSON_DeleteItemFromObjectCaseSensitive(rootfs, "diff_ids");
		ids = cJSON_AddArrayToObject(rootfs, "diff_ids");
	}
	return ids;
}

int limg__config_add_diff_id(cJSON *config, const char *diff_id)
{
	cJSON *ids = rootfs_ids(config), *s;

	if (!ids || !(s = cJSON_CreateString(diff_id)))
		return limg__error_oom();
	cJSON_AddItemToArray(ids, s);
	return 0;
}

int limg__config_clear_diff_ids(cJSON *config)
{
	cJSON *ids = rootfs_ids(config);

	if (!ids)
		return limg__error_oom();
	while (ids->child)
		cJSON_DeleteItemFromArray(ids, 0);
	return 0;
}

int limg__config_add_history(cJSON *config, const char *created, const char *created_by, const char *comment,
                             bool empty_layer)
{
	cJSON *h = cJSON_GetObjectItemCaseSensitive(config, "history"), *e;

	if (!cJSON_IsArray(h)) {
		if (!(h = cJSON_CreateArray()) || limg__config_set_top(config, "history", h) < 0)
			return limg__error_oom();
	}
	if (!(e = cJSON_CreateObject()))
		return limg__error_oom();
	if (created)
		cJSON_AddStringToObject(e, "created", created);
	if (created_by)
		cJSON_AddStringToObject(e, "created_by", created_by);
	if (comment)
		cJSON_AddStringToObject(e, "comment", comment);
	if (empty_layer)
		cJSON_AddBoolToObject(e, "empty_layer", 1);
	cJSON_AddItemToArray(h, e);
	return 0;
}
