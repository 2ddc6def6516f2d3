/* SPDX-License-Identifier: MIT */
/* Facts about layers (uncompressed digest and size), one small file per layer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

static int put(limg_store *s, const char *digest, const char *diff_id, int64_t size, bool discarded)
{
	char name[160], label[4096], text[256];
	int rc, n;

	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	if ((rc = limg__store_writable(s)) < 0)
		return rc;
	limg__store_flat_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/layers/%s", s->root, name);
	n = snprintf(text, sizeof text, "%s %" PRId64 "%s\n", diff_id, size, discarded ? " discarded" : "");
	return limg__fs_write_at(s->layers_fd, name, text, (size_t)n, false, label); /* a cache: no fsync */
}

int limg__store_layer_info_put(limg_store *s, const char *digest, const char *diff_id, int64_t size)
{
	return put(s, digest, diff_id, size, false);
}

int limg__store_layer_info_get(limg_store *s, const char *digest, char diff_id[160], int64_t *size)
{
	limg_buf text = LIMG_BUF_INIT;
	char name[160], label[4096];
	long long n = -1;
	int rc;

	if (limg__digest_check(digest, strlen(digest), NULL) != 0)
		return LIMG_ENOTFOUND;
	limg__store_flat_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/layers/%s", s->root, name);
	if ((rc = limg__fs_read_at(&text, s->layers_fd, name, 1024, label)) == 0) {
		if (sscanf(text.ptr, "%159s %lld", diff_id, &n) != 2 || n < 0 ||
		    limg__digest_check(diff_id, strlen(diff_id), NULL) != 0)
			rc = LIMG_ENOTFOUND; /* unreadable facts are no facts */
		else
			*size = n;
	}
	if (rc < 0) {
		rc = LIMG_ENOTFOUND;
		limg_error_clear();
	}
	limg_buf_dispose(&text);
	return rc;
}

static int read_facts(limg_store *s, const char *digest, char diff_id[160], int64_t *size, bool *discarded)
{
	limg_buf text = LIMG_BUF_INIT;
	char name[160], label[4096], flag[16] = "";
	long long n = -1;
	int rc;

	if (limg__digest_check(digest, strlen(digest), NULL) != 0)
		return LIMG_ENOTFOUND;
	limg__store_flat_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/layers/%s", s->root, name);
	if ((rc = limg__fs_read_at(&text, s->layers_fd, name, 1024, label)) == 0) {
		if (sscanf(text.ptr, "%159s %lld %15s", diff_id, &n, flag) < 2 || n < 0 ||
		    limg__digest_check(diff_id, strlen(diff_id), NULL) != 0)
			rc = LIMG_ENOTFOUND; /* unreadable facts are no facts */
		else
			*size = n;
	}
	if (rc < 0) {
		rc = LIMG_ENOTFOUND;
		limg_error_clear();
	}
	*discarded = rc == 0 && !strcmp(flag, "discarded");
	limg_buf_dispose(&text);
	return rc;
}

bool limg__store_layer_discarded(limg_store *s, const char *digest)
{
	char diff_id[160];
	int64_t size;
	bool discarded = false;

	return read_facts(s, digest, diff_id, &size, &discarded) == 0 && discarded;
}

/* The facts of a layer whose blob goes, so marked. */
int limg__store_layer_info_discarded(limg_store *s, const char *digest)
{
	char diff_id[160];
	int64_t size;
	bool discarded;

	if (read_facts(s, digest, diff_id, &size, &discarded) < 0)
		return 0; /* nothing known: the image is then damaged, as it would be */
	return put(s, digest, diff_id, size, true);
}

int limg__store_layer_info_sweep(limg_store *s, const limg__strset *keep)
{
	return limg__store_sweep_flat(s->layers_fd, keep);
}
