/* SPDX-License-Identifier: MIT */
/* An index (manifest list) from per-platform images of the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "config.h"
#include "core/core.h"
#include "image.h"
#include "libimage/bounds.h"
#include "libimage/images.h"

int limg_index_opts_init(limg_index_opts *opts, size_t size)
{
	static const limg_index_opts defaults = LIMG_INDEX_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* The manifest digest @name stands for; an index is refused (these are per-platform images). */
static int image_digest(char out[80], limg_store *store, const char *name)
{
	limg_buf found = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	int64_t size;
	int rc;

	if (!strncmp(name, "sha256:", 7) && strlen(name) == 71 && limg_store_blob_stat(&size, store, name) == 0 &&
	    size <= LIMG_MANIFEST_SIZE_MAX && limg_store_blob_read(&bytes, store, name, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL) == 0) {
		rc = limg_buf_set(&found, name, strlen(name));
	} else {
		limg_error_clear();
		limg_buf_dispose(&bytes);
		if ((rc = limg_images_lookup(&found, store, name)) == 0 &&
		    (rc = limg_store_blob_read(&bytes, store, found.ptr, LIMG_MANIFEST_SIZE_MAX)) == 0)
			rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL);
	}
	if (rc == 0 && limg_manifest_kind(m) != LIMG_MANIFEST_IMAGE)
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_IMAGE, name,
		                           "%s is an index: an index is made of per-platform images", name);
	if (rc == 0)
		snprintf(out, 80, "%s", found.ptr);
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&found);
	return rc;
}

static cJSON *entry_of(const limg__stored_image *img, int64_t size, char platform[300])
{
	const char *os = limg_config_os(img->c), *arch = limg_config_architecture(img->c);
	const char *variant = limg_config_variant(img->c), *os_version = limg_config_os_version(img->c);
	cJSON *e = cJSON_CreateObject(), *p;

	snprintf(platform, 300, "%s/%s%s%s%s%s", os, arch, variant && *variant ? "/" : "", variant ? variant : "",
	         os_version && *os_version ? " " : "", os_version ? os_version : "");
	if (!e)
		return NULL;
	cJSON_AddStringToObject(e, "mediaType", limg_manifest_media_type(img->m));
	cJSON_AddStringToObject(e, "digest", img->digest);
	cJSON_AddNumberToObject(e, "size", (double)size);
	if (!(p = cJSON_AddObjectToObject(e, "platform"))) {
		cJSON_Delete(e);
		return NULL;
	}
	cJSON_AddStringToObject(p, "architecture", arch);
	cJSON_AddStringToObject(p, "os", os);
	if (os_version && *os_version)
		cJSON_AddStringToObject(p, "os.version", os_version);
	if (variant && *variant)
		cJSON_AddStringToObject(p, "variant", variant);
	return e;
}

int limg_build_index(limg_buf *out_digest, limg_store *store, const char *const *images, size_t n, const char *tag,
                     const limg_index_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_index_opts o = LIMG_INDEX_OPTS_INIT;
	limg__lease *lease = NULL;
	cJSON *index = NULL, *entries;
	char (*platforms)[300] = NULL;
	char digest[80];
	int64_t size;
	bool all_docker = true;
	int rc;

	if (!out_digest)
		return limg__error_invalid("out_digest");
	memset(out_digest, 0, sizeof *out_digest);
	if (!store || !images || !n)
		return limg__error_invalid(!store ? "store" : "images");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_index_opts")) < 0)
		return rc;
	if (o.format < LIMG_FORMAT_AUTO || o.format > LIMG_FORMAT_DOCKER)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "format", "invalid argument: format %d",
		                             o.format);
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(platforms = limg__calloc(n, sizeof *platforms)) || !(index = cJSON_CreateObject())) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_AddNumberToObject(index, "schemaVersion", 2);
	cJSON_AddStringToObject(index, "mediaType", LIMG_MEDIA_OCI_INDEX);
	if (!(entries = cJSON_AddArrayToObject(index, "manifests")) || (rc = limg__lease_new(&lease, store)) < 0) {
		rc = rc < 0 ? rc : limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		limg__stored_image img;
		cJSON *e;
		if (limg_cancel_requested(o.cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "cancelled");
			goto out;
		}
		if (!images[i]) {
			rc = limg__error_invalid("images");
			goto out;
		}
		if ((rc = image_digest(digest, store, images[i])) < 0 ||
		    (rc = limg__image_load_manifest(&img, store, digest, lease)) < 0 ||
		    (rc = limg_store_blob_stat(&size, store, digest)) < 0)
			goto out;
		if (o.format == LIMG_FORMAT_DOCKER && !img.docker) {
			/* Docker's manifest list names Docker manifests only: docker and podman refuse
			 * an OCI one inside it, and its digest is not the image's to rewrite here */
			limg__image_dispose(&img);
			rc = limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, images[i],
			                           "%s has OCI media types: a Docker manifest list holds Docker images "
			                           "(make it an OCI index, or build it with the Docker format)", images[i]);
			goto out;
		}
		all_docker = all_docker && img.docker;
		e = entry_of(&img, size, platforms[i]);
		limg__image_dispose(&img);
		if (!e) {
			rc = limg__error_oom();
			goto out;
		}
		cJSON_AddItemToArray(entries, e);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(platforms[k], platforms[i])) {
				rc = limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, images[i],
				                           "%s and %s are both %s: an index holds one image per platform",
				                           images[k], images[i], platforms[i]);
				goto out;
			}
	}
	if (o.format == LIMG_FORMAT_DOCKER || (o.format == LIMG_FORMAT_AUTO && all_docker))
		cJSON_ReplaceItemInObjectCaseSensitive(index, "mediaType", cJSON_CreateString(LIMG_MEDIA_DOCKER_LIST));
	if ((rc = limg__store_json(store, lease, index, digest, &size)) == 0 &&
	    (rc = limg__image_keep(store, digest, tag)) == 0)
		rc = limg_buf_set(out_digest, digest, strlen(digest));
out:
	cJSON_Delete(index);
	limg__free(platforms);
	limg__lease_free(lease);
	limg__store_leave(store);
	return rc;
}
