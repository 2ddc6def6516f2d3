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
#include "complete.h"
#include "diff_id.h"
#include "libimage/compress.h"
#include "libimage/platform.h"
#include "manifest/media.h"

limg_manifest *limg__stored_image_manifest(limg_store *s, const char *digest, const char *platform, bool any_stored,
                                           char image_digest[160], int64_t *listed)
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL, *child = NULL;
	const limg_descriptor *d = NULL;

	if (listed)
		*listed = -1;
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
	if (child) {
		snprintf(image_digest, 160, "%s", limg_descriptor_digest(d));
		if (listed)
			*listed = limg_descriptor_size(d);
	}
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

void limg__fact_keys_of(limg__fact_keys *k, const char *platform)
{
	if (!platform) {
		snprintf(k->id, sizeof k->id, "%s", LIMG_CACHE_ID_KEY);
		snprintf(k->created, sizeof k->created, "%s", LIMG_CACHE_CREATED_KEY);
		snprintf(k->size, sizeof k->size, "%s", LIMG_CACHE_SIZE_KEY);
		snprintf(k->state, sizeof k->state, "%s", LIMG_CACHE_STATE_KEY);
		return;
	}
	snprintf(k->id, sizeof k->id, "%s.%s", LIMG_CACHE_ID_KEY, platform);
	snprintf(k->created, sizeof k->created, "%s.%s", LIMG_CACHE_CREATED_KEY, platform);
	snprintf(k->size, sizeof k->size, "%s.%s", LIMG_CACHE_SIZE_KEY, platform);
	snprintf(k->state, sizeof k->state, "%s.%s", LIMG_CACHE_STATE_KEY, platform);
}

/* Whether every blob the image needs is stored at its descriptor's size:
 * the entry's manifest (or index) and image manifest, config and layers. */
static int state_of(limg_store *s, const limg_tag *t, const char *image_digest, int64_t listed,
                    const limg_manifest *image)
{
	int64_t size;

	if (limg_store_blob_stat(&size, s, limg_tag_digest(t)) < 0 || size != limg_tag_size(t))
		return LIMG_IMAGE_DAMAGED;
	if (listed >= 0 && (limg_store_blob_stat(&size, s, image_digest) < 0 || size != listed))
		return LIMG_IMAGE_DAMAGED;
	return limg__image_state(s, image, NULL, NULL);
}

/* The platform the facts of @t are asked for, normalized, in @arena: NULL
 * for the default image, and for an image manifest (it has one platform). */
static const char *asked_platform(const limg_tag *t, const char *platform, limg__arena *arena)
{
	limg_buf norm = LIMG_BUF_INIT;
	const char *out = platform;

	if (!platform || !limg__media_is_index(limg_tag_media_type(t)))
		return NULL;
	if (limg_platform_normalize(&norm, platform) == 0)
		out = norm.ptr;
	out = keep(arena, out);
	limg_buf_dispose(&norm);
	limg_error_clear();
	return out;
}

void limg__image_facts(limg_store *s, const limg_tag *t, const char *platform, limg__arena *arena, limg__facts *f)
{
	limg__fact_keys k;
	const char *id, *created, *size, *state;
	limg_manifest *image = NULL;
	limg_buf body = LIMG_BUF_INIT;
	limg_config *config = NULL;
	char image_digest[160];
	int64_t listed;

	f->platform = asked_platform(t, platform, arena);
	limg__fact_keys_of(&k, f->platform);
	id = limg_tag_annotation(t, k.id);
	created = limg_tag_annotation(t, k.created);
	size = limg_tag_annotation(t, k.size);
	state = limg_tag_annotation(t, k.state);
	if (size && !*size)
		size = NULL; /* a pull that could not know it */
	f->digest = keep(arena, limg_tag_digest(t)); /* the tag lives until its iterator moves on */
	f->learnt = false;
	f->id = keep(arena, id ? id : "");
	f->created = keep(arena, created ? created : "");
	f->size = size ? strtoll(size, NULL, 10) : -1;
	f->state = state && !strcmp(state, LIMG_STATE_INCOMPLETE) ? LIMG_IMAGE_INCOMPLETE : LIMG_IMAGE_COMPLETE;
	f->artifact = false;
	if (id && created && size)
		return;
	/* a platform asked for by name is that one or none; the default may be any stored */
	if (!(image = limg__stored_image_manifest(s, limg_tag_digest(t), f->platform, !f->platform, image_digest,
	                                          &listed))) {
		f->id = f->created = "";
		f->size = -1;
		f->state = LIMG_IMAGE_UNKNOWN;
		goto out;
	}
	if (limg__manifest_artifact(image)) {
		/* what another tool stored beside the images (cosign, oras): no image to list */
		f->artifact = true;
		f->id = f->created = "";
		f->size = -1;
		f->state = LIMG_IMAGE_UNKNOWN;
		goto out;
	}
	f->id = keep(arena, limg_descriptor_digest(limg_manifest_config(image)));
	if (limg_store_blob_read(&body, s, f->id, LIMG_MANIFEST_SIZE_MAX) == 0 &&
	    limg_config_parse(&config, body.ptr, body.size) == 0 && limg_config_created(config))
		f->created = keep(arena, limg_config_created(config));
	f->state = state_of(s, t, image_digest, listed, image);
	if (f->size < 0 && f->state != LIMG_IMAGE_DAMAGED)
		f->size = limg__image_size(s, image);
	/* only a whole image's facts are kept: what is missing may come later */
	f->learnt = f->state == LIMG_IMAGE_COMPLETE;
out:
	limg_config_free(config);
	limg_manifest_free(image);
	limg_buf_dispose(&body);
	limg_error_clear(); /* facts that cannot be had stay unknown */
}

void limg__cache_facts(limg_store *s, const limg__facts *facts, size_t n)
{
	limg__annotations *sets;
	limg__fact_keys *keys;
	char (*sizes)[32];
	size_t k = 0;

	if (s->read_only)
		return; /* another tool's layout, or one we may not write: learnt again next time */
	for (size_t i = 0; i < n && !k; i++)
		k = facts[i].learnt;
	if (!k)
		return; /* all cached already: no write */
	k = 0;
	sets = limg__calloc(n, sizeof *sets);
	sizes = limg__calloc(n, sizeof *sizes);
	keys = limg__calloc(n, sizeof *keys);
	if (!sets || !sizes || !keys)
		goto out;
	for (size_t i = 0; i < n; i++) {
		limg__annotations *a = &sets[k];
		if (!facts[i].learnt)
			continue;
		limg__fact_keys_of(&keys[k], facts[i].platform);
		a->digest = facts[i].digest;
		a->keys[0] = keys[k].id;
		a->values[0] = facts[i].id;
		a->keys[1] = keys[k].created;
		a->values[1] = facts[i].created;
		a->n = 2;
		a->keys[2] = keys[k].state;
		a->values[2] = LIMG_STATE_COMPLETE;
		a->n = 3;
		if (facts[i].size >= 0) {
			snprintf(sizes[k], sizeof sizes[k], "%lld", (long long)facts[i].size);
			a->keys[3] = keys[k].size;
			a->values[3] = sizes[k];
			a->n = 4;
		}
		k++;
	}
	limg__tags_annotate(s, sets, k);
out:
	limg__free(sets);
	limg__free(sizes);
	limg__free(keys);
	limg_error_clear(); /* a cache that cannot be written is rebuilt next time */
}
