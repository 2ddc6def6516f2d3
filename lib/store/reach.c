/* SPDX-License-Identifier: MIT */
/* Reachability from index.json: what gc keeps, what fsck expects present,
 * and what a tag needs before it may point at an image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "digest/digest_internal.h"
#include "manifest/media.h"
#include "store_internal.h"

struct reach {
	limg_store *store;
	limg__strset *reached;
	limg__problem_cb problem;
	void *payload;
	const char *parent;
	size_t listed, stored;   /* index entries of the manifest being read, and how many are stored */
	/* manifests still to read */
	char **queue;
	size_t queued, cap;
	bool stopped;            /* the problem callback stopped the walk (its code is no JSON error) */
};

static int report(struct reach *r, const char *subject, int code, const char *fmt, const char *a, const char *b)
{
	char msg[1024];
	int rc;

	if (!r->problem)
		return 0;
	snprintf(msg, sizeof msg, fmt, a, b);
	if ((rc = r->problem(subject, code, msg, r->payload)) != 0)
		r->stopped = true;
	return rc;
}

static bool valid_digest(const char *d)
{
	return limg__digest_check(d, strlen(d), NULL) == 0;
}

/* Whether a blob is stored; *@size (may be NULL) receives its size. */
static bool present_sized(limg_store *s, const char *digest, int64_t *size)
{
	int64_t n;
	bool ok = limg_store_blob_stat(&n, s, digest) == 0;
	if (!ok)
		limg_error_clear();
	if (size)
		*size = ok ? n : -1;
	return ok;
}

static bool present(limg_store *s, const char *digest)
{
	return present_sized(s, digest, NULL);
}

static int enqueue(struct reach *r, const char *digest)
{
	int rc;

	if ((rc = limg__array_grow((void **)&r->queue, &r->cap, r->queued + 1, sizeof *r->queue)) < 0)
		return rc;
	if (!(r->queue[r->queued] = limg__strdup(digest)))
		return limg__error_oom();
	r->queued++;
	return 0;
}

static int on_child(const char *digest, const char *type, int64_t size, const char *list, void *payload)
{
	struct reach *r = payload;
	bool is_manifest = !strcmp(list, "manifests") || limg__media_is_manifest(type);
	int64_t stored;
	int added;

	if (!valid_digest(digest))
		return report(r, r->parent, LIMG_ECORRUPT, "manifest %s lists an invalid digest %s", r->parent, digest);
	if (!strcmp(list, "manifests")) {
		r->listed++;
		r->stored += present(r->store, digest);
	}
	if ((added = limg__strset_add(r->reached, digest)) < 0)
		return added;
	if (!added)
		return 0;
	if (is_manifest) {
		/* an index need not hold every platform: absent entries are normal */
		if (present(r->store, digest))
			return enqueue(r, digest);
		return strcmp(list, "manifests") ? report(r, digest, LIMG_ENOTFOUND, "manifest %s lists %s, which is missing",
		                                          r->parent, digest)
		                                 : 0;
	}
	/* absent by design: a foreign layer not fetched, a layer discarded once unpacked (limg_pull_unpack):
	 * the image is incomplete, not damaged */
	if (!present_sized(r->store, digest, &stored))
		return limg__media_is_foreign(type) || limg__store_layer_discarded(r->store, digest)
		       ? 0
		       : report(r, digest, LIMG_ENOTFOUND, "image %s needs blob %s, which is missing", r->parent, digest);
	if (size >= 0 && stored != size) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s as %lld bytes, but the blob has %lld", digest, (long long)size,
		         (long long)stored);
		return report(r, digest, LIMG_ECORRUPT, "manifest %s describes %s", r->parent, msg);
	}
	return 0;
}

/* Reads one queued manifest and queues what it lists. */
static int read_one(struct reach *r)
{
	char *digest = r->queue[--r->queued];
	limg_buf body = LIMG_BUF_INIT;
	int rc = limg_store_blob_read(&body, r->store, digest, LIMG_MANIFEST_SIZE_MAX);

	r->parent = digest;
	r->listed = r->stored = 0;
	r->stopped = false;
	if (rc == LIMG_ENOMEM) {
		/* nothing is wrong with the store: say so, do not report a problem */
	} else if (rc == LIMG_ENOTFOUND) { /* there when it was found, gone since (an rmi, a gc beside us): missing, not damaged */
		rc = report(r, digest, LIMG_ENOTFOUND, "manifest %s went missing%s", digest, "");
	} else if (rc < 0) {
		rc = report(r, digest, LIMG_ECORRUPT, "%s%s", limg_error_message(limg_error_last()), "");
	} else if ((rc = limg__walk_children(body.ptr, body.size, on_child, r)) == LIMG_ECORRUPT && !r->stopped) {
		rc = report(r, digest, LIMG_ECORRUPT, "manifest %s is not valid, unambiguous JSON%s", digest, "");
	} else if (rc == LIMG_ENOMEM) {
		rc = limg__error_oom();
	}
	if (rc == 0 && r->listed && !r->stored)
		rc = report(r, digest, LIMG_ENOTFOUND, "index %s has none of its %s images stored", digest,
		            r->listed == 1 ? "1" : "listed");
	r->parent = NULL;
	limg_buf_dispose(&body);
	limg__free(digest);
	return rc;
}

static int drain(struct reach *r)
{
	int rc = 0;

	while (rc == 0 && r->queued)
		rc = read_one(r);
	return rc;
}

static void release(struct reach *r)
{
	while (r->queued)
		limg__free(r->queue[--r->queued]);
	limg__free(r->queue);
}

static int root(struct reach *r, const char *digest, const char *name, const char *index_label)
{
	char label[300];
	int added;

	/* a ref.name of another tool's index.json: printable only */
	limg__sanitize(label, sizeof label, name, strlen(name));
	if (!digest || !valid_digest(digest))
		return report(r, index_label, LIMG_ECORRUPT, "%s: entry %s has no valid digest", index_label, label);
	if ((added = limg__strset_add(r->reached, digest)) < 0)
		return added;
	if (!present(r->store, digest))
		return report(r, digest, LIMG_ENOTFOUND, "tag %s points at blob %s, which is missing", label, digest);
	return added ? enqueue(r, digest) : 0;
}

/* A referrer of something reached: a root of its own (what it lists is reached through it). */
static int referrer_root(const char *digest, void *payload)
{
	struct reach *r = payload;
	int added;

	if ((added = limg__strset_add(r->reached, digest)) <= 0)
		return added;
	if (!present(r->store, digest))
		return 0; /* a listed referrer the store lacks is no damage: it was never fetched, or is gone */
	if ((added = enqueue(r, digest)) < 0)
		return added;
	return drain(r);
}

int limg__store_reach(limg_store *s, const limg__index *ix, limg__strset *reached, limg__problem_cb problem,
                      void *payload)
{
	struct reach r = { s, reached, problem, payload, NULL, 0, 0, NULL, 0, 0, false };
	char index_label[4096];
	int rc = 0;

	limg__store_label(index_label, sizeof index_label, s, "index.json");
	for (size_t i = 0; i < ix->count && rc == 0; i++) {
		const char *name = limg__index_annotation(&ix->entries[i], "org.opencontainers.image.ref.name");
		rc = root(&r, ix->entries[i].digest, name ? name : "(untagged)", index_label);
	}
	if (rc == 0)
		rc = drain(&r);
	/* and what refers to what is kept (signatures beside their image) */
	if (rc == 0)
		rc = limg__store_reach_referrers(s, reached, referrer_root, &r);
	release(&r);
	return rc;
}

/* The first problem stops the check, as the error to report. */
static int first_problem(const char *object, int code, const char *message, void *payload)
{
	(void)payload;
	return limg__error_set_about(code, code == LIMG_ENOTFOUND ? LIMG_SUBJECT_BLOB : LIMG_SUBJECT_NONE, object, "%s",
	                             message);
}

int limg__store_check_complete(limg_store *s, const char *digest)
{
	limg__strset reached = LIMG_STRSET_INIT;
	struct reach r = { s, &reached, first_problem, NULL, NULL, 0, 0, NULL, 0, 0, false };
	int rc = root(&r, digest, digest, "the image");

	if (rc == 0)
		rc = drain(&r);
	release(&r);
	limg__strset_free(&reached);
	return rc;
}
