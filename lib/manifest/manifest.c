/* SPDX-License-Identifier: MIT */
/*
 * Parsing manifests and indexes. Strict on purpose: a document that could be
 * read two ways (CVE-2021-41190) or that disagrees with its Content-Type is
 * refused, and schema 1 is refused with a message that says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "fields.h"
#include "manifest_internal.h"
#include "media.h"

static const char *const image_types[] = { LIMG_MEDIA_OCI_MANIFEST, LIMG_MEDIA_DOCKER_MANIFEST };
static const char *const index_types[] = { LIMG_MEDIA_OCI_INDEX, LIMG_MEDIA_DOCKER_LIST };

static bool in(const char *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t, list[i]))
			return true;
	return false;
}

/* Content-Types that say nothing about the document (some registries use them). */
static bool is_generic(const char *t)
{
	return !*t || !strcmp(t, "application/json") || !strcmp(t, "text/plain") ||
	       !strcmp(t, "application/octet-stream");
}

static const char *str_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int invalid(const char *fmt, const char *where)
{
	return limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, NULL, fmt, where);
}

/* Annotations are a map of strings (OCI image spec); NULL when absent. */
static int read_annotations(const cJSON **out, const cJSON *json, const char *where)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "annotations"), *v;

	*out = NULL;
	if (!a || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsObject(a))
		return invalid("invalid manifest: the annotations of %s are not an object", where);
	cJSON_ArrayForEach(v, a)
		if (!cJSON_IsString(v))
			return invalid("invalid manifest: an annotation of %s is not a string", where);
	*out = a;
	return 0;
}

int limg__descriptor_read(limg_descriptor *d, const cJSON *json, const char *where)
{
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(json, "size");
	const cJSON *platform = cJSON_GetObjectItemCaseSensitive(json, "platform");
	const cJSON *urls = cJSON_GetObjectItemCaseSensitive(json, "urls");

	const cJSON *u;

	memset(d, 0, sizeof *d);
	if (!cJSON_IsObject(json))
		return invalid("invalid manifest: %s is not a descriptor", where);
	d->media_type = str_field(json, "mediaType");
	d->digest = str_field(json, "digest");
	d->artifact_type = str_field(json, "artifactType");
	if (!d->media_type)
		return invalid("invalid manifest: %s has no mediaType", where);
	if (!d->digest || limg__digest_check(d->digest, strlen(d->digest), NULL) != 0)
		return invalid("invalid manifest: %s has no valid digest", where);
	if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 9007199254740992.0 ||
	    (double)(int64_t)size->valuedouble != size->valuedouble)
		return invalid("invalid manifest: %s has no valid size", where);
	d->size = (int64_t)size->valuedouble;
	if (platform) {
		if (!cJSON_IsObject(platform))
			return invalid("invalid manifest: %s has a malformed platform", where);
		d->os = str_field(platform, "os");
		d->architecture = str_field(platform, "architecture");
		d->variant = str_field(platform, "variant");
		d->os_version = str_field(platform, "os.version");
	}
	if (read_annotations(&d->annotations, json, where) < 0)
		return LIMG_EMANIFEST;
	if (urls && !cJSON_IsNull(urls)) {
		if (!cJSON_IsArray(urls))
			return invalid("invalid manifest: the urls of %s are not a list", where);
		cJSON_ArrayForEach(u, urls)
			if (!cJSON_IsString(u))
				return invalid("invalid manifest: a url of %s is not a string", where);
		d->urls = urls;
		d->url_count = (size_t)cJSON_GetArraySize(urls);
	}
	return 0;
}

static int parse(limg_manifest *m, const void *data, size_t len, const char *content_type)
{
	char ct[256] = "";
	const char *type;
	const cJSON *version, *list, *d;
	char why[200], q1[300], q2[300];
	size_t i = 0;
	int rc;

	if (content_type)
		limg__media_bare_type(ct, sizeof ct, content_type);
	if (limg__media_is_schema1(ct))
		return limg__error_set(LIMG_EUNSUPPORTED, "schema 1 manifests are not supported; the image must be "
		                                          "pushed again with a current client");
	/* one document for every reader: no duplicate keys, no \u0000, valid UTF-8 */
	if ((rc = limg__json_parse(&m->doc, data, len, &limg__manifest_fields, why, sizeof why)) == LIMG_ENOMEM)
		return limg__error_oom();
	if (rc < 0)
		return invalid("invalid manifest: not valid, unambiguous JSON (%s)", why);
	if (!cJSON_IsObject(m->doc))
		return invalid("invalid manifest: %s", "not a JSON object");
	version = cJSON_GetObjectItemCaseSensitive(m->doc, "schemaVersion");
	type = str_field(m->doc, "mediaType");
	if ((cJSON_IsNumber(version) && version->valuedouble == 1) || (type && limg__media_is_schema1(type)) ||
	    cJSON_GetObjectItemCaseSensitive(m->doc, "fsLayers"))
		return limg__error_set(LIMG_EUNSUPPORTED, "schema 1 manifests are not supported; the image must be pushed "
		                                          "again with a current client");
	if (!cJSON_IsNumber(version) || version->valuedouble != 2)
		return limg__error_set(LIMG_EMANIFEST, "invalid manifest: schemaVersion must be 2");
	if (type && !is_generic(ct) && strcmp(type, ct) != 0) {
		limg__quote(q1, sizeof q1, type, strlen(type));
		limg__quote(q2, sizeof q2, ct, strlen(ct));
		return limg__error_set(LIMG_EMANIFEST, "invalid manifest: mediaType %s but Content-Type %s", q1, q2);
	}
	/* Docker's formats always say what they are (distribution, containers/image:
	 * "unsupported docker v2s2 media type"); only OCI may leave it out */
	if (!type && (!strcmp(ct, LIMG_MEDIA_DOCKER_MANIFEST) || !strcmp(ct, LIMG_MEDIA_DOCKER_LIST))) {
		limg__quote(q2, sizeof q2, ct, strlen(ct));
		return limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, NULL,
		                             "invalid manifest: a Docker manifest (Content-Type %s) without mediaType", q2);
	}
	if (!type && !is_generic(ct))
		type = ct;
	if (!type) {
		/* OCI allows omitting mediaType: tell by shape */
		if (cJSON_GetObjectItemCaseSensitive(m->doc, "manifests"))
			type = LIMG_MEDIA_OCI_INDEX;
		else if (cJSON_GetObjectItemCaseSensitive(m->doc, "config"))
			type = LIMG_MEDIA_OCI_MANIFEST;
		else
			return limg__error_set(LIMG_EMANIFEST, "invalid manifest: neither a manifest nor an index");
	}
	if (in(type, image_types, 2))
		m->kind = LIMG_MANIFEST_IMAGE;
	else if (in(type, index_types, 2))
		m->kind = LIMG_MANIFEST_INDEX;
	else {
		limg__quote(q1, sizeof q1, type, strlen(type));
		return limg__error_set(LIMG_EUNSUPPORTED, "unsupported manifest media type %s", q1);
	}
	if (!(m->media_type = limg__strdup(type)))
		return limg__error_oom();
	m->artifact_type = str_field(m->doc, "artifactType");
	if ((rc = read_annotations(&m->annotations, m->doc, "the manifest")) < 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(m->doc, "subject")) {
		if ((rc = limg__descriptor_read(&m->subject, cJSON_GetObjectItemCaseSensitive(m->doc, "subject"),
		                                "subject")) < 0)
			return rc;
		m->has_subject = true;
	}

	if (m->kind == LIMG_MANIFEST_IMAGE) {
		if (cJSON_GetObjectItemCaseSensitive(m->doc, "manifests"))
			return limg__error_set(LIMG_EMANIFEST, "invalid manifest: an image manifest with \"manifests\" is "
			                                       "ambiguous");
		if ((rc = limg__descriptor_read(&m->config, cJSON_GetObjectItemCaseSensitive(m->doc, "config"), "config")) < 0)
			return rc;
		list = cJSON_GetObjectItemCaseSensitive(m->doc, "layers");
		if (!cJSON_IsArray(list))
			return limg__error_set(LIMG_EMANIFEST, "invalid manifest: no layers list");
	} else {
		if (cJSON_GetObjectItemCaseSensitive(m->doc, "config") || cJSON_GetObjectItemCaseSensitive(m->doc, "layers"))
			return limg__error_set(LIMG_EMANIFEST, "invalid manifest: an index with \"config\" or \"layers\" is "
			                                       "ambiguous");
		list = cJSON_GetObjectItemCaseSensitive(m->doc, "manifests");
		if (!cJSON_IsArray(list))
			return limg__error_set(LIMG_EMANIFEST, "invalid manifest: no manifests list");
	}
	m->count = (size_t)cJSON_GetArraySize(list);
	if (m->count && !(m->items = limg__calloc(m->count, sizeof *m->items)))
		return limg__error_oom();
	cJSON_ArrayForEach(d, list) {
		char where[64];
		snprintf(where, sizeof where, "%s[%zu]", m->kind == LIMG_MANIFEST_IMAGE ? "layers" : "manifests", i);
		if ((rc = limg__descriptor_read(&m->items[i++], d, where)) < 0)
			return rc;
	}
	return 0;
}

int limg_manifest_parse(limg_manifest **out, const void *data, size_t len, const char *content_type)
{
	limg_manifest *m;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!data && len)
		return limg__error_invalid("data");
	if (len > LIMG_MANIFEST_SIZE_MAX)
		return limg__error_set_about(LIMG_ETOOBIG, LIMG_SUBJECT_MANIFEST, NULL,
		                             "manifest of %zu bytes is over the %d-byte limit", len, LIMG_MANIFEST_SIZE_MAX);
	if (!(m = limg__calloc(1, sizeof *m)))
		return limg__error_oom();
	if ((rc = parse(m, data ? data : "", len, content_type)) < 0) {
		limg_manifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void limg_manifest_free(limg_manifest *m)
{
	if (!m)
		return;
	cJSON_Delete(m->doc);
	limg__free(m->media_type);
	limg__free(m->items);
	limg__free(m);
}

int limg_manifest_kind(const limg_manifest *m)
{
	return m ? m->kind : 0;
}

const char *limg_manifest_media_type(const limg_manifest *m)
{
	return m ? m->media_type : NULL;
}

const limg_descriptor *limg_manifest_config(const limg_manifest *m)
{
	return m && m->kind == LIMG_MANIFEST_IMAGE ? &m->config : NULL;
}

size_t limg_manifest_count(const limg_manifest *m)
{
	return m ? m->count : 0;
}

const limg_descriptor *limg_manifest_entry(const limg_manifest *m, size_t i)
{
	return m && i < m->count ? &m->items[i] : NULL;
}

const char *limg_manifest_artifact_type(const limg_manifest *m)
{
	return m ? m->artifact_type : NULL;
}

const limg_descriptor *limg_manifest_subject(const limg_manifest *m)
{
	return m && m->has_subject ? &m->subject : NULL;
}

static const char *annotation(const cJSON *annotations, const char *key)
{
	const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(annotations, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *limg_manifest_annotation(const limg_manifest *m, const char *key)
{
	return m ? annotation(m->annotations, key) : NULL;
}

const char *limg_descriptor_media_type(const limg_descriptor *d)
{
	return d ? d->media_type : NULL;
}

const char *limg_descriptor_digest(const limg_descriptor *d)
{
	return d ? d->digest : NULL;
}

int64_t limg_descriptor_size(const limg_descriptor *d)
{
	return d ? d->size : -1;
}

const char *limg_descriptor_os(const limg_descriptor *d)
{
	return d ? d->os : NULL;
}

const char *limg_descriptor_architecture(const limg_descriptor *d)
{
	return d ? d->architecture : NULL;
}

const char *limg_descriptor_variant(const limg_descriptor *d)
{
	return d ? d->variant : NULL;
}

const char *limg_descriptor_os_version(const limg_descriptor *d)
{
	return d ? d->os_version : NULL;
}

const char *limg_descriptor_artifact_type(const limg_descriptor *d)
{
	return d ? d->artifact_type : NULL;
}

const char *limg_descriptor_annotation(const limg_descriptor *d, const char *key)
{
	return d ? annotation(d->annotations, key) : NULL;
}

size_t limg_descriptor_url_count(const limg_descriptor *d)
{
	return d ? d->url_count : 0;
}

const char *limg_descriptor_url(const limg_descriptor *d, size_t i)
{
	const cJSON *u = d && i < d->url_count ? cJSON_GetArrayItem(d->urls, (int)i) : NULL;
	return cJSON_IsString(u) ? u->valuestring : NULL;
}

int limg_descriptor_is_foreign(const limg_descriptor *d)
{
	return d && limg__media_is_foreign(d->media_type);
}
