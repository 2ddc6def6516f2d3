/* SPDX-License-Identifier: MIT */
/* Setting, looking up and removing tags: read-modify-write of index.json under its lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "tags_internal.h"

const char *limg__entry_ref(const limg__index_entry *e)
{
	return limg__index_annotation(e, LIMG_REF_NAME_KEY);
}

static bool digest_is(const limg__index_entry *e, const char *digest)
{
	return e->digest && !strcmp(e->digest, digest);
}

/* The tag a reference names, read as `docker tag` reads it ("redis" is
 * docker.io/library/redis:latest); a digest in it is refused. */
static int parse_tag(limg_reference **out, const char *reference)
{
	int rc;

	*out = NULL;
	if (!reference)
		return limg__error_invalid("reference");
	if ((rc = limg_reference_parse_docker(out, reference)) < 0)
		return limg__error_about(LIMG_SUBJECT_REFERENCE, reference);
	if (!limg_reference_tag(*out) || limg_reference_digest(*out)) {
		limg_reference_free(*out);
		*out = NULL;
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_REFERENCE, reference,
		                             "%s: a tag reference is repository:tag, without digest", reference);
	}
	return 0;
}

/* Media type and size of a stored manifest or index. */
static int describe(limg_store *s, const char *digest, char **media_type, int64_t *size)
{
	limg_buf body = LIMG_BUF_INIT;
	limg_manifest *m = NULL;
	int rc;

	if ((rc = limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_SIZE_MAX)) < 0)
		return rc;
	*size = (int64_t)body.size;
	if (limg_manifest_parse(&m, body.ptr, body.size, NULL) < 0) {
		char why[512]; /* the parser's message, copied: it is overwritten by the new one */
		snprintf(why, sizeof why, "%s", limg_error_message(limg_error_last()));
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_MANIFEST, digest,
		                           "blob %s is not an image manifest or index: %s", digest, why);
	} else if (!(*media_type = strdup(limg_manifest_media_type(m))))
		rc = limg__error_oom();
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	return rc;
}

/* A new entry. From @like (an entry of the same image) it takes what describes the image, not the
 * tag: other members (platform, ...) and annotations but its ref.name (and, when tagged, the
 * repository an untagged image remembered). */
static int new_entry(limg__index *ix, limg__index_entry **out, const char *media_type, const char *digest,
                     int64_t size, const char *reference, const limg__index_entry *like)
{
	limg__index_entry copy, *e;
	int rc;

	/* @like may live in the entries array, which append can move */
	if (like)
		copy = *like;
	if ((rc = limg__index_append(ix, media_type, digest, size, &e)) < 0)
		return rc;
	if (like) {
		e->extra = copy.extra; /* arena strings: shared, never freed alone */
		for (size_t i = 0; i < copy.nann; i++) {
			const char *k = copy.ann[i].key;
			if (!strcmp(k, LIMG_REF_NAME_KEY) || (reference && !strcmp(k, LIMG_REPOSITORY_KEY)))
				continue;
			if ((rc = limg__index_set_annotation(ix, e, k, copy.ann[i].value)) < 0)
				return rc;
		}
	}
	if (reference && (rc = limg__index_set_annotation(ix, e, LIMG_REF_NAME_KEY, reference)) < 0)
		return rc;
	*out = e;
	return 0;
}

/* After a tag left an image: keep it as an untagged entry when no other
 * entry names it. */
static int keep_if_orphaned(limg__index *ix, const limg__index_entry *old)
{
	limg__index_entry copy = *old, *e;

	for (size_t i = 0; i < ix->count; i++)
		if (&ix->entries[i] != old && digest_is(&ix->entries[i], copy.digest))
			return 0;
	return new_entry(ix, &e, copy.media_type, copy.digest, copy.size, NULL, &copy);
}

/* Runs @fn on index.json under the lock and saves it when @fn returns 1. */
typedef int (*index_edit_fn)(limg__index *ix, void *payload);

static int edit_index(limg_store *s, index_edit_fn fn, void *payload)
{
	limg__index *ix = NULL;
	int lock = -1, rc;

	if ((rc = limg__index_lock(&lock, s)) < 0)
		return rc;
	if ((rc = limg__index_load(&ix, s)) == 0 && (rc = fn(ix, payload)) == 1)
		rc = limg__index_save(s, ix);
	limg__index_free(ix);
	limg__index_unlock(lock);
	return rc;
}

static int corrupt_entry(limg_store *s)
{
	char label[4096];

	limg__store_label(label, sizeof label, s, "index.json");
	return limg__error_set(LIMG_ECORRUPT, "%s is corrupt: an entry lacks mediaType, digest or size", label);
}

struct set_args {
	limg_store *store;
	const char *reference, *name, *digest, *media_type; /* name: the tag's repository */
	int64_t size;
	const char *const *keys, *const *values; /* cache annotations to set too */
	size_t n;
};

static int do_set(limg__index *ix, void *payload)
{
	struct set_args *a = payload;
	limg__index_entry *current = NULL, *like = NULL, *fresh;
	limg__index_entry old;
	size_t current_at = 0;
	int rc;

	/* blobs may have been collected since we looked: the image must be whole, checked under the lock */
	if ((rc = limg__store_check_complete(a->store, a->digest)) < 0)
		return limg__error_prefix("cannot tag %s", a->reference);
	for (size_t i = 0; i < ix->count; i++) {
		limg__index_entry *e = &ix->entries[i];
		if (!limg__index_entry_usable(e))
			return corrupt_entry(a->store);
		if (limg__entry_ref(e) && !strcmp(limg__entry_ref(e), a->reference)) {
			current = e;
			current_at = i;
		}
		if (digest_is(e, a->digest) && !like)
			like = e;
	}
	if (current && digest_is(current, a->digest) && !a->n)
		return 0; /* already so: nothing to write */
	if (current)
		old = *current;
	if ((rc = new_entry(ix, &fresh, a->media_type, a->digest, a->size, a->reference, like)) < 0)
		return rc;
	for (size_t i = 0; i < a->n; i++)
		if ((rc = limg__index_set_annotation(ix, fresh, a->keys[i], a->values[i])) < 0)
			return rc;
	/* the new entry takes the old one's place, or goes last */
	if (current) {
		ix->entries[current_at] = *fresh;
		ix->count--;
	}
	/* the image is tagged now: its untagged entry goes, and a digest
	 * reference of the same repository (the tag names it as well); one of
	 * another repository stays, as Docker keeps it in RepoDigests */
	for (size_t i = ix->count; i-- > 0;) {
		const char *repo = limg__index_annotation(&ix->entries[i], LIMG_REPOSITORY_KEY);
		if (!limg__entry_ref(&ix->entries[i]) && digest_is(&ix->entries[i], a->digest) &&
		    (!repo || !strcmp(repo, a->name)))
			limg__index_remove(ix, i);
	}
	/* the tag moved: the image it left stays, untagged, if nothing else names it */
	if (current && (rc = keep_if_orphaned(ix, &old)) < 0)
		return rc;
	return 1;
}

int limg_tags_set(limg_store *s, const char *reference, const char *digest)
{
	return limg__tags_set_annotated(s, reference, digest, NULL, NULL, 0);
}

int limg__tags_set_annotated(limg_store *s, const char *reference, const char *digest, const char *const *keys,
                             const char *const *values, size_t n)
{
	struct set_args a = { s, NULL, NULL, digest, NULL, 0, keys, values, n };
	limg_reference *ref;
	char *media_type = NULL;
	int rc;

	if ((rc = parse_tag(&ref, reference)) < 0)
		return rc;
	a.reference = limg_reference_string(ref);
	a.name = limg_reference_name(ref);
	if (!digest)
		rc = limg__error_invalid("digest");
	else if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		rc = limg__digest_raise(rc, digest, strlen(digest));
	else if ((rc = limg__store_enter(s)) == 0) {
		if ((rc = describe(s, digest, &media_type, &a.size)) == 0) {
			a.media_type = media_type;
			rc = edit_index(s, do_set, &a);
		}
		free(media_type);
		limg__store_leave(s);
	}
	limg_reference_free(ref);
	return rc < 0 ? rc : 0;
}

static int find_tag(limg__index *ix, const char *reference, size_t *at)
{
	for (size_t i = 0; i < ix->count; i++) {
		const char *ref = limg__entry_ref(&ix->entries[i]);
		if (ref && !strcmp(ref, reference)) {
			*at = i;
			return 0;
		}
	}
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_TAG, reference, "no tag %s", reference);
}

int limg_tags_lookup(limg_buf *out, limg_store *s, const char *text)
{
	limg__index *ix = NULL;
	limg_reference *ref;
	const char *reference;
	size_t at;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = parse_tag(&ref, text)) < 0)
		return rc;
	reference = limg_reference_string(ref);
	if ((rc = limg__store_enter(s)) < 0) {
		limg_reference_free(ref);
		return rc;
	}
	if ((rc = limg__index_load(&ix, s)) == 0 && (rc = find_tag(ix, reference, &at)) == 0) {
		const char *d = ix->entries[at].digest;
		if (!d || limg__digest_check(d, strlen(d), NULL) != 0) {
			char label[4096];
			limg__store_label(label, sizeof label, s, "index.json");
			rc = limg__error_set(LIMG_ECORRUPT, "%s is corrupt: tag %s has no valid digest", label, reference);
		} else {
			rc = limg_buf_set(out, d, strlen(d));
		}
	}
	limg__index_free(ix);
	limg__store_leave(s);
	limg_reference_free(ref);
	return rc;
}

static int do_remove(limg__index *ix, void *payload)
{
	limg__index_entry old;
	size_t at;
	int rc;

	if ((rc = find_tag(ix, payload, &at)) < 0)
		return rc;
	old = ix->entries[at];
	limg__index_remove(ix, at);
	if (limg__index_entry_usable(&old) && (rc = keep_if_orphaned(ix, &old)) < 0)
		return rc;
	return 1;
}

int limg_tags_remove(limg_store *s, const char *text)
{
	limg_reference *ref;
	int rc;

	if ((rc = parse_tag(&ref, text)) < 0)
		return rc;
	if ((rc = limg__store_enter(s)) == 0) {
		rc = edit_index(s, do_remove, (void *)limg_reference_string(ref));
		limg__store_leave(s);
	}
	limg_reference_free(ref);
	return rc < 0 ? rc : 0;
}

static int do_forget(limg__index *ix, void *payload)
{
	const char *digest = payload;
	bool found = false;

	for (size_t i = 0; i < ix->count; i++)
		if (digest_is(&ix->entries[i], digest) && limg__entry_ref(&ix->entries[i])) {
			char tag[300];
			limg__sanitize(tag, sizeof tag, limg__entry_ref(&ix->entries[i]), strlen(limg__entry_ref(&ix->entries[i])));
			return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, digest, "image %s is still tagged %s",
			                             digest, tag);
		}
	for (size_t i = ix->count; i-- > 0;)
		if (digest_is(&ix->entries[i], digest)) {
			limg__index_remove(ix, i);
			found = true;
		}
	return found ? 1 : limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, digest, "no untagged image %s", digest);
}

int limg_tags_remove_untagged(limg_store *s, const char *digest)
{
	int rc;

	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = edit_index(s, do_forget, (void *)digest);
	limg__store_leave(s);
	return rc < 0 ? rc : 0;
}

struct forget_args {
	const char *digest, *repository;
	int removed;
};

static int do_forget_repository(limg__index *ix, void *payload)
{
	struct forget_args *a = payload;

	for (size_t i = ix->count; i-- > 0;) {
		const char *repo = limg__index_annotation(&ix->entries[i], LIMG_REPOSITORY_KEY);
		if (!limg__entry_ref(&ix->entries[i]) && digest_is(&ix->entries[i], a->digest) && repo &&
		    !strcmp(repo, a->repository)) {
			limg__index_remove(ix, i);
			a->removed++;
		}
	}
	return a->removed ? 1 : 0;
}

int limg__tags_forget_repository(limg_store *s, const char *digest, const char *repository, int *removed)
{
	struct forget_args a = { digest, repository, 0 };
	int rc;

	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = edit_index(s, do_forget_repository, &a);
	limg__store_leave(s);
	if (removed)
		*removed = a.removed;
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

static int do_annotate(limg__index *ix, void *payload)
{
	struct annotate_args *a = payload;
	bool changed = false;
	int rc;

	for (size_t i = 0; i < ix->count; i++) {
		limg__index_entry *e = &ix->entries[i];
		limg__annotations key = { e->digest, { 0 }, { 0 }, 0 };
		const limg__annotations *set;
		if (!key.digest || !(set = bsearch(&key, a->sets, a->n, sizeof *a->sets, compare_sets)))
			continue;
		for (size_t k = 0; k < set->n; k++) {
			const char *v = limg__index_annotation(e, set->keys[k]);
			if (v && !strcmp(v, set->values[k]))
				continue;
			if ((rc = limg__index_set_annotation(ix, e, set->keys[k], set->values[k])) < 0)
				return rc;
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
	const char *digest, *repository, *media_type;
	int64_t size;
};

/* Whether an entry names its image in @repository (canonical): by a tag
 * there, or as an image pulled by digest from there. */
static bool in_repository(const limg__index_entry *e, const char *repository)
{
	const char *ref = limg__entry_ref(e), *repo = limg__index_annotation(e, LIMG_REPOSITORY_KEY);
	size_t n = strlen(repository);

	if (ref)
		return !strncmp(ref, repository, n) && (ref[n] == ':' || ref[n] == '@');
	return repo && !strcmp(repo, repository);
}

static int do_keep(limg__index *ix, void *payload)
{
	struct keep_args *a = payload;
	limg__index_entry *e;
	int rc;

	for (size_t i = 0; i < ix->count; i++) {
		e = &ix->entries[i];
		if (!digest_is(e, a->digest))
			continue;
		/* already named so (a name-less load: named at all), tagged or not */
		if (!a->repository || in_repository(e, a->repository))
			return 0;
		/* a dangling entry of the image learns the repository */
		if (!limg__entry_ref(e) && !limg__index_annotation(e, LIMG_REPOSITORY_KEY))
			return limg__index_set_annotation(ix, e, LIMG_REPOSITORY_KEY, a->repository) < 0 ? LIMG_ENOMEM : 1;
	}
	if ((rc = limg__store_check_complete(a->store, a->digest)) < 0)
		return rc;
	if ((rc = new_entry(ix, &e, a->media_type, a->digest, a->size, NULL, NULL)) < 0 ||
	    (a->repository && (rc = limg__index_set_annotation(ix, e, LIMG_REPOSITORY_KEY, a->repository)) < 0))
		return rc;
	return 1;
}

int limg__tags_keep_untagged(limg_store *s, const char *digest, const char *repository)
{
	struct keep_args a = { s, digest, repository, NULL, 0 };
	char *media_type = NULL;
	int rc;

	if ((rc = describe(s, digest, &media_type, &a.size)) == 0) {
		a.media_type = media_type;
		rc = edit_index(s, do_keep, &a);
	}
	free(media_type);
	return rc < 0 ? rc : 0;
}
