/* SPDX-License-Identifier: MIT */
/*
 * The `.sig` manifest as cosign and containers/image write it: an OCI
 * image manifest whose layers are the signatures (payload blobs, the
 * signature in an annotation) and whose config lists them as diff_ids.
 * Adding to it keeps what is there: two signers, or a copy meeting a
 * signature the destination had, leave both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "libimage/digest.h"
#include "libimage/sign.h"
#include "registry/registry_internal.h"
#include "sig_manifest.h"

/* Bytes in memory as an upload's source. */
struct mem {
	const char *data;
	size_t len, at;
};

static int read_mem(size_t *got, void *buf, size_t cap, void *payload)
{
	struct mem *m = payload;
	size_t n = m->len - m->at < cap ? m->len - m->at : cap;

	memcpy(buf, m->data + m->at, n);
	m->at += n;
	*got = n;
	return 0;
}

static int seek_mem(int64_t offset, void *payload)
{
	((struct mem *)payload)->at = (size_t)offset;
	return 0;
}

int limg__sig_upload(limg_registry *r, const char *repo, const char *digest, const void *data, size_t len,
                     const limg_cancel *cancel)
{
	limg_registry_upload_opts uo = LIMG_REGISTRY_UPLOAD_OPTS_INIT;
	limg_registry_upload_callbacks ucb = LIMG_REGISTRY_UPLOAD_CALLBACKS_INIT;
	struct mem cursor = { data, len, 0 };

	uo.cancel = (limg_cancel *)cancel;
	ucb.read = read_mem;
	ucb.seek = seek_mem;
	ucb.payload = &cursor;
	return limg_registry_blob_upload(NULL, r, repo, digest, (int64_t)len, &uo, &ucb);
}

/* Whether @list has a layer like @d: the same blob with the same signature. */
static bool has_layer(const cJSON *list, const cJSON *d)
{
	const cJSON *e;
	const char *digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "digest"));
	const char *sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(d, "annotations"), LIMG_ANNOTATION_COSIGN_SIGNATURE));

	cJSON_ArrayForEach(e, list) {
		const char *ed = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "digest"));
		const char *es = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(e, "annotations"), LIMG_ANNOTATION_COSIGN_SIGNATURE));
		if (ed && digest && !strcmp(ed, digest) && ((!es && !sig) || (es && sig && !strcmp(es, sig))))
			return true;
	}
	return false;
}

bool limg__sig_layers_within(const cJSON *have, const cJSON *layers)
{
	const cJSON *e;

	if (!cJSON_IsArray(have) || !cJSON_IsArray(layers))
		return false;
	cJSON_ArrayForEach(e, have)
		if (!has_layer(layers, e))
			return false;
	return true;
}

int limg__sig_merge(limg_registry *r, const char *repo, const char *tag, const cJSON *layers,
                    const limg_cancel *cancel)
{
	limg_remote_manifest *m = NULL;
	limg_manifest *old = NULL;
	cJSON *doc = NULL, *all = NULL, *config = NULL, *rootfs, *diff_ids, *history, *h, *man = NULL, *cd;
	const cJSON *e;
	limg_buf config_digest = LIMG_BUF_INIT;
	char *config_text = NULL, *text = NULL, why[200];
	bool added = false;
	int rc = limg__registry_manifest_fetch_origin(&m, r, repo, tag, cancel);

	if (rc == LIMG_ENOTFOUND) {
		limg_error_clear();
		all = cJSON_CreateArray();
	} else if (rc < 0) {
		return rc;
	} else {
		if (strcmp(limg_remote_manifest_media_type(m), LIMG_MEDIA_OCI_MANIFEST) != 0 ||
		    limg_manifest_parse(&old, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m),
		                        LIMG_MEDIA_OCI_MANIFEST) < 0 ||
		    limg__json_parse(&doc, limg_remote_manifest_body(m), (size_t)limg_remote_manifest_size(m), NULL, why,
		                     sizeof why) < 0) {
			rc = limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, tag,
			                           "%s/%s:%s is no cosign signature manifest: left as it is",
			                           limg_registry_domain(r), repo, tag);
			goto out;
		}
		all = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "layers"), 1);
	}
	if (!all) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(e, layers) {
		if (has_layer(all, e))
			continue;
		if (!cJSON_AddItemToArray(all, cJSON_Duplicate(e, 1))) {
			rc = limg__error_oom();
			goto out;
		}
		added = true;
	}
	if (!added && m) {
		rc = 0; /* every signature is there already */
		goto out;
	}
	/* the config cosign writes: the layers as diff_ids, nothing else said */
	if (!(config = cJSON_CreateObject()) || !cJSON_AddStringToObject(config, "architecture", "") ||
	    !cJSON_AddObjectToObject(config, "config") ||
	    !cJSON_AddStringToObject(config, "created", "0001-01-01T00:00:00Z") ||
	    !(history = cJSON_AddArrayToObject(config, "history")) || !(h = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(history, h) || !cJSON_AddStringToObject(h, "created", "0001-01-01T00:00:00Z") ||
	    !cJSON_AddStringToObject(config, "os", "") || !(rootfs = cJSON_AddObjectToObject(config, "rootfs")) ||
	    !cJSON_AddStringToObject(rootfs, "type", "layers") || !(diff_ids = cJSON_AddArrayToObject(rootfs, "diff_ids"))) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(e, all) {
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "digest"));
		if (!d || !cJSON_AddItemToArray(diff_ids, cJSON_CreateString(d))) {
			rc = d ? limg__error_oom() : limg__error_set(LIMG_EMANIFEST, "a layer of %s has no digest", tag);
			goto out;
		}
	}
	if (!(config_text = limg__json_print(config, false))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = limg_digest_compute(&config_digest, LIMG_DIGEST_SHA256, config_text, strlen(config_text))) < 0 ||
	    (rc = limg__sig_upload(r, repo, config_digest.ptr, config_text, strlen(config_text), cancel)) < 0)
		goto out;
	if (!(man = cJSON_CreateObject()) || !cJSON_AddNumberToObject(man, "schemaVersion", 2) ||
	    !cJSON_AddStringToObject(man, "mediaType", LIMG_MEDIA_OCI_MANIFEST) ||
	    !(cd = cJSON_AddObjectToObject(man, "config")) ||
	    !cJSON_AddStringToObject(cd, "mediaType", LIMG_MEDIA_OCI_CONFIG) ||
	    !cJSON_AddNumberToObject(cd, "size", (double)strlen(config_text)) ||
	    !cJSON_AddStringToObject(cd, "digest", config_digest.ptr) || !cJSON_AddItemToObject(man, "layers", all)) {
		rc = limg__error_oom();
		goto out;
	}
	all = NULL; /* now the manifest's */
	if (!(text = limg__json_print(man, false))) {
		rc = limg__error_oom();
		goto out;
	}
	rc = limg__registry_manifest_put(NULL, NULL, r, repo, tag, LIMG_MEDIA_OCI_MANIFEST, text, strlen(text), cancel);
out:
	limg__free(text);
	limg__free(config_text);
	cJSON_Delete(man);
	cJSON_Delete(config);
	cJSON_Delete(all);
	cJSON_Delete(doc);
	limg_buf_dispose(&config_digest);
	limg_manifest_free(old);
	limg_remote_manifest_free(m);
	return rc;
}
