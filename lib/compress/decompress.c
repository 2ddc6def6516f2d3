/* SPDX-License-Identifier: MIT */
/*
 * Streaming decompression behind one interface: gzip through ISA-L's
 * isal_inflate (2-4x zlib's speed on x86-64; zlib when ISA-L is not built
 * in, or forced for tests), zstd through libzstd. Strict: gzip headers and
 * CRCs are checked, concatenated members and frames are followed, and a
 * stream must end exactly after its last one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>
#ifdef LIMG_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "compress_internal.h"
#include "core/core.h"
#include "libimage/bounds.h"

#define OUT_CAP (64u * 1024)

enum backend { B_NONE, B_ISAL, B_ZLIB, B_ZSTD };

struct limg_decompressor {
	int compression;
	enum backend backend;
	int64_t out, max;
	bool done;    /* the last member or frame is complete */
	bool started; /* some input arrived */
	union {
#ifdef LIMG_HAVE_ISAL
		struct inflate_state *isal;
#endif
		z_stream *z;
		ZSTD_DCtx *zstd;
	} u;
	unsigned char *buf;
};

static bool force_zlib;

void limg__compress_force_zlib(bool on)
{
	force_zlib = on;
}

int limg_compression_from_media_type(const char *t)
{
	size_t n;

	if (!t)
		return LIMG_COMPRESSION_UNKNOWN;
	n = strlen(t);
#define ENDS(s) (n >= sizeof s - 1 && !strcmp(t + n - (sizeof s - 1), s))
#define STARTS(s) (!strncmp(t, s, sizeof s - 1))
	/* the layer types of OCI and Docker, foreign and non-distributable ones included */
	if (!STARTS("application/vnd.oci.image.layer.") && !STARTS("application/vnd.docker.image.rootfs."))
		return LIMG_COMPRESSION_UNKNOWN;
	if (ENDS(".tar+gzip") || ENDS(".tar.gzip"))
		return LIMG_COMPRESSION_GZIP;
	if (ENDS(".tar+zstd"))
		return LIMG_COMPRESSION_ZSTD;
	if (ENDS(".tar"))
		return LIMG_COMPRESSION_NONE;
#undef ENDS
#undef STARTS
	return LIMG_COMPRESSION_UNKNOWN;
}

int limg_compression_detect(const void *head, size_t len)
{
	const unsigned char *p = head;

	if (p && len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return LIMG_COMPRESSION_GZIP;
	if (p && len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return LIMG_COMPRESSION_ZSTD;
	return LIMG_COMPRESSION_NONE;
}

int limg_decompressor_new(limg_decompressor **out, int compression, int64_t max_output)
{
	limg_decompressor *d;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (compression != LIMG_COMPRESSION_NONE && compression != LIMG_COMPRESSION_GZIP &&
	    compression != LIMG_COMPRESSION_ZSTD)
		return limg__error_set(LIMG_EUNSUPPORTED, "cannot decompress that layer type");
	if (!(d = limg__calloc(1, sizeof *d)))
		return limg__error_oom();
	d->compression = compression;
	d->max = max_output > 0 ? max_output : LIMG_LAYER_SIZE_MAX_DEFAULT;
	d->done = compression == LIMG_COMPRESSION_NONE;
	if (compression != LIMG_COMPRESSION_NONE && !(d->buf = limg__malloc(OUT_CAP)))
		goto oom;
	if (compression == LIMG_COMPRESSION_ZSTD) {
		d->backend = B_ZSTD;
		if (!(d->u.zstd = ZSTD_createDCtx()))
			goto oom;
		/* frames may ask for windows up to 128 MiB (zstd's own default limit), never more */
		ZSTD_DCtx_setParameter(d->u.zstd, ZSTD_d_windowLogMax, 27);
	} else if (compression == LIMG_COMPRESSION_GZIP) {
#ifdef LIMG_HAVE_ISAL
		if (!force_zlib) {
			d->backend = B_ISAL;
			if (!(d->u.isal = limg__malloc(sizeof *d->u.isal)))
				goto oom;
			isal_inflate_init(d->u.isal);
			d->u.isal->crc_flag = ISAL_GZIP; /* header parsed, CRC-32 and length checked */
		}
#endif
		if (d->backend != B_ISAL) {
			d->backend = B_ZLIB;
			if (!(d->u.z = limg__calloc(1, sizeof *d->u.z)))
				goto oom;
			if (inflateInit2(d->u.z, 16 + MAX_WBITS) != Z_OK) {
				limg__free(d->u.z);
				d->u.z = NULL;
				goto oom;
			}
		}
	}
	*out = d;
	return 0;
oom:
	limg_decompressor_free(d);
	return limg__error_oom();
}

void limg_decompressor_free(limg_decompressor *d)
{
	if (!d)
		return;
	switch (d->backend) {
#ifdef LIMG_HAVE_ISAL
	case B_ISAL:
		limg__free(d->u.isal);
		break;
#endif
	case B_ZLIB:
		if (d->u.z)
			inflateEnd(d->u.z);
		limg__free(d->u.z);
		break;
	case B_ZSTD:
		ZSTD_freeDCtx(d->u.zstd);
		break;
	default:
		break;
	}
	limg__free(d->buf);
	limg__free(d);
}

int64_t limg_decompressor_bytes_out(const limg_decompressor *d)
{
	return d ? d->out : 0;
}

static int emit(limg_decompressor *d, const void *data, size_t n, limg_write_cb cb, void *payload)
{
	int rc;

	if (!n)
		return 0;
	if ((int64_t)n > d->max - d->out)
		return limg__error_set(LIMG_ETOOBIG, "decompresses to more than %lld bytes (the layer size limit)",
		                       (long long)d->max);
	d->out += (int64_t)n;
	if (cb && (rc = cb(data, n, payload)) != 0)
		return limg__error_after_callback(rc, "decompression"); /* errors.h: positive is LIMG_EUSER */
	return 0;
}

static int corrupt(const char *kind, const char *why)
{
	return limg__error_set(LIMG_ECORRUPT, "not a valid %s stream (%s)", kind, why);
}

#ifdef LIMG_HAVE_ISAL
static const char *isal_why(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid lookback distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "not deflate";
	case ISAL_INCORRECT_CHECKSUM: return "CRC or length mismatch";
	case ISAL_NEED_DICT: return "asks for a dictionary";
	}
	return "inflate failed";
}

static int isal_update(limg_decompressor *d, const void *data, size_t len, limg_write_cb cb, void *payload)
{
	struct inflate_state *st = d->u.isal;
	int rc;

	st->next_in = (uint8_t *)data;
	st->avail_in = (uint32_t)len;
	for (;;) {
		size_t produced;
		int r;
		if (st->block_state == ISAL_BLOCK_FINISH) {
			if (!st->avail_in)
				return 0;
			/* another member follows (concatenated gzip is valid gzip) */
			isal_inflate_reset(st);
			st->crc_flag = ISAL_GZIP;
			d->done = false;
		}
		st->next_out = d->buf;
		st->avail_out = OUT_CAP;
		r = isal_inflate(st);
		if (r < 0 || r == ISAL_NEED_DICT)
			return corrupt("gzip", isal_why(r));
		produced = OUT_CAP - st->avail_out;
		if ((rc = emit(d, d->buf, produced, cb, payload)) != 0)
			return rc;
		if (st->block_state == ISAL_BLOCK_FINISH) {
			d->done = true;
			continue;
		}
		/* the output had room left: all input is taken */
		if (st->avail_out)
			return 0;
	}
}
#endif

static int zlib_update(limg_decompressor *d, const void *data, size_t len, limg_write_cb cb, void *payload)
{
	z_stream *z = d->u.z;
	int rc;

	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)len;
	for (;;) {
		int zr;
		if (d->done) {
			if (!z->avail_in)
				return 0;
			inflateReset(z); /* another member follows */
			d->done = false;
		}
		z->next_out = d->buf;
		z->avail_out = OUT_CAP;
		zr = inflate(z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return corrupt("gzip", z->msg ? z->msg : "inflate failed");
		if ((rc = emit(d, d->buf, OUT_CAP - z->avail_out, cb, payload)) != 0)
			return rc;
		if (zr == Z_STREAM_END) {
			d->done = true;
			continue;
		}
		/* the output had room left: all input is taken */
		if (z->avail_out)
			return 0;
	}
}

static int zstd_update(limg_decompressor *d, const void *data, size_t len, limg_write_cb cb, void *payload)
{
	ZSTD_inBuffer in = { data, len, 0 };
	int rc;

	for (;;) {
		ZSTD_outBuffer o = { d->buf, OUT_CAP, 0 };
		size_t before = in.pos;
		size_t r = ZSTD_decompressStream(d->u.zstd, &o, &in);
		if (ZSTD_isError(r))
			return corrupt("zstd", ZSTD_getErrorName(r));
		if ((rc = emit(d, d->buf, o.pos, cb, payload)) != 0)
			return rc;
		/* a frame ended and nothing of another began (a call that did
		 * nothing, after a full output buffer, says nothing about it) */
		if (o.pos || in.pos != before)
			d->done = r == 0;
		if (in.pos == in.size && o.pos < OUT_CAP)
			return 0;
	}
}

int limg_decompressor_update(limg_decompressor *d, const void *data, size_t len, limg_write_cb cb, void *payload)
{
	if (!d || (!data && len))
		return limg__error_invalid(d ? "data" : "decompressor");
	if (!len)
		return 0;
	d->started = true;
	if (len > (1u << 30)) {
		/* the backends count in 32 bits */
		int rc;
		for (size_t at = 0; at < len; at += 1u << 30)
			if ((rc = limg_decompressor_update(d, (const char *)data + at, len - at < (1u << 30) ? len - at : 1u << 30,
			                                   cb, payload)) != 0)
				return rc;
		return 0;
	}
	switch (d->backend) {
#ifdef LIMG_HAVE_ISAL
	case B_ISAL:
		return isal_update(d, data, len, cb, payload);
#endif
	case B_ZLIB:
		return zlib_update(d, data, len, cb, payload);
	case B_ZSTD:
		return zstd_update(d, data, len, cb, payload);
	default:
		return emit(d, data, len, cb, payload);
	}
}

int limg_decompressor_finish(limg_decompressor *d)
{
	if (!d)
		return limg__error_invalid("decompressor");
	if (d->compression == LIMG_COMPRESSION_NONE)
		return 0;
	if (!d->started)
		return corrupt(d->compression == LIMG_COMPRESSION_GZIP ? "gzip" : "zstd", "empty");
	if (!d->done)
		return corrupt(d->compression == LIMG_COMPRESSION_GZIP ? "gzip" : "zstd", "it ends early");
	return 0;
}
