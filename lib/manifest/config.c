/* SPDX-License-Identifier: MIT */
/* Image configs: what `docker images` and `docker inspect` show, the
 * container settings runtimes use, and the diff_ids pulls verify. Fields
 * the accessors expose must have the types Go's decoder demands (a config
 * Docker cannot read is refused here too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "fields.h"
#include "manifest_internal.h"

typedef struct {
	const char **items;
	size_t count;
} strings;

typedef struct {
	const char *created, *created_by, *comment, *author;
	int empty_layer;
} history_entry;

struct limg_config {
	cJSON *doc;
	const char *created, *author, *architecture, *os, *variant, *os_version;
	const char *user, *working_dir, *stop_signal;
	int64_t created_unix;
	strings diff_ids, env, entrypoint, cmd, label_keys, ports, volumes;
	const cJSON *labels;
	history_entry *history;
	size_t history_count;
	char *settings_json;
};

static int invalid(const char *what)
{
	return limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_CONFIG, NULL, "invalid image config: %s", what);
}

/* An optional string member: NULL when absent or null; -1 (raised) for another type. */
static int str_field(const char **out, const cJSON *o, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char what[128];

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v)) {
		snprintf(what, sizeof what, "%s%s is not a string", where, key);
		return invalid(what);
	}
	*out = v->valuestring;
	return 0;
}

/* An optional list of strings. */
static int str_list(strings *out, const cJSON *o, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *item;
	char what[128];
	size_t i = 0;

	if (!v || cJSON_IsNull(v))
		return 0;
	snprintf(what, sizeof what, "%s%s is not a list of strings", where, key);
	if (!cJSON_IsArray(v))
		return invalid(what);
	out->count = (size_t)cJSON_GetArraySize(v);
	if (out->count && !(out->items = limg__calloc(out->count, sizeof *out->items)))
		return limg__error_oom();
	cJSON_ArrayForEach(item, v) {
		if (!cJSON_IsString(item))
			return invalid(what);
		out->items[i++] = item->valuestring;
	}
	return 0;
}

/* The keys of an optional object (ExposedPorts, Volumes, Labels); with
 * @strings_only its values must be strings. */
static int key_list(strings *out, const cJSON **obj, const cJSON *o, const char *key, bool strings_only)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *item;
	char what[128];
	size_t i = 0;

	if (obj)
		*obj = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	snprintf(what, sizeof what, "config.%s is not %s", key, strings_only ? "a map of strings" : "an object");
	if (!cJSON_IsObject(v))
		return invalid(what);
	out->count = (size_t)cJSON_GetArraySize(v);
	if (out->count && !(out->items = limg__calloc(out->count, sizeof *out->items)))
		return limg__error_oom();
	cJSON_ArrayForEach(item, v) {
		if (strings_only && !cJSON_IsString(item))
			return invalid(what);
		out->items[i++] = item->string;
	}
	if (obj)
		*obj = v;
	return 0;
}

static int read_history(limg_config *c)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->doc, "history"), *e;
	size_t i = 0;
	int rc;

	if (!h || cJSON_IsNull(h))
		return 0;
	if (!cJSON_IsArray(h))
		return invalid("history is not a list");
	c->history_count = (size_t)cJSON_GetArraySize(h);
	if (c->history_count && !(c->history = limg__calloc(c->history_count, sizeof *c->history)))
		return limg__error_oom();
	cJSON_ArrayForEach(e, h) {
		history_entry *x = &c->history[i++];
		const cJSON *empty;
		if (!cJSON_IsObject(e))
			return invalid("a history entry is not an object");
		if ((rc = str_field(&x->created, e, "created", "history[].")) < 0 ||
		    (rc = str_field(&x->created_by, e, "created_by", "history[].")) < 0 ||
		    (rc = str_field(&x->comment, e, "comment", "history[].")) < 0 ||
		    (rc = str_field(&x->author, e, "author", "history[].")) < 0)
			return rc;
		empty = cJSON_GetObjectItemCaseSensitive(e, "empty_layer");
		if (empty && !cJSON_IsBool(empty) && !cJSON_IsNull(empty))
			return invalid("history[].empty_layer is not a boolean");
		x->empty_layer = cJSON_IsTrue(empty);
	}
	return 0;
}

static int parse(limg_config *c, const void *data, size_t len)
{
	const cJSON *rootfs, *settings;
	char why[200];
	int rc;

	/* one document for every reader: no duplicate keys, no \u0000, valid UTF-8 */
	if ((rc = limg__json_parse(&c->doc, data, len, &limg__manifest_fields, why, sizeof why)) == LIMG_ENOMEM)
		return limg__error_oom();
	if (rc < 0)
		return limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_CONFIG, NULL,
		                             "invalid image config: not valid, unambiguous JSON (%s)", why);
	if (!cJSON_IsObject(c->doc))
		return invalid("not a JSON object");
	if ((rc = str_field(&c->created, c->doc, "created", "")) < 0 || (rc = str_field(&c->author, c->doc, "author", "")) < 0 ||
	    (rc = str_field(&c->architecture, c->doc, "architecture", "")) < 0 ||
	    (rc = str_field(&c->os, c->doc, "os", "")) < 0 || (rc = str_field(&c->variant, c->doc, "variant", "")) < 0 ||
	    (rc = str_field(&c->os_version, c->doc, "os.version", "")) < 0)
		return rc;
	c->created_unix = limg__parse_rfc3339(c->created);
	rootfs = cJSON_GetObjectItemCaseSensitive(c->doc, "rootfs");
	if (rootfs && !cJSON_IsObject(rootfs) && !cJSON_IsNull(rootfs))
		return invalid("rootfs is not an object");
	if ((rc = str_list(&c->diff_ids, rootfs, "diff_ids", "rootfs.")) < 0)
		return rc;
	for (size_t i = 0; i < c->diff_ids.count; i++)
		if (limg__digest_check(c->diff_ids.items[i], strlen(c->diff_ids.items[i]), NULL) != 0) {
			char what[96];
			snprintf(what, sizeof what, "rootfs.diff_ids[%zu] is not a digest", i);
			return invalid(what);
		}
	if ((rc = read_history(c)) < 0)
		return rc;
	settings = cJSON_GetObjectItemCaseSensitive(c->doc, "config");
	if (settings && !cJSON_IsObject(settings) && !cJSON_IsNull(settings))
		return invalid("config is not an object");
	if ((rc = str_field(&c->user, settings, "User", "config.")) < 0 ||
	    (rc = str_field(&c->working_dir, settings, "WorkingDir", "config.")) < 0 ||
	    (rc = str_field(&c->stop_signal, settings, "StopSignal", "config.")) < 0 ||
	    (rc = str_list(&c->env, settings, "Env", "config.")) < 0 ||
	    (rc = str_list(&c->entrypoint, settings, "Entrypoint", "config.")) < 0 ||
	    (rc = str_list(&c->cmd, settings, "Cmd", "config.")) < 0 ||
	    (rc = key_list(&c->label_keys, &c->labels, settings, "Labels", true)) < 0 ||
	    (rc = key_list(&c->ports, NULL, settings, "ExposedPorts", false)) < 0 ||
	    (rc = key_list(&c->volumes, NULL, settings, "Volumes", false)) < 0)
		return rc;
	c->settings_json = cJSON_IsObject(settings) ? limg__json_print(settings, false) : limg__strdup("{}");
	if (!c->settings_json)
		return limg__error_oom();
	return 0;
}

int limg_config_parse(limg_config **out, const void *data, size_t len)
{
	limg_config *c;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!data && len)
		return limg__error_invalid("data");
	if (len > LIMG_MANIFEST_SIZE_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_CONFIG, NULL,
		                             "image config of %zu bytes is over the %d-byte limit", len,
		                             LIMG_MANIFEST_SIZE_MAX);
	if (!(c = limg__calloc(1, sizeof *c)))
		return limg__error_oom();
	if ((rc = parse(c, data ? data : "", len)) < 0) {
		limg_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void limg_config_free(limg_config *c)
{
	if (!c)
		return;
	cJSON_Delete(c->doc);
	limg__free(c->diff_ids.items);
	limg__free(c->env.items);
	limg__free(c->entrypoint.items);
	limg__free(c->cmd.items);
	limg__free(c->label_keys.items);
	limg__free(c->ports.items);
	limg__free(c->volumes.items);
	limg__free(c->history);
	limg__free(c->settings_json);
	limg__free(c);
}

static const char *item(const strings *s, size_t i)
{
	return i < s->count ? s->items[i] : NULL;
}

const char *limg_config_created(const limg_config *c)
{
	return c ? c->created : NULL;
}

int64_t limg_config_created_unix(const limg_config *c)
{
	return c ? c->created_unix : -1;
}

const char *limg_config_author(const limg_config *c)
{
	return c ? c->author : NULL;
}

const char *limg_config_architecture(const limg_config *c)
{
	return c && c->architecture ? c->architecture : "";
}

const char *limg_config_os(const limg_config *c)
{
	return c && c->os ? c->os : "";
}

const char *limg_config_variant(const limg_config *c)
{
	return c ? c->variant : NULL;
}

const char *limg_config_os_version(const limg_config *c)
{
	return c ? c->os_version : NULL;
}

size_t limg_config_diff_id_count(const limg_config *c)
{
	return c ? c->diff_ids.count : 0;
}

const char *limg_config_diff_id(const limg_config *c, size_t i)
{
	return c ? item(&c->diff_ids, i) : NULL;
}

const char *limg_config_user(const limg_config *c)
{
	return c ? c->user : NULL;
}

const char *limg_config_working_dir(const limg_config *c)
{
	return c ? c->working_dir : NULL;
}

const char *limg_config_stop_signal(const limg_config *c)
{
	return c ? c->stop_signal : NULL;
}

size_t limg_config_env_count(const limg_config *c)
{
	return c ? c->env.count : 0;
}

const char *limg_config_env(const limg_config *c, size_t i)
{
	return c ? item(&c->env, i) : NULL;
}

size_t limg_config_entrypoint_count(const limg_config *c)
{
	return c ? c->entrypoint.count : 0;
}

const char *limg_config_entrypoint(const limg_config *c, size_t i)
{
	return c ? item(&c->entrypoint, i) : NULL;
}

size_t limg_config_cmd_count(const limg_config *c)
{
	return c ? c->cmd.count : 0;
}

const char *limg_config_cmd(const limg_config *c, size_t i)
{
	return c ? item(&c->cmd, i) : NULL;
}

size_t limg_config_label_count(const limg_config *c)
{
	return c ? c->label_keys.count : 0;
}

const char *limg_config_label_key(const limg_config *c, size_t i)
{
	return c ? item(&c->label_keys, i) : NULL;
}

const char *limg_config_label(const limg_config *c, const char *key)
{
	const cJSON *v;

	if (!c || !key)
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(c->labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t limg_config_exposed_port_count(const limg_config *c)
{
	return c ? c->ports.count : 0;
}

const char *limg_config_exposed_port(const limg_config *c, size_t i)
{
	return c ? item(&c->ports, i) : NULL;
}

size_t limg_config_volume_count(const limg_config *c)
{
	return c ? c->volumes.count : 0;
}

const char *limg_config_volume(const limg_config *c, size_t i)
{
	return c ? item(&c->volumes, i) : NULL;
}

const char *limg_config_container_json(const limg_config *c)
{
	return c ? c->settings_json : NULL;
}

size_t limg_config_history_count(const limg_config *c)
{
	return c ? c->history_count : 0;
}

static const history_entry *history(const limg_config *c, size_t i)
{
	return c && i < c->history_count ? &c->history[i] : NULL;
}

const char *limg_config_history_created(const limg_config *c, size_t i)
{
	return history(c, i) ? history(c, i)->created : NULL;
}

const char *limg_config_history_created_by(const limg_config *c, size_t i)
{
	return history(c, i) ? history(c, i)->created_by : NULL;
}

const char *limg_config_history_comment(const limg_config *c, size_t i)
{
	return history(c, i) ? history(c, i)->comment : NULL;
}

const char *limg_config_history_author(const limg_config *c, size_t i)
{
	return history(c, i) ? history(c, i)->author : NULL;
}

int limg_config_history_empty_layer(const limg_config *c, size_t i)
{
	return history(c, i) ? history(c, i)->empty_layer : 0;
}
