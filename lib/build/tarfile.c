/* SPDX-License-Identifier: MIT */
/* A layer from a tar the caller has (crane append -f), and a stored blob as a layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_internal.h"
#include "core/core.h"
#include "libimage/compress.h"
#include "sink.h"
#include "tar/path.h"
#include "tar/stream.h"

typedef struct {
	int fd;
	unsigned char head[8];
	size_t head_len, head_given;
	limg__sink *sink;      /* a compressed tar: its bytes go here as they are read */
	bool raw_to_sink;
} tar_input;

static int read_fd(size_t *out_len, void *buf, size_t cap, void *payload)
{
	tar_input *in = payload;
	ssize_t n;

	*out_len = 0;
	if (in->head_given < in->head_len) {
		size_t k = in->head_len - in->head_given < cap ? in->head_len - in->head_given : cap;
		memcpy(buf, in->head + in->head_given, k);
		in->head_given += k;
		n = (ssize_t)k;
	} else {
		do
			n = read(in->fd, buf, cap);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return limg__error_set_about(LIMG_ESYSTEM, LIMG_SUBJECT_FILE, NULL, "cannot read the tar: %s",
			                             strerror(errno));
	}
	*out_len = (size_t)n;
	/* a compressed tar is stored as it is (this runs on the reading thread, the sink's only user then) */
	if (n > 0 && in->raw_to_sink)
		return limg__tar_data(limg__sink_tar(in->sink), buf, (size_t)n);
	return 0;
}

/* A plain tar: its bytes, as libarchive reads them, go to the sink to be compressed. */
static int tee_plain(const void *data, size_t len, void *payload)
{
	return limg__tar_data(limg__sink_tar(payload), data, len);
}

/* Every entry read through: a tar, whose names stay beneath the root. */
static int check_entries(limg__tar_stream *st)
{
	char clean[LIMG__TAR_PATH_MAX + 1], quoted[160];
	limg__tar_entry e;
	int rc;

	while ((rc = limg__tar_stream_next(st, &e)) == 0) {
		const char *bad = NULL;
		if (limg__path_clean(e.name, clean, sizeof clean, 0) == -1)
			bad = e.name;
		else if (e.type == LIMG__TAR_HARDLINK && limg__path_clean(e.link, clean, sizeof clean, 0) == -1)
			bad = e.link;
		if (bad) {
			limg__quote(quoted, sizeof quoted, bad, strlen(bad));
			return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, NULL,
			                             "the tar names %s, which leaves the image's root", quoted);
		}
	}
	return rc == LIMG_ITEROVER ? 0 : rc;
}

int limg_layer_new_from_tar(limg_layer **out, limg_store *store, int fd, const limg_layer_opts *opts,
                            const limg_layer_callbacks *cbs)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg_layer_opts o;
	limg_layer_callbacks cb;
	limg__sink_opts so = { 0 };
	limg__tar_stream_opts to = { 0 };
	limg__tar_stream *st = NULL;
	limg__lease *lease = NULL;
	limg__layer_facts f, given;
	tar_input in = { 0 };
	ssize_t n;
	int rc, compression;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!store)
		return limg__error_invalid("store");
	if (fd < 0)
		return limg__error_invalid("fd");
	limg_layer_callbacks_init(&cb, sizeof cb);
	if ((rc = limg__layer_opts(&o, opts)) < 0 || (rc = limg__opts_copy(&cb, sizeof cb, cbs, "limg_layer_callbacks")) < 0)
		return rc;
	in.fd = fd;
	do
		n = read(fd, in.head, sizeof in.head);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return limg__error_set_about(LIMG_ESYSTEM, LIMG_SUBJECT_FILE, NULL, "cannot read the tar: %s", strerror(errno));
	in.head_len = (size_t)n;
	if (!n)
		return limg__error_set_about(LIMG_ECORRUPT, LIMG_SUBJECT_LAYER, NULL, "the tar is empty: not a tar");
	compression = limg_compression_detect(in.head, in.head_len);
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	so.store = store;
	so.compression = compression == LIMG_COMPRESSION_NONE ? limg__layer_compression(o.compression)
	                                                      : LIMG_COMPRESSION_NONE;
	so.level = o.level;
	so.threads = o.threads;
	so.cancel = o.cancel;
	so.progress = cb.progress;
	so.payload = cb.payload;
	if ((rc = limg__lease_new(&lease, store)) < 0)
		goto out;
	so.lease = lease;
	if ((rc = limg__sink_new(&in.sink, &so)) < 0)
		goto out;
	in.raw_to_sink = compression != LIMG_COMPRESSION_NONE;
	to.compression = compression;
	to.max_entries = o.max_entries;
	to.read = read_fd;
	to.read_payload = &in;
	to.tee = in.raw_to_sink ? NULL : tee_plain;
	to.tee_payload = in.sink;
	to.cancel = o.cancel;
	to.label = "the tar";
	to.subject = LIMG_SUBJECT_LAYER;
	if ((rc = limg__tar_stream_open(&st, &to)) < 0 || (rc = check_entries(st)) < 0 ||
	    (rc = limg__tar_stream_finish(st, given.diff_id, &given.tar_size)) < 0)
		goto out;
	limg__tar_stream_free(st);
	st = NULL;
	given.compression = compression;
	if ((rc = limg__sink_commit(in.sink, true, in.raw_to_sink ? &given : NULL, &f)) < 0)
		goto out;
	rc = limg__layer_make(out, store, &f);
out:
	limg__tar_stream_free(st);
	limg__sink_free(in.sink);
	limg__lease_free(lease);
	limg__store_leave(store);
	return rc;
}

/* ---- a stored blob ---------------------------------------------------------- */

static int read_blob(size_t *out_len, void *buf, size_t cap, void *payload)
{
	return limg_blob_reader_read(out_len, payload, buf, cap);
}

/* Reads a stored layer through: a tar, and what it hashes to. */
static int stored_facts(limg_store *store, limg__layer_facts *f)
{
	limg__tar_stream_opts to = { 0 };
	limg__tar_stream *st = NULL;
	limg_blob_reader *r = NULL;
	char label[120];
	int rc;

	snprintf(label, sizeof label, "layer %s", f->digest);
	if ((rc = limg_blob_reader_open(&r, store, f->digest)) < 0)
		return rc;
	to.compression = f->compression;
	to.read = read_blob;
	to.read_payload = r;
	to.label = label;
	to.subject = LIMG_SUBJECT_LAYER;
	if ((rc = limg__tar_stream_open(&st, &to)) == 0 && (rc = check_entries(st)) == 0)
		rc = limg__tar_stream_finish(st, f->diff_id, &f->tar_size);
	limg__tar_stream_free(st);
	limg_blob_reader_close(r);
	return rc;
}

int limg__layer_facts_of_stored(limg_store *store, const char *digest, limg__layer_facts *f)
{
	unsigned char head[8];
	char diff_id[160];
	ssize_t n = -1;
	int fd, rc;

	memset(f, 0, sizeof *f);
	if ((rc = limg_store_blob_stat(&f->size, store, digest)) < 0)
		return rc;
	snprintf(f->digest, sizeof f->digest, "%s", digest);
	if ((rc = limg__store_blob_open(&fd, store, digest)) < 0)
		return rc;
	n = pread(fd, head, sizeof head, 0);
	close(fd);
	f->compression = n > 0 ? limg_compression_detect(head, (size_t)n) : LIMG_COMPRESSION_NONE;
	if (limg__store_layer_info_get(store, digest, diff_id, &f->tar_size) == 0 && strlen(diff_id) < sizeof f->diff_id) {
		memcpy(f->diff_id, diff_id, strlen(diff_id) + 1); /* fits: checked above */
		return 0;
	}
	if ((rc = stored_facts(store, f)) < 0)
		return rc;
	if (limg__store_layer_info_put(store, digest, f->diff_id, f->tar_size) < 0)
		limg_error_clear();
	return 0;
}

int limg_layer_lookup(limg_layer **out, limg_store *store, const char *digest)
{
	LIMG__ALLOCATOR_FROM(limg__store_context(store));
	limg__lease *lease = NULL;
	limg__layer_facts f;
	int rc;

	if (!out)
		return limg__error_invalid("out");
	*out = NULL;
	if (!store)
		return limg__error_invalid("store");
	if (!digest)
		return limg__error_invalid("digest");
	if ((rc = limg__store_enter(store)) < 0)
		return rc;
	/* leased before it is looked at, so a gc beside us cannot take it in between */
	if ((rc = limg__lease_new(&lease, store)) == 0 && (rc = limg__lease_add(lease, digest)) == 0 &&
	    (rc = limg__layer_facts_of_stored(store, digest, &f)) == 0)
		rc = limg__layer_make(out, store, &f);
	limg__lease_free(lease);
	limg__store_leave(store);
	return rc;
}
