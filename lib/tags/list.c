/* SPDX-License-Identifier: MIT */
/* Listing tags: one snapshot of index.json, filtered and sorted. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "tags_internal.h"

struct limg_tag {
	const char *reference; /* NULL: untagged */
	const char *digest;
	const char *media_type;
	int64_t size;
	const limg__index_entry *entry;
	char *repository;      /* the familiar repository, worked out when first asked */
	bool repository_known;
};

struct limg_tag_iterator {
	limg__index *index; /* owns every string the entries point at */
	limg_tag *tags;
	size_t count, next;
};

const char *limg_tag_reference(const limg_tag *t)
{
	return t ? t->reference : NULL;
}

const char *limg_tag_digest(const limg_tag *t)
{
	return t ? t->digest : NULL;
}

const char *limg_tag_media_type(const limg_tag *t)
{
	return t ? t->media_type : NULL;
}

int64_t limg_tag_size(const limg_tag *t)
{
	return t ? t->size : -1;
}

const char *limg_tag_repository(const limg_tag *t)
{
	limg_tag *cache = (limg_tag *)t; /* a tag belongs to one iterator, read by one thread */
	const char *name;
	limg_reference *r;

	if (!t)
		return NULL;
	if (!cache->repository_known) {
		limg__error_copy saved;
		limg__error_save(&saved); /* an accessor leaves the last error alone */
		cache->repository_known = true;
		name = t->reference ? t->reference : limg__index_annotation(t->entry, LIMG_REPOSITORY_KEY);
		if (name && limg_reference_parse_normalized(&r, name) == 0) {
			if (limg_reference_familiar_name(r))
				cache->repository = strdup(limg_reference_familiar_name(r));
			limg_reference_free(r);
		}
		limg__error_restore(&saved);
	}
	return cache->repository;
}

const char *limg_tag_annotation(const limg_tag *t, const char *key)
{
	if (!t || !key)
		return NULL;
	return limg__index_annotation(t->entry, key);
}

int limg_tag_iterator_opts_init(limg_tag_iterator_opts *opts, size_t size)
{
	static const limg_tag_iterator_opts defaults = LIMG_TAG_ITERATOR_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

static int compare_tags(const void *pa, const void *pb)
{
	const limg_tag *a = pa, *b = pb;

	if (!a->reference != !b->reference)
		return a->reference ? -1 : 1;
	if (a->reference) {
		int c = strcmp(a->reference, b->reference);
		if (c)
			return c;
	}
	return strcmp(a->digest, b->digest);
}

/* True when @reference names a tag of @repository ("domain/path"). */
static bool in_repository(const char *reference, const char *repository, size_t len)
{
	return !strncmp(reference, repository, len) && reference[len] == ':';
}

static int list(limg_tag_iterator *it, limg_store *s, const limg_tag_iterator_opts *o, const limg_reference *repo)
{
	size_t n = 0, repo_len = repo ? strlen(limg_reference_name(repo)) : 0;
	int rc;

	if ((rc = limg__index_load(&it->index, s)) < 0)
		return rc;
	if (!(it->tags = calloc(it->index->count + 1, sizeof *it->tags)))
		return limg__error_oom();
	for (size_t i = 0; i < it->index->count; i++) {
		const limg__index_entry *e = &it->index->entries[i];
		const char *ref = limg__entry_ref(e), *digest = e->digest;

		if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0)
			continue; /* fsck reports these; a listing shows what it can */
		if ((ref && o->select == LIMG_LIST_UNTAGGED) || (!ref && o->select == LIMG_LIST_TAGGED))
			continue;
		if (o->digest && strcmp(digest, o->digest) != 0)
			continue;
		if (repo && (!ref || !in_repository(ref, limg_reference_name(repo), repo_len)))
			continue;
		it->tags[n].reference = ref;
		it->tags[n].digest = digest;
		it->tags[n].media_type = e->media_type ? e->media_type : "";
		it->tags[n].size = e->size;
		it->tags[n].entry = e;
		n++;
	}
	it->count = n;
	qsort(it->tags, n, sizeof *it->tags, compare_tags);
	return 0;
}

int limg_tag_iterator_new(limg_tag_iterator **out, limg_store *s, const limg_tag_iterator_opts *opts)
{
	limg_tag_iterator_opts o = LIMG_TAG_ITERATOR_OPTS_INIT;
	limg_tag_iterator *it;
	limg_reference *repo = NULL;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_tag_iterator_opts")) < 0)
		return rc;
	if (o.repository) {
		if ((rc = limg_reference_parse_normalized(&repo, o.repository)) < 0)
			return rc;
		if (limg_reference_tag(repo) || limg_reference_digest(repo)) {
			limg_reference_free(repo);
			return limg__error_set(LIMG_EINVALID, "%s: a repository has no tag or digest", o.repository);
		}
	}
	if (o.digest && (rc = limg__digest_check(o.digest, strlen(o.digest), NULL)) < 0) {
		limg_reference_free(repo);
		return limg__digest_raise(rc, o.digest, strlen(o.digest));
	}
	if ((rc = limg__store_enter(s)) < 0) {
		limg_reference_free(repo);
		return rc;
	}
	if (!(it = calloc(1, sizeof *it)))
		rc = limg__error_oom();
	else if ((rc = list(it, s, &o, repo)) < 0)
		limg_tag_iterator_free(it);
	else
		*out = it;
	limg__store_leave(s);
	limg_reference_free(repo);
	return rc;
}

int limg_tag_iterator_next(const limg_tag **out, limg_tag_iterator *it)
{
	if (!out || !it)
		return limg__error_invalid(out ? "iterator" : "out");
	if (it->next >= it->count) {
		*out = NULL;
		return LIMG_ITEROVER;
	}
	*out = &it->tags[it->next++];
	return 0;
}

size_t limg__tag_iterator_count(const limg_tag_iterator *it)
{
	return it ? it->count : 0;
}

void limg_tag_iterator_free(limg_tag_iterator *it)
{
	if (!it)
		return;
	for (size_t i = 0; i < it->count; i++)
		free(it->tags[i].repository);
	limg__index_free(it->index);
	free(it->tags);
	free(it);
}
