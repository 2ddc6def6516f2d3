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

/* "sha256:abc...", "abc..." (any unique prefix of at least one hex digit). */
static const char *id_prefix(const char *image)
{
	const char *p = !strncmp(image, "sha256:", 7) ? image + 7 : image;

	if (!*p || strlen(p) > 64 || strspn(p, "0123456789abcdef") != strlen(p))
		return NULL;
	return p;
}

/* The digest an image ID prefix names (of the manifest or index entry). */
static int find_by_id(limg_buf *digest, limg_buf *id, limg_store *s, const char *prefix)
{
	limg_tags_list_opts to = LIMG_TAGS_LIST_OPTS_INIT;
	limg_tag_iterator *it;
	limg__arena arena = LIMG_ARENA_INIT;
	const limg_tag *t;
	size_t n = strlen(prefix);
	int rc, found = 0;

	to.untagged = 2;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		return rc;
	while (limg_tag_iterator_next(&t, it) == 0) {
		limg__facts f;
		limg__image_facts(s, t, NULL, &arena, &f);
		if (strlen(f.id) < 7 || strncmp(f.id + 7, prefix, n) != 0)
			continue;
		if (found && strcmp(id->ptr, f.id) != 0) {
			limg_tag_iterator_free(it);
			limg__arena_free(&arena);
			return limg__error_set(LIMG_ECONFLICT, "image ID prefix %s is ambiguous", prefix);
		}
		if (!found && ((rc = limg_buf_set(digest, limg_tag_digest(t), strlen(limg_tag_digest(t)))) < 0 ||
		               (rc = limg_buf_set(id, f.id, strlen(f.id))) < 0))
			break;
		found = 1;
	}
	limg_tag_iterator_free(it);
	limg__arena_free(&arena);
	if (rc < 0)
		return rc;
	return found ? 0 : limg__error_set(LIMG_ENOTFOUND, "No such image: %s", prefix);
}

/* By tagged reference first (as docker does), then by ID. *@by_name says which. */
static int resolve(limg_buf *digest, limg_buf *id, limg_buf *reference, limg_store *s, const char *image,
                   bool *by_name)
{
	limg_reference *r = NULL;
	const char *prefix = id_prefix(image);
	int rc;

	*by_name = false;
	if (limg_reference_parse_docker(&r, image) == 0 && limg_reference_tag(r)) {
		rc = limg_tags_lookup(digest, s, limg_reference_string(r));
		if (rc == 0) {
			*by_name = true;
			rc = limg_buf_set(reference, limg_reference_string(r), strlen(limg_reference_string(r)));
		}
		limg_reference_free(r);
		if (rc != LIMG_ENOTFOUND || !prefix)
			return rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ENOTFOUND, "No such image: %s", image) : rc;
	} else {
		limg_reference_free(r);
		if (!prefix)
			return limg__error_set(LIMG_ENOTFOUND, "No such image: %s", image);
	}
	return find_by_id(digest, id, s, prefix);
}

int limg_images_lookup(limg_buf *out_digest, limg_store *store, const char *image)
{
	limg_buf id = LIMG_BUF_INIT, ref = LIMG_BUF_INIT;
	bool by_name;
	int rc;

	if (!out_digest || !store || !image)
		return limg__error_invalid(!out_digest ? "out_digest" : !store ? "store" : "image");
	rc = resolve(out_digest, &id, &ref, store, image, &by_name);
	limg_buf_dispose(&id);
	limg_buf_dispose(&ref);
	return rc;
}

static int report(const limg_images_remove_opts *o, int event, const char *what)
{
	int rc = o->cb ? o->cb(event, what, o->payload) : 0;
	if (rc)
		limg__error_set(rc < 0 ? rc : LIMG_EUSER, "removal stopped by the callback (%d)", rc);
	return rc;
}

static int untag(limg_store *s, const char *reference, const limg_images_remove_opts *o)
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

int limg_images_remove(limg_store *s, const char *image, const limg_images_remove_opts *opts)
{
	limg_images_remove_opts o = LIMG_IMAGES_REMOVE_OPTS_INIT;
	limg_tags_list_opts to = LIMG_TAGS_LIST_OPTS_INIT;
	limg_buf digest = LIMG_BUF_INIT, id = LIMG_BUF_INIT, reference = LIMG_BUF_INIT;
	limg_tag_iterator *it = NULL;
	const limg_tag *t;
	limg_gc_opts gc = LIMG_GC_OPTS_INIT;
	bool by_name;
	int rc, tags = 0;

	if (!s || !image)
		return limg__error_invalid(s ? "image" : "store");
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_images_remove_opts")) < 0)
		return rc;
	if ((rc = resolve(&digest, &id, &reference, s, image, &by_name)) < 0)
		goto out;
	if (by_name) {
		if ((rc = untag(s, reference.ptr, &o)) != 0)
			goto out;
	} else {
		/* by ID: all its tags go, unless they span repositories and nobody forces it */
		char first_repo[512] = "";
		bool several = false;
		to.digest = digest.ptr;
		if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
			goto out;
		while (limg_tag_iterator_next(&t, it) == 0) {
			const char *ref = limg_tag_reference(t), *colon = strrchr(ref, ':');
			size_t n = colon ? (size_t)(colon - ref) : strlen(ref);
			if (!tags++)
				snprintf(first_repo, sizeof first_repo, "%.*s", (int)n, ref);
			else if (strlen(first_repo) != n || strncmp(first_repo, ref, n))
				several = true;
		}
		if (several && !o.force) {
			rc = limg__error_set(LIMG_ECONFLICT, "conflict: unable to delete %.12s (must be forced) - image is "
			                                     "referenced in multiple repositories",
			                     id.ptr ? id.ptr + 7 : digest.ptr + 7);
			goto out;
		}
		limg_tag_iterator_free(it);
		if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
			goto out;
		while (limg_tag_iterator_next(&t, it) == 0)
			if ((rc = untag(s, limg_tag_reference(t), &o)) != 0)
				goto out;
	}
	/* still tagged elsewhere: nothing more to do */
	limg_tag_iterator_free(it);
	to.digest = digest.ptr;
	to.untagged = 0;
	if ((rc = limg_tag_iterator_new(&it, s, &to)) < 0)
		goto out;
	if (limg_tag_iterator_next(&t, it) == 0)
		goto out;
	if (!id.ptr) {
		/* the image ID to report: the facts of its entry, before it goes */
		limg_tag_iterator *all;
		to.untagged = 1;
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
	if ((rc = limg_tags_forget(s, digest.ptr)) < 0 && rc != LIMG_ENOTFOUND)
		goto out;
	gc.ingest_max_age = -1;
	if ((rc = limg_store_gc(s, &gc)) < 0)
		goto out;
	rc = report(&o, LIMG_REMOVE_DELETED, id.ptr ? id.ptr : digest.ptr);
out:
	limg_tag_iterator_free(it);
	limg_buf_dispose(&digest);
	limg_buf_dispose(&id);
	limg_buf_dispose(&reference);
	return rc;
}
