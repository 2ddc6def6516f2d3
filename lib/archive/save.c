/* SPDX-License-Identifier: MIT */
/*
 * limg_archive_save(): the platform image of each name, its blobs written once
 * each (each checked against its digest before any of its bytes goes out,
 * then copied by the kernel where it can), then index.json
 * (an entry per tag, annotated as containerd and Docker 25 annotate them),
 * manifest.json (Docker's: Config, RepoTags, Layers as paths in the
 * archive), oci-layout and repositories.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_internal.h"
#include "core/core.h"
#include "core/json.h"
#include "core/strset.h"
#include "libimage/archive.h"
#include "libimage/digest.h"
#include "libimage/images.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "libimage/tags.h"
#include "ahead.h"
#include "images/complete.h"
#include "images/facts.h"
#include "store/store_internal.h"
#include "tar/writer.h"

#define COPY_CHUNK (1u << 20)

int limg_archive_save_opts_init(limg_archive_save_opts *opts, size_t size)
{
	static const limg_archive_save_opts defaults = LIMG_ARCHIVE_SAVE_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_archive_save_callbacks_init(limg_archive_save_callbacks *cb, size_t size)
{
	static const limg_archive_save_callbacks defaults = LIMG_ARCHIVE_SAVE_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

typedef struct {
	limg_image *info;
	cJSON *tags;           /* RepoTags: familiar "name:tag" */
	cJSON *names;          /* full names, for index.json's annotations */
} saved_image;

typedef struct {
	limg_store *store;
	limg_archive_save_opts o;
	limg_archive_save_callbacks cb;
	limg__tar_writer tar;
	saved_image *images;
	size_t nimages, capimages;
	limg__strset written;
	const char **blobs;    /* what goes into blobs/, in order (strings of the images) */
	size_t nblobs, capblobs;
	limg__ahead *ahead;    /* checks them ahead of the writing */
	unsigned char *buf;
	cJSON *referrers;      /* what the store keeps beside the saved manifests, listed */
	char referrers_digest[80]; /* the listing's blob, or "" */
	char **held;           /* the referrers' blob digests blobs[] points to (their manifests are gone) */
	size_t nheld, capheld;
} save_run;

static const char *hex_of(const char *digest)
{
	return strchr(digest, ':') + 1;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Blob @i into the archive, once its digest was checked (ahead.c, on
 * another core while the blob before it was being copied): no byte of it
 * goes out before that; then copied by the kernel where it can be. */
static int put_blob(save_run *s, size_t i)
{
	const char *digest = s->blobs[i];
	struct stat before, after;
	char name[100];
	int fd = -1, rc;

	if ((rc = limg__ahead_take(s->ahead, i, &fd, &before)) < 0)
		return rc;
	snprintf(name, sizeof name, "blobs/sha256/%s", hex_of(digest));
	if (s->cb.progress && (rc = s->cb.progress(digest, LIMG_BLOB_NONE, LIMG_EVENT_WRITING, 0, before.st_size, NULL,
	                                           s->cb.payload)) != 0)
		rc = limg__error_after_callback(rc, "save");
	else if ((rc = limg__tar_file_header(&s->tar, name, before.st_size)) == 0 &&
	    (rc = limg__tar_data_from(&s->tar, fd, before.st_size, s->buf, COPY_CHUNK, s->o.cancel)) == 0 &&
	    (rc = limg__tar_pad(&s->tar, before.st_size)) == 0 && (fstat(fd, &after) < 0 || !same_file(&before, &after)))
		/* changed between its check and its copy (nothing may write in the store): what went out is not what was checked */
		rc = limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_BLOB, digest, "stored blob %s changed while it was saved",
		                           digest);
	close(fd);
	return rc;
}

/* The blobs to write, each once, in archive order. */
static int add_blob(save_run *s, const char *digest)
{
	int rc;

	if ((rc = limg__strset_add(&s->written, digest)) <= 0)
		return rc < 0 ? limg__error_oom() : 0;
	if (strncmp(digest, "sha256:", 7) != 0)
		return limg__error_set(LIMG_EUNSUPPORTED, "blob %s: archives hold sha256 blobs only", digest);
	if ((rc = limg__array_grow((void **)&s->blobs, &s->capblobs, s->nblobs + 1, sizeof *s->blobs)) < 0)
		return rc;
	s->blobs[s->nblobs++] = digest;
	return 0;
}

/* The image a name finds, added once; a tagged name adds its tag. */
static int add_image(save_run *s, const char *name)
{
	limg_image_lookup_opts lo = LIMG_IMAGE_LOOKUP_OPTS_INIT;
	limg_image *info = NULL;
	limg_buf tagged = LIMG_BUF_INIT;
	limg_reference *ref = NULL;
	saved_image *img = NULL;
	int rc;

	lo.platform = s->o.platform;
	/* its uncompressed size is not needed: a layer is not inflated to learn it */
	if ((rc = limg__image_lookup(&info, s->store, name, &lo, false)) < 0)
		return rc;
	/* an archive without a layer of its image is no archive of the image (load and skopeo refuse it) */
	if ((rc = limg__image_check_whole(s->store, limg_image_manifest(info), limg_image_id(info))) < 0) {
		limg_image_free(info);
		return rc;
	}
	for (size_t i = 0; i < s->nimages; i++)
		if (!strcmp(limg_image_manifest_digest(s->images[i].info), limg_image_manifest_digest(info))) {
			img = &s->images[i];
			limg_image_free(info);
			info = NULL;
			break;
		}
	if (!img) {
		if ((rc = limg__array_grow((void **)&s->images, &s->capimages, s->nimages + 1, sizeof *s->images)) < 0) {
			limg_image_free(info);
			return rc;
		}
		img = &s->images[s->nimages++];
		img->info = info;
		img->tags = cJSON_CreateArray();
		img->names = cJSON_CreateArray();
	}
	/* a name that is a tag (not an ID) is saved with it, as docker save does */
	if (limg_reference_parse_docker(&ref, name) == 0 && limg_tags_lookup(&tagged, s->store, limg_reference_string(ref)) == 0) {
		cJSON_AddItemToArray(img->tags, cJSON_CreateString(limg_reference_familiar_string(ref)));
		cJSON_AddItemToArray(img->names, cJSON_CreateString(limg_reference_string(ref)));
	}
	limg_error_clear();
	limg_reference_free(ref);
	limg_buf_dispose(&tagged);
	return 0;
}

static void annotate(cJSON *desc, const char *full, const char *tag)
{
	cJSON *a = cJSON_AddObjectToObject(desc, "annotations");
	cJSON_AddStringToObject(a, "io.containerd.image.name", full);
	cJSON_AddStringToObject(a, "org.opencontainers.image.ref.name", tag);
}

static cJSON *descriptor(const limg_image *info, int64_t size)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "mediaType", limg_manifest_media_type(limg_image_manifest(info)));
	cJSON_AddStringToObject(d, "digest", limg_image_manifest_digest(info));
	cJSON_AddNumberToObject(d, "size", (double)size);
	return d;
}

static int put_json(save_run *s, const char *name, cJSON *doc)
{
	char *text = limg__json_print(doc, false);
	int rc;

	if (!text)
		return limg__error_oom();
	rc = limg__tar_file(&s->tar, name, text, strlen(text));
	limg__free(text);
	return rc;
}

static int put_metadata(save_run *s)
{
	cJSON *index = cJSON_CreateObject(), *list, *manifest = cJSON_CreateArray(), *repos = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(index, "schemaVersion", 2);
	cJSON_AddStringToObject(index, "mediaType", LIMG_MEDIA_OCI_INDEX);
	list = cJSON_AddArrayToObject(index, "manifests");
	if (s->referrers_digest[0])
		cJSON_AddStringToObject(cJSON_AddObjectToObject(index, "annotations"), LIMG_ARCHIVE_REFERRERS_KEY,
		                        s->referrers_digest);
	for (size_t i = 0; i < s->nimages; i++) {
		const saved_image *img = &s->images[i];
		const limg_manifest *m = limg_image_manifest(img->info);
		int64_t size;
		cJSON *entry = cJSON_CreateObject(), *layers;
		int ntags = cJSON_GetArraySize(img->tags);

		limg_store_blob_stat(&size, s->store, limg_image_manifest_digest(img->info));
		for (int t = 0; t < (ntags ? ntags : 1); t++) {
			cJSON *d = descriptor(img->info, size);
			if (ntags) {
				const char *full = cJSON_GetArrayItem(img->names, t)->valuestring;
				limg_reference *ref = NULL;
				if (limg_reference_parse(&ref, full) == 0 && limg_reference_tag(ref))
					annotate(d, full, limg_reference_tag(ref));
				limg_reference_free(ref);
			}
			cJSON_AddItemToArray(list, d);
		}
		/* Docker's manifest.json: paths in the archive */
		{
			char path[100];
			snprintf(path, sizeof path, "blobs/sha256/%s", hex_of(limg_image_id(img->info)));
			cJSON_AddStringToObject(entry, "Config", path);
		}
		cJSON_AddItemToObject(entry, "RepoTags", ntags ? cJSON_Duplicate(img->tags, 1) : cJSON_CreateNull());
		layers = cJSON_AddArrayToObject(entry, "Layers");
		for (size_t l = 0; l < limg_manifest_count(m); l++) {
			char path[100];
			snprintf(path, sizeof path, "blobs/sha256/%s", hex_of(limg_descriptor_digest(limg_manifest_entry(m, l))));
			cJSON_AddItemToArray(layers, cJSON_CreateString(path));
		}
		cJSON_AddItemToArray(manifest, entry);
		/* the legacy repositories file: name -> tag -> the top layer's file */
		for (int t = 0; t < ntags && limg_manifest_count(m); t++) {
			const char *familiar = cJSON_GetArrayItem(img->tags, t)->valuestring;
			const char *colon = strrchr(familiar, ':');
			char repo[512];
			cJSON *r;
			if (!colon || strchr(colon, '/'))
				continue;
			snprintf(repo, sizeof repo, "%.*s", (int)(colon - familiar), familiar);
			if (!(r = cJSON_GetObjectItemCaseSensitive(repos, repo)))
				r = cJSON_AddObjectToObject(repos, repo);
			cJSON_DeleteItemFromObjectCaseSensitive(r, colon + 1);
			cJSON_AddStringToObject(r, colon + 1,
			                        hex_of(limg_descriptor_digest(limg_manifest_entry(m, limg_manifest_count(m) - 1))));
		}
	}
	if ((rc = put_json(s, "index.json", index)) == 0 && (rc = put_json(s, "manifest.json", manifest)) == 0)
		rc = limg__tar_file(&s->tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	if (rc == 0 && cJSON_GetArraySize(repos))
		rc = put_json(s, "repositories", repos);
	cJSON_Delete(index);
	cJSON_Delete(manifest);
	cJSON_Delete(repos);
	return rc;
}

/* A referrer's blob, to be written with the images' (checked ahead as theirs). */
static int add_stored(const char *digest, void *payload)
{
	save_run *s = payload;
	char *copy;
	int rc;

	if ((rc = limg__array_grow((void **)&s->held, &s->capheld, s->nheld + 1, sizeof *s->held)) < 0)
		return rc;
	if (!(copy = limg__strdup(digest)))
		return limg__error_oom();
	s->held[s->nheld++] = copy;
	return add_blob(s, copy);
}

/* The listing of the referrers saved, as a blob of the archive. */
static int put_referrers(save_run *s)
{
	cJSON *doc;
	limg_buf digest = LIMG_BUF_INIT;
	char *text = NULL, name[100];
	int rc;

	if (!cJSON_GetArraySize(s->referrers))
		return 0;
	if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schemaVersion", 2) ||
	    !cJSON_AddStringToObject(doc, "mediaType", LIMG_MEDIA_OCI_INDEX) ||
	    !cJSON_AddItemReferenceToObject(doc, "manifests", s->referrers) || !(text = limg__json_print(doc, false))) {
		cJSON_Delete(doc);
		return limg__error_oom();
	}
	cJSON_Delete(doc);
	if ((rc = limg_digest_compute(&digest, LIMG_DIGEST_SHA256, text, strlen(text))) == 0) {
		snprintf(name, sizeof name, "blobs/sha256/%s", hex_of(digest.ptr));
		snprintf(s->referrers_digest, sizeof s->referrers_digest, "%s", digest.ptr);
		if ((rc = limg__strset_add(&s->written, digest.ptr)) > 0)
			rc = limg__tar_file(&s->tar, name, text, strlen(text));
		else if (rc < 0)
			rc = limg__error_oom();
	}
	limg__free(text);
	limg_buf_dispose(&digest);
	return rc;
}

static int run(save_run *s, const char *const *names, size_t count)
{
	int rc;

	for (size_t i = 0; i < count; i++)
		if ((rc = add_image(s, names[i])) < 0)
			return rc;
	for (size_t i = 0; i < s->nimages; i++) {
		const limg_image *info = s->images[i].info;
		const limg_manifest *m = limg_image_manifest(info);
		for (size_t l = 0; l < limg_manifest_count(m); l++) {
			const limg_descriptor *d = limg_manifest_entry(m, l);
			if ((rc = add_blob(s, limg_descriptor_digest(d))) < 0)
				return rc;
		}
		if ((rc = add_blob(s, limg_image_id(info))) < 0 || (rc = add_blob(s, limg_image_manifest_digest(info))) < 0)
			return rc;
		/* its signatures and other referrers, so that an air-gapped copy keeps them */
		if ((rc = limg__archive_save_referrers(s->store, limg_image_manifest_digest(info), add_stored, s,
		                                       s->referrers)) < 0)
			return rc;
	}
	if ((rc = limg__ahead_start(&s->ahead, s->store, s->blobs, s->nblobs, s->o.cancel)) < 0 ||
	    (rc = limg__tar_dir(&s->tar, "blobs/")) < 0 || (rc = limg__tar_dir(&s->tar, "blobs/sha256/")) < 0)
		return rc;
	for (size_t i = 0; i < s->nblobs; i++)
		if ((rc = put_blob(s, i)) < 0)
			return rc;
	if ((rc = put_referrers(s)) < 0 || (rc = put_metadata(s)) < 0)
		return rc;
	return limg__tar_finish(&s->tar);
}

int limg_archive_save(limg_store *store, const char *const *images, size_t count, int fd,
                      const limg_archive_save_opts *opts, const limg_archive_save_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	save_run s;
	int rc;

	if (!store)
		return limg__error_invalid("store");
	if (!images || !count)
		return limg__error_invalid("images");
	for (size_t i = 0; i < count; i++)
		if (!images[i] || !*images[i])
			return limg__error_invalid("images");
	memset(&s, 0, sizeof s);
	s.store = store;
	limg_archive_save_opts_init(&s.o, sizeof s.o);
	limg_archive_save_callbacks_init(&s.cb, sizeof s.cb);
	if ((rc = limg__opts_copy(&s.o, sizeof s.o, opts, "limg_archive_save_opts")) < 0 ||
	    (rc = limg__opts_copy(&s.cb, sizeof s.cb, cb, "limg_archive_save_callbacks")) < 0)
		return rc;
	if (fd < 0 && !s.cb.write)
		return limg__error_invalid("fd (or callbacks.write)");
	s.tar.fd = fd;
	s.tar.cancel = s.o.cancel;
	if (fd < 0) {
		s.tar.write = s.cb.write;
		s.tar.payload = s.cb.payload;
	}
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if (!(s.buf = limg__malloc(COPY_CHUNK)) || !(s.referrers = cJSON_CreateArray()))
		rc = limg__error_oom();
	else
		rc = run(&s, images, count);
	limg__tar_writer_dispose(&s.tar);
	limg__ahead_stop(s.ahead);
	limg__free(s.blobs);
	for (size_t i = 0; i < s.nimages; i++) {
		limg_image_free(s.images[i].info);
		cJSON_Delete(s.images[i].tags);
		cJSON_Delete(s.images[i].names);
	}
	limg__free(s.images);
	limg__free(s.buf);
	cJSON_Delete(s.referrers);
	for (size_t i = 0; i < s.nheld; i++)
		limg__free(s.held[i]);
	limg__free(s.held);
	limg__strset_free(&s.written);
	limg__store_leave(store);
	return rc;
}
