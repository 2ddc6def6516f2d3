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

int limg__store_layer_info_put(limg_store *s, const char *digest, const char *diff_id, int64_t size)
{
	char name[160], label[4096], text[256];
	int rc, n;

	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	if ((rc = limg__store_writable(s)) < 0)
		return rc;
	limg__store_flat_name(name, sizeof name, digest);
	snprintf(label, sizeof label, "%s/.libimage/layers/%s", s->root, name);
	n = snprintf(text, sizeof text, "%s %" PRId64 "\n", diff_id, size);
	return limg__fs_write_at(s->layers_fd, name, text, (size_t)n, false, label); /* a cache: no fsync */
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

int limg__store_layer_info_sweep(limg_store *s, const limg__strset *keep)
{
	return limg__store_sweep_flat(s->layers_fd, keep);
}
