/* SPDX-License-Identifier: MIT */
/* A stored layer's diff_id, through the compress layer's digester. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "diff_id.h"

int limg__diff_id_of_stored(limg_store *store, const char *digest, int compression, const char *expect,
                            int64_t limit, char got_out[160], int64_t *size)
{
	unsigned char *buf = limg__malloc(256 * 1024);
	limg_blob_reader *r = NULL;
	limg__digester *d = NULL;
	const char *got;
	size_t n;
	int rc;

	if (!buf)
		return limg__error_oom();
	if ((rc = limg__digester_new(&d, compression, limit, 1)) == 0 &&
	    (rc = limg_blob_reader_open(&r, store, digest)) == 0) {
		while ((rc = limg_blob_reader_read(&n, r, buf, 256 * 1024)) == 0 && n)
			if ((rc = limg__digester_feed(d, buf, n)) != 0)
				break;
		if (rc == 0 && (rc = limg__digester_finish(d, &got, size)) == 0) {
			snprintf(got_out, 160, "%s", got);
			if (expect && strcmp(got, expect) != 0)
				rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "layer %s unpacks to %s, but the image config says %s",
				                     digest, got, expect);
		} else if (rc < 0 && rc != LIMG_EDIGEST_MISMATCH) {
			limg__error_prefix("layer %s", digest);
		}
	}
	limg_blob_reader_close(r);
	limg__digester_free(d);
	limg__free(buf);
	return rc;
}
