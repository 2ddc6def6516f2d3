/* `docker inspect` of one image: lookup, platform manifest, config. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "facts.h"
#include "libimage/images.h"
#include "store/store_internal.h"

struct limg_image_info {
	char *digest, *manifest_digest;
	limg_manifest *manifest;
	limg_buf config_bytes;
	limg_image_config *config;
	int64_t size;
};

void limg_image_info_free(limg_image_info *info)
{
	if (!info)
		return;
	free(info->digest);
	free(info->manifest_digest);
	limg_manifest_free(info->manifest);
	limg_image_config_free(info->config);
	limg_buf_dispose(&info->config_bytes);
	free(info);
}

static int read_manifest(limg_manifest **out, limg_store *s, const char *digest, const char *media_type)
{
	limg_buf body = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_MAX)) == 0)
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
			return limg__error_set(LIMG_ENOTFOUND, "image %s for %s is not in the store (pull it with that "
			                                       "platform)", digest, platform);
		return 0;
	}
	if (limg_manifest_select(out, index, NULL) == 0 && stored(s, limg_descriptor_digest(*out)))
		return 0;
	limg_error_clear();
	for (size_t i = 0; i < limg_manifest_count(index); i++)
		if (stored(s, limg_descriptor_digest(limg_manifest_get(index, i)))) {
			*out = limg_manifest_get(index, i);
			return 0;
		}
	return limg__error_set(LIMG_ENOTFOUND, "none of the images of index %s is in the store", digest);
}

static int inspect(limg_image_info *info, limg_store *s, const char *image, const char *platform)
{
	limg_buf digest = LIMG_BUF_INIT;
	limg_manifest *top = NULL;
	const limg_descriptor *d;
	const char *config_digest;
	int rc;

	if ((rc = limg_images_lookup(&digest, s, image)) < 0)
		return rc;
	if (!(info->digest = strdup(digest.ptr))) {
		rc = limg__error_oom();
		goto out;
	}
	if ((rc = read_manifest(&top, s, digest.ptr, NULL)) < 0)
		goto out;
	if (limg_manifest_kind_of(top) == LIMG_MANIFEST_IMAGE) {
		info->manifest = top;
		top = NULL;
		info->manifest_digest = strdup(digest.ptr);
	} else {
		if ((rc = choose(&d, s, top, platform, digest.ptr)) < 0 ||
		    (rc = read_manifest(&info->manifest, s, limg_descriptor_digest(d), limg_descriptor_media_type(d))) < 0)
			goto out;
		if (limg_manifest_kind_of(info->manifest) != LIMG_MANIFEST_IMAGE) {
			rc = limg__error_set(LIMG_EMANIFEST, "index %s lists %s, which is not an image manifest", digest.ptr,
			                     limg_descriptor_digest(d));
			goto out;
		}
		info->manifest_digest = strdup(limg_descriptor_digest(d));
	}
	if (!info->manifest_digest) {
		rc = limg__error_oom();
		goto out;
	}
	config_digest = limg_descriptor_digest(limg_manifest_config(info->manifest));
	if ((rc = limg_store_blob_read(&info->config_bytes, s, config_digest, LIMG_MANIFEST_MAX)) < 0 ||
	    (rc = limg_image_config_parse(&info->config, info->config_bytes.ptr, info->config_bytes.size)) < 0)
		goto out;
	info->size = limg__image_size(s, info->manifest);
	limg_error_clear();
out:
	limg_manifest_free(top);
	limg_buf_dispose(&digest);
	return rc;
}

int limg_images_inspect(limg_image_info **out, limg_store *store, const char *image, const char *platform)
{
	limg_image_info *info;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!image)
		return limg__error_invalid("image");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(info = calloc(1, sizeof *info))) {
		limg__store_leave(store);
		return limg__error_oom();
	}
	if ((rc = inspect(info, store, image, platform)) < 0)
		limg_image_info_free(info);
	else
		*out = info;
	limg__store_leave(store);
	return rc;
}

const char *limg_image_info_id(const limg_image_info *info)
{
	return info ? limg_descriptor_digest(limg_manifest_config(info->manifest)) : NULL;
}

const char *limg_image_info_digest(const limg_image_info *info)
{
	return info ? info->digest : NULL;
}

const char *limg_image_info_manifest_digest(const limg_image_info *info)
{
	return info ? info->manifest_digest : NULL;
}

const limg_manifest *limg_image_info_manifest(const limg_image_info *info)
{
	return info ? info->manifest : NULL;
}

const limg_image_config *limg_image_info_config(const limg_image_info *info)
{
	return info ? info->config : NULL;
}

const char *limg_image_info_config_bytes(const limg_image_info *info, size_t *len)
{
	if (len)
		*len = info ? info->config_bytes.size : 0;
	return info ? info->config_bytes.ptr : NULL;
}

int64_t limg_image_info_size(const limg_image_info *info)
{
	return info ? info->size : -1;
}
