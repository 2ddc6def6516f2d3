/* SPDX-License-Identifier: MIT */
/* crane rebase: an image's own layers moved from one base onto another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "config.h"
#include "core/core.h"
#include "image.h"
#include "libimage/reference.h"

#define BASE_NAME_KEY "org.opencontainers.image.base.name"
#define BASE_DIGEST_KEY "org.opencontainers.image.base.digest"

int limg_rebase_opts_init(limg_rebase_opts *opts, size_t size)
{
	static const limg_rebase_opts defaults = LIMG_REBASE_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* Checks that @img's first layers are @base's (by diff_id, what the layers hold). */
static int sits_on(const limg__stored_image *img, const limg__stored_image *base, const char *image,
                   const char *base_name)
{
	size_t n = limg_config_diff_id_count(base->c);

	if (limg_manifest_count(img->m) != limg_config_diff_id_count(img->c) ||
	    limg_manifest_count(base->m) != n)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CONFIG, NULL,
		                             "an image whose manifest and config list different numbers of layers");
	if (n > limg_config_diff_id_count(img->c))
		return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, image,
		                             "%s is not based on %s: it has %zu layers, the base %zu", image, base_name,
		                             limg_config_diff_id_count(img->c), n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(limg_config_diff_id(img->c, i), limg_config_diff_id(base->c, i)) != 0)
			return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, image,
			                             "%s is not based on %s (layer %zu differs)", image, base_name, i);
	return 0;
}

static int copy_platform(cJSON *config, const cJSON *from)
{
	static const char *const keys[] = { "architecture", "os", "os.version", "variant", "os.features" };
	int rc;

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, keys[i]);
		cJSON *copy = NULL;
		if (v && !(copy = cJSON_Duplicate(v, 1)))
			return limg__error_oom();
		if ((rc = limg__config_set_top(config, keys[i], copy)) < 0)
			return rc;
	}
	return 0;
}

/* History: the new base's entries, then the image's own (those past the old base's). */
static int rebase_history(cJSON *config, const cJSON *image_cfg, const cJSON *old_cfg, const cJSON *new_cfg)
{
	const cJSON *mine = cJSON_GetObjectItemCaseSensitive(image_cfg, "history");
	const cJSON *theirs = cJSON_GetObjectItemCaseSensitive(new_cfg, "history");
	int skip = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(old_cfg, "history"));
	cJSON *h = theirs ? cJSON_Duplicate(theirs, 1) : cJSON_CreateArray();
	const cJSON *e;
	int i = 0;

	if (!h)
		return limg__error_oom();
	cJSON_ArrayForEach(e, mine) {
		if (i++ < skip)
			continue;
		cJSON_AddItemToArray(h, cJSON_Duplicate(e, 1));
	}
	return limg__config_set_top(config, "history", h);
}

int limg_build_rebase(limg_buf *out_digest, limg_store *store, const char *image, const char *old_base,
                      const char *new_base, const char *tag, const limg_rebase_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_rebase_opts o = LIMG_REBASE_OPTS_INIT;
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_builder *b = NULL;
	limg__stored_image img, old, new;
	cJSON *layers = NULL;
	const cJSON *d;
	char digest[80];
	int64_t size;
	size_t k;
	int rc;

	memset(&img, 0, sizeof img);
	memset(&old, 0, sizeof old);
	memset(&new, 0, sizeof new);
	if (!out_digest)
		return limg__error_invalid("out_digest");
	memset(out_digest, 0, sizeof *out_digest);
	if (!store || !image || !old_base || !new_base)
		return limg__error_invalid(!store ? "store" : !image ? "image" : !old_base ? "old_base" : "new_base");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_rebase_opts")) < 0)
		return rc;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(b = limg__calloc(1, sizeof *b))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	bo.platform = o.platform;
	bo.no_base_annotations = 1; /* the new base is recorded below */
	bo.cancel = o.cancel;
	if ((rc = limg__builder_start(b, store, image, &bo)) < 0 ||
	    (rc = limg__image_load(&img, store, image, o.platform, b->lease)) < 0 ||
	    (rc = limg__image_load(&old, store, old_base, o.platform, b->lease)) < 0 ||
	    (rc = limg__image_load(&new, store, new_base, o.platform, b->lease)) < 0 ||
	    (rc = sits_on(&img, &old, image, old_base)) < 0)
		goto out;
	if (limg_manifest_count(new.m) != limg_config_diff_id_count(new.c)) {
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_CONFIG, new_base,
		                           "%s: its manifest and config list different numbers of layers", new_base);
		goto out;
	}
	k = limg_config_diff_id_count(old.c);
	/* the new base's layers, then the image's own */
	if (!(layers = cJSON_CreateArray())) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_Delete(b->layers);
	b->layers = layers;
	if ((rc = limg__config_clear_diff_ids(b->config)) < 0)
		goto out;
	{
		size_t i = 0;
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(new.manifest, "layers")) {
			limg__layer_facts f = { 0 };
			snprintf(f.digest, sizeof f.digest, "%s", limg_descriptor_digest(limg_manifest_entry(new.m, i)));
			snprintf(f.diff_id, sizeof f.diff_id, "%s", limg_config_diff_id(new.c, i));
			if ((rc = limg__builder_add_layer(b, &f, d, NULL, NULL, false)) < 0)
				goto out;
			i++;
		}
		i = 0;
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(img.manifest, "layers")) {
			limg__layer_facts f = { 0 };
			if (i < k) {
				i++;
				continue;
			}
			snprintf(f.digest, sizeof f.digest, "%s", limg_descriptor_digest(limg_manifest_entry(img.m, i)));
			snprintf(f.diff_id, sizeof f.diff_id, "%s", limg_config_diff_id(img.c, i));
			if ((rc = limg__builder_add_layer(b, &f, d, NULL, NULL, false)) < 0)
				goto out;
			i++;
		}
	}
	if ((rc = copy_platform(b->config, new.config)) < 0 ||
	    (rc = rebase_history(b->config, img.config, old.config, new.config)) < 0)
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(b->annotations, BASE_NAME_KEY);
	cJSON_DeleteItemFromObjectCaseSensitive(b->annotations, BASE_DIGEST_KEY);
	if (!o.no_base_annotations) {
		limg_reference *ref = NULL;
		if (limg_reference_parse_docker(&ref, new_base) == 0)
			rc = limg__json_map_set(b->annotations, BASE_NAME_KEY, limg_reference_string(ref));
		limg_error_clear();
		limg_reference_free(ref);
		if (rc < 0 || (rc = limg__json_map_set(b->annotations, BASE_DIGEST_KEY, new.digest)) < 0)
			goto out;
	}
	if ((rc = limg__builder_write(b, digest, &size)) == 0 && (rc = limg__image_keep(store, digest, tag)) == 0)
		rc = limg_buf_set(out_digest, digest, strlen(digest));
out:
	limg__image_dispose(&img);
	limg__image_dispose(&old);
	limg__image_dispose(&new);
	limg_builder_free(b);
	limg__store_leave(store);
	return rc;
}
