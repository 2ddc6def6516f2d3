/* SPDX-License-Identifier: MIT */
/* `docker images`: tags joined with their images' facts, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "facts.h"
#include "filter.h"
#include "libimage/images.h"
#include "libimage/reference.h"
#include "store/store_internal.h"
#include "tags/tags_internal.h"

struct limg_images_row {
	char *reference, *repository, *tag, *digest, *id;
	int64_t created, size;
	int state;
};

struct limg_images_iterator {
	limg_images_row *rows;
	size_t count, next;
	limg__arena strings; /* every string of every row */
};

int limg_images_iterator_opts_init(limg_images_iterator_opts *opts, size_t size)
{
	static const limg_images_iterator_opts defaults = LIMG_IMAGES_ITERATOR_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* A copy in the iterator's arena; NULL stays NULL. *@ok turns false when memory ran out. */
static char *copy(limg_images_iterator *it, const char *s, bool *ok)
{
	char *c;

	if (!s)
		return NULL;
	if (!(c = limg__arena_strndup(&it->strings, s, strlen(s))))
		*ok = false;
	return c;
}

/* Repository and tag, familiar, of a canonical tag reference. */
/* The tag an entry's name gives: libimage's names are canonical; another
 * tool's may be "busybox:1.36". NULL for any other name. */
static limg_reference *tag_of(const char *reference)
{
	limg_reference *r = NULL;

	if (limg_reference_parse_canonical(&r, reference) == 0)
		return r;
	if (strchr(reference, ':') && limg_reference_parse_normalized(&r, reference) == 0 && limg_reference_tag(r))
		return r;
	limg_reference_free(r);
	return NULL;
}

static void split_reference(limg_images_iterator *it, limg_images_row *e, const char *reference,
                            const char *repository, bool *ok)
{
	limg_reference *r = NULL;

	if (reference && (r = tag_of(reference))) {
		e->repository = copy(it, limg_reference_familiar_name(r), ok);
		e->tag = copy(it, limg_reference_tag(r), ok);
	} else if (repository && limg_reference_parse_normalized(&r, repository) == 0) {
		e->repository = copy(it, limg_reference_familiar_name(r), ok);
	} else if (reference && !strpbrk(reference, "/:@")) {
		e->tag = copy(it, reference, ok); /* a layout's bare tag ("latest"): no repository */
	} else if (reference) {
		e->repository = copy(it, reference, ok); /* another tool's name: kept as it is */
	}
	limg_reference_free(r);
	limg_error_clear();
}

static int newest_first(const void *pa, const void *pb)
{
	const limg_images_row *a = pa, *b = pb;

	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	if (!a->reference != !b->reference)
		return a->reference ? -1 : 1;
	if (a->reference)
		return strcmp(a->reference, b->reference);
	return strcmp(a->digest, b->digest);
}

/* Whether the entry @t is a row of a listing of @select: 1, 0 (skip it), or
 * an error. Tags come before untagged entries (the tag iterator's order),
 * so @named knows the tags of a repository before its digest references. */
static int digest_row(limg__strset *named, const limg_tag *t, int select)
{
	const char *repository;
	char key[700];

	if (limg__tag_repository(&repository, t) < 0)
		return LIMG_ENOMEM;
	if (repository)
		snprintf(key, sizeof key, "%s %s", limg_tag_digest(t), repository);
	if (limg_tag_reference(t))
		return repository && limg__strset_add(named, key) < 0 ? limg__error_oom() : 1;
	if (select != LIMG_LIST_TAGGED)
		return 1;
	return repository && !limg__strset_has(named, key);
}

/* One facts lookup per image, however many tags name it: digests hashed
 * into slots that hold indexes of the facts seen (0: empty), doubled as
 * they fill (a listing streams its tags and learns their number as it goes). */
struct seen_index {
	size_t *slots, cap;
};

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static limg__facts *seen_find(const struct seen_index *ix, limg__facts *seen, const char *digest, size_t *slot)
{
	size_t i = hash(digest) & (ix->cap - 1);
	while (ix->slots[i] && strcmp(seen[ix->slots[i] - 1].digest, digest))
		i = (i + 1) & (ix->cap - 1);
	*slot = i;
	return ix->slots[i] ? &seen[ix->slots[i] - 1] : NULL;
}

/* Room for one more fact: the table stays under half full. */
static int seen_grow(struct seen_index *ix, limg__facts **seen, size_t *seen_cap, size_t nseen)
{
	struct seen_index bigger;
	size_t slot;

	if (limg__array_grow((void **)seen, seen_cap, nseen + 1, sizeof **seen) < 0)
		return LIMG_ENOMEM;
	if ((nseen + 1) * 2 <= ix->cap)
		return 0;
	bigger.cap = ix->cap ? ix->cap * 2 : 64;
	if (!(bigger.slots = limg__calloc(bigger.cap, sizeof *bigger.slots)))
		return limg__error_oom();
	for (size_t i = 0; i < nseen; i++) {
		seen_find(&bigger, *seen, (*seen)[i].digest, &slot);
		bigger.slots[slot] = i + 1;
	}
	limg__free(ix->slots);
	*ix = bigger;
	return 0;
}

/* A plain "reference=NAME" filter (no pattern) names one repository, whose
 * tags the index hands over alone: what `limg-images NAME` asks. */
static const char *one_repository(const char *const *filters, size_t n, limg_reference **name)
{
	const char *value = NULL;

	*name = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(filters[i], "reference=", 10) != 0)
			continue;
		if (value)
			return NULL; /* alternatives: any of them */
		value = filters[i] + 10;
	}
	if (!value || strpbrk(value, "*?[\\") || limg_reference_parse_normalized(name, value) < 0) {
		limg_error_clear();
		return NULL;
	}
	/* matched as Docker matches it: the familiar name, or with its tag the familiar string */
	if (limg_reference_digest(*name) ||
	    strcmp(value, limg_reference_tag(*name) ? limg_reference_familiar_string(*name)
	                                            : limg_reference_familiar_name(*name)) != 0) {
		limg_reference_free(*name);
		*name = NULL;
		return NULL;
	}
	return limg_reference_name(*name);
}

/* The next tag of @tags; when they are over and @then is pending, the
 * next of an iterator over @then (replacing @tags: NULL if it failed). */
static int next_tag(const limg_tag **t, limg_tag_iterator **tags, limg_store *store, const limg_tag_iterator_opts *then,
                    bool *pending)
{
	int rc;

	while ((rc = limg_tag_iterator_next(t, *tags)) == LIMG_ITEROVER && *pending) {
		*pending = false;
		limg_tag_iterator_free(*tags);
		*tags = NULL;
		if ((rc = limg_tag_iterator_new(tags, store, then)) < 0)
			return rc;
	}
	return rc;
}

int limg_images_iterator_new(limg_images_iterator **out, limg_store *store, const limg_images_iterator_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_images_iterator_opts o = LIMG_IMAGES_ITERATOR_OPTS_INIT;
	limg_tag_iterator_opts to = LIMG_TAG_ITERATOR_OPTS_INIT, untagged = LIMG_TAG_ITERATOR_OPTS_INIT;
	bool then_untagged = false;
	limg_tag_iterator *tags = NULL;
	limg_images_iterator *it;
	const limg_tag *t;
	limg__facts *seen = NULL;
	struct seen_index ix = { NULL, 0 };
	limg__arena learnt = LIMG_ARENA_INIT;
	limg_reference *repository = NULL;
	size_t nseen = 0, seen_cap = 0, rows_cap = 0, nlearnt = 0;
	limg__filter *filters = NULL;
	limg__strset named = LIMG_STRSET_INIT; /* "digest repository" of every tag seen */
	int rc, select;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_images_iterator_opts")) < 0)
		return rc;
	if (o.select < LIMG_LIST_TAGGED || o.select > LIMG_LIST_ALL)
		return limg__error_set_about(LIMG_EINVALID, LIMG_SUBJECT_OPTIONS, "select", "invalid argument: select %d",
		                             o.select);
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	if ((rc = limg__filters_parse(&filters, store, o.filters, o.filters_len)) < 0) {
		limg__store_leave(store);
		return rc;
	}
	/* "tagged" rows are what `docker images` shows: tags, and images pulled by
	 * digest (REPOSITORY, TAG <none>) that no tag of their repository names */
	select = limg__filters_select(filters, o.filters_len, o.select);
	to.select = select == LIMG_LIST_TAGGED ? LIMG_LIST_ALL : select;
	/* one repository asked for: its tags from a range of the index, then the
	 * untagged entries (few), which the filters judge */
	if (filters && to.select != LIMG_LIST_UNTAGGED && (to.repository = one_repository(o.filters, o.filters_len,
	                                                                                    &repository))) {
		untagged = to;
		untagged.repository = NULL;
		untagged.select = LIMG_LIST_UNTAGGED;
		then_untagged = to.select == LIMG_LIST_ALL;
		to.select = LIMG_LIST_TAGGED;
	}
	if (!(it = limg__calloc(1, sizeof *it))) {
		limg__store_leave(store);
		limg_reference_free(repository);
		limg__free(filters);
		return limg__error_oom();
	}
	if ((rc = limg_tag_iterator_new(&tags, store, &to)) < 0)
		goto fail;
	it->strings.chunk_size = 1u << 20;
	learnt.chunk_size = 1u << 20;
	while ((rc = next_tag(&t, &tags, store, &untagged, &then_untagged)) == 0) {
		limg_images_row *e;
		const limg__facts *f;
		size_t slot;
		limg__facts *known;
		bool ok = true;

		if (limg_cancel_requested(o.cancel)) {
			rc = limg__error_set(LIMG_ECANCELLED, "listing of %s cancelled", limg_store_path(store));
			goto fail;
		}
		if ((rc = digest_row(&named, t, select)) <= 0) {
			if (rc < 0)
				goto fail;
			continue;
		}
		if ((rc = seen_grow(&ix, &seen, &seen_cap, nseen)) < 0 ||
		    (rc = limg__array_grow((void **)&it->rows, &rows_cap, it->count + 1, sizeof *it->rows)) < 0)
			goto fail;
		if (!(known = seen_find(&ix, seen, limg_tag_digest(t), &slot))) {
			known = &seen[nseen++];
			/* the facts outlive the tag (a listing's tags stream): kept in @learnt */
			limg__image_facts(store, t, o.platform, &learnt, known);
			ix.slots[slot] = nseen;
		}
		f = known;
		if (f->artifact)
			continue; /* a signature, an SBOM: no image, listed as none */
		e = &it->rows[it->count++];
		memset(e, 0, sizeof *e);
		e->reference = copy(it, limg_tag_reference(t), &ok);
		e->digest = copy(it, limg_tag_digest(t), &ok);
		e->id = f->id[0] ? copy(it, f->id, &ok) : NULL;
		e->created = f->created[0] ? limg__parse_rfc3339(f->created) : -1;
		e->size = f->size;
		e->state = f->state;
		split_reference(it, e, limg_tag_reference(t), limg_tag_annotation(t, LIMG_REPOSITORY_KEY), &ok);
		if (!ok) {
			rc = limg__error_oom();
			goto fail;
		}
	}
	if (!tags)
		goto fail; /* the untagged entries could not be read */
	/* only what was learnt goes on */
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].learnt)
			seen[nlearnt++] = seen[i];
	limg_tag_iterator_free(tags);
	tags = NULL;
	limg__free(ix.slots);
	ix.slots = NULL;
	if (it->count > 1)
		qsort(it->rows, it->count, sizeof *it->rows, newest_first);
	/* what had to be worked out from the blobs is kept for next time, in one write */
	limg__cache_facts(store, seen, nlearnt);
	if (filters) {
		size_t kept = 0;
		for (size_t i = 0; i < it->count; i++)
			if (limg__filters_keep(filters, o.filters_len, store, it->rows[i].reference, it->rows[i].tag,
			                       it->rows[i].repository, it->rows[i].id, it->rows[i].created))
				it->rows[kept++] = it->rows[i];
		it->count = kept;
		limg__free(filters);
		filters = NULL;
	}
	limg__free(seen);
	limg__arena_free(&learnt);
	limg__strset_free(&named);
	limg_reference_free(repository);
	limg__store_leave(store);
	*out = it;
	return 0;
fail:
	limg__strset_free(&named);
	limg__free(filters);
	limg__free(seen);
	limg__free(ix.slots);
	limg__arena_free(&learnt);
	limg_reference_free(repository);
	limg_tag_iterator_free(tags);
	limg_images_iterator_free(it);
	limg__store_leave(store);
	return rc;
}

int limg_images_iterator_next(const limg_images_row **out, limg_images_iterator *it)
{
	if (!out || !it)
		return limg__error_invalid(out ? "iterator" : "out");
	if (it->next >= it->count) {
		*out = NULL;
		return LIMG_ITEROVER;
	}
	*out = &it->rows[it->next++];
	return 0;
}

void limg_images_iterator_free(limg_images_iterator *it)
{
	if (!it)
		return;
	limg__arena_free(&it->strings);
	limg__free(it->rows);
	limg__free(it);
}

const char *limg_images_row_reference(const limg_images_row *e)
{
	return e ? e->reference : NULL;
}

const char *limg_images_row_repository(const limg_images_row *e)
{
	return e ? e->repository : NULL;
}

const char *limg_images_row_tag(const limg_images_row *e)
{
	return e ? e->tag : NULL;
}

const char *limg_images_row_digest(const limg_images_row *e)
{
	return e ? e->digest : NULL;
}

const char *limg_images_row_id(const limg_images_row *e)
{
	return e ? e->id : NULL;
}

int64_t limg_images_row_created(const limg_images_row *e)
{
	return e ? e->created : -1;
}

int64_t limg_images_row_size(const limg_images_row *e)
{
	return e ? e->size : -1;
}

int limg_images_row_state(const limg_images_row *e)
{
	return e ? e->state : LIMG_IMAGE_UNKNOWN;
}
