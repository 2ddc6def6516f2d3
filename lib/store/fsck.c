/* fsck: verify blobs against their names and that everything reachable is present. */
#include <string.h>

#include "core/core.h"
#include "store_internal.h"

struct fsck {
	limg_fsck_cb cb;
	void *payload;
	size_t problems;
};

static int problem(const char *subject, int code, const char *message, void *payload)
{
	struct fsck *f = payload;

	f->problems++;
	return f->cb ? f->cb(subject, code, message, f->payload) : 0;
}

/* Re-hashes one blob through a verifying reader. */
static int check_blob(limg_store *s, const char *digest, struct fsck *f)
{
	limg_blob_reader *r;
	char buf[64 * 1024];
	size_t n;
	int rc;

	if ((rc = limg_blob_reader_open(&r, s, digest)) < 0)
		return problem(digest, rc == LIMG_ENOTFOUND ? LIMG_ENOTFOUND : LIMG_ECORRUPT,
		               limg_error_message(limg_error_last()), f);
	do
		rc = limg_blob_reader_read(&n, r, buf, sizeof buf);
	while (rc == 0 && n);
	limg_blob_reader_free(r);
	if (rc < 0)
		return problem(digest, LIMG_ECORRUPT, limg_error_message(limg_error_last()), f);
	return 0;
}

int limg_store_fsck(limg_store *s, const char *digest, limg_fsck_cb cb, void *payload)
{
	struct fsck f = { cb, payload, 0 };
	limg__strset reached = LIMG_STRSET_INIT;
	cJSON *index = NULL;
	int rc = 0;

	if (!s)
		return limg__error_invalid("store");
	if (digest)
		rc = check_blob(s, digest, &f);
	else {
		limg_blob_iterator *it;
		const char *d;

		if ((rc = limg__index_load(&index, s)) < 0)
			rc = problem(s->index_path, LIMG_ECORRUPT, limg_error_message(limg_error_last()), &f);
		else
			rc = limg__store_reach(s, index, &reached, problem, &f);
		if (rc == 0 && (rc = limg_blob_iterator_new(&it, s)) == 0) {
			while (rc == 0 && limg_blob_iterator_next(&d, NULL, it) == 0)
				rc = check_blob(s, d, &f);
			limg_blob_iterator_free(it);
		}
	}
	cJSON_Delete(index);
	limg__strset_free(&reached);
	if (rc != 0)
		return rc;
	if (f.problems)
		return limg__error_set(LIMG_ECORRUPT, "store %s: %zu problem%s found", s->root, f.problems,
		                       f.problems == 1 ? "" : "s");
	return 0;
}
