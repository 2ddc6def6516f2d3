/* SPDX-License-Identifier: MIT */
/*
 * Setting, looking up and removing tags. Changes go through edit.c (the
 * sidecar finds the slots, index.json changes in place, once per call
 * however many tags it sets); a lookup reads the sidecar, or index.json
 * whole when the sidecar cannot be used (a store we may only read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "edit.h"
#include "libimage/manifest.h"
#include "libimage/reference.h"
#include "tags_internal.h"

const char *limg__entry_ref(const limg__index_entry *e)
{
	return limg__index_annotation(e, LIMG_REF_NAME_KEY);
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

static int check_digest(const char *digest)
{
	int rc;

	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
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
	rc = limg_manifest_parse(&m, body.ptr, body.size, NULL);
	if (rc < 0 && rc != LIMG_ENOMEM) {
		char why[512]; /* the parser's message, copied: it is overwritten by the new one */
		snprintf(why, sizeof why, "%s", limg_error_message(limg_error_last()));
		rc = limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_MANIFEST, digest,
		                           "blob %s is not an image manifest or index: %s", digest, why);
	} else if (rc == 0 && !(*media_type = limg__strdup(limg_manifest_media_type(m)))) {
		rc = limg__error_oom();
	}
	limg_manifest_free(m);
	limg_buf_dispose(&body);
	return rc;
}

/* ---- changes --------------------------------------------------------------- */

/* Runs @fn in one change and commits it unless @fn failed. When the sidecar
 * turns out to disagree with index.json (LIMG__SIDECAR_STALE), once more
 * on a sidecar rebuilt from the file. */
typedef int (*edit_fn)(limg__tagedit *ed, limg__index *scratch, void *payload);

static int run_edit(limg_store *s, edit_fn fn, void *payload)
{
	limg__tagedit *ed;
	int rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		limg__index scratch = { LIMG_ARENA_INIT, NULL, 0, 0, NULL }; /* entries read and made, in its arena */
		if ((rc = limg__tagedit_begin(&ed, s, attempt > 0)) < 0)
			return rc;
		rc = fn(ed, &scratch, payload);
		limg__arena_free(&scratch.arena);
		if (rc >= 0 && rc != LIMG__SIDECAR_STALE)
			return limg__tagedit_commit(ed);
		limg__tagedit_abort(ed);
		if (rc != LIMG__SIDECAR_STALE)
			return rc;
		limg__log(limg__store_context(s), LIMG_LOG_INFO, "%s/.libimage/index.db disagreed with index.json: rebuilt",
		          s->root);
	}
	return limg__error_set(LIMG_ECORRUPT, "%s/.libimage/index.db does not describe index.json", s->root);
}

static int corrupt_entry(limg_store *s)
{
	char label[4096];

	limg__store_label(label, sizeof label, s, "index.json");
	return limg__error_set(LIMG_ECORRUPT, "%s is corrupt: an entry lacks mediaType, digest or size", label);
}

static int blank_cb(limg__tagedit *ed, int64_t off, void *payload)
{
	(void)payload;
	return limg__tagedit_blank(ed, off);
}

static void drop_annotation(limg__index_entry *e, const char *key)
{
	size_t k = 0;

	for (size_t i = 0; i < e->nann; i++)
		if (strcmp(e->ann[i].key, key) != 0)
			e->ann[k++] = e->ann[i];
	e->nann = k;
}

/* One tag to set, or (no reference) an image to keep untagged. */
typedef struct {
	const char *reference; /* canonical; NULL: keep the image untagged, unless listed */
	const char *name;      /* the tag's repository (canonical) */
	const char *digest, *media_type, *repository;
	int64_t size;
	const char *const *keys, *const *values; /* cache annotations to set too */
	size_t n;
	char *previous; /* may be NULL: receives what the tag named before, when another image */
	size_t previous_cap;
} one_set;

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

struct named_args {
	limg__index *ix;
	const char *repository;
	int64_t dangling; /* an untagged entry that remembers no repository, or -1 */
};

/* 1 (stop) when the entry at @off names the image in the repository. */
static int named_cb(limg__tagedit *ed, int64_t off, void *payload)
{
	struct named_args *a = payload;
	limg__index_entry e;
	int rc;

	if ((rc = limg__tagedit_entry(ed, off, a->ix, &e)) != 0)
		return rc;
	if (in_repository(&e, a->repository))
		return 1;
	if (a->dangling < 0 && !limg__entry_ref(&e) && !limg__index_annotation(&e, LIMG_REPOSITORY_KEY))
		a->dangling = off;
	return 0;
}

static int keep(limg__tagedit *ed, limg__index *ix, const one_set *a)
{
	limg__index_entry e;
	limg__slot_row row;
	int rc;

	if ((rc = limg__tagedit_first(ed, LIMG__SC_OF_DIGEST, a->digest, &row)) < 0)
		return rc;
	/* already named so (a name-less load: named at all), tagged or not */
	if (rc == 1 && !a->repository)
		return 0;
	if (rc == 1) {
		struct named_args n = { ix, a->repository, -1 };
		if ((rc = limg__tagedit_each(ed, LIMG__SC_OF_DIGEST, a->digest, named_cb, &n)) != 0)
			return rc < 0 ? rc : 0;
		/* a dangling entry of the image learns the repository */
		if (n.dangling >= 0) {
			if ((rc = limg__tagedit_entry(ed, n.dangling, ix, &e)) != 0 ||
			    (rc = limg__index_set_annotation(ix, &e, LIMG_REPOSITORY_KEY, a->repository)) < 0)
				return rc;
			return limg__tagedit_put(ed, n.dangling, &e, NULL);
		}
	}
	if ((rc = limg__store_check_complete(limg__tagedit_store(ed), a->digest)) < 0)
		return rc;
	memset(&e, 0, sizeof e);
	e.media_type = (char *)a->media_type;
	e.digest = (char *)a->digest;
	e.size = a->size;
	if (a->repository && (rc = limg__index_set_annotation(ix, &e, LIMG_REPOSITORY_KEY, a->repository)) < 0)
		return rc;
	for (size_t i = 0; i < a->n; i++)
		if ((rc = limg__index_set_annotation(ix, &e, a->keys[i], a->values[i])) < 0)
			return rc;
	return limg__tagedit_put(ed, -1, &e, NULL);
}

struct untag_args {
	limg__index *ix;
	const char *name;
};

/* Blanks an untagged entry unless it remembers a repository other than @name. */
static int untag_cb(limg__tagedit *ed, int64_t off, void *payload)
{
	struct untag_args *u = payload;
	limg__index_entry e;
	const char *repo;
	int rc;

	if ((rc = limg__tagedit_entry(ed, off, u->ix, &e)) != 0)
		return rc;
	repo = limg__index_annotation(&e, LIMG_REPOSITORY_KEY);
	return !repo || !strcmp(repo, u->name) ? limg__tagedit_blank(ed, off) : 0;
}

static int set_one(limg__tagedit *ed, limg__index *ix, const one_set *a)
{
	limg__index_entry e, like, old;
	limg__slot_row row;
	int64_t current = -1, target;
	bool have_like = false;
	int rc;

	if (!a->reference)
		return keep(ed, ix, a);
	if ((rc = limg__tagedit_first(ed, LIMG__SC_BY_REF, a->reference, &row)) < 0)
		return rc;
	if (rc == 1) {
		current = row.off;
		if (row.digest && !strcmp(row.digest, a->digest) && !a->n)
			return 0; /* already so: nothing to write */
		if ((rc = limg__tagedit_entry(ed, current, ix, &old)) != 0)
			return rc;
		if (a->previous && old.digest && strcmp(old.digest, a->digest) != 0) {
			const char *id = limg__index_annotation(&old, LIMG_CACHE_ID_KEY);
			snprintf(a->previous, a->previous_cap, "%s", id ? id : old.digest);
		}
	}
	if ((rc = limg__tagedit_first(ed, LIMG__SC_OF_DIGEST, a->digest, &row)) < 0)
		return rc;
	if (rc == 1) {
		if ((rc = limg__tagedit_entry(ed, row.off, ix, &like)) != 0)
			return rc;
		have_like = true;
	}
	/* from an entry of the same image: what describes the image (platform,
	 * listing facts), not the tag (its ref.name, the repository an untagged
	 * image remembered) */
	memset(&e, 0, sizeof e);
	e.media_type = (char *)a->media_type;
	e.digest = (char *)a->digest;
	e.size = a->size;
	if (have_like) {
		e.extra = like.extra;
		for (size_t i = 0; i < like.nann; i++)
			if (strcmp(like.ann[i].key, LIMG_REF_NAME_KEY) && strcmp(like.ann[i].key, LIMG_REPOSITORY_KEY) &&
			    (rc = limg__index_set_annotation(ix, &e, like.ann[i].key, like.ann[i].value)) < 0)
				return rc;
	}
	if ((rc = limg__index_set_annotation(ix, &e, LIMG_REF_NAME_KEY, a->reference)) < 0)
		return rc;
	for (size_t i = 0; i < a->n; i++)
		if ((rc = limg__index_set_annotation(ix, &e, a->keys[i], a->values[i])) < 0)
			return rc;
	/* in the tag's slot; a new tag of an untagged image in that image's slot */
	target = current;
	if (target < 0) {
		if ((rc = limg__tagedit_first(ed, LIMG__SC_UNTAGGED_OF, a->digest, &row)) < 0)
			return rc;
		if (rc == 1 && (!row.repository || !strcmp(row.repository, a->name)))
			target = row.off;
	}
	if ((rc = limg__tagedit_put(ed, target, &e, NULL)) != 0)
		return rc;
	/* the image is tagged now: its untagged entry goes, and a digest
	 * reference of the same repository (the tag names it as well); one of
	 * another repository stays, as Docker keeps it in RepoDigests */
	{
		struct untag_args u = { ix, a->name };
		if ((rc = limg__tagedit_each(ed, LIMG__SC_UNTAGGED_OF, a->digest, untag_cb, &u)) != 0)
			return rc;
	}
	/* the tag moved: the image it left stays, untagged, if nothing else names it */
	if (current >= 0 && old.digest && strcmp(old.digest, a->digest) != 0 && limg__index_entry_usable(&old)) {
		if ((rc = limg__tagedit_other(ed, old.digest, -1)) != 0)
			return rc < 0 ? rc : 0;
		drop_annotation(&old, LIMG_REF_NAME_KEY);
		return limg__tagedit_put(ed, -1, &old, NULL);
	}
	return 0;
}

struct batch {
	const one_set *sets;
	size_t n;
};

static int do_sets(limg__tagedit *ed, limg__index *ix, void *payload)
{
	const struct batch *b = payload;
	limg_store *s = limg__tagedit_store(ed);
	int rc;

	if (limg__tagedit_unusable(ed))
		return corrupt_entry(s);
	for (size_t i = 0; i < b->n; i++) {
		const one_set *a = &b->sets[i];
		bool checked = false;
		/* blobs may have been collected since we looked: the image must be whole, checked under the lock */
		for (size_t j = 0; j < i && !checked; j++)
			checked = b->sets[j].reference && !strcmp(b->sets[j].digest, a->digest);
		if (a->reference && !checked && (rc = limg__store_check_complete(s, a->digest)) < 0)
			return limg__error_prefix("cannot tag %s", a->reference);
		if ((rc = set_one(ed, ix, a)) != 0)
			return rc;
	}
	return 0;
}

/* Each distinct digest described once (a load tags one image with thousands of names). */
static int describe_all(limg_store *s, one_set *sets, size_t n, char **media_types)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < i && strcmp(sets[j].digest, sets[i].digest); j++)
			;
		if (j < i) {
			sets[i].media_type = sets[j].media_type;
			sets[i].size = sets[j].size;
			continue;
		}
		if ((rc = describe(s, sets[i].digest, &media_types[i], &sets[i].size)) < 0)
			return rc;
		sets[i].media_type = media_types[i];
	}
	return 0;
}

static int apply(limg_store *s, one_set *sets, size_t n)
{
	struct batch b = { sets, n };
	char **media_types = limg__calloc(n ? n : 1, sizeof *media_types);
	int rc;

	if (!media_types)
		return limg__error_oom();
	if ((rc = describe_all(s, sets, n, media_types)) == 0)
		rc = run_edit(s, do_sets, &b);
	for (size_t i = 0; i < n; i++)
		limg__free(media_types[i]);
	limg__free(media_types);
	return rc < 0 ? rc : 0;
}

int limg_tags_set(limg_store *s, const char *reference, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	return limg__tags_set_annotated(s, reference, digest, NULL, NULL, 0);
}

int limg__tags_set_annotated(limg_store *s, const char *reference, const char *digest, const char *const *keys,
                             const char *const *values, size_t n)
{
	one_set a = { NULL, NULL, digest, NULL, NULL, 0, keys, values, n, NULL, 0 };
	limg_reference *ref;
	int rc;

	if ((rc = parse_tag(&ref, reference)) < 0)
		return rc;
	a.reference = limg_reference_string(ref);
	a.name = limg_reference_name(ref);
	if ((rc = check_digest(digest)) == 0 && (rc = limg__store_enter(s)) == 0) {
		rc = apply(s, &a, 1);
		limg__store_leave(s);
	}
	limg_reference_free(ref);
	return rc;
}

int limg__tags_set_many(limg_store *s, limg__tag_set *sets, size_t n)
{
	limg_reference **refs = limg__calloc(n ? n : 1, sizeof *refs);
	one_set *all = limg__calloc(n ? n : 1, sizeof *all);
	int rc = 0;

	if (!refs || !all) {
		limg__free(refs);
		limg__free(all);
		return limg__error_oom();
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		sets[i].previous[0] = '\0';
		all[i] = (one_set){ NULL, NULL, sets[i].digest, NULL, sets[i].repository, 0, sets[i].keys, sets[i].values,
		                    sets[i].n, sets[i].previous, sizeof sets[i].previous };
		if (sets[i].reference && (rc = parse_tag(&refs[i], sets[i].reference)) == 0) {
			all[i].reference = limg_reference_string(refs[i]);
			all[i].name = limg_reference_name(refs[i]);
		}
		if (rc == 0)
			rc = check_digest(sets[i].digest);
	}
	if (rc == 0 && (rc = limg__store_enter(s)) == 0) {
		rc = apply(s, all, n);
		limg__store_leave(s);
	}
	for (size_t i = 0; i < n; i++)
		limg_reference_free(refs[i]);
	limg__free(refs);
	limg__free(all);
	return rc;
}

int limg__tags_keep_untagged(limg_store *s, const char *digest, const char *repository)
{
	limg__tag_set one = { NULL, digest, repository, { NULL }, { NULL }, 0, "" };

	return limg__tags_set_many(s, &one, 1);
}

static int no_tag(const char *reference)
{
	return limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_TAG, reference, "no tag %s", reference);
}

static int do_remove(limg__tagedit *ed, limg__index *ix, void *payload)
{
	const char *reference = payload;
	limg__index_entry old;
	limg__slot_row row;
	int64_t off;
	int rc;

	if ((rc = limg__tagedit_first(ed, LIMG__SC_BY_REF, reference, &row)) <= 0)
		return rc < 0 ? rc : no_tag(reference);
	off = row.off;
	if ((rc = limg__tagedit_entry(ed, off, ix, &old)) != 0)
		return rc;
	/* the image it named stays, untagged, if nothing else names it: in the same slot */
	if (limg__index_entry_usable(&old)) {
		if ((rc = limg__tagedit_other(ed, old.digest, off)) < 0)
			return rc;
		if (rc == 0) {
			drop_annotation(&old, LIMG_REF_NAME_KEY);
			return limg__tagedit_put(ed, off, &old, NULL);
		}
	}
	return limg__tagedit_blank(ed, off);
}

int limg_tags_remove(limg_store *s, const char *text)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_reference *ref;
	int rc;

	if ((rc = parse_tag(&ref, text)) < 0)
		return rc;
	if ((rc = limg__store_enter(s)) == 0) {
		rc = run_edit(s, do_remove, (void *)limg_reference_string(ref));
		limg__store_leave(s);
	}
	limg_reference_free(ref);
	return rc < 0 ? rc : 0;
}

static int do_forget(limg__tagedit *ed, limg__index *ix, void *payload)
{
	const char *digest = payload;
	limg__slot_row row;
	int rc;

	(void)ix;
	if ((rc = limg__tagedit_first(ed, LIMG__SC_TAGGED_OF, digest, &row)) < 0)
		return rc;
	if (rc == 1) {
		char tag[300];
		limg__sanitize(tag, sizeof tag, row.ref, strlen(row.ref));
		return limg__error_set_about(LIMG_ECONFLICT, LIMG_SUBJECT_IMAGE, digest, "image %s is still tagged %s", digest,
		                             tag);
	}
	if ((rc = limg__tagedit_first(ed, LIMG__SC_OF_DIGEST, digest, &row)) <= 0)
		return rc < 0 ? rc
		              : limg__error_set_about(LIMG_ENOTFOUND, LIMG_SUBJECT_IMAGE, digest, "no untagged image %s", digest);
	return limg__tagedit_each(ed, LIMG__SC_OF_DIGEST, digest, blank_cb, NULL);
}

int limg_tags_remove_untagged(limg_store *s, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	int rc;

	if ((rc = check_digest(digest)) < 0 || (rc = limg__store_enter(s)) < 0)
		return rc;
	rc = run_edit(s, do_forget, (void *)digest);
	limg__store_leave(s);
	return rc < 0 ? rc : 0;
}

/* `docker rmi REPO@DIGEST`: the untagged entries of the image that remember that repository. */
struct forget_args {
	limg__index *ix;
	const char *digest, *repository;
	int removed;
};

static int forget_cb(limg__tagedit *ed, int64_t off, void *payload)
{
	struct forget_args *a = payload;
	limg__index_entry e;
	const char *repo;
	int rc;

	if ((rc = limg__tagedit_entry(ed, off, a->ix, &e)) != 0)
		return rc;
	if (!(repo = limg__index_annotation(&e, LIMG_REPOSITORY_KEY)) || strcmp(repo, a->repository) != 0)
		return 0;
	a->removed++;
	return limg__tagedit_blank(ed, off);
}

static int do_forget_repository(limg__tagedit *ed, limg__index *ix, void *payload)
{
	struct forget_args *a = payload;

	a->ix = ix;
	a->removed = 0;
	return limg__tagedit_each(ed, LIMG__SC_UNTAGGED_OF, a->digest, forget_cb, a);
}

int limg__tags_forget_repository(limg_store *s, const char *digest, const char *repository, int *removed)
{
	struct forget_args a = { NULL, digest, repository, 0 };
	int rc;

	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = run_edit(s, do_forget_repository, &a);
	limg__store_leave(s);
	if (removed)
		*removed = a.removed;
	return rc < 0 ? rc : 0;
}

struct annotate {
	limg__index *ix;
	const limg__annotations *set;
};

static int annotate_cb(limg__tagedit *ed, int64_t off, void *payload)
{
	struct annotate *a = payload;
	limg__index_entry e;
	bool changed = false;
	int rc;

	if ((rc = limg__tagedit_entry(ed, off, a->ix, &e)) != 0)
		return rc;
	for (size_t k = 0; k < a->set->n; k++) {
		const char *v = limg__index_annotation(&e, a->set->keys[k]);
		if (v && !strcmp(v, a->set->values[k]))
			continue;
		if ((rc = limg__index_set_annotation(a->ix, &e, a->set->keys[k], a->set->values[k])) < 0)
			return rc;
		changed = true;
	}
	return changed ? limg__tagedit_put(ed, off, &e, NULL) : 0;
}

struct annotate_all {
	const limg__annotations *sets;
	size_t n;
};

static int do_annotate(limg__tagedit *ed, limg__index *ix, void *payload)
{
	struct annotate_all *all = payload;
	int rc;

	for (size_t i = 0; i < all->n; i++) {
		struct annotate a = { ix, &all->sets[i] };
		if ((rc = limg__tagedit_each(ed, LIMG__SC_OF_DIGEST, all->sets[i].digest, annotate_cb, &a)) != 0)
			return rc;
	}
	return 0;
}

int limg__tags_annotate(limg_store *s, const limg__annotations *sets, size_t n)
{
	struct annotate_all all = { sets, n };

	return n ? run_edit(s, do_annotate, &all) : 0;
}

/* ---- lookups ---------------------------------------------------------------- */

static int found(limg_buf *out, limg_store *s, const char *reference, const char *digest)
{
	if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0) {
		char label[4096];
		limg__store_label(label, sizeof label, s, "index.json");
		return limg__error_set(LIMG_ECORRUPT, "%s is corrupt: tag %s has no valid digest", label, reference);
	}
	return limg_buf_set(out, digest, strlen(digest));
}

/* From the sidecar: 0, LIMG_ENOTFOUND (raised), an error of the answer,
 * or LIMG__SIDECAR_STALE when the sidecar cannot answer. */
static int lookup_sidecar(limg_buf *out, limg_store *s, const char *reference)
{
	limg__sidecar *sc;
	sqlite3_stmt *st;
	int rc;

	if (limg__sidecar_open(&sc, s) < 0)
		return LIMG__SIDECAR_STALE;
	if ((rc = limg__sidecar_read(sc)) == 0) {
		if (!(st = limg__sidecar_stmt(sc, LIMG__SC_BY_REF))) {
			rc = LIMG__SIDECAR_STALE;
		} else {
			sqlite3_bind_text(st, 1, reference, -1, SQLITE_STATIC);
			if ((rc = limg__sidecar_step(sc, st)) == 1)
				rc = found(out, s, reference, (const char *)sqlite3_column_text(st, 4));
			else
				rc = rc < 0 ? LIMG__SIDECAR_STALE : no_tag(reference);
		}
	} else {
		rc = LIMG__SIDECAR_STALE;
	}
	limg__sidecar_end(sc);
	limg__sidecar_close(sc);
	return rc;
}

/* From index.json itself, read whole. */
static int lookup_file(limg_buf *out, limg_store *s, const char *reference)
{
	limg__index *ix = NULL;
	int rc;

	if ((rc = limg__index_read(&ix, s)) < 0)
		return rc;
	rc = no_tag(reference);
	for (size_t i = 0; i < ix->count; i++) {
		const char *ref = limg__entry_ref(&ix->entries[i]);
		if (ref && !strcmp(ref, reference)) {
			limg_error_clear();
			rc = found(out, s, reference, ix->entries[i].digest);
			break;
		}
	}
	limg__index_free(ix);
	return rc;
}

int limg_tags_lookup(limg_buf *out, limg_store *s, const char *text)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_reference *ref;
	const char *reference;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	if ((rc = parse_tag(&ref, text)) < 0)
		return rc;
	reference = limg_reference_string(ref);
	if ((rc = limg__store_enter(s)) == 0) {
		if ((rc = lookup_sidecar(out, s, reference)) == LIMG__SIDECAR_STALE) {
			limg__log(limg__store_context(s), LIMG_LOG_DEBUG, "%s: tag lookup in index.json itself (%s)", s->root,
			          limg_error_message(limg_error_last()));
			limg_error_clear();
			rc = lookup_file(out, s, reference);
		}
		limg__store_leave(s);
	}
	limg_reference_free(ref);
	return rc;
}
