/* Facts about layers (uncompressed digest and size), one small file per layer. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "store_internal.h"

static int info_path(limg_buf *out, const limg_store *s, const char *digest)
{
	char name[160];
	int rc;

	if ((rc = limg__digest_check(digest, strlen(digest), NULL)) < 0)
		return limg__digest_raise(rc, digest, strlen(digest));
	snprintf(name, sizeof name, "%s", digest);
	*strchr(name, ':') = '-';
	return limg__fs_join(out, s->layers_dir, name);
}

int limg__store_layer_info_put(limg_store *s, const char *digest, const char *diff_id, int64_t size)
{
	limg_buf path = LIMG_BUF_INIT;
	char text[256];
	int rc;

	if ((rc = info_path(&path, s, digest)) == 0) {
		int n = snprintf(text, sizeof text, "%s %" PRId64 "\n", diff_id, size);
		rc = limg__fs_write_replace(path.ptr, text, (size_t)n); /* a cache: no fsync */
	}
	limg_buf_dispose(&path);
	return rc;
}

int limg__store_layer_info_get(limg_store *s, const char *digest, char diff_id[160], int64_t *size)
{
	limg_buf path = LIMG_BUF_INIT, text = LIMG_BUF_INIT;
	long long n = -1;
	int rc;

	if ((rc = info_path(&path, s, digest)) == 0 && (rc = limg__fs_read(&text, path.ptr, 1024)) == 0) {
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
	limg_buf_dispose(&path);
	return rc;
}

int limg__store_layer_info_sweep(limg_store *s, const limg__strset *keep)
{
	DIR *d = opendir(s->layers_dir);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char digest[160];
		char *dash;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof digest)
			continue;
		strcpy(digest, e->d_name);
		if (!(dash = strchr(digest, '-')))
			continue;
		*dash = ':';
		if (!limg__strset_has(keep, digest))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}
