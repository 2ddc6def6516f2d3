/* Unpacking layers: gzip through zlib, plain tar as it is. */
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "unpack.h"

enum limg__compression limg__compression_of(const char *media_type)
{
	size_t n = strlen(media_type);

	if (strstr(media_type, "gzip"))
		return LIMG_GZIP;
	if ((n >= 4 && !strcmp(media_type + n - 4, ".tar")) || (n >= 4 && !strcmp(media_type + n - 4, "+tar")) ||
	    !strcmp(media_type, "application/vnd.oci.image.layer.v1.tar") ||
	    !strcmp(media_type, "application/vnd.docker.image.rootfs.diff.tar"))
		return LIMG_PLAIN;
	return LIMG_UNKNOWN; /* zstd and others: stored and verified, not inflated */
}

int limg__unpack_init(limg__unpack *u, enum limg__compression kind, int64_t limit)
{
	memset(u, 0, offsetof(limg__unpack, out));
	u->kind = kind;
	u->limit = limit > 0 ? limit : INT64_MAX;
	if (limg_hasher_new(&u->hasher, LIMG_DIGEST_SHA256) < 0)
		return LIMG_ENOMEM;
	if (kind == LIMG_GZIP) {
		if (inflateInit2(&u->z, 16 + MAX_WBITS) != Z_OK)
			return limg__error_oom();
		u->z_ready = true;
		/* the gzip CRC-32 would guard what the SHA-256 of the output (the
		 * diff_id) guards already: skip it (about a tenth of the work) */
		inflateValidate(&u->z, 0);
	}
	return 0;
}

void limg__unpack_free(limg__unpack *u)
{
	if (u->z_ready)
		inflateEnd(&u->z);
	limg_hasher_free(u->hasher);
}

int limg__unpack_feed(limg__unpack *u, const void *data, size_t len, const char *digest)
{
	if (u->kind == LIMG_PLAIN) {
		limg_hasher_update(u->hasher, data, len);
		u->size += (int64_t)len;
		return u->size > u->limit ? limg__error_set(LIMG_ETOOBIG, "layer %s is over the %lld-byte layer size limit",
		                                            digest, (long long)u->limit)
		                          : 0;
	}
	u->z.next_in = (Bytef *)data;
	u->z.avail_in = (uInt)len;
	while (u->z.avail_in) {
		int zr;
		if (u->z_done) {
			/* another gzip member follows (concatenated gzip is valid gzip) */
			inflateReset(&u->z);
			inflateValidate(&u->z, 0);
			u->z_done = false;
		}
		u->z.next_out = u->out;
		u->z.avail_out = sizeof u->out;
		zr = inflate(&u->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && u->z.avail_out))
			return limg__error_set(LIMG_ECORRUPT, "layer %s is not valid gzip (%s)", digest,
			                       u->z.msg ? u->z.msg : "inflate failed");
		limg_hasher_update(u->hasher, u->out, sizeof u->out - u->z.avail_out);
		u->size += (int64_t)(sizeof u->out - u->z.avail_out);
		if (u->size > u->limit)
			return limg__error_set(LIMG_ETOOBIG, "layer %s unpacks to more than %lld bytes (the layer size limit)",
			                       digest, (long long)u->limit);
		if (zr == Z_STREAM_END)
			u->z_done = true;
	}
	return 0;
}

int limg__unpack_finish(limg__unpack *u, const char *digest, const char *expect, const char **got)
{
	if (u->kind == LIMG_GZIP && !u->z_done)
		return limg__error_set(LIMG_ECORRUPT, "layer %s: gzip stream ends early", digest);
	limg_hasher_finish(got, u->hasher);
	if (expect && strcmp(*got, expect) != 0)
		return limg__error_set(LIMG_EDIGEST_MISMATCH, "layer %s unpacks to %s, but the image config says %s",
		                       digest, *got, expect);
	return 0;
}


int limg__unpack_stored(limg_store *store, const char *digest, enum limg__compression kind, const char *expect,
                        int64_t limit, char got_out[160], int64_t *size)
{
	limg__unpack *u = malloc(sizeof *u);
	unsigned char *buf = malloc(256 * 1024);
	limg_blob_reader *r = NULL;
	size_t n;
	int rc;

	if (!u || !buf) {
		free(u);
		free(buf);
		return limg__error_oom();
	}
	if ((rc = limg__unpack_init(u, kind, limit)) == 0 && (rc = limg_blob_reader_open(&r, store, digest)) == 0) {
		while ((rc = limg_blob_reader_read(&n, r, buf, 256 * 1024)) == 0 && n)
			if ((rc = limg__unpack_feed(u, buf, n, digest)) < 0)
				break;
		if (rc == 0) {
			const char *got;
			if ((rc = limg__unpack_finish(u, digest, expect, &got)) == 0) {
				snprintf(got_out, 160, "%s", got);
				*size = u->size;
			}
		}
	}
	limg_blob_reader_free(r);
	limg__unpack_free(u);
	free(u);
	free(buf);
	return rc;
}
