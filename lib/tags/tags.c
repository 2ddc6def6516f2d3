/* Setting, looking up and removing tags: read-modify-write of index.json under its lock. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/media.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "store/store_internal.h"
#include "tags_internal.h"

const char *limg__entry_ref(const cJSON *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "annotations"),
	                                                  LIMG_REF_NAME_KEY);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *limg__entry_digest(const cJSON *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "digest");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool digest_is(const cJSON *e, const char *digest)
{
	const char *d = limg__entry_digest(e);
	return d && !strcmp(d, digest);
}

/* A canonical "domain/path:tag" reference, or an error. */
static int check_tag_reference(const char *reference)
{
	limg_reference *r;
	int rc;

	if (!reference)
		return limg__error_invalid("reference");
	if ((rc = limg_reference_parse_canonical(&r, reference)) < 0)
		return rc;
	if (!limg_reference_tag(r) || limg_reference_digest(r))
		rc = limg__error_set(LIMG_EINVALID, "%s: a tag reference is repository:tag, without digest", reference);
	limg_reference_free(r);
	return rc;
}

/* Media type and size of a stored manifest or index. */
static int describe(limg_store *s, const char *digest, char **media_type, int64_t *size)
{
	limg_buf body = LIMG_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *t;
	const char *type = NULL;
	int rc;

	if ((rc = limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_MAX)) < 0)
		return rc;
	*size = (int64_t)body.size;
	doc = cJSON_ParseWithLength(body.ptr, body.size);
	t = cJSON_GetObjectItemCaseSensitive(doc, "mediaType");
	if (cJSON_IsString(t))
		type = t->valuestring;
	else if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "manifests")))
		type = "application/vnd.oci.image.index.v1+json";
	else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "config")))
		type = "application/vnd.oci.image.manifest.v1+json";
	if (!limg__media_is_manifest(type))
		rc = limg__error_set(LIMG_EINVALID, "blob %s is not an image manifest or index", digest);
	else if (!(*media_type = strdup(type)))
		rc = limg__error_oom();
	cJSON_Delete(doc);
	limg_buf_dispose(&body);
	return rc;
}

/* A new entry; cache annotations are copied from @like (same image) if given. */
static cJSON *new_entry(const char *media_type, const char *digest, int64_t size, const char *reference,
                        const cJSON *like)
{
	cJSON *e = cJSON_CreateObject(), *ann = cJSON_CreateObject();
	const cJSON *a;

	if (!e || !ann)
		goto fail;
	if (!cJSON_AddStringToObject(e, "mediaType", media_type) || !cJSON_AddStringToObject(e, "digest", digest) ||
	    !cJSON_AddNumberToObject(e, "size", (double)size))
		goto fail;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(like, "annotations"))
		if (!strncmp(a->string, LIMG_CACHE_PREFIX, strlen(LIMG_CACHE_PREFIX)) && cJSON_IsString(a) &&
		    (!reference || strcmp(a->string, LIMG_REPOSITORY_KEY) != 0))
			if (!cJSON_AddStringToObject(ann, a->string, a->valuestring))
				goto fail;
	if (reference && !cJSON_AddStringToObject(ann, LIMG_REF_NAME_KEY, reference))
		goto fail;
	if (ann->child)
		cJSON_AddItemToObject(e, "annotations", ann);
	else
		cJSON_Delete(ann);
	return e;
fail:
	cJSON_Delete(ann);
	cJSON_Delete(e);
	return NULL;
}

/* After a tag left @digest: keep the image as an untagged entry when no
 * other entry names it. */
static int keep_if_orphaned(cJSON *manifests, cJSON *old)
{
	const cJSON *e;
	cJSON *orphan;

	cJSON_ArrayForEach(e, manifests)
		if (e != old && digest_is(e, limg__entry_digest(old)))
			return 0;
	orphan = new_entry(cJSON_GetObjectItemCaseSensitive(old, "mediaType")->valuestring, limg__entry_digest(old),
	                   (int64_t)cJSON_GetObjectItemCaseSensitive(old, "size")->valuedouble, NULL, old);
	if (!orphan)
		return limg__error_oom();
	cJSON_AddItemToArray(manifests, orphan);
	return 0;
}

static bool entry_ok(const cJSON *e)
{
	return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "mediaType")) && limg__entry_digest(e) &&
	       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "size"));
}

/* Runs @fn on index.json under the lock and saves it when @fn returns 1. */
typedef int (*index_edit_fn)(cJSON *manifests, void *payload);

static int edit_index(limg_store *s, index_edit_fn fn, void *payload)
{
	cJSON *doc = NULL;
	int lock = -1, rc;

	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if ((rc = limg__index_load(&doc, s)) == 0 &&
	    (rc = fn(cJSON_GetObjectItemCaseSensitive(doc, "manifests"), payload)) == 1)
		rc = limg__index_save(s, doc);
	cJSON_Delete(doc);
	limg__index_unlock(lock);
	return rc;
}

struct set_args {
	limg_store *store;
	const char *reference, *digest, *media_type;
	int64_t size;
	const char *const *keys, *const *values; /* cache annotations to set too */
	size_t n;
};

static int set_annotations(cJSON *e, const char *const *keys, const char *const *values, size_t n)
{
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(e, "annotations");

	if (!n)
		return 0;
	if (!ann && !(ann = cJSON_AddObjectToObject(e, "annotations")))
		return limg__error_oom();
	for (size_t i = 0; i < n; i++) {
		cJSON *v = cJSON_CreateString(values[i]);
		if (!v)
			return limg__error_oom();
		cJSON_DeleteItemFromObjectCaseSensitive(ann, keys[i]);
		cJSON_AddItemToObject(ann, keys[i], v);
	}
	return 0;
}

static int do_set(cJSON *manifests, void *payload)
{
	struct set_args *a = payload;
	cJSON *e, *next, *current = NULL, *like = NULL, *fresh, *old = NULL;
	int64_t size;
	int rc = 1;

	/* the blob may have been collected since we looked: check under the lock */
	if ((rc = limg_store_blob_stat(&size, a->store, a->digest)) < 0)
		return rc;
	cJSON_ArrayForEach(e, manifests) {
		if (!entry_ok(e))
			return limg__error_set(LIMG_ECORRUPT, "%s is corrupt: an entry lacks mediaType, digest or size",
			                       a->store->index_path);
		if (limg__entry_ref(e) && !strcmp(limg__entry_ref(e), a->reference))
			current = e;
		if (digest_is(e, a->digest) && !like)
			like = e;
	}
	if (current && digest_is(current, a->digest) && !a->n)
		return 0; /* already so: nothing to write */
	if (!(fresh = new_entry(a->media_type, a->digest, a->size, a->reference, like)))
		return limg__error_oom();
	if ((rc = set_annotations(fresh, a->keys, a->values, a->n)) < 0) {
		cJSON_Delete(fresh);
		return rc;
	}
	/* the image is tagged now: its untagged entry goes */
	for (e = manifests->child; e; e = next) {
		next = e->next;
		if (!limg__entry_ref(e) && digest_is(e, a->digest))
			cJSON_Delete(cJSON_DetachItemViaPointer(manifests, e));
	}
	if (!current) {
		cJSON_AddItemToArray(manifests, fresh);
		return 1;
	}
	/* the tag moves: the image it leaves stays, untagged, if nothing else names it */
	if (!(old = cJSON_Duplicate(current, 1))) {
		cJSON_Delete(fresh);
		return limg__error_oom();
	}
	cJSON_ReplaceItemViaPointer(manifests, current, fresh);
	if ((rc = keep_if_orphaned(manifests, old)) == 0)
		rc = 1;
	cJSON_Delete(old);
	return rc;
}

int limg_tags_set(limg_store *s, const char *reference, const char *digest)
{
	return limg__tags_set_annotated(s, reference, digest, NULL, NULL, 0);
}

int limg__tags_set_annotated(limg_store *s, const char *reference, const char *digest, const char *const *keys,
                             const char *const *values, size_t n)
{
	struct set_args a = { s, reference, digest, NULL, 0, keys, values, n };
	char *media_type = NULL;
	int rc;

	if (!s)
		return limg__error_invalid("store");
	if ((rc = check_tag_reference(reference)) < 0)
		return rc;
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = describe(s, digest, &media_type, &a.size)) < 0)
		return rc;
	a.media_type = media_type;
	rc = edit_index(s, do_set, &a);
	free(media_type);
	return rc < 0 ? rc : 0;
}

static int find_tag(cJSON *manifests, const char *reference, cJSON **out)
{
	cJSON *e;

	cJSON_ArrayForEach(e, manifests)
		if (limg__entry_ref(e) && !strcmp(limg__entry_ref(e), reference)) {
			*out = e;
			return 0;
		}
	return limg__error_set(LIMG_ENOTFOUND, "no tag %s", reference);
}

int limg_tags_lookup(limg_buf *out, limg_store *s, const char *reference)
{
	cJSON *doc = NULL, *e = NULL;
	int rc;

	if (!out || !s)
		return limg__error_invalid(out ? "store" : "out");
	if ((rc = check_tag_reference(reference)) < 0)
		return rc;
	if ((rc = limg__index_load(&doc, s)) == 0 &&
	    (rc = find_tag(cJSON_GetObjectItemCaseSensitive(doc, "manifests"), reference, &e)) == 0) {
		const char *d = limg__entry_digest(e);
		if (!d || limg__digest_check(d, strlen(d), NULL) != 0)
			rc = limg__error_set(LIMG_ECORRUPT, "%s is corrupt: tag %s has no valid digest", s->index_path,
			                     reference);
		else {
			out->size = 0;
			rc = limg__buf_put(out, d, strlen(d));
		}
	}
	cJSON_Delete(doc);
	return rc;
}

static int do_remove(cJSON *manifests, void *payload)
{
	cJSON *e = NULL;
	int rc;

	if ((rc = find_tag(manifests, payload, &e)) < 0)
		return rc;
	cJSON_DetachItemViaPointer(manifests, e);
	rc = entry_ok(e) ? keep_if_orphaned(manifests, e) : 0;
	cJSON_Delete(e);
	return rc < 0 ? rc : 1;
}

int limg_tags_remove(limg_store *s, const char *reference)
{
	int rc;

	if (!s)
		return limg__error_invalid("store");
	if ((rc = check_tag_reference(reference)) < 0)
		return rc;
	rc = edit_index(s, do_remove, (void *)reference);
	return rc < 0 ? rc : 0;
}

static int do_forget(cJSON *manifests, void *payload)
{
	const char *digest = payload;
	cJSON *e, *next;
	bool found = false;

	cJSON_ArrayForEach(e, manifests)
		if (digest_is(e, digest) && limg__entry_ref(e))
			return limg__error_set(LIMG_EINVALID, "image %s is still tagged %s", digest, limg__entry_ref(e));
	for (e = manifests->child; e; e = next) {
		next = e->next;
		if (digest_is(e, digest)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(manifests, e));
			found = true;
		}
	}
	return found ? 1 : limg__error_set(LIMG_ENOTFOUND, "no untagged image %s", digest);
}

int limg_tags_forget(limg_store *s, const char *digest)
{
	int rc;

	if (!s || !digest)
		return limg__error_invalid(s ? "digest" : "store");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	rc = edit_index(s, do_forget, (void *)digest);
	return rc < 0 ? rc : 0;
}

static int compare_sets(const void *a, const void *b)
{
	return strcmp(((const limg__annotations *)a)->digest, ((const limg__annotations *)b)->digest);
}

struct annotate_args {
	limg__annotations *sets; /* sorted by digest */
	size_t n;
};

static int do_annotate(cJSON *manifests, void *payload)
{
	struct annotate_args *a = payload;
	cJSON *e;
	bool changed = false;

	cJSON_ArrayForEach(e, manifests) {
		limg__annotations key = { limg__entry_digest(e), { 0 }, { 0 }, 0 };
		const limg__annotations *set;
		cJSON *ann;
		if (!key.digest || !(set = bsearch(&key, a->sets, a->n, sizeof *a->sets, compare_sets)))
			continue;
		ann = cJSON_GetObjectItemCaseSensitive(e, "annotations");
		if (!ann && !(ann = cJSON_AddObjectToObject(e, "annotations")))
			return limg__error_oom();
		for (size_t i = 0; i < set->n; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, set->keys[i]);
			cJSON *s;
			if (cJSON_IsString(v) && !strcmp(v->valuestring, set->values[i]))
				continue;
			if (!(s = cJSON_CreateString(set->values[i])))
				return limg__error_oom();
			cJSON_DeleteItemFromObjectCaseSensitive(ann, set->keys[i]);
			cJSON_AddItemToObject(ann, set->keys[i], s);
			changed = true;
		}
	}
	return changed ? 1 : 0;
}

int limg__tags_annotate(limg_store *s, const limg__annotations *sets, size_t n)
{
	struct annotate_args a = { NULL, n };
	int rc;

	if (!n)
		return 0;
	if (!(a.sets = malloc(n * sizeof *sets)))
		return limg__error_oom();
	memcpy(a.sets, sets, n * sizeof *sets);
	qsort(a.sets, n, sizeof *a.sets, compare_sets);
	rc = edit_index(s, do_annotate, &a);
	free(a.sets);
	return rc < 0 ? rc : 0;
}

struct keep_args {
	limg_store *store;
	const char *digest, *repository;
};

static int do_keep(cJSON *manifests, void *payload)
{
	struct keep_args *a = payload;
	cJSON *e, *ann;
	char *media_type = NULL;
	int64_t size;
	int rc;

	cJSON_ArrayForEach(e, manifests)
		if (digest_is(e, a->digest))
			return 0; /* already listed, tagged or not */
	if ((rc = describe(a->store, a->digest, &media_type, &size)) < 0)
		return rc;
	e = new_entry(media_type, a->digest, size, NULL, NULL);
	free(media_type);
	if (!e || !(ann = cJSON_AddObjectToObject(e, "annotations")) ||
	    !cJSON_AddStringToObject(ann, LIMG_REPOSITORY_KEY, a->repository)) {
		cJSON_Delete(e);
		return limg__error_oom();
	}
	cJSON_AddItemToArray(manifests, e);
	return 1;
}

int limg__tags_keep_untagged(limg_store *s, const char *digest, const char *repository)
{
	struct keep_args a = { s, digest, repository };
	int rc = edit_index(s, do_keep, &a);
	return rc < 0 ? rc : 0;
}
