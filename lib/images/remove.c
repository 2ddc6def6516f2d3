/* SPDX-License-Identifier: MIT */
/* `docker rmi` and image lookup by reference or ID prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "facts.h"
#include "libimage/images.h"
#include "libimage/reference.h"
#include "tags/tags_internal.h"

int limg_images_remove_opts_init(limg_images_remove_opts *opts, size_t size)
{
	static const limg_images_remove_opts defaults = LIMG_IMAGES_REMOVE_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_images_remove_callbacks_init(limg_images_remove_callbacks *cb, size_t size)
{
	static const limg_images_remove_callbacks defaults = LIMG_IMAGES_REMOVE_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

static int no_such_image(const char *image)
{
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, image, "No such image: %s", image);
}

/* "sha256:abc...", "abc..." (any unique prefix of at least one hex digit). */
static const char *id_prefix(const char *image)
{
	const char *p = !strncmp(image, "sha256:", 7) ? image + 7 : image;

	if (!*p || strlen(p) > 64 || strspn(p, "0123456789abcdef") != strlen(p))
		return NULL;
	return p;
}

/* The digest an image ID prefix names (of the manifest or index entry);
 * @image is what the caller named it by. */
static int find_by_id(limg_buf *digest, limg_buf *id, limg_store *s, const char *prefix, const char *image,
                      const limg_cancel *cancel)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	limg__arena arena = LIMG_ARENA_INIT;
	const limg_tag *t;
	size_t n = strlen(prefix);
	int rc, found = 0;

	to.select = LIMG_LIST_ALL;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		return rc;
	while ((rc = limg_tag_iterator_next(&t, it)) == 0) {
		limg__facts f;
		if (limg_cancel_requested(cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "lookup of %.100s cancelled", image);
			break;
		}
		limg__image_facts(s, t, NULL, &arena, &f);
		if (strlen(f.id) < 7 || strncmp(f.id + 7, prefix, n) != 0)
			continue;
		if (found && strcmp(id->ptr, f.id) != 0) {
			limg_tag_iterator_free(it);
			limg__arena_free(&arena);
			return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, image, "image ID prefix %s is ambiguous",
			                             prefix);
		}
		if (!found && ((rc = limg_buf_set(digest, limg_tag_digest(t), strlen(limg_tag_digest(t)))) < 0 ||
		               (rc = limg_buf_set(id, f.id, strlen(f.id))) < 0))
			break;
		found = 1;
	}
	limg_tag_iterator_free(it);
	limg__arena_free(&arena);
	if (rc < 0 && rc != LIMG_ITEROVER) /* an iterator that failed (out of memory) too */
		return rc;
	return found ? 0 : no_such_image(image);
}

/* "name@digest": the image of that digest, when it was tagged or pulled by
 * digest in that repository (what Docker lists as its RepoDigests). */
static int find_by_repo_digest(limg_buf *digest, limg_store *s, const limg_reference *r)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;
	int rc, found = 0;

	to.digest = limg_reference_digest(r);
	to.select = LIMG_LIST_ALL;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		return rc == LIMG_EDIGEST_FORMAT || rc == LIMG_EDIGEST_LENGTH || rc == LIMG_EDIGEST_UNSUPPORTED ? 0 : rc;
	while (!found && (rc = limg_tag_iterator_next(&t, it)) == 0) {
		const char *repository;
		if ((rc = limg__tag_repository(&repository, t)) < 0)
			break;
		found = repository && !strcmp(repository, limg_reference_familiar_name(r));
	}
	limg_tag_iterator_free(it);
	if (!found) /* an iterator that failed (out of memory) is no "no such image" */
		return rc == LIMG_ITEROVER ? 0 : rc;
	return limg_buf_set(digest, to.digest, strlen(to.digest)) == 0 ? 1 : LIMG_ENOMEM;
}

/* An entry named exactly @name: another tool's layout names its images by
 * a bare tag ("latest", as skopeo's oci:DIR:latest and umoci's DIR:latest)
 * or a name that is not normalized ("busybox:1.36"). */
static int find_by_ref_name(limg_buf *digest, limg_store *s, const char *name)
{
	limg_tag_iterator *it;
	const limg_tag *t;
	int rc, found = 0;

	if ((rc = limg_tag_iterator_new(&it, s, NULL)) < 0)
		return rc;
	while (!found && (rc = limg_tag_iterator_next(&t, it)) == 0)
		if (!strcmp(limg_tag_reference(t), name))
			found = limg_buf_set(digest, limg_tag_digest(t), strlen(limg_tag_digest(t))) == 0 ? 1 : LIMG_ENOMEM;
	limg_tag_iterator_free(it);
	return found || rc == LIMG_ITEROVER ? found : rc;
}

/* How a name found its image. */
enum found_by { BY_ID, BY_TAG, BY_REPO_DIGEST, BY_LAYOUT_NAME };

/* By tagged reference first (as docker does), or by repository and digest;
 * then by another tool's name, then by ID. *@how says which; @reference
 * receives the canonical tag or "name@digest". */
static int resolve(limg_buf *digest, limg_buf *id, limg_buf *reference, limg_store *s, const char *image,
                   enum found_by *how, const limg_cancel *cancel)
{
	limg_reference *r = NULL;
	const char *prefix = id_prefix(image);
	int rc;

	*how = BY_ID;
	if (limg_reference_parse_docker(&r, image) == 0 && limg_reference_digest(r) && limg_reference_name(r)) {
		rc = find_by_repo_digest(digest, s, r);
		if (rc > 0) {
			*how = BY_REPO_DIGEST;
			rc = limg_buf_set(reference, limg_reference_string(r), strlen(limg_reference_string(r)));
		}
		limg_reference_free(r);
		return rc < 0 ? rc : *how == BY_REPO_DIGEST ? 0 : no_such_image(image);
	}
	if (r && limg_reference_tag(r)) {
		rc = limg_tags_lookup(digest, s, limg_reference_string(r));
		if (rc == 0) {
			*how = BY_TAG;
			rc = limg_buf_set(reference, limg_reference_string(r), strlen(limg_reference_string(r)));
		}
		limg_reference_free(r);
		if (rc != LIMG_ENOTFOUND)
			return rc;
	} else {
		limg_reference_free(r);
	}
	limg_error_clear();
	if ((rc = find_by_ref_name(digest, s, image)) != 0) {
		*how = BY_LAYOUT_NAME;
		return rc < 0 ? rc : 0;
	}
	if (!prefix)
		return no_such_image(image);
	return find_by_id(digest, id, s, prefix, image, cancel);
}

int limg__images_resolve(limg_buf *out_digest, limg_store *store, const char *image, const limg_cancel *cancel)
{
	limg_buf id = LIMG_BUF_INIT, ref = LIMG_BUF_INIT;
	enum found_by how;
	int rc = resolve(out_digest, &id, &ref, store, image, &how, cancel);

	if (rc < 0)
		limg_buf_dispose(out_digest); /* a digest found before a later step failed */
	limg_buf_dispose(&id);
	limg_buf_dispose(&ref);
	return rc;
}

int limg_images_lookup(limg_buf *out_digest, limg_store *store, const char *image)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	if (!out_digest || !store || !image)
		return limg__error_invalid(!out_digest ? "out_digest" : !store ? "store" : "image");
	return limg__images_resolve(out_digest, store, image, NULL);
}

int limg_images_tag(limg_store *store, const char *source, const char *target)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_buf digest = LIMG_BUF_INIT;
	int rc;

	if (!store || !source || !target)
		return limg__error_invalid(!store ? "store" : !source ? "source" : "target");
	if ((rc = limg_images_lookup(&digest, store, source)) == 0)
		rc = limg_tags_set(store, target, digest.ptr);
	/* the image went away while we looked at it or tagged it (an rmi beside us): say it as docker does */
	if (rc == LIMG_ENOTFOUND && limg_error_subject(limg_error_last()) == LIMG_SUBJECT_BLOB)
		rc = no_such_image(source);
	limg_buf_dispose(&digest);
	return rc;
}

static int report(const limg_images_remove_callbacks *cb, int event, const char *what)
{
	int rc = cb->removed ? cb->removed(event, what, cb->payload) : 0;
	return rc ? limg__error_after_callback(rc, "removal") : 0;
}

static int untag(limg_store *s, const char *reference, const limg_images_remove_callbacks *o)
{
	limg_reference *r = NULL;
	int rc;

	if ((rc = limg_tags_remove(s, reference)) < 0)
		return rc;
	if (limg_reference_parse_normalized(&r, reference) == 0)
		rc = report(o, LIMG_REMOVE_UNTAGGED, limg_reference_familiar_string(r));
	limg_reference_free(r);
	return rc;
}

/* The image ID of the entries of @digest, into @id (the digest when unknown). */
static void image_id(limg_store *s, const char *digest, int select, limg_buf *id)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	const limg_tag *t;

	to.digest = digest;
	to.select = select;
	if (limg_tag_iterator_new(&it, s, &to) == 0) {
		if (limg_tag_iterator_next(&t, it) == 0) {
			limg__arena arena = LIMG_ARENA_INIT;
			limg__facts f;
			limg__image_facts(s, t, NULL, &arena, &f);
			limg_buf_set(id, f.id[0] ? f.id : digest, strlen(f.id[0] ? f.id : digest));
			limg__arena_free(&arena);
		}
		limg_tag_iterator_free(it);
	}
	limg_error_clear();
}

/* `docker rmi REPO@DIGEST`: that digest reference goes ("Untagged:
 * REPO@DIGEST"); the image goes with it when nothing else names it. A tag
 * of the repository names the digest too and stays (Docker keeps it). */
static int untag_digest(limg_store *s, const char *digest, const char *reference, limg_buf *id,
                        const limg_images_remove_callbacks *c, limg_cancel *cancel)
{
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_store_gc_opts gc = LIMG_STORE_GC_OPTS_INIT;
	limg_reference *r = NULL;
	limg_tag_iterator *it;
	const limg_tag *t;
	bool named;
	int rc;

	if ((rc = limg_reference_parse_normalized(&r, reference)) < 0)
		return rc;
	image_id(s, digest, LIMG_LIST_ALL, id);
	if ((rc = limg__tags_forget_repository(s, digest, limg_reference_name(r), NULL)) == 0)
		rc = report(c, LIMG_REMOVE_UNTAGGED, limg_reference_familiar_string(r));
	limg_reference_free(r);
	if (rc != 0)
		return rc;
	to.digest = digest;
	to.select = LIMG_LIST_ALL;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		return rc;
	rc = limg_tag_iterator_next(&t, it);
	named = rc == 0;
	limg_tag_iterator_free(it);
	if (named)
		return 0;
	if (rc != LIMG_ITEROVER) /* not known to be unnamed: nothing is removed */
		return rc;
	gc.keep_ingests = 1;
	gc.cancel = cancel;
	if ((rc = limg_store_gc(NULL, s, &gc, NULL)) < 0)
		return rc;
	return report(c, LIMG_REMOVE_DELETED, id->ptr ? id->ptr : digest);
}

int limg_images_remove(limg_store *s, const char *image, const limg_images_remove_opts *opts,
                       const limg_images_remove_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_images_remove_opts o = LIMG_IMAGES_REMOVE_OPTS_INIT;
	limg_images_remove_callbacks c = LIMG_IMAGES_REMOVE_CALLBACKS_INIT;
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_buf digest = LIMG_BUF_INIT, id = LIMG_BUF_INIT, reference = LIMG_BUF_INIT;
	limg_tag_iterator *it = NULL;
	const limg_tag *t;
	limg_store_gc_opts gc = LIMG_STORE_GC_OPTS_INIT;
	enum found_by how;
	int rc, tags = 0;

	if (!s || !image)
		return limg__error_invalid(s ? "image" : "store");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_images_remove_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_images_remove_callbacks")) < 0)
		return rc;
	if ((rc = resolve(&digest, &id, &reference, s, image, &how, o.cancel)) < 0)
		goto out;
	if (how == BY_REPO_DIGEST) {
		rc = untag_digest(s, digest.ptr, reference.ptr, &id, &c, o.cancel);
		goto out;
	}
	if (how == BY_TAG) {
		if ((rc = untag(s, reference.ptr, &c)) != 0)
			goto out;
	} else {
		/* by ID: all its tags go, unless they span repositories and nobody forces it */
		char first_repo[512] = "";
		bool several = false;
		to.digest = digest.ptr;
		if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
			goto out;
		while ((rc = limg_tag_iterator_next(&t, it)) == 0) {
			const char *ref = limg_tag_reference(t), *colon = strrchr(ref, ':');
			size_t n = colon ? (size_t)(colon - ref) : strlen(ref);
			if (!tags++)
				snprintf(first_repo, sizeof first_repo, "%.*s", (int)n, ref);
			else if (strlen(first_repo) != n || strncmp(first_repo, ref, n))
				several = true;
		}
		if (rc != LIMG_ITEROVER) /* every tag must be known before one goes */
			goto out;
		if (several && !o.force) {
			rc = limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, image,
			                           "conflict: unable to delete %.12s (must be forced) - image is referenced in "
			                           "multiple repositories",
			                           id.ptr ? id.ptr + 7 : digest.ptr + 7);
			goto out;
		}
		limg_tag_iterator_free(it);
		if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
			goto out;
		while ((rc = limg_tag_iterator_next(&t, it)) == 0)
			if ((rc = untag(s, limg_tag_reference(t), &c)) != 0)
				goto out;
		if (rc != LIMG_ITEROVER)
			goto out;
	}
	/* still tagged elsewhere: nothing more to do */
	limg_tag_iterator_free(it);
	to.digest = digest.ptr;
	to.select = LIMG_LIST_TAGGED;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		goto out;
	if ((rc = limg_tag_iterator_next(&t, it)) != LIMG_ITEROVER)
		goto out; /* still tagged (rc 0), or not known (an error): the untagged entries stay */
	if (!id.ptr) {
		/* the image ID to report: the facts of its entry, before it goes */
		limg_tag_iterator *all;
		to.select = LIMG_LIST_UNTAGGED;
		if (limg_tag_iterator_new(&all, s, &to) == 0) {
			if (limg_tag_iterator_next(&t, all) == 0) {
				limg__arena arena = LIMG_ARENA_INIT;
				limg__facts f;
				limg__image_facts(s, t, NULL, &arena, &f);
				limg_buf_set(&id, f.id[0] ? f.id : digest.ptr, strlen(f.id[0] ? f.id : digest.ptr));
				limg__arena_free(&arena);
			}
			limg_tag_iterator_free(all);
		}
	}
	if ((rc = limg_tags_remove_untagged(s, digest.ptr)) < 0 && rc != LIMG_ENOTFOUND)
		goto out;
	gc.keep_ingests = 1;
	gc.cancel = o.cancel;
	if ((rc = limg_store_gc(NULL, s, &gc, NULL)) < 0)
		goto out;
	rc = report(&c, LIMG_REMOVE_DELETED, id.ptr ? id.ptr : digest.ptr);
out:
	limg_tag_iterator_free(it);
	limg_buf_dispose(&digest);
	limg_buf_dispose(&id);
	limg_buf_dispose(&reference);
	return rc;
}
