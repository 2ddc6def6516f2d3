/* SPDX-License-Identifier: MIT */
/* The image builder: a base (or nothing), layers, config edits, commit. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "builder.h"
#include "config.h"
#include "core/core.h"
#include "image.h"
#include "libimage/compress.h"
#include "libimage/manifest.h"
#include "libimage/platform.h"
#include "libimage/reference.h"
#include "manifest/media.h"

#define BASE_NAME_KEY "org.opencontainers.image.base.name"
#define BASE_DIGEST_KEY "org.opencontainers.image.base.digest"

int limg_builder_opts_init(limg_builder_opts *opts, size_t size)
{
	static const limg_builder_opts defaults = LIMG_BUILDER_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_healthcheck_opts_init(limg_healthcheck_opts *opts, size_t size)
{
	static const limg_healthcheck_opts defaults = LIMG_HEALTHCHECK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static int fail_invalid(const char *what, const char *value)
{
	char quoted[160];

	limg__quote(quoted, sizeof quoted, value ? value : "(null)", value ? strlen(value) : 6);
	return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_CONFIG, value, "invalid %s: %s", what, quoted);
}

/* Splits "os/arch[/variant]" (normalized as Docker does). */
static int parse_platform(const char *platform, char os[64], char arch[64], char variant[64])
{
	limg_buf norm = LIMG_BUF_INIT;
	int rc;

	*variant = '\0';
	if ((rc = limg_platform_normalize(&norm, platform)) < 0) {
		limg__error_about(LIMG_SUBJECT_PLATFORM, platform);
		return rc;
	}
	if (sscanf(norm.ptr, "%63[^/]/%63[^/]/%63s", os, arch, variant) < 2) {
		limg_buf_dispose(&norm);
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_PLATFORM, platform, "invalid platform: %s",
		                             platform);
	}
	limg_buf_dispose(&norm);
	return 0;
}

int limg__builder_start(limg_builder *b, limg_store *store, const char *base, const limg_builder_opts *o)
{
	int rc;

	b->store = store;
	b->o = *o;
	if ((rc = limg__lease_new(&b->lease, store)) < 0)
		return rc;
	if (!(b->annotations = cJSON_CreateObject()) || !(b->layers = cJSON_CreateArray()))
		return limg__error_oom();
	if (base && *base && strcmp(base, "scratch") != 0) {
		limg__stored_image img;
		cJSON *anns, *layers;
		if ((rc = limg__image_load(&img, store, base, o->platform, b->lease)) < 0)
			return rc;
		b->config = img.config;
		img.config = NULL;
		b->docker = img.docker;
		layers = cJSON_GetObjectItemCaseSensitive(img.manifest, "layers");
		if (cJSON_IsArray(layers)) {
			cJSON_Delete(b->layers);
			b->layers = cJSON_DetachItemViaPointer(img.manifest, layers);
		}
		anns = cJSON_GetObjectItemCaseSensitive(img.manifest, "annotations");
		if (cJSON_IsObject(anns)) {
			cJSON_Delete(b->annotations);
			b->annotations = cJSON_DetachItemViaPointer(img.manifest, anns);
		}
		if (!o->no_base_annotations) {
			limg_reference *ref = NULL;
			/* the base by the name it was given, in full ("docker.io/library/busybox:latest"), when it is one */
			const char *name = limg_reference_parse_docker(&ref, base) == 0 ? limg_reference_string(ref) : NULL;
			limg_error_clear();
			if ((name && (rc = limg__json_map_set(b->annotations, BASE_NAME_KEY, name)) < 0) ||
			    (rc = limg__json_map_set(b->annotations, BASE_DIGEST_KEY,
			                                   img.digest)) < 0) {
				limg_reference_free(ref);
				limg__image_dispose(&img);
				return rc;
			}
			limg_reference_free(ref);
		}
		b->created = limg__strdup(limg__json_str(b->config, "created") ? limg__json_str(b->config, "created")
		                                                           : "1970-01-01T00:00:00Z");
		limg__image_dispose(&img);
	} else {
		char os[64], arch[64], variant[64];
		const char *platform = o->platform ? o->platform : limg_platform_native();
		char created[40];
		if ((rc = parse_platform(platform, os, arch, variant)) < 0)
			return rc;
		limg__rfc3339(created, 0);
		if (!(b->config = limg__config_new(os, arch, variant, created)) || !(b->created = limg__strdup(created)))
			return limg__error_oom();
	}
	if (!b->created)
		return limg__error_oom();
	if (o->set_created) {
		char created[40];
		cJSON *v;
		limg__rfc3339(created, o->created);
		limg__free(b->created);
		if (!(b->created = limg__strdup(created)) || !(v = cJSON_CreateString(created)))
			return limg__error_oom();
		if ((rc = limg__config_set_top(b->config, "created", v)) < 0)
			return rc;
	}
	if (o->format == LIMG_FORMAT_OCI)
		b->docker = false;
	else if (o->format == LIMG_FORMAT_DOCKER)
		b->docker = true;
	return 0;
}

int limg_builder_new(limg_builder **out, limg_store *store, const char *base, const limg_builder_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_builder_opts o = LIMG_BUILDER_OPTS_INIT;
	limg_builder *b;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!store)
		return limg__error_invalid("store");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_builder_opts")) < 0)
		return rc;
	if (o.format < LIMG_FORMAT_AUTO || o.format > LIMG_FORMAT_DOCKER)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "format", "invalid argument: format %d",
		                             o.format);
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(b = limg__calloc(1, sizeof *b))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	b->entered = true;
	if ((rc = limg__builder_start(b, store, base, &o)) < 0) {
		limg_builder_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void limg_builder_free(limg_builder *b)
{
	if (!b)
		return;
	cJSON_Delete(b->config);
	cJSON_Delete(b->layers);
	cJSON_Delete(b->annotations);
	limg__free(b->created);
	limg__lease_free(b->lease);
	if (b->entered)
		limg__store_leave(b->store);
	limg__free(b);
}

/* ---- layers and history ---------------------------------------------------- */

int limg__builder_add_layer(limg_builder *b, const limg__layer_facts *f, const cJSON *from, const char *created_by,
                            const char *comment, bool history)
{
	cJSON *d;
	int rc;

	if ((rc = limg__lease_add(b->lease, f->digest)) < 0)
		return rc;
	if (from) {
		if (!(d = cJSON_Duplicate(from, 1)))
			return limg__error_oom();
	} else {
		const char *type = limg__layer_media_type(f->compression, false);
		if (!type)
			return limg__error_set(LIMG_EUNSUPPORTED, "layer %s: no media type for its compression", f->digest);
		if (!(d = cJSON_CreateObject()))
			return limg__error_oom();
		cJSON_AddStringToObject(d, "mediaType", type);
		cJSON_AddStringToObject(d, "digest", f->digest);
		cJSON_AddNumberToObject(d, "size", (double)f->size);
	}
	cJSON_AddItemToArray(b->layers, d);
	if ((rc = limg__config_add_diff_id(b->config, f->diff_id)) < 0)
		return rc;
	return history ? limg__config_add_history(b->config, b->created, created_by, comment, false) : 0;
}

int limg_builder_append_layer(limg_builder *b, const limg_layer *layer, const char *created_by, const char *comment)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (!b)
		return limg__error_invalid("builder");
	if (!layer)
		return limg__error_invalid("layer");
	return limg__builder_add_layer(b, &layer->f, NULL, created_by, comment, true);
}

int limg_builder_add_history(limg_builder *b, const char *created_by, const char *comment)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (!b)
		return limg__error_invalid("builder");
	return limg__config_add_history(b->config, b->created, created_by, comment, true);
}

/* ---- config edits ---------------------------------------------------------- */

static int set_list(limg_builder *b, const char *key, const char *const *args, size_t n)
{
	cJSON *v = NULL;

	if (!b)
		return limg__error_invalid("builder");
	if (args && !(v = limg__json_strings(args, n)))
		return limg__error_oom();
	if (!args && n)
		return limg__error_invalid("args");
	return limg__config_set(b->config, key, v);
}

int limg_builder_set_entrypoint(limg_builder *b, const char *const *args, size_t n)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	return set_list(b, "Entrypoint", args, n);
}

int limg_builder_set_cmd(limg_builder *b, const char *const *args, size_t n)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	return set_list(b, "Cmd", args, n);
}

int limg_builder_set_shell(limg_builder *b, const char *const *args, size_t n)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (args && !n)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "args",
		                             "a shell needs at least its program (docker refuses SHELL [])");
	return set_list(b, "Shell", args, n);
}

int limg_builder_set_onbuild(limg_builder *b, const char *const *triggers, size_t n)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	return set_list(b, "OnBuild", triggers, n);
}

static int set_string(limg_builder *b, const char *key, const char *value)
{
	cJSON *v = NULL;

	if (!b)
		return limg__error_invalid("builder");
	if (value && !(v = cJSON_CreateString(value)))
		return limg__error_oom();
	return limg__config_set(b->config, key, v);
}

int limg_builder_set_user(limg_builder *b, const char *user)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	return set_string(b, "User", user);
}

int limg_builder_set_working_dir(limg_builder *b, const char *dir)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (dir && *dir != '/')
		return fail_invalid("working directory (not absolute)", dir);
	return set_string(b, "WorkingDir", dir);
}

int limg_builder_set_stop_signal(limg_builder *b, const char *signal)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (signal) {
		const char *p = signal;
		/* "SIGTERM", "TERM", "15", "SIGRTMIN+3": what Docker's signal parser takes */
		if (!*p)
			return fail_invalid("stop signal", signal);
		for (; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-')
				return fail_invalid("stop signal", signal);
	}
	return set_string(b, "StopSignal", signal);
}

int limg_builder_set_author(limg_builder *b, const char *author)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	cJSON *v = NULL;

	if (!b)
		return limg__error_invalid("builder");
	if (author && !(v = cJSON_CreateString(author)))
		return limg__error_oom();
	return limg__config_set_top(b->config, "author", v);
}

int limg_builder_set_env(limg_builder *b, const char *name, const char *value)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	cJSON *s, *env, *e, *v;
	size_t n;
	char *text;

	if (!b)
		return limg__error_invalid("builder");
	if (!name || !*name || strchr(name, '='))
		return fail_invalid("environment variable name", name);
	if (!(s = limg__config_settings(b->config)))
		return limg__error_oom();
	env = cJSON_GetObjectItemCaseSensitive(s, "Env");
	n = strlen(name);
	if (cJSON_IsArray(env)) {
		int i = 0;
		cJSON_ArrayForEach(e, env) {
			if (cJSON_IsString(e) && !strncmp(e->valuestring, name, n) && (e->valuestring[n] == '=' || !e->valuestring[n]))
				break;
			i++;
		}
		if (e && !value) {
			cJSON_DeleteItemFromArray(env, i);
			return 0;
		}
		if (!value)
			return 0;
		if (!(text = limg__malloc(n + strlen(value) + 2)))
			return limg__error_oom();
		sprintf(text, "%s=%s", name, value);
		v = cJSON_CreateString(text);
		limg__free(text);
		if (!v)
			return limg__error_oom();
		if (e)
			return cJSON_ReplaceItemInArray(env, i, v) ? 0 : limg__error_oom();
		cJSON_AddItemToArray(env, v);
		return 0;
	}
	if (!value)
		return 0;
	if (!(env = cJSON_CreateArray()) || limg__config_set(b->config, "Env", env) < 0)
		return limg__error_oom();
	return limg_builder_set_env(b, name, value);
}

int limg_builder_set_label(limg_builder *b, const char *key, const char *value)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (!b)
		return limg__error_invalid("builder");
	if (!key || !*key)
		return fail_invalid("label", key);
	return limg__config_map_set(b->config, "Labels", key, value, false, !value);
}

int limg_builder_add_exposed_port(limg_builder *b, const char *port)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	char proto[8] = "tcp", key[32];
	unsigned long lo, hi;
	const char *slash;
	char *end;
	int rc;

	if (!b)
		return limg__error_invalid("builder");
	if (!port || !*port)
		return fail_invalid("port", port);
	slash = strchr(port, '/');
	if (slash) {
		if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp") && strcmp(slash + 1, "sctp"))
			return fail_invalid("port (protocol: tcp, udp or sctp)", port);
		snprintf(proto, sizeof proto, "%s", slash + 1);
	}
	if (!isdigit((unsigned char)*port))
		return fail_invalid("port", port);
	lo = hi = strtoul(port, &end, 10);
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return fail_invalid("port", port);
		hi = strtoul(end + 1, &end, 10);
	}
	if ((*end && *end != '/') || lo < 1 || hi > 65535 || lo > hi)
		return fail_invalid("port", port);
	for (unsigned long p = lo; p <= hi; p++) {
		snprintf(key, sizeof key, "%lu/%s", p, proto);
		if ((rc = limg__config_map_set(b->config, "ExposedPorts", key, NULL, true, false)) < 0)
			return rc;
	}
	return 0;
}

int limg_builder_add_volume(limg_builder *b, const char *path)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (!b)
		return limg__error_invalid("builder");
	if (!path || *path != '/')
		return fail_invalid("volume (not absolute)", path);
	return limg__config_map_set(b->config, "Volumes", path, NULL, true, false);
}

int limg_builder_set_healthcheck(limg_builder *b, const char *const *test, size_t n, const limg_healthcheck_opts *opts)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	limg_healthcheck_opts o = LIMG_HEALTHCHECK_OPTS_INIT;
	cJSON *h;
	int rc;

	if (!b)
		return limg__error_invalid("builder");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_healthcheck_opts")) < 0)
		return rc;
	if (!test)
		return n ? limg__error_invalid("test") : limg__config_set(b->config, "Healthcheck", NULL);
	if (!n || !test[0] ||
	    (strcmp(test[0], "NONE") && strcmp(test[0], "CMD") && strcmp(test[0], "CMD-SHELL")) ||
	    (!strcmp(test[0], "NONE") && n != 1) || (!strcmp(test[0], "CMD-SHELL") && n != 2) ||
	    (!strcmp(test[0], "CMD") && n < 2))
		return fail_invalid("healthcheck test (NONE; CMD, args...; or CMD-SHELL, command)",
		                    n && test[0] ? test[0] : "");
	if (o.interval < 0 || o.timeout < 0 || o.start_period < 0 || o.start_interval < 0 || o.retries < 0)
		return fail_invalid("healthcheck (a negative duration or retries)", test[0]);
	if (!(h = cJSON_CreateObject()))
		return limg__error_oom();
	cJSON_AddItemToObject(h, "Test", limg__json_strings(test, n));
	/* Docker's field names, zero values left out as it leaves them */
	if (o.interval)
		cJSON_AddNumberToObject(h, "Interval", (double)o.interval);
	if (o.timeout)
		cJSON_AddNumberToObject(h, "Timeout", (double)o.timeout);
	if (o.start_period)
		cJSON_AddNumberToObject(h, "StartPeriod", (double)o.start_period);
	if (o.start_interval)
		cJSON_AddNumberToObject(h, "StartInterval", (double)o.start_interval);
	if (o.retries)
		cJSON_AddNumberToObject(h, "Retries", o.retries);
	return limg__config_set(b->config, "Healthcheck", h);
}

int limg_builder_set_platform(limg_builder *b, const char *platform)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	char os[64], arch[64], variant[64];
	cJSON *v;
	int rc;

	if (!b)
		return limg__error_invalid("builder");
	if (!platform)
		return limg__error_invalid("platform");
	if ((rc = parse_platform(platform, os, arch, variant)) < 0)
		return rc;
	if (!(v = cJSON_CreateString(arch)) || (rc = limg__config_set_top(b->config, "architecture", v)) < 0 ||
	    !(v = cJSON_CreateString(os)) || (rc = limg__config_set_top(b->config, "os", v)) < 0)
		return rc < 0 ? rc : limg__error_oom();
	v = NULL;
	if (*variant && !(v = cJSON_CreateString(variant)))
		return limg__error_oom();
	return limg__config_set_top(b->config, "variant", v);
}

int limg_builder_set_annotation(limg_builder *b, const char *key, const char *value)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	if (!b)
		return limg__error_invalid("builder");
	if (!key || !*key)
		return fail_invalid("annotation", key);
	if (!value) {
		cJSON_DeleteItemFromObjectCaseSensitive(b->annotations, key);
		return 0;
	}
	return limg__json_map_set(b->annotations, key, value);
}

/* ---- commit ------------------------------------------------------------------ */

/* A layer descriptor in the image's format: media types follow it. */
static int convert_layer(cJSON *d, bool docker)
{
	const char *type = limg__json_str(d, "mediaType"), *to = NULL;
	int c;

	if (!type)
		return limg__error_set(LIMG_EMANIFEST, "a layer without a media type");
	if (limg__media_is_foreign(type)) {
		bool is_docker = !strncmp(type, "application/vnd.docker.", 23);
		if (is_docker != docker)
			return limg__error_set(LIMG_EUNSUPPORTED, "layer %s is foreign in %s's format; it cannot change format",
			                       limg__json_str(d, "digest") ? limg__json_str(d, "digest") : "?",
			                       is_docker ? "Docker" : "OCI");
		return 0;
	}
	c = limg_compression_from_media_type(type);
	if (c == LIMG_COMPRESSION_UNKNOWN)
		return 0; /* not ours to understand: kept as it is */
	if (!(to = limg__layer_media_type(c, docker)))
		return limg__error_set(LIMG_EUNSUPPORTED, "layer %s is zstd: Docker's image format has no zstd layers (use OCI's)",
		                       limg__json_str(d, "digest") ? limg__json_str(d, "digest") : "?");
	if (strcmp(type, to) != 0) {
		cJSON *v = cJSON_CreateString(to);
		if (!v || !cJSON_ReplaceItemInObjectCaseSensitive(d, "mediaType", v))
			return limg__error_oom();
	}
	return 0;
}

cJSON *limg__manifest_doc(bool docker, const char *config_digest, int64_t config_size, const cJSON *layers,
                          const cJSON *annotations)
{
	cJSON *m = cJSON_CreateObject(), *c, *ls;

	if (!m)
		return NULL;
	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", docker ? LIMG_MEDIA_DOCKER_MANIFEST : LIMG_MEDIA_OCI_MANIFEST);
	c = cJSON_AddObjectToObject(m, "config");
	if (c) {
		cJSON_AddStringToObject(c, "mediaType", docker ? LIMG_MEDIA_DOCKER_CONFIG : LIMG_MEDIA_OCI_CONFIG);
		cJSON_AddStringToObject(c, "digest", config_digest);
		cJSON_AddNumberToObject(c, "size", (double)config_size);
	}
	ls = cJSON_Duplicate(layers, 1);
	if (ls)
		cJSON_AddItemToObject(m, "layers", ls);
	/* Docker's schema 2 has no annotations */
	if (!docker && annotations && annotations->child)
		cJSON_AddItemToObject(m, "annotations", cJSON_Duplicate(annotations, 1));
	if (!c || !ls) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

int limg__builder_write(limg_builder *b, char digest[80], int64_t *size)
{
	char config_digest[80];
	int64_t config_size;
	cJSON *m, *d;
	int rc;

	cJSON_ArrayForEach(d, b->layers) if ((rc = convert_layer(d, b->docker)) < 0) return rc;
	/* what goes out must read back as an image config */
	{
		char *text = limg__json_print(b->config, false);
		limg_config *check = NULL;
		if (!text)
			return limg__error_oom();
		rc = limg_config_parse(&check, text, strlen(text));
		limg_config_free(check);
		limg__free(text);
		if (rc < 0)
			return limg__error_prefix("the built config");
	}
	if (limg_cancel_requested(b->o.cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	if ((rc = limg__store_json(b->store, b->lease, b->config, config_digest, &config_size)) < 0)
		return rc;
	if (!(m = limg__manifest_doc(b->docker, config_digest, config_size, b->layers, b->annotations)))
		return limg__error_oom();
	rc = limg__store_json(b->store, b->lease, m, digest, size);
	cJSON_Delete(m);
	return rc;
}

int limg_builder_commit(limg_buf *out_digest, limg_builder *b, const char *tag)
{
	LIMG__ALLOCATOR_FROM(b ? limg__store_context(b->store) : NULL);
	char digest[80];
	int64_t size;
	int rc;

	if (!out_digest)
		return limg__error_invalid("out_digest");
	memset(out_digest, 0, sizeof *out_digest);
	if (!b)
		return limg__error_invalid("builder");
	if ((rc = limg__builder_write(b, digest, &size)) < 0 || (rc = limg__image_keep(b->store, digest, tag)) < 0)
		return rc;
	limg__log(limg__store_context(b->store), LIMG_LOG_INFO, "built %s%s%s", digest, tag ? " as " : "", tag ? tag : "");
	return limg_buf_set(out_digest, digest, strlen(digest));
}
