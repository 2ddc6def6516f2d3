/* SPDX-License-Identifier: MIT */
/* crane flatten: an image (or each stored image of an index) as one layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "config.h"
#include "core/core.h"
#include "image.h"
#include "libimage/bounds.h"
#include "libimage/images.h"
#include "manifest/fields.h"
#include "rootfs.h"
#include "sink.h"

int limg_flatten_opts_init(limg_flatten_opts *opts, size_t size)
{
	static const limg_flatten_opts defaults = LIMG_FLATTEN_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

typedef struct {
	limg__tar_writer *tar;
	const char *link_name; /* a hard link being written as the file it points to */
} flat_run;

static int copy_data(limg__rootfs *r, limg__tar_writer *t, int64_t size)
{
	const void *data;
	size_t len;
	int64_t done = 0;
	int rc;

	while ((rc = limg__rootfs_data(r, &data, &len)) == 0 && len) {
		if ((rc = limg__tar_data(t, data, len)) != 0)
			return rc;
		done += (int64_t)len;
	}
	if (rc != 0)
		return rc;
	if (done != size)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, NULL,
		                             "a layer entry holds %lld bytes, not the %lld its header says", (long long)done,
		                             (long long)size);
	return limg__tar_pad(t, size);
}

/* The file a hard link points to, written under the link's name. */
static int write_as_link_name(limg__rootfs *r, const limg__tar_entry *target, int layer, void *payload)
{
	flat_run *f = payload;
	limg__tar_entry e = *target;
	int rc;

	(void)layer;
	e.name = f->link_name;
	if ((rc = limg__tar_entry_write(f->tar, &e)) != 0)
		return rc;
	return copy_data(r, f->tar, e.size);
}

static int put_entry(limg__rootfs *r, const limg__tar_entry *e, int layer, void *payload)
{
	flat_run *f = payload;
	int rc;

	if (e->type == LIMG__TAR_HARDLINK && !limg__rootfs_written(r, e->link)) {
		/* the file it points to is not (yet) in the result as it was: the link gets that file's bytes */
		char name[LIMG__TAR_PATH_MAX + 1];
		snprintf(name, sizeof name, "%s", e->name);
		f->link_name = name;
		return limg__rootfs_find_link_target(r, e->link, write_as_link_name, f);
	}
	if ((rc = limg__tar_entry_write(f->tar, e)) != 0)
		return rc;
	return e->type == LIMG__TAR_REG ? copy_data(r, f->tar, e->size) : 0;
}

/* One image manifest, flattened: the new manifest's digest and size. */
static int flatten_image(limg_store *store, const char *digest, const limg_flatten_opts *o,
                         const limg_layer_callbacks *cb, char out[80], int64_t *out_size, const char **media_type)
{
	limg_builder_opts bo = LIMG_BUILDER_OPTS_INIT;
	limg_builder *b = limg__calloc(1, sizeof *b);
	limg__sink_opts so = { 0 };
	limg__sink *sink = NULL;
	limg__rootfs_opts ro = { 0 };
	limg__layer_facts f;
	flat_run run = { 0 };
	cJSON *old_history = NULL;
	char *comment = NULL, created_by[120];
	int rc;

	if (!b)
		return limg__error_oom();
	bo.no_base_annotations = 1; /* the image is itself, flattened: its annotations stay as they are */
	bo.cancel = o->cancel;
	if ((rc = limg__builder_start(b, store, digest, &bo)) < 0)
		goto out;
	so.store = store;
	so.lease = b->lease;
	so.compression = limg__layer_compression(o->compression);
	so.level = o->level;
	so.threads = o->threads;
	so.cancel = o->cancel;
	so.progress = cb->progress;
	so.payload = cb->payload;
	if ((rc = limg__sink_new(&sink, &so)) < 0)
		goto out;
	run.tar = limg__sink_tar(sink);
	{
		limg__stored_image img;
		if ((rc = limg__image_load_manifest(&img, store, digest, b->lease)) < 0)
			goto out;
		ro.store = store;
		ro.manifest = img.m;
		ro.config = img.c;
		ro.cancel = o->cancel;
		ro.progress = cb->progress;
		ro.payload = cb->payload;
		rc = limg__rootfs_walk(&ro, put_entry, &run);
		limg__image_dispose(&img);
		if (rc != 0)
			goto out;
	}
	if ((rc = limg__sink_commit(sink, false, NULL, &f)) != 0)
		goto out;
	/* one layer, one history entry that keeps the old history as its comment (crane's way) */
	cJSON_Delete(b->layers);
	if (!(b->layers = cJSON_CreateArray())) {
		rc = limg__error_oom();
		goto out;
	}
	old_history = cJSON_GetObjectItemCaseSensitive(b->config, "history");
	if (old_history && !(comment = limg__json_print(old_history, false))) {
		rc = limg__error_oom();
		goto out;
	}
	limg__config_set_top(b->config, "history", NULL);
	snprintf(created_by, sizeof created_by, "limg-flatten %s", digest);
	if ((rc = limg__config_clear_diff_ids(b->config)) < 0 ||
	    (rc = limg__builder_add_layer(b, &f, NULL, created_by, comment ? comment : "[]", true)) < 0 ||
	    (rc = limg__builder_write(b, out, out_size)) < 0)
		goto out;
	*media_type = b->docker ? LIMG_MEDIA_DOCKER_MANIFEST : LIMG_MEDIA_OCI_MANIFEST;
out:
	limg__free(comment);
	limg__sink_free(sink);
	limg_builder_free(b);
	return rc;
}

/* An index: each stored image flattened, the others left out. */
static int flatten_index(limg_store *store, const char *digest, const limg_flatten_opts *o,
                         const limg_layer_callbacks *cb, char out[80], limg__lease *lease)
{
	limg_buf bytes = LIMG_BUF_INIT;
	cJSON *index = NULL, *entries, *kept = NULL, *d;
	char why[200];
	int64_t size;
	int rc;

	if ((rc = limg__lease_add(lease, digest)) < 0 ||
	    (rc = limg_store_blob_read(&bytes, store, digest, LIMG_MANIFEST_SIZE_MAX)) < 0)
		return rc;
	if (limg__json_parse(&index, bytes.ptr, bytes.size, &limg__manifest_fields, why, sizeof why) < 0) {
		rc = limg__error_set_about(LIMG_EMANIFEST, LIMG_SUBJECT_MANIFEST, digest, "index %s: %s", digest, why);
		goto out;
	}
	entries = cJSON_GetObjectItemCaseSensitive(index, "manifests");
	if (!(kept = cJSON_CreateArray())) {
		rc = limg__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(d, entries) {
		const char *child = limg__json_str(d, "digest"), *type;
		char flat[80];
		int64_t flat_size, stored;
		cJSON *copy;
		if (!child || limg_store_blob_stat(&stored, store, child) < 0) {
			limg_error_clear();
			limg__log(limg__store_context(store), LIMG_LOG_INFO, "flatten: %s is not stored: left out of the index",
			          child ? child : "an entry");
			continue;
		}
		if ((rc = flatten_image(store, child, o, cb, flat, &flat_size, &type)) < 0)
			goto out;
		if (!(copy = cJSON_Duplicate(d, 1))) {
			rc = limg__error_oom();
			goto out;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(copy, "digest", cJSON_CreateString(flat));
		cJSON_ReplaceItemInObjectCaseSensitive(copy, "size", cJSON_CreateNumber((double)flat_size));
		cJSON_ReplaceItemInObjectCaseSensitive(copy, "mediaType", cJSON_CreateString(type));
		cJSON_AddItemToArray(kept, copy);
	}
	if (!cJSON_GetArraySize(kept)) {
		rc = limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, digest,
		                           "no image of the index %s is in the store", digest);
		goto out;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(index, "manifests", kept);
	kept = NULL;
	rc = limg__store_json(store, lease, index, out, &size);
out:
	cJSON_Delete(kept);
	cJSON_Delete(index);
	limg_buf_dispose(&bytes);
	return rc;
}

int limg_build_flatten(limg_buf *out_digest, limg_store *store, const char *image, const char *tag,
                       const limg_flatten_opts *opts, const limg_layer_callbacks *cbs)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_flatten_opts o = LIMG_FLATTEN_OPTS_INIT;
	limg_layer_callbacks cb = LIMG_LAYER_CALLBACKS_INIT;
	limg_buf found = LIMG_BUF_INIT, bytes = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	limg__lease *lease = NULL;
	char digest[80];
	int64_t size;
	int rc;

	if (!out_digest)
		return limg__error_invalid("out_digest");
	memset(out_digest, 0, sizeof *out_digest);
	if (!store)
		return limg__error_invalid("store");
	if (!image)
		return limg__error_invalid("image");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_flatten_opts")) < 0 ||
	    (rc = limg__opts_copy(&cb, sizeof cb, cbs, "limg_layer_callbacks")) < 0 ||
	    (rc = limg__layer_compression(o.compression)) < 0)
		return rc;
	if (o.level < 0 || o.threads < 0)
		return limg__error_invalid("level, threads");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg__lease_new(&lease, store)) < 0 || (rc = limg_images_lookup(&found, store, image)) < 0)
		goto out;
	if ((rc = limg__lease_add(lease, found.ptr)) < 0 ||
	    (rc = limg_store_blob_read(&bytes, store, found.ptr, LIMG_MANIFEST_SIZE_MAX)) < 0 ||
	    (rc = limg_manifest_parse(&m, bytes.ptr, bytes.size, NULL)) < 0)
		goto out;
	if (limg_manifest_kind(m) == LIMG_MANIFEST_INDEX)
		rc = flatten_index(store, found.ptr, &o, &cb, digest, lease);
	else {
		const char *type;
		rc = flatten_image(store, found.ptr, &o, &cb, digest, &size, &type);
	}
	if (rc == 0 && (rc = limg__image_keep(store, digest, tag)) == 0)
		rc = limg_buf_set(out_digest, digest, strlen(digest));
out:
	limg_manifest_free(m);
	limg_buf_dispose(&bytes);
	limg_buf_dispose(&found);
	limg__lease_free(lease);
	limg__store_leave(store);
	return rc;
}
