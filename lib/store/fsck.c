/* fsck: verify blobs against their names and that everything reachable is present. */
#include <stdio.h>
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

static int check_all(limg_store *s, struct fsck *f)
{
	limg__strset reached = LIMG_STRSET_INIT;
	limg__index *index = NULL;
	limg_blob_iterator *it;
	char label[4096];
	const char *d;
	int rc;

	limg__store_label(label, sizeof label, s, "index.json");
	if ((rc = limg__index_load(&index, s)) < 0)
		rc = problem(label, LIMG_ECORRUPT, limg_error_message(limg_error_last()), f);
	else
		rc = limg__store_reach(s, index, &reached, problem, f);
	/* what sits under a blob's name but is no regular file (a directory, a FIFO, a symlink) */
	if (rc == 0 && (rc = limg__blob_list(&it, s, true)) == 0) {
		while (rc == 0 && limg_blob_iterator_next(&d, NULL, it) == 0) {
			limg_buf path = LIMG_BUF_INIT;
			char msg[4200];
			limg__store_blob_file(&path, s, d);
			snprintf(msg, sizeof msg, "%s is not a regular file", path.ptr ? path.ptr : d);
			limg_buf_dispose(&path);
			rc = problem(d, LIMG_ECORRUPT, msg, f);
		}
		limg_blob_iterator_free(it);
	}
	if (rc == 0 && (rc = limg__blob_list(&it, s, false)) == 0) {
		while (rc == 0 && limg_blob_iterator_next(&d, NULL, it) == 0)
			rc = check_blob(s, d, f);
		limg_blob_iterator_free(it);
	}
	limg__index_free(index);
	limg__strset_free(&reached);
	return rc;
}

int limg_store_fsck(limg_store *s, const char *digest, limg_fsck_cb cb, void *payload)
{
	struct fsck f = { cb, payload, 0 };
	int rc;

	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = digest ? check_blob(s, digest, &f) : check_all(s, &f);
	if (rc == 0 && f.problems)
		rc = limg__error_set(LIMG_ECORRUPT, "store %s: %zu problem%s found", s->root, f.problems,
		                     f.problems == 1 ? "" : "s");
	limg__store_leave(s);
	return rc;
}
