/* SPDX-License-Identifier: MIT */
/* manifest.json and index.json of an archive (listing.h). Keys are matched
 * as Go's decoder matches them (Docker reads manifest.json with it), and
 * two keys that fold to one name are refused by the strict reader. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "listing.h"

static const char *const manifest_json_names[] = { "config", "layers", "layersources", "parent", "repotags" };
static const limg__json_fields manifest_json_fields = { manifest_json_names, 5 };

static const char *const index_json_names[] = { "annotations", "digest", "manifests", "mediatype", "platform",
                                                "schemaversion", "size" };
static const limg__json_fields index_json_fields = { index_json_names, 7 };

/* A member of @obj whose key Go's decoder reads as @name. */
static const cJSON *field(const cJSON *obj, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj) if (c->string && limg__json_key_is(c->string, name)) return c;
	return NULL;
}

static int bad(const char *file, const char *fmt, const char *detail, int at)
{
	char q[300];

	limg__quote(q, sizeof q, detail ? detail : "", detail ? strlen(detail) : 0);
	return limg__error_set(LIMG_ECORRUPT, "archive: %s: entry %d: %s%s%s", file, at, fmt, detail ? " " : "",
	                       detail ? q : "");
}

/* The strings of a JSON list; a null or absent list is empty. */
static int strings(char ***out, size_t *n, const cJSON *list, const char *what, int at)
{
	const cJSON *item;
	size_t i = 0, count;

	*out = NULL;
	*n = 0;
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return bad("manifest.json", what, NULL, at);
	count = (size_t)cJSON_GetArraySize(list);
	if (count && !(*out = limg__calloc(count, sizeof **out)))
		return limg__error_oom();
	cJSON_ArrayForEach(item, list) {
		if (!cJSON_IsString(item))
			return bad("manifest.json", what, NULL, at);
		if (!((*out)[i++] = limg__strdup(item->valuestring)))
			return limg__error_oom();
		*n = i;
	}
	return 0;
}

static int docker_entries(limg__listing *out, const char *text, size_t len)
{
	char why[200];
	cJSON *doc = NULL;
	const cJSON *e;
	int at = 0, rc = 0;

	if ((rc = limg__json_parse(&doc, text, len, &manifest_json_fields, why, sizeof why)) == LIMG_ENOMEM)
		return limg__error_oom();
	if (rc < 0)
		return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json is not valid, unambiguous JSON (%s)", why);
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return limg__error_set(LIMG_ECORRUPT, "archive: manifest.json is not a list");
	}
	if (cJSON_GetArraySize(doc) && !(out->docker = limg__calloc((size_t)cJSON_GetArraySize(doc), sizeof *out->docker))) {
		cJSON_Delete(doc);
		return limg__error_oom();
	}
	cJSON_ArrayForEach(e, doc) {
		limg__docker_entry *d = &out->docker[out->ndocker++];
		const cJSON *config = field(e, "Config");
		if (!cJSON_IsObject(e) || !cJSON_IsString(config) || !cJSON_IsArray(field(e, "Layers"))) {
			rc = bad("manifest.json", "is not an object of Config, RepoTags, Layers", NULL, at);
			break;
		}
		if (!(d->config = limg__strdup(config->valuestring))) {
			rc = limg__error_oom();
			break;
		}
		if ((rc = strings(&d->layers, &d->nlayers, field(e, "Layers"), "Layers is not a list of paths", at)) < 0 ||
		    (rc = strings(&d->tags, &d->ntags, field(e, "RepoTags"), "RepoTags is not a list of names", at)) < 0)
			break;
		at++;
	}
	cJSON_Delete(doc);
	return rc;
}

static int oci_entries(limg__listing *out, const char *text, size_t len)
{
	char why[200];
	cJSON *doc = NULL;
	const cJSON *list, *d;
	int at = 0, rc = 0;

	if ((rc = limg__json_parse(&doc, text, len, &index_json_fields, why, sizeof why)) == LIMG_ENOMEM)
		return limg__error_oom();
	if (rc < 0)
		return limg__error_set(LIMG_ECORRUPT, "archive: index.json is not valid, unambiguous JSON (%s)", why);
	list = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
	if (!cJSON_IsObject(doc) || (list && !cJSON_IsArray(list))) {
		cJSON_Delete(doc);
		return limg__error_set(LIMG_ECORRUPT, "archive: index.json is not an OCI index");
	}
	if (cJSON_GetArraySize(list) && !(out->oci = limg__calloc((size_t)cJSON_GetArraySize(list), sizeof *out->oci))) {
		cJSON_Delete(doc);
		return limg__error_oom();
	}
	cJSON_ArrayForEach(d, list) {
		const cJSON *digest = cJSON_GetObjectItemCaseSensitive(d, "digest");
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(d, "annotations");
		const cJSON *full = cJSON_GetObjectItemCaseSensitive(ann, "io.containerd.image.name");
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(ann, "org.opencontainers.image.ref.name");
		limg__oci_entry *o = &out->oci[out->noci];
		const char *name;
		if (!cJSON_IsString(digest) || limg__digest_check(digest->valuestring, strlen(digest->valuestring), NULL)) {
			rc = bad("index.json", "has no valid digest", cJSON_IsString(digest) ? digest->valuestring : NULL, at);
			break;
		}
		if (ann && !cJSON_IsObject(ann)) {
			rc = bad("index.json", "has annotations that are not an object", NULL, at);
			break;
		}
		if (!(o->digest = limg__strdup(digest->valuestring))) {
			rc = limg__error_oom();
			break;
		}
		out->noci++;
		/* a full name; else a ref.name that is one (podman's); a bare tag names nothing here */
		name = cJSON_IsString(full) ? full->valuestring
		       : cJSON_IsString(ref) && strchr(ref->valuestring, '/') && strchr(ref->valuestring, ':')
		           ? ref->valuestring
		           : NULL;
		if (name && !(o->name = limg__strdup(name))) {
			rc = limg__error_oom();
			break;
		}
		at++;
	}
	cJSON_Delete(doc);
	return rc;
}

int limg__listing_parse(limg__listing *out, const char *manifest_json, size_t manifest_len, const char *index_json,
                        size_t index_len)
{
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->has_manifest_json = manifest_json != NULL;
	out->has_index_json = index_json != NULL;
	if (manifest_json)
		rc = docker_entries(out, manifest_json, manifest_len);
	if (rc == 0 && index_json)
		rc = oci_entries(out, index_json, index_len);
	if (rc < 0)
		limg__listing_dispose(out);
	return rc;
}

void limg__listing_dispose(limg__listing *l)
{
	for (size_t i = 0; i < l->ndocker; i++) {
		limg__docker_entry *d = &l->docker[i];
		limg__free(d->config);
		for (size_t j = 0; j < d->nlayers; j++)
			limg__free(d->layers[j]);
		limg__free(d->layers);
		for (size_t j = 0; j < d->ntags; j++)
			limg__free(d->tags[j]);
		limg__free(d->tags);
	}
	limg__free(l->docker);
	for (size_t i = 0; i < l->noci; i++) {
		limg__free(l->oci[i].digest);
		limg__free(l->oci[i].name);
	}
	limg__free(l->oci);
	memset(l, 0, sizeof *l);
}
