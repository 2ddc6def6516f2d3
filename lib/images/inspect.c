/* SPDX-License-Identifier: MIT */
/* `docker image inspect` of one image: lookup, platform manifest, config,
 * and the names it goes by (RepoTags, RepoDigests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "core/core.h"
#include "core/strmap.h"
#include "facts.h"
#include "libimage/compress.h"
#include "libimage/images.h"
#include "libimage/reference.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"

typedef struct {
	char **items;
	size_t count, cap;
	limg__strmap seen; /* the items, for the duplicate check: an image may have 100,000 tags, named by
	                      whoever wrote an archive (a keyed hash: they cannot be made to collide) */
} names;

struct limg_image {
	char *digest, *manifest_digest;
	limg_manifest *manifest;
	limg_buf config_bytes;
	limg_config *config;
	int64_t size;
	int64_t *layer_sizes; /* uncompressed, per manifest layer; -1 when unknown */
	names tags, repo_digests;
};

int limg_image_lookup_opts_init(limg_image_lookup_opts *opts, size_t size)
{
	static const limg_image_lookup_opts defaults = LIMG_IMAGE_LOOKUP_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static void names_free(names *n)
{
	for (size_t i = 0; i < n->count; i++)
		limg__free(n->items[i]);
	limg__free(n->items);
	limg__strmap_free(&n->seen);
}

/* Adds @text unless it is there already. */
static int names_add(names *n, const char *text)
{
	size_t at;
	int rc;

	if (limg__strmap_get(&n->seen, text, &at))
		return 0;
	if ((rc = limg__array_grow((void **)&n->items, &n->cap, n->count + 1, sizeof *n->items)) < 0)
		return rc;
	if (!(n->items[n->count] = limg__strdup(text)))
		return limg__error_oom();
	n->count++;
	return limg__strmap_put(&n->seen, n->items[n->count - 1], n->count - 1);
}

/* What each layer unpacks to: the facts limg__image_size() learnt (a layer
 * of a type that cannot be unpacked counts as stored, as it does there). */
static int layer_sizes(limg_image *info, limg_store *s)
{
	size_t n = limg_manifest_count(info->manifest);

	if (n && !(info->layer_sizes = limg__calloc(n, sizeof *info->layer_sizes)))
		return limg__error_oom();
	for (size_t i = 0; i < n; i++) {
		const limg_descriptor *d = limg_manifest_entry(info->manifest, i);
		char diff_id[160];
		info->layer_sizes[i] = -1;
		if (limg__store_layer_info_get(s, limg_descriptor_digest(d), diff_id, &info->layer_sizes[i]) == 0)
			continue;
		if (limg_compression_from_media_type(limg_descriptor_media_type(d)) == LIMG_COMPRESSION_UNKNOWN &&
		    !limg_descriptor_is_foreign(d))
			info->layer_sizes[i] = limg_descriptor_size(d);
		else
			info->layer_sizes[i] = -1;
	}
	limg_error_clear();
	return 0;
}

void limg_image_free(limg_image *img)
{
	if (!img)
		return;
	limg__free(img->digest);
	limg__free(img->manifest_digest);
	limg_manifest_free(img->manifest);
	limg_config_free(img->config);
	limg_buf_dispose(&img->config_bytes);
	names_free(&img->tags);
	names_free(&img->repo_digests);
	limg__free(img->layer_sizes);
	limg__free(img);
}

/* RepoTags ("redis:latest") and RepoDigests ("redis@sha256:..."), as Docker
 * shows them: every tag of the image's digest, and every repository it was
 * tagged or pulled by digest in. */
static int read_names(limg_image *img, limg_store *s)
{
	limg_tag_iterator_opts o = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	char text[600];
	int rc;

	o.digest = img->digest;
	o.select = LIMG_LIST_ALL;
	if ((rc = limg_tag_iterator_new(&it, s, &o)) < 0)
		return rc;
	while (rc == 0 && (rc = limg_tag_iterator_next(&t, it)) == 0) {
		const char *repository;
		limg_reference *r;
		if ((rc = limg__tag_repository(&repository, t)) < 0)
			break;
		if (limg_tag_reference(t) && limg_reference_parse_canonical(&r, limg_tag_reference(t)) == 0) {
			rc = names_add(&img->tags, limg_reference_familiar_string(r));
			limg_reference_free(r);
		} else if (limg_tag_reference(t)) {
			/* another tool's name ("latest", "busybox:1.36"): as it is written */
			limg_error_clear();
			rc = names_add(&img->tags, limg_tag_reference(t));
		}
		if (rc == 0 && repository) {
			snprintf(text, sizeof text, "%s@%s", repository, img->digest);
			rc = names_add(&img->repo_digests, text);
		}
	}
	limg_tag_iterator_free(it);
	return rc == LIMG_ITEROVER ? 0 : rc;
}

static int read_manifest(limg_manifest **out, limg_store *s, const char *digest, const char *media_type)
{
	limg_buf body = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_SIZE_MAX)) == 0)
		rc = limg_manifest_parse(out, body.ptr, body.size, media_type);
	limg_buf_dispose(&body);
	return rc;
}

static bool stored(limg_store *s, const char *digest)
{
	int64_t size;
	bool yes = limg_store_blob_stat(&size, s, digest) == 0;
	limg_error_clear();
	return yes;
}

/* The entry of @index to show: the asked-for platform, this machine's, or the first stored. */
static int choose(const limg_descriptor **out, limg_store *s, const limg_manifest *index, const char *platform,
                  const char *digest)
{
	int rc;

	if (platform) {
		if ((rc = limg_manifest_select(out, index, platform)) < 0)
			return rc;
		if (!stored(s, limg_descriptor_digest(*out)))
			return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_PLATFORM, platform,
			                             "image %s for %s is not in the store (pull it with that platform)", digest,
			                             platform);
		return 0;
	}
	if (limg_manifest_select(out, index, NULL) == 0 && stored(s, limg_descriptor_digest(*out)))
		return 0;
	limg_error_clear();
	for (size_t i = 0; i < limg_manifest_count(index); i++)
		if (stored(s, limg_descriptor_digest(limg_manifest_entry(index, i)))) {
			*out = limg_manifest_entry(index, i);
			return 0;
		}
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_PLATFORM, NULL,
	                             "none of the images of index %s is in the store", digest);
}

static int inspect(limg_image *info, limg_store *s, const char *image, const char *platform,
                   const limg_cancel *cancel, bool size)
{
	limg_buf digest = LIMG_BUF_INIT;
	limg_manifest *top = NULL;
	const limg_descriptor *d;
	const char *config_digest;
	int rc;

	if ((rc = limg__images_resolve(&digest, s, image, cancel)) < 0)
		return rc;
	if (!(info->digest = limg__strdup(digest.ptr))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = read_manifest(&top, s, digest.ptr, NULL)) < 0)
		goto out;
	if (limg_manifest_kind(top) == LIMG_MANIFEST_IMAGE) {
		info->manifest = top;
		top = NULL;
		info->manifest_digest = limg__strdup(digest.ptr);
	} else {
		if ((rc = choose(&d, s, top, platform, digest.ptr)) < 0 ||
		    (rc = read_manifest(&info->manifest, s, limg_descriptor_digest(d), limg_descriptor_media_type(d))) < 0)
			goto out;
		if (limg_manifest_kind(info->manifest) != LIMG_MANIFEST_IMAGE) {
			rc = limg__error_set(LIMG_EMANIFEST, "index %s lists %s, which is not an image manifest", digest.ptr,
			                     limg_descriptor_digest(d));
			goto out;
		}
		info->manifest_digest = limg__strdup(limg_descriptor_digest(d));
	}
	if (!info->manifest_digest) {
		rc = limg__error_oom();
		goto out;
	}
	config_digest = limg_descriptor_digest(limg_manifest_config(info->manifest));
	if ((rc = limg_store_blob_read(&info->config_bytes, s, config_digest, LIMG_MANIFEST_SIZE_MAX)) < 0)
		goto out;
	if ((rc = limg_config_parse(&info->config, info->config_bytes.ptr, info->config_bytes.size)) < 0) {
		if (rc == LIMG_EMANIFEST || rc == LIMG_ETOOBIG) /* name the config refused */
			limg__error_about(LIMG_SUBJECT_CONFIG, config_digest);
		goto out;
	}
	/* what the layers unpack to: known facts, else every layer inflated once */
	info->size = size ? limg__image_size(s, info->manifest) : -1;
	limg_error_clear();
	if ((rc = layer_sizes(info, s)) < 0)
		goto out;
	rc = read_names(info, s);
out:
	limg_manifest_free(top);
	limg_buf_dispose(&digest);
	return rc;
}

int limg_image_lookup(limg_image **out, limg_store *store, const char *image, const limg_image_lookup_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	return limg__image_lookup(out, store, image, opts, true);
}

int limg__image_lookup(limg_image **out, limg_store *store, const char *image, const limg_image_lookup_opts *opts,
                       bool size)
{
	limg_image_lookup_opts o = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	limg_image *img;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!image)
		return limg__error_invalid("image");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_image_lookup_opts")) < 0)
		return rc;
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(img = limg__calloc(1, sizeof *img))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	if ((rc = inspect(img, store, image, o.platform, o.cancel, size)) < 0)
		limg_image_free(img);
	else
		*out = img;
	limg__store_leave(store);
	return rc;
}

int limg_image_check_whole(limg_store *store, const limg_image *img)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!img)
		return limg__error_invalid("image");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	/* an artifact is no error here: inspecting shows what it is */
	rc = limg__image_check_stored(store, img->manifest, limg_image_id(img));
	limg__store_leave(store);
	return rc;
}

const char *limg_image_id(const limg_image *img)
{
	return img ? limg_descriptor_digest(limg_manifest_config(img->manifest)) : NULL;
}

const char *limg_image_digest(const limg_image *img)
{
	return img ? img->digest : NULL;
}

const char *limg_image_manifest_digest(const limg_image *img)
{
	return img ? img->manifest_digest : NULL;
}

const limg_manifest *limg_image_manifest(const limg_image *img)
{
	return img ? img->manifest : NULL;
}

const limg_config *limg_image_config(const limg_image *img)
{
	return img ? img->config : NULL;
}

const void *limg_image_config_bytes(const limg_image *img)
{
	return img ? img->config_bytes.ptr : NULL;
}

size_t limg_image_config_size(const limg_image *img)
{
	return img ? img->config_bytes.size : 0;
}

int64_t limg_image_size(const limg_image *img)
{
	return img ? img->size : -1;
}

int64_t limg_image_layer_size(const limg_image *img, size_t i)
{
	return img && img->layer_sizes && i < limg_manifest_count(img->manifest) ? img->layer_sizes[i] : -1;
}

size_t limg_image_tag_count(const limg_image *img)
{
	return img ? img->tags.count : 0;
}

const char *limg_image_tag(const limg_image *img, size_t i)
{
	return img && i < img->tags.count ? img->tags.items[i] : NULL;
}

size_t limg_image_repo_digest_count(const limg_image *img)
{
	return img ? img->repo_digests.count : 0;
}

const char *limg_image_repo_digest(const limg_image *img, size_t i)
{
	return img && i < img->repo_digests.count ? img->repo_digests.items[i] : NULL;
}
