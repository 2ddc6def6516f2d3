/* SPDX-License-Identifier: MIT */
/*
 * Editing image configs and manifests as JSON trees. Members a program
 * adds land in a fixed place (the order of the OCI and Docker specs'
 * structs), and maps (Labels, ExposedPorts, Volumes) stay sorted, so the
 * same edits give the same bytes whatever order they were made in.
 */
#ifndef LIMG_BUILD_CONFIG_H
#define LIMG_BUILD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/json.h"

/* A new config: platform, created, empty rootfs and history. */
cJSON *limg__config_new(const char *os, const char *architecture, const char *variant, const char *created);

/* The config's "config" object (the container settings), made when missing. */
cJSON *limg__config_settings(cJSON *config);

/* Sets a member of the config (top level), in its place; NULL @value removes. Takes @value. */
int limg__config_set_top(cJSON *config, const char *key, cJSON *value);
/* The same in the settings object. */
int limg__config_set(cJSON *config, const char *key, cJSON *value);

/* Sets @key to @value in a map member of the settings ("Labels"), kept
 * sorted; NULL @value removes it. An ExposedPorts or Volumes entry is
 * {} (@value is then ignored, @remove removes). */
int limg__config_map_set(cJSON *config, const char *map, const char *key, const char *value, bool set_object,
                         bool remove);

/* Sets @key of the map @m to @v (taken) or the string @value, the map
 * kept sorted by key. */
int limg__json_map_put(cJSON *m, const char *key, cJSON *v);
int limg__json_map_set(cJSON *m, const char *key, const char *value);

/* rootfs.diff_ids: appended, or all removed. */
int limg__config_add_diff_id(cJSON *config, const char *diff_id);
int limg__config_clear_diff_ids(cJSON *config);

/* A history entry {created, created_by, comment, empty_layer}, appended. */
int limg__config_add_history(cJSON *config, const char *created, const char *created_by, const char *comment,
                             bool empty_layer);

/* A list of strings as JSON. */
cJSON *limg__json_strings(const char *const *items, size_t n);

/* Places @value under @key of @obj: where it stands, else before the
 * first member that @order puts after it (else at the end). */
int limg__json_place(cJSON *obj, const char *key, cJSON *value, const char *const *order);

/* A copy of a member ("created") as a string, or NULL. */
const char *limg__json_str(const cJSON *obj, const char *key);

#endif
