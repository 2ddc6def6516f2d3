/* SPDX-License-Identifier: MIT */
/* fsck: verify blobs against their names and that everything reachable is present. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "store_internal.h"

int limg_store_fsck_opts_init(limg_store_fsck_opts *opts, size_t size)
{
	static const limg_store_fsck_opts defaults = LIMG_STORE_FSCK_OPTS_INIT;

	return limg__opts_init(opts, size, &defaults, sizeof defaults);
}

int limg_store_fsck_callbacks_init(limg_store_fsck_callbacks *cb, size_t size)
{
	static const limg_store_fsck_callbacks defaults = LIMG_STORE_FSCK_CALLBACKS_INIT;

	return limg__opts_init(cb, size, &defaults, sizeof defaults);
}

struct fsck {
	limg_problem_cb cb;
	void *payload;
	size_t problems;
	const limg_cancel *cancel;
};

static int problem(const char *object, int code, const char *message, void *payload)
{
	struct fsck *f = payload;
	int rc;

	f->problems++;
	if (f->cb && (rc = f->cb(object, code, message, f->payload)) != 0)
		return limg__error_after_callback(rc, "fsck");
	return 0;
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
	limg_blob_reader_close(r);
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
	if ((rc = limg__index_read(&index, s)) < 0)
		rc = problem(label, LIMG_ECORRUPT, limg_error_message(limg_error_last()), f);
	else
		rc = limg__store_reach(s, index, &reached, problem, f);
	/* what sits under a blob's name but is no regular file (a directory, a FIFO, a symlink) */
	if (rc == 0 && (rc = limg__blob_list(&it, s, true)) == LIMG_ECORRUPT) {
		/* blobs/ that cannot be listed (a symlink where a directory was) is a problem found, not a failure */
		char msg[1100];
		snprintf(msg, sizeof msg, "%s", limg_error_message(limg_error_last()));
		limg__store_label(label, sizeof label, s, "blobs");
		if ((rc = problem(label, LIMG_ECORRUPT, msg, f)) == 0)
			goto out;
	} else if (rc == 0) {
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
		while (rc == 0 && limg_blob_iterator_next(&d, NULL, it) == 0) {
			if (limg_cancel_requested(f->cancel) || limg_cancel_requested(s->closing))
				rc = limg__error_set(LIMG_ECANCELLED, "fsck of %s cancelled", s->root);
			else
				rc = check_blob(s, d, f);
		}
		limg_blob_iterator_free(it);
	}
out:
	limg__index_free(index);
	limg__strset_free(&reached);
	return rc;
}

int limg_store_fsck(size_t *out_problems, limg_store *s, const limg_store_fsck_opts *opts,
                    const limg_store_fsck_callbacks *cb)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(s));
	limg_store_fsck_opts o = LIMG_STORE_FSCK_OPTS_INIT;
	limg_store_fsck_callbacks c = LIMG_STORE_FSCK_CALLBACKS_INIT;
	struct fsck f = { NULL, NULL, 0, NULL };
	int rc;

	if (!out_problems)
		return limg__error_invalid("out_problems");
	*out_problems = 0;
	if ((rc = limg__opts_copy(&o, sizeof o, opts, "limg_store_fsck_opts")) < 0 ||
	    (rc = limg__opts_copy(&c, sizeof c, cb, "limg_store_fsck_callbacks")) < 0)
		return rc;
	f.cb = c.problem;
	f.payload = c.payload;
	f.cancel = o.cancel;
	if ((rc = limg__store_enter(s)) < 0)
		return rc;
	rc = o.digest ? check_blob(s, o.digest, &f) : check_all(s, &f);
	*out_problems = f.problems;
	limg__store_leave(s);
	return rc;
}
