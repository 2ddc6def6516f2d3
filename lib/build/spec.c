/* SPDX-License-Identifier: MIT */
/*
 * limg_build_spec(): an image from a small JSON description (base,
 * layers from directories and tars, config, annotations, tag), read by
 * core's strict JSON reader; every key is checked, so a misspelt one is an
 * error rather than a setting silently left out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_internal.h"
#include "config.h"
#include "core/core.h"
#include "core/json.h"

#define WORDS_MAX 4096

int limg_spec_opts_init(limg_spec_opts *opts, size_t size)
{
	static const limg_spec_opts defaults = LIMG_SPEC_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static int bad(const char *where, const char *what)
{
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, where, "build spec: %s: %s", where, what);
}

/* Every member of @obj must be one of @keys. */
static int only(const cJSON *obj, const char *where, const char *const *keys)
{
	const cJSON *m;

	if (!cJSON_IsObject(obj))
		return bad(where, "not an object");
	cJSON_ArrayForEach(m, obj) {
		bool known = false;
		for (size_t i = 0; keys[i] && !known; i++)
			known = !strcmp(keys[i], m->string);
		if (!known) {
			char quoted[120], at[160];
			limg__quote(quoted, sizeof quoted, m->string, strlen(m->string));
			snprintf(at, sizeof at, "%s", where);
			return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, at, "build spec: %s: unknown key %s",
			                             at, quoted);
		}
	}
	return 0;
}

static int str(const cJSON *obj, const char *key, const char *where, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char at[160];

	*out = NULL;
	if (!v)
		return 0;
	snprintf(at, sizeof at, "%s.%s", where, key);
	if (!cJSON_IsString(v))
		return bad(at, "not a string");
	*out = v->valuestring;
	return 0;
}

/* A list of strings; *@n -1 when absent. */
static int strs(const cJSON *obj, const char *key, const char *where, const char **out, int *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *s;
	char at[160];

	*n = -1;
	if (!v)
		return 0;
	snprintf(at, sizeof at, "%s.%s", where, key);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > WORDS_MAX)
		return bad(at, "not a list of strings");
	*n = 0;
	cJSON_ArrayForEach(s, v) {
		if (!cJSON_IsString(s))
			return bad(at, "not a list of strings");
		out[(*n)++] = s->valuestring;
	}
	return 0;
}

/* A whole number (JSON number without fraction) in [0, max]. */
static int number(const cJSON *v, const char *where, int64_t max, int64_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return bad(where, "not a whole number in range");
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* Go's time.Duration text ("30s", "1m30s", "500ms", "1h") or nanoseconds as a number. */
static int duration(const cJSON *v, const char *where, int64_t *out)
{
	const char *p;
	double total = 0;

	if (cJSON_IsNumber(v))
		return number(v, where, INT64_MAX / 2, out);
	if (!cJSON_IsString(v) || !*v->valuestring)
		return bad(where, "not a duration (\"30s\", \"1m30s\", \"500ms\")");
	for (p = v->valuestring; *p;) {
		char *end;
		double x = strtod(p, &end), unit;
		if (end == p || x < 0)
			return bad(where, "not a duration (\"30s\", \"1m30s\", \"500ms\")");
		p = end;
		if (!strncmp(p, "ns", 2))
			unit = 1, p += 2;
		else if (!strncmp(p, "us", 2) || !strncmp(p, "\xc2\xb5s", 3))
			unit = 1e3, p += *p == 'u' ? 2 : 3;
		else if (!strncmp(p, "ms", 2))
			unit = 1e6, p += 2;
		else if (*p == 's')
			unit = 1e9, p++;
		else if (*p == 'm')
			unit = 60e9, p++;
		else if (*p == 'h')
			unit = 3600e9, p++;
		else
			return bad(where, "not a duration (a unit of h, m, s, ms, us, ns after each number)");
		total += x * unit;
	}
	if (total > 9e18)
		return bad(where, "a duration too long");
	*out = (int64_t)total;
	return 0;
}

static int path_in(char *out, size_t cap, const char *dir, const char *path)
{
	int n = path[0] == '/' || !dir || !*dir ? snprintf(out, cap, "%s", path) : snprintf(out, cap, "%s/%s", dir, path);

	return n < 0 || (size_t)n >= cap ? limg__error_set(LIMG_ETOOBIG, "build spec: a path too long") : 0;
}

static int layer_options(const cJSON *l, const char *where, limg_layer_opts *o, const char **removed, int *nremoved)
{
	const char *v;
	int rc;

	if ((rc = str(l, "prefix", where, &o->prefix)) < 0 || (rc = strs(l, "removed", where, removed, nremoved)) < 0)
		return rc;
	if (*nremoved > 0) {
		o->removed = removed;
		o->removed_len = (size_t)*nremoved;
	}
	if ((rc = str(l, "compression", where, &v)) < 0)
		return rc;
	if (v && strcmp(v, "gzip") && strcmp(v, "zstd") && strcmp(v, "none"))
		return bad(where, "compression is gzip, zstd or none");
	if (v)
		o->compression = !strcmp(v, "gzip") ? LIMG_LAYER_GZIP : !strcmp(v, "zstd") ? LIMG_LAYER_ZSTD
		                                                                           : LIMG_LAYER_UNCOMPRESSED;
	if ((rc = str(l, "owner", where, &v)) < 0)
		return rc;
	if (v && strcmp(v, "root") && strcmp(v, "keep"))
		return bad(where, "owner is root or keep");
	if (v)
		o->owner = !strcmp(v, "keep") ? LIMG_OWNER_KEEP : LIMG_OWNER_FIXED;
	if ((rc = str(l, "times", where, &v)) < 0)
		return rc;
	if (v && strcmp(v, "epoch") && strcmp(v, "clamp") && strcmp(v, "keep"))
		return bad(where, "times is epoch, clamp or keep");
	if (v)
		o->times = !strcmp(v, "epoch") ? LIMG_TIMES_EPOCH : !strcmp(v, "clamp") ? LIMG_TIMES_CLAMP : LIMG_TIMES_KEEP;
	return 0;
}

static int add_layers(limg_builder *b, limg_store *store, const cJSON *layers, const limg_spec_opts *so,
                      int64_t epoch, const char *base, const char *platform, const limg_layer_callbacks *cb)
{
	static const char *const keys[] = { "dir", "tar", "prefix", "removed", "compression", "owner", "times",
		                            "created_by", "comment", NULL };
	const cJSON *l;
	const char **removed = NULL;
	int i = 0, rc = 0;

	if (!layers)
		return 0;
	if (!cJSON_IsArray(layers))
		return bad("layers", "not a list");
	if (!(removed = limg__calloc(WORDS_MAX, sizeof *removed)))
		return limg__error_oom();
	cJSON_ArrayForEach(l, layers) {
		limg_layer_opts o = LIMG_LAYER_OPTS_INIT;
		limg_layer *layer = NULL;
		const char *dir, *tar, *created_by, *comment;
		char where[40], path[4200];
		int nremoved;
		snprintf(where, sizeof where, "layers[%d]", i++);
		o.epoch = epoch;
		o.cancel = so->cancel;
		o.base = base; /* the directories above the layer's files as the base has them */
		o.platform = platform;
		if ((rc = only(l, where, keys)) < 0 || (rc = str(l, "dir", where, &dir)) < 0 ||
		    (rc = str(l, "tar", where, &tar)) < 0 || (rc = str(l, "created_by", where, &created_by)) < 0 ||
		    (rc = str(l, "comment", where, &comment)) < 0 || (rc = layer_options(l, where, &o, removed, &nremoved)) < 0)
			break;
		if (!dir == !tar) {
			rc = bad(where, "give one of dir and tar");
			break;
		}
		if ((rc = path_in(path, sizeof path, so->dir, dir ? dir : tar)) < 0)
			break;
		if (dir) {
			rc = limg_layer_new_from_dir(&layer, store, path, &o, cb);
		} else {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				rc = limg__error_set_about(errno == ENOENT ? LIMG_ENOTFOUND : LIMG_ESYSTEM, LIMG_SUBJECT_FILE, path,
				                           "build spec: %s: %s", path, strerror(errno));
				break;
			}
			rc = limg_layer_new_from_tar(&layer, store, fd, &o, cb);
			close(fd);
		}
		if (rc < 0)
			break;
		/* the history names what the spec says, never a host path */
		rc = limg_builder_append_layer(b, layer, created_by ? created_by : dir ? "limg-build: a directory"
		                                                                          : "limg-build: a tar",
		                               comment);
		limg_layer_free(layer);
		if (rc < 0)
			break;
	}
	limg__free(removed);
	return rc;
}

static int set_config(limg_builder *b, const cJSON *c)
{
	static const char *const keys[] = { "Entrypoint", "Cmd", "Env", "Labels", "User", "WorkingDir", "ExposedPorts",
		                            "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild", NULL };
	const char **words = NULL, *v;
	const cJSON *m;
	int n, rc;

	if (!c)
		return 0;
	if ((rc = only(c, "config", keys)) < 0)
		return rc;
	if (!(words = limg__calloc(WORDS_MAX, sizeof *words)))
		return limg__error_oom();
	if ((rc = strs(c, "Entrypoint", "config", words, &n)) < 0 ||
	    (n >= 0 && (rc = limg_builder_set_entrypoint(b, words, (size_t)n)) < 0) ||
	    (rc = strs(c, "Cmd", "config", words, &n)) < 0 || (n >= 0 && (rc = limg_builder_set_cmd(b, words, (size_t)n)) < 0) ||
	    (rc = strs(c, "Shell", "config", words, &n)) < 0 ||
	    (n >= 0 && (rc = limg_builder_set_shell(b, words, (size_t)n)) < 0) ||
	    (rc = strs(c, "OnBuild", "config", words, &n)) < 0 ||
	    (n >= 0 && (rc = limg_builder_set_onbuild(b, words, (size_t)n)) < 0))
		goto out;
	if ((rc = strs(c, "Env", "config", words, &n)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');
		char name[1024];
		if (!eq || eq == words[i] || (size_t)(eq - words[i]) >= sizeof name) {
			rc = bad("config.Env", "an entry that is not NAME=VALUE");
			goto out;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - words[i]), words[i]);
		if ((rc = limg_builder_set_env(b, name, eq + 1)) < 0)
			goto out;
	}
	m = cJSON_GetObjectItemCaseSensitive(c, "Labels");
	if (m && !cJSON_IsObject(m)) {
		rc = bad("config.Labels", "not an object");
		goto out;
	}
	for (const cJSON *l = m ? m->child : NULL; l; l = l->next) {
		if (!cJSON_IsString(l)) {
			rc = bad("config.Labels", "a value that is not a string");
			goto out;
		}
		if ((rc = limg_builder_set_label(b, l->string, l->valuestring)) < 0)
			goto out;
	}
	if ((rc = str(c, "User", "config", &v)) < 0 || (v && (rc = limg_builder_set_user(b, v)) < 0) ||
	    (rc = str(c, "WorkingDir", "config", &v)) < 0 || (v && (rc = limg_builder_set_working_dir(b, v)) < 0) ||
	    (rc = str(c, "StopSignal", "config", &v)) < 0 || (v && (rc = limg_builder_set_stop_signal(b, v)) < 0))
		goto out;
	if ((rc = strs(c, "ExposedPorts", "config", words, &n)) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if ((rc = limg_builder_add_exposed_port(b, words[i])) < 0)
			goto out;
	if ((rc = strs(c, "Volumes", "config", words, &n)) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if ((rc = limg_builder_add_volume(b, words[i])) < 0)
			goto out;
	m = cJSON_GetObjectItemCaseSensitive(c, "Healthcheck");
	if (m) {
		static const char *const hkeys[] = { "Test", "Interval", "Timeout", "StartPeriod", "StartInterval",
			                             "Retries", NULL };
		limg_healthcheck_opts h = LIMG_HEALTHCHECK_OPTS_INIT;
		const cJSON *x;
		int64_t retries = 0;
		if ((rc = only(m, "config.Healthcheck", hkeys)) < 0 ||
		    (rc = strs(m, "Test", "config.Healthcheck", words, &n)) < 0)
			goto out;
		if (n < 0) {
			rc = bad("config.Healthcheck", "no Test");
			goto out;
		}
		if (((x = cJSON_GetObjectItemCaseSensitive(m, "Interval")) &&
		     (rc = duration(x, "config.Healthcheck.Interval", &h.interval)) < 0) ||
		    ((x = cJSON_GetObjectItemCaseSensitive(m, "Timeout")) &&
		     (rc = duration(x, "config.Healthcheck.Timeout", &h.timeout)) < 0) ||
		    ((x = cJSON_GetObjectItemCaseSensitive(m, "StartPeriod")) &&
		     (rc = duration(x, "config.Healthcheck.StartPeriod", &h.start_period)) < 0) ||
		    ((x = cJSON_GetObjectItemCaseSensitive(m, "StartInterval")) &&
		     (rc = duration(x, "config.Healthcheck.StartInterval", &h.start_interval)) < 0) ||
		    ((x = cJSON_GetObjectItemCaseSensitive(m, "Retries")) &&
		     (rc = number(x, "config.Healthcheck.Retries", 1000000, &retries)) < 0))
			goto out;
		h.retries = (int)retries;
		if ((rc = limg_builder_set_healthcheck(b, words, (size_t)n, &h)) < 0)
			goto out;
	}
out:
	limg__free(words);
	return rc;
}

int limg_build_spec(limg_buf *out_digest, limg_store *store, const char *text, size_t len, const limg_spec_opts *opts,
                    const limg_layer_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	static const char *const keys[] = { "base", "platform", "format", "created", "layers", "config", "annotations",
		                            "tag", NULL };
	limg_spec_opts o = LIMG_SPEC_OPTS_INIT;
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_builder *b = NULL;
	cJSON *doc = NULL;
	const cJSON *v;
	const char *base, *format, *tag;
	char why[200];
	int64_t epoch = 0;
	int rc;

	if (!out_digest)
		return limg__error_invalid("out_digest");
	memset(out_digest, 0, sizeof *out_digest);
	if (!store || !text)
		return limg__error_invalid(!store ? "store" : "text");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_spec_opts")) < 0)
		return rc;
	if (limg__json_parse(&doc, text, len, NULL, why, sizeof why) < 0)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_FILE, NULL, "build spec: not valid JSON: %s", why);
	if ((rc = only(doc, "the spec", keys)) < 0 || (rc = str(doc, "base", "spec", &base)) < 0 ||
	    (rc = str(doc, "platform", "spec", &bo.platform)) < 0 || (rc = str(doc, "format", "spec", &format)) < 0 ||
	    (rc = str(doc, "tag", "spec", &tag)) < 0)
		goto out;
	if (format && strcmp(format, "oci") && strcmp(format, "docker")) {
		rc = bad("spec.format", "oci or docker");
		goto out;
	}
	bo.format = !format ? LIMG_FORMAT_AUTO : !strcmp(format, "oci") ? LIMG_FORMAT_OCI : LIMG_FORMAT_DOCKER;
	if (o.set_epoch) {
		bo.set_created = 1;
		bo.created = epoch = o.epoch;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "created"))) {
		if ((rc = number(v, "spec.created", INT64_MAX / 2, &epoch)) < 0)
			goto out;
		bo.set_created = 1;
		bo.created = epoch;
	}
	bo.cancel = o.cancel;
	if ((rc = limg_builder_new(&b, store, base, &bo)) < 0 ||
	    (rc = add_layers(b, store, cJSON_GetObjectItemCaseSensitive(doc, "layers"), &o, epoch,
	                               base && *base && strcmp(base, "scratch") ? base : NULL, bo.platform, cb)) < 0 ||
	    (rc = set_config(b, cJSON_GetObjectItemCaseSensitive(doc, "config"))) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(doc, "annotations");
	if (v && !cJSON_IsObject(v)) {
		rc = bad("spec.annotations", "not an object");
		goto out;
	}
	for (const cJSON *a = v ? v->child : NULL; a; a = a->next) {
		if (!cJSON_IsString(a)) {
			rc = bad("spec.annotations", "a value that is not a string");
			goto out;
		}
		if ((rc = limg_builder_set_annotation(b, a->string, a->valuestring)) < 0)
			goto out;
	}
	rc = limg_builder_commit(out_digest, b, o.tag ? o.tag : tag);
out:
	limg_builder_free(b);
	cJSON_Delete(doc);
	return rc;
}
