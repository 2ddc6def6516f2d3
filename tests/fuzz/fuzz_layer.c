/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a layer's tar, read entry by entry
 * by the tar stream that flatten, rebase and diffs read layers with. A
 * file's data is as long as its header says; a stream read to its end
 * hashes every byte given (its diff_id never lies). Each entry is written
 * again (its name cleaned) by the reproducible entry writer, and the
 * archive so written reads back to the same entries.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "tar/entry.h"
#include "tar/path.h"
#include "tar/stream.h"

#define ENTRIES_MAX 64

typedef struct {
	const uint8_t *data;
	size_t size, pos;
} source;

static int read_mem(size_t *out_len, void *buf, size_t cap, void *payload)
{
	source *s = payload;
	size_t n = s->size - s->pos < cap ? s->size - s->pos : cap;

	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	*out_len = n;
	return 0;
}

static int write_mem(const void *data, size_t len, void *payload)
{
	return limg__buf_put(payload, data, len);
}

/* What is compared after a round trip: the entry's fields and its data's hash. */
typedef struct {
	char name[LIMG__TAR_PATH_MAX + 1], link[LIMG__TAR_PATH_MAX + 1];
	int type;
	unsigned mode, devmajor, devminor;
	int64_t uid, gid, mtime, size;
	size_t nxattrs;
	char xattrs_digest[80];
	char data_digest[80];
} seen;

static void digest_of(char out[80], const void *data, size_t len)
{
	limg_buf d = LIMG_BUF_INIT;

	assert(limg_digest_compute(&d, LIMG_DIGEST_SHA256, data ? data : "", len) == 0);
	snprintf(out, 80, "%s", d.ptr);
	limg_buf_dispose(&d);
}

static void xattrs_digest(char out[80], const limg__tar_entry *e)
{
	limg_buf all = LIMG_BUF_INIT;

	/* in name order whatever the order given, as the writer writes them */
	for (size_t pass = 0; pass < e->nxattrs; pass++) {
		/* the pass-th smallest name */
		for (size_t i = 0; i < e->nxattrs; i++) {
			size_t below = 0;
			for (size_t j = 0; j < e->nxattrs; j++)
				below += strcmp(e->xattrs[j].name, e->xattrs[i].name) < 0;
			if (below == pass) {
				assert(limg__buf_put(&all, e->xattrs[i].name, strlen(e->xattrs[i].name) + 1) == 0);
				assert(limg__buf_put(&all, e->xattrs[i].value, e->xattrs[i].len) == 0);
				assert(limg__buf_put(&all, "\n", 1) == 0);
			}
		}
	}
	digest_of(out, all.ptr, all.size);
	limg_buf_dispose(&all);
}

/* Reads @size bytes as a plain tar; fills @out (when not NULL) with up to
 * ENTRIES_MAX entries; @rewrite (when not NULL) receives those entries
 * written again. Returns what the stream returned. */
static int read_all(const uint8_t *data, size_t size, seen *out, size_t *n, limg__tar_writer *rewrite)
{
	source src = { data, size, 0 };
	limg__tar_stream_opts o = { 0 };
	limg__tar_stream *s = NULL;
	limg__tar_entry e;
	char diff_id[80], want[80];
	int64_t total = 0;
	int rc;

	*n = 0;
	o.compression = LIMG_COMPRESSION_NONE;
	o.limit = 16 << 20;
	o.max_entries = 1000;
	o.read = read_mem;
	o.read_payload = &src;
	o.label = "fuzz layer";
	o.subject = LIMG_SUBJECT_LAYER;
	if ((rc = limg__tar_stream_open(&s, &o)) < 0)
		return rc;
	while ((rc = limg__tar_stream_next(s, &e)) == 0) {
		limg_buf body = LIMG_BUF_INIT;
		const void *chunk;
		size_t len;
		char clean[LIMG__TAR_PATH_MAX + 1];
		while ((rc = limg__tar_stream_data(s, &chunk, &len)) == 0 && len)
			assert(limg__buf_put(&body, chunk, len) == 0);
		if (rc < 0) {
			limg_buf_dispose(&body);
			break;
		}
		/* a file's data is as long as its header says */
		if (e.type == LIMG__TAR_REG)
			assert((int64_t)body.size == e.size);
		/* names as a layer's reader takes them: cleaned, the root's left out */
		if (*n < ENTRIES_MAX && limg__path_clean(e.name, clean, sizeof clean, 255) == 0 && *clean &&
		    (e.type != LIMG__TAR_HARDLINK || (e.link && *e.link))) {
			seen *x = out ? &out[*n] : NULL;
			bool kept = true;
			if (rewrite) {
				limg__tar_entry w = e;
				w.name = clean;
				w.size = e.type == LIMG__TAR_REG ? e.size : 0;
				/* what the writer refuses (an xattr name with "=", ...) is left out of the comparison */
				kept = limg__tar_entry_write(rewrite, &w) == 0;
				if (kept && w.size) {
					assert(limg__tar_data(rewrite, body.ptr, body.size) == 0);
					assert(limg__tar_pad(rewrite, w.size) == 0);
				}
				limg_error_clear();
			}
			if (kept && x) {
				memset(x, 0, sizeof *x);
				snprintf(x->name, sizeof x->name, "%s", clean);
				snprintf(x->link, sizeof x->link, "%s", e.link ? e.link : "");
				x->type = e.type;
				x->mode = e.mode;
				x->uid = e.uid;
				x->gid = e.gid;
				x->mtime = e.mtime;
				x->size = e.type == LIMG__TAR_REG ? e.size : 0;
				x->devmajor = e.type == LIMG__TAR_CHAR || e.type == LIMG__TAR_BLOCK ? e.devmajor : 0;
				x->devminor = e.type == LIMG__TAR_CHAR || e.type == LIMG__TAR_BLOCK ? e.devminor : 0;
				x->nxattrs = e.nxattrs;
				xattrs_digest(x->xattrs_digest, &e);
				digest_of(x->data_digest, body.ptr, body.size);
			}
			if (kept)
				(*n)++;
		}
		limg_buf_dispose(&body);
	}
	if (rc == LIMG_ITEROVER) {
		rc = limg__tar_stream_finish(s, diff_id, &total);
		if (rc == 0) {
			/* the diff_id covers every byte given, whatever the archive held after its end */
			assert(total == (int64_t)size);
			digest_of(want, data, size);
			assert(!strcmp(diff_id, want));
		}
	}
	limg__tar_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static seen first[ENTRIES_MAX], again[ENTRIES_MAX];
	limg_buf out = LIMG_BUF_INIT;
	limg__tar_writer w = { .fd = -1, .write = write_mem, .payload = &out };
	size_t n1 = 0, n2 = 0;

	if (read_all(data, size, first, &n1, &w) == 0 && limg__tar_finish(&w) == 0) {
		/* what the writer wrote reads back to the same entries */
		int rc = read_all((const uint8_t *)out.ptr, out.size, again, &n2, NULL);
		assert(rc == 0);
		assert(n2 == n1);
		for (size_t i = 0; i < n1; i++)
			assert(!memcmp(&first[i], &again[i], sizeof first[i]));
	}
	limg_buf_dispose(&out);
	limg_error_clear();
	return 0;
}
