/* Reachability from index.json: what gc keeps and what fsck expects present. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/media.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

struct reach {
	limg_store *store;
	limg__strset *reached;
	limg__problem_cb problem;
	void *payload;
	const char *parent;
	/* manifests still to read */
	char **queue;
	size_t queued, cap;
};

static int report(struct reach *r, const char *subject, int code, const char *fmt, const char *a, const char *b)
{
	char msg[1024];

	if (!r->problem)
		return 0;
	snprintf(msg, sizeof msg, fmt, a, b);
	return r->problem(subject, code, msg, r->payload);
}

static bool valid_digest(const char *d)
{
	return limg__digest_check(d, strlen(d), NULL) == 0;
}

static bool present(limg_store *s, const char *digest)
{
	int64_t size;
	return limg_store_blob_stat(&size, s, digest) == 0;
}

static int enqueue(struct reach *r, const char *digest)
{
	if (r->queued == r->cap) {
		size_t n = r->cap ? r->cap * 2 : 16;
		char **q = realloc(r->queue, n * sizeof *q);
		if (!q)
			return limg__error_oom();
		r->queue = q;
		r->cap = n;
	}
	if (!(r->queue[r->queued] = strdup(digest)))
		return limg__error_oom();
	r->queued++;
	return 0;
}

static int on_child(const char *digest, const char *type, int64_t size, const char *list, void *payload)
{
	struct reach *r = payload;
	int added;

	(void)size;
	if (!valid_digest(digest))
		return report(r, r->parent, LIMG_ECORRUPT, "manifest %s lists an invalid digest %s", r->parent, digest);
	if ((added = limg__strset_add(r->reached, digest)) < 0)
		return added;
	if (!added)
		return 0;
	if (!strcmp(list, "manifests") || limg__media_is_manifest(type)) {
		/* an index need not hold every platform: absent entries are normal */
		if (present(r->store, digest))
			return enqueue(r, digest);
		return strcmp(list, "manifests") ? report(r, digest, LIMG_ENOTFOUND, "manifest %s lists %s, which is missing",
		                                          r->parent, digest)
		                                 : 0;
	}
	if (!present(r->store, digest) && !limg__media_is_foreign(type))
		return report(r, digest, LIMG_ENOTFOUND, "image %s needs blob %s, which is missing", r->parent, digest);
	return 0;
}

int limg__store_reach(limg_store *s, const cJSON *index, limg__strset *reached, limg__problem_cb problem,
                      void *payload)
{
	struct reach r = { s, reached, problem, payload, NULL, NULL, 0, 0 };
	const cJSON *d;
	int rc = 0;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
		const cJSON *digest = cJSON_GetObjectItemCaseSensitive(d, "digest");
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(d, "annotations");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(ann, "org.opencontainers.image.ref.name");
		const char *label = cJSON_IsString(name) ? name->valuestring : "(untagged)";
		int added;

		if (!cJSON_IsString(digest) || !valid_digest(digest->valuestring)) {
			if ((rc = report(&r, s->index_path, LIMG_ECORRUPT, "%s: entry %s has no valid digest", s->index_path,
			                 label)) != 0)
				break;
			continue;
		}
		if ((added = limg__strset_add(reached, digest->valuestring)) < 0) {
			rc = added;
			break;
		}
		if (!present(s, digest->valuestring)) {
			if ((rc = report(&r, digest->valuestring, LIMG_ENOTFOUND, "tag %s points at blob %s, which is missing",
			                 label, digest->valuestring)) != 0)
				break;
			continue;
		}
		if (added && (rc = enqueue(&r, digest->valuestring)) < 0)
			break;
	}
	while (rc == 0 && r.queued) {
		char *digest = r.queue[--r.queued];
		limg_buf body = LIMG_BUF_INIT;
		int got = limg_store_blob_read(&body, s, digest, LIMG_MANIFEST_MAX);

		r.parent = digest;
		if (got < 0)
			rc = report(&r, digest, LIMG_ECORRUPT, "%s%s", limg_error_message(limg_error_last()), "");
		else if ((got = limg__walk_children(body.ptr, body.size, on_child, &r)) == LIMG_ECORRUPT)
			rc = report(&r, digest, LIMG_ECORRUPT, "manifest %s is not valid JSON%s", digest, "");
		else
			rc = got;
		limg_buf_dispose(&body);
		free(digest);
	}
	while (r.queued)
		free(r.queue[--r.queued]);
	free(r.queue);
	return rc;
}
