/* Listing tags: one snapshot of index.json, filtered and sorted. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "libimage/reference.h"
#include "store/store_internal.h"
#include "tags_internal.h"

struct limg_tag {
	const char *reference; /* NULL: untagged */
	const char *digest;
	const char *media_type;
	int64_t size;
	const cJSON *annotations;
};

struct limg_tag_iterator {
	cJSON *doc; /* owns every string the entries point at */
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

const char *limg_tag_annotation(const limg_tag *t, const char *key)
{
	const cJSON *v;

	if (!t || !key)
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(t->annotations, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int limg_tags_list_opts_init(limg_tags_list_opts *opts, size_t size)
{
	static const limg_tags_list_opts defaults = LIMG_TAGS_LIST_OPTS_INIT;

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

int limg_tag_iterator_new(limg_tag_iterator **out, limg_store *s, const limg_tags_list_opts *opts)
{
	limg_tags_list_opts o = LIMG_TAGS_LIST_OPTS_INIT;
	limg_tag_iterator *it;
	limg_reference *repo = NULL;
	const cJSON *e, *manifests;
	size_t n = 0, repo_len = 0;
	int rc;

	if (!out || !s)
		return limg__error_invalid(out ? "store" : "out");
	*out = NULL;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_tags_list_opts")) < 0)
		return rc;
	if (o.repository) {
		if ((rc = limg_reference_parse_normalized(&repo, o.repository)) < 0)
			return rc;
		if (limg_reference_tag(repo) || limg_reference_digest(repo)) {
			limg_reference_free(repo);
			return limg__error_set(LIMG_EINVALID, "%s: a repository has no tag or digest", o.repository);
		}
		repo_len = strlen(limg_reference_name(repo));
	}
	if (o.digest && (rc = limg__digest_check(o.digest, strlen(o.digest), NULL)) < 0) {
		limg_reference_free(repo);
		return limg__digest_raise(rc, o.digest, strlen(o.digest));
	}
	if (!(it = calloc(1, sizeof *it))) {
		limg_reference_free(repo);
		return limg__error_oom();
	}
	if ((rc = limg__index_load(&it->doc, s)) < 0)
		goto fail;
	manifests = cJSON_GetObjectItemCaseSensitive(it->doc, "manifests");
	if (!(it->tags = calloc((size_t)cJSON_GetArraySize(manifests) + 1, sizeof *it->tags))) {
		rc = limg__error_oom();
		goto fail;
	}
	cJSON_ArrayForEach(e, manifests) {
		const char *ref = limg__entry_ref(e), *digest = limg__entry_digest(e);
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "mediaType");
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(e, "size");

		if (!digest || limg__digest_check(digest, strlen(digest), NULL) != 0)
			continue; /* fsck reports these; a listing shows what it can */
		if ((ref && o.untagged == 1) || (!ref && o.untagged == 0))
			continue;
		if (o.digest && strcmp(digest, o.digest) != 0)
			continue;
		if (repo && (!ref || !in_repository(ref, limg_reference_name(repo), repo_len)))
			continue;
		it->tags[n].reference = ref;
		it->tags[n].digest = digest;
		it->tags[n].media_type = cJSON_IsString(type) ? type->valuestring : "";
		it->tags[n].size = cJSON_IsNumber(size) ? (int64_t)size->valuedouble : -1;
		it->tags[n].annotations = cJSON_GetObjectItemCaseSensitive(e, "annotations");
		n++;
	}
	it->count = n;
	qsort(it->tags, n, sizeof *it->tags, compare_tags);
	limg_reference_free(repo);
	*out = it;
	return 0;
fail:
	limg_reference_free(repo);
	limg_tag_iterator_free(it);
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

void limg_tag_iterator_free(limg_tag_iterator *it)
{
	if (!it)
		return;
	cJSON_Delete(it->doc);
	free(it->tags);
	free(it);
}
