/* SPDX-License-Identifier: MIT */
/*
 * Listing tags: one snapshot, sorted by reference (untagged images last, by
 * digest). From the sidecar it streams: rows come from an index in order,
 * one at a time, whatever the number of tags. When the sidecar cannot be
 * used (a store we may only read), index.json is read whole and sorted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "sidecar.h"
#include "tags_internal.h"

struct limg_tag {
	const char *reference; /* NULL: untagged */
	const char *digest;
	const char *media_type;
	int64_t size;
	const limg__annotation *ann; /* every annotation, ref.name included */
	size_t nann;
	char *repository;      /* the familiar repository, worked out when first asked */
	bool repository_known;
};

struct limg_tag_iterator {
	/* from the sidecar: up to two statements (tags, then untagged images) run in turn */
	limg__sidecar *sc;
	sqlite3_stmt *stmt[2];
	int phase;
	limg_tag current;
	limg__arena row; /* the current entry's strings */
	/* from index.json itself: one snapshot, sorted */
	limg__index *index; /* owns every string the entries point at */
	limg_tag *tags;
	size_t count, next;
	const limg_allocator *allocator; /* the store's, for what next() allocates */
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

int limg__tag_repository(const char **out, const limg_tag *t)
{
	limg_tag *cache = (limg_tag *)t; /* a tag belongs to one iterator, read by one thread */
	const char *name;
	limg_reference *r;
	int rc = 0;

	*out = NULL;
	if (!t)
		return 0;
	if (!cache->repository_known) {
		name = t->reference ? t->reference : limg_tag_annotation(t, LIMG_REPOSITORY_KEY);
		if (name && (rc = limg_reference_parse_normalized(&r, name)) == 0) {
			if (limg_reference_familiar_name(r) &&
			    !(cache->repository = limg__strdup(limg_reference_familiar_name(r))))
				rc = limg__error_oom();
			limg_reference_free(r);
		}
		if (rc == LIMG_ENOMEM)
			return rc; /* not known: asked again next time */
		cache->repository_known = true; /* a name that is no reference has no repository */
	}
	*out = cache->repository;
	return 0;
}

const char *limg_tag_repository(const limg_tag *t)
{
	limg__error_copy saved;
	const char *repository;

	limg__error_save(&saved); /* an accessor leaves the last error alone */
	limg__tag_repository(&repository, t);
	limg__error_restore(&saved);
	return repository;
}

const char *limg_tag_annotation(const limg_tag *t, const char *key)
{
	if (!t || !key)
		return NULL;
	for (size_t i = 0; i < t->nann; i++)
		if (!strcmp(t->ann[i].key, key))
			return t->ann[i].value;
	return NULL;
}

int limg_tag_iterator_opts_init(limg_tag_iterator_opts *opts, size_t size)
{
	static const limg_tag_iterator_opts defaults = LIMG_TAG_ITERATOR_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

/* ---- from the sidecar ---------------------------------------------------------- */

static int prepare(limg_tag_iterator *it, const limg_tag_iterator_opts *o, const limg_reference *repo)
{
	static const char cols[] = "SELECT " LIMG__SLOT_COLUMNS " FROM slots WHERE used=1";
	char sql[512];
	int n = 0, rc;

	if (o->select != LIMG_LIST_UNTAGGED) {
		snprintf(sql, sizeof sql, "%s AND ref IS NOT NULL%s%s ORDER BY ref, digest", cols,
		         repo ? " AND ref>=?1 AND ref<?2" : "", o->digest ? " AND digest=?3" : "");
		if ((rc = limg__sidecar_prepare(it->sc, &it->stmt[n++], sql)) < 0)
			return rc;
	}
	/* untagged images belong to no repository */
	if (o->select != LIMG_LIST_TAGGED && !repo) {
		snprintf(sql, sizeof sql, "%s AND ref IS NULL%s ORDER BY digest, off", cols, o->digest ? " AND digest=?3" : "");
		if ((rc = limg__sidecar_prepare(it->sc, &it->stmt[n++], sql)) < 0)
			return rc;
	}
	for (int i = 0; i < n; i++) {
		if (repo) {
			/* "name:" <= ref < "name;": the tags of that repository, ';' being ':' + 1 */
			const char *name = limg_reference_name(repo);
			size_t len = strlen(name);
			char *lo = limg__malloc(len + 2), *hi = limg__malloc(len + 2);
			if (!lo || !hi) {
				limg__free(lo);
				limg__free(hi);
				return limg__error_oom();
			}
			memcpy(lo, name, len);
			memcpy(hi, name, len);
			lo[len] = ':';
			hi[len] = ';';
			sqlite3_bind_text(it->stmt[i], 1, lo, (int)len + 1, limg__free);
			sqlite3_bind_text(it->stmt[i], 2, hi, (int)len + 1, limg__free);
		}
		if (o->digest)
			sqlite3_bind_text(it->stmt[i], 3, o->digest, -1, SQLITE_TRANSIENT);
	}
	return 0;
}

static char *keep(limg__arena *a, const char *s)
{
	return s ? limg__arena_strndup(a, s, strlen(s)) : NULL;
}

static int add_annotation(limg__arena *a, limg__annotation *list, size_t *n, const char *key, const char *value)
{
	if (!value)
		return 0;
	if (!(list[*n].key = keep(a, key)) || !(list[*n].value = keep(a, value)))
		return LIMG_ENOMEM;
	(*n)++;
	return 0;
}

/* "other": a JSON object of strings the sidecar keeps (and which, like
 * everything in the store, is read as untrusted). */
static size_t other_count(const char *text)
{
	size_t n = 0;
	for (const char *p = text; *p; p++)
		n += *p == ':';
	return n;
}

static int add_others(limg__arena *a, limg__annotation *list, size_t *n, size_t cap, const char *text)
{
	limg_buf key = LIMG_BUF_INIT, val = LIMG_BUF_INIT;
	limg__json j;
	int more = -1;

	limg__json_init(&j, text, strlen(text), NULL);
	if (limg__json_begin_object(&j) == 0)
		while (*n < cap && (more = limg__json_next_key(&j, &key)) == 1) {
			if (limg__json_peek(&j) != LIMG_JSON_STRING || limg__json_string(&j, &val) < 0) {
				more = -1;
				break;
			}
			if (add_annotation(a, list, n, key.ptr, val.ptr) < 0) {
				more = -2;
				break;
			}
		}
	limg__json_dispose(&j);
	limg_buf_dispose(&key);
	limg_buf_dispose(&val);
	return more == -2 ? LIMG_ENOMEM : 0;
}

/* The row a statement stands on, as the current entry. 1 when it is one to
 * show, 0 when not (a digest that is none), or LIMG_ENOMEM. */
static int take_row(limg_tag_iterator *it, sqlite3_stmt *st)
{
	limg__slot_row r;
	limg_tag *t = &it->current;
	limg__annotation *list;
	size_t cap;

	limg__sidecar_row(st, 0, &r);
	if (!r.digest || limg__digest_check(r.digest, strlen(r.digest), NULL) != 0)
		return 0; /* fsck reports these; a listing shows what it can */
	limg__free(t->repository);
	limg__arena_free(&it->row);
	it->row.chunk_size = 4096;
	memset(t, 0, sizeof *t);
	cap = 5 + (r.other ? other_count(r.other) : 0);
	if (!(list = limg__arena_alloc(&it->row, cap * sizeof *list)))
		return LIMG_ENOMEM;
	if (!(t->digest = keep(&it->row, r.digest)) || (r.ref && !(t->reference = keep(&it->row, r.ref))) ||
	    !(t->media_type = keep(&it->row, r.media_type ? r.media_type : "")) ||
	    add_annotation(&it->row, list, &t->nann, LIMG_REF_NAME_KEY, r.ref) < 0 ||
	    add_annotation(&it->row, list, &t->nann, LIMG_CACHE_ID_KEY, r.id) < 0 ||
	    add_annotation(&it->row, list, &t->nann, LIMG_CACHE_CREATED_KEY, r.created) < 0 ||
	    add_annotation(&it->row, list, &t->nann, LIMG_CACHE_SIZE_KEY, r.usize) < 0 ||
	    add_annotation(&it->row, list, &t->nann, LIMG_REPOSITORY_KEY, r.repository) < 0 ||
	    (r.other && add_others(&it->row, list, &t->nann, cap, r.other) < 0))
		return LIMG_ENOMEM;
	t->size = r.size;
	t->ann = list;
	return 1;
}

static int next_row(const limg_tag **out, limg_tag_iterator *it)
{
	int rc;

	while (it->phase < 2 && it->stmt[it->phase]) {
		if ((rc = limg__sidecar_step(it->sc, it->stmt[it->phase])) < 0)
			return rc;
		if (rc == 0) {
			it->phase++;
			continue;
		}
		if ((rc = take_row(it, it->stmt[it->phase])) < 0)
			return limg__error_oom();
		if (rc == 1) {
			*out = &it->current;
			return 0;
		}
	}
	*out = NULL;
	return LIMG_ITEROVER;
}

/* 0, or LIMG__SIDECAR_STALE when the sidecar cannot be read (the caller reads index.json). */
static int list_sidecar(limg_tag_iterator *it, limg_store *s, const limg_tag_iterator_opts *o,
                        const limg_reference *repo)
{
	if (limg__sidecar_open(&it->sc, s) < 0 || limg__sidecar_read(it->sc) != 0 || prepare(it, o, repo) < 0) {
		limg__log(limg__store_context(s), LIMG_LOG_DEBUG, "%s: tags listed from index.json itself (%s)", s->root,
		          limg_error_message(limg_error_last()));
		limg_error_clear();
		for (int i = 0; i < 2; i++) {
			sqlite3_finalize(it->stmt[i]);
			it->stmt[i] = NULL;
		}
		limg__sidecar_close(it->sc);
		it->sc = NULL;
		return LIMG__SIDECAR_STALE;
	}
	return 0;
}

/* ---- from index.json itself ---------------------------------------------------- */

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

static int list_file(limg_tag_iterator *it, limg_store *s, const limg_tag_iterator_opts *o, const limg_reference *repo)
{
	size_t n = 0, repo_len = repo ? strlen(limg_reference_name(repo)) : 0;
	int rc;

	if ((rc = limg__index_read(&it->index, s)) < 0)
		return rc;
	if (!(it->tags = limg__calloc(it->index->count + 1, sizeof *it->tags)))
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
		it->tags[n].ann = e->ann;
		it->tags[n].nann = e->nann;
		n++;
	}
	it->count = n;
	qsort(it->tags, n, sizeof *it->tags, compare_tags);
	return 0;
}

int limg_tag_iterator_new(limg_tag_iterator **out, limg_store *s, const limg_tag_iterator_opts *opts)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
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
	if ((it = limg__calloc(1, sizeof *it)))
		it->allocator = limg__allocator_current();
	if (!it)
		rc = limg__error_oom();
	else if ((rc = list_sidecar(it, s, &o, repo)) == LIMG__SIDECAR_STALE && (rc = list_file(it, s, &o, repo)) < 0)
		limg_tag_iterator_free(it);
	if (rc == 0)
		*out = it;
	limg__store_leave(s);
	limg_reference_free(repo);
	return rc;
}

int limg_tag_iterator_next(const limg_tag **out, limg_tag_iterator *it)
{
	LIMG__ALLOCATOR_SET(it ? it->allocator : NULL);
	if (!out || !it)
		return limg__error_invalid(out ? "iterator" : "out");
	if (it->sc)
		return next_row(out, it);
	if (it->next >= it->count) {
		*out = NULL;
		return LIMG_ITEROVER;
	}
	*out = &it->tags[it->next++];
	return 0;
}

void limg_tag_iterator_free(limg_tag_iterator *it)
{
	if (!it)
		return;
	for (int i = 0; i < 2; i++)
		sqlite3_finalize(it->stmt[i]);
	if (it->sc) {
		limg__sidecar_end(it->sc);
		limg__sidecar_close(it->sc);
	}
	limg__free(it->current.repository);
	limg__arena_free(&it->row);
	for (size_t i = 0; i < it->count; i++)
		limg__free(it->tags[i].repository);
	limg__index_free(it->index);
	limg__free(it->tags);
	limg__free(it);
}
