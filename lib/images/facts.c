/* SPDX-License-Identifier: MIT */
/*
 * Image facts for listings: image ID, created and size. Pull caches them in
 * index.json; for images another tool stored, they are worked out here from
 * the manifest, the config and the layers (unpacked once; what was learnt
 * is kept in .libimage/layers) and cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "facts.h"
#include "libimage/manifest.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"
#include "diff_id.h"
#include "libimage/compress.h"

limg_manifest *limg__stored_image_manifest(limg_store *s, const char *digest, const char *platform, bool any_stored,
                                           char image_digest[160])
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL, *child = NULL;
	const limg_descriptor *d = NULL;

	if (limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_SIZE_MAX) < 0 ||
	    limg_manifest_parse(&m, body.ptr, body.size, NULL) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_IMAGE) {
		child = m;
		m = NULL;
		snprintf(image_digest, 160, "%s", digest);
		goto out;
	}
	if (limg_manifest_select(&d, m, platform) < 0 ||
	    limg_store_blob_read(&body, s, limg_descriptor_digest(d), LIMG_MANIFEST_SIZE_MAX) < 0) {
		d = NULL;
		/* for a listing, any platform that is stored tells the facts */
		for (size_t i = 0; any_stored && i < limg_manifest_count(m) && !d; i++)
			if (limg_store_blob_read(&body, s, limg_descriptor_digest(limg_manifest_entry(m, i)), LIMG_MANIFEST_SIZE_MAX) == 0)
				d = limg_manifest_entry(m, i);
	}
	if (d && (limg_manifest_parse(&child, body.ptr, body.size, NULL) < 0 ||
	          limg_manifest_kind(child) != LIMG_MANIFEST_IMAGE)) {
		limg_manifest_free(child);
		child = NULL;
	}
	if (child)
		snprintf(image_digest, 160, "%s", limg_descriptor_digest(d));
out:
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	limg_error_clear(); /* "not stored" is an answer here */
	return child;
}

int64_t limg__image_size(limg_store *s, const limg_manifest *image)
{
	int64_t total = 0;

	for (size_t i = 0; i < limg_manifest_count(image); i++) {
		const limg_descriptor *d = limg_manifest_entry(image, i);
		int kind = limg_compression_from_media_type(limg_descriptor_media_type(d));
		char diff_id[160];
		int64_t size;

		if (limg_descriptor_is_foreign(d))
			continue;
		if (limg__store_layer_info_get(s, limg_descriptor_digest(d), diff_id, &size) == 0) {
			total += size;
			continue;
		}
		if (kind == LIMG_COMPRESSION_UNKNOWN) {
			total += limg_descriptor_size(d); /* no way to unpack: count what is stored */
			continue;
		}
		/* bounded as a pull is: a bomb must not make a listing spin */
		if (limg__diff_id_of_stored(s, limg_descriptor_digest(d), kind, NULL, LIMG_LAYER_SIZE_MAX_DEFAULT, diff_id,
		                            &size) < 0)
			return -1;
		if (!s->read_only)
			limg__store_layer_info_put(s, limg_descriptor_digest(d), diff_id, size);
		total += size;
	}
	return total;
}

static const char *keep(limg__arena *arena, const char *s)
{
	const char *copy = limg__arena_strndup(arena, s, strlen(s));
	return copy ? copy : "";
}

void limg__image_facts(limg_store *s, const limg_tag *t, const char *platform, limg__arena *arena, limg__facts *f)
{
	const char *id = limg_tag_annotation(t, LIMG_CACHE_ID_KEY);
	const char *created = limg_tag_annotation(t, LIMG_CACHE_CREATED_KEY);
	const char *size = limg_tag_annotation(t, LIMG_CACHE_SIZE_KEY);
	limg_manifest *image;
	limg_buf body = LIMG_BUF_INIT;
	limg_config *config = NULL;
	char image_digest[160];

	f->digest = limg_tag_digest(t);
	f->learnt = false;
	f->id = id ? id : "";
	f->created = created ? created : "";
	f->size = size ? strtoll(size, NULL, 10) : -1;
	if (id && created && size)
		return;
	if (!(image = limg__stored_image_manifest(s, limg_tag_digest(t), platform, true, image_digest)))
		goto out;
	f->digest = keep(arena, f->digest);
	f->id = keep(arena, limg_descriptor_digest(limg_manifest_config(image)));
	f->created = keep(arena, f->created);
	if (limg_store_blob_read(&body, s, f->id, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_config_parse(&config, body.ptr, body.size) == 0 && limg_config_created(config))
		f->created = keep(arena, limg_config_created(config));
	if (f->size < 0)
		f->size = limg__image_size(s, image);
	f->learnt = true;
out:
	limg_config_free(config);
	limg_manifest_free(image);
	limg_buf_dispose(&body);
	limg_error_clear(); /* facts that cannot be had stay unknown */
}

void limg__cache_facts(limg_store *s, const limg__facts *facts, size_t n)
{
	limg__annotations *sets;
	char (*sizes)[32];
	size_t k = 0;

	if (s->read_only)
		return; /* another tool's layout, or one we may not write: learnt again next time */
	for (size_t i = 0; i < n && !k; i++)
		k = facts[i].learnt;
	if (!k)
		return; /* all cached already: no write */
	k = 0;
	sets = calloc(n, sizeof *sets);
	sizes = calloc(n, sizeof *sizes);
	if (!sets || !sizes)
		goto out;
	for (size_t i = 0; i < n; i++) {
		limg__annotations *a = &sets[k];
		if (!facts[i].learnt)
			continue;
		a->digest = facts[i].digest;
		a->keys[0] = LIMG_CACHE_ID_KEY;
		a->values[0] = facts[i].id;
		a->keys[1] = LIMG_CACHE_CREATED_KEY;
		a->values[1] = facts[i].created;
		a->n = 2;
		if (facts[i].size >= 0) {
			snprintf(sizes[k], sizeof sizes[k], "%lld", (long long)facts[i].size);
			a->keys[2] = LIMG_CACHE_SIZE_KEY;
			a->values[2] = sizes[k];
			a->n = 3;
		}
		k++;
	}
	limg__tags_annotate(s, sets, k);
out:
	free(sets);
	free(sizes);
	limg_error_clear(); /* a cache that cannot be written is rebuilt next time */
}
