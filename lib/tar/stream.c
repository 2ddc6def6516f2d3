/* SPDX-License-Identifier: MIT */
/* A tar stream read entry by entry (see stream.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "core/core.h"
#include "core/pipe.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "reader.h"
#include "stream.h"

#define READ_SIZE (256u * 1024)
#define PIPE_SLOTS 8
#define PIPE_SLOT (128u * 1024)
#define ZEROS (64u * 1024)
#define XATTRS_MAX 256

struct limg__tar_stream {
	limg__tar_stream_opts o;
	limg__pipe *pipe;
	pthread_t thread;
	bool started, at_end;
	struct archive *ar;
	limg_hasher *hasher;
	int64_t out, entries;
	int pipe_rc;                /* the pipe's failure, kept for after libarchive's own message */
	limg__error_copy pipe_error;
	int tee_rc;
	limg__error_copy tee_error;
	/* the current entry */
	int64_t size, pos;          /* its data: size, and how far it was given */
	const void *block;          /* data libarchive gave beyond pos (after a hole) */
	size_t block_len;
	int64_t block_off;
	limg__tar_xattr xattrs[XATTRS_MAX];
};

static const unsigned char zeros[ZEROS];

static int to_pipe(const void *data, size_t len, void *payload)
{
	return limg__pipe_write(payload, data, len);
}

static void *produce(void *arg)
{
	limg__tar_stream *s = arg;
	limg_decompressor *dec = NULL;
	unsigned char *buf = limg__malloc(READ_SIZE);
	size_t n = 0;
	int rc;

	limg__thread_name("limg-tar-read");
	if (!buf) {
		rc = limg__error_oom();
	} else if ((rc = limg_decompressor_new(&dec, s->o.compression, s->o.limit)) == 0) {
		for (;;) {
			if (limg_cancel_requested(s->o.cancel)) {
				rc = limg__error_set(LIMG_ECANCELLED, "cancelled");
				break;
			}
			if ((rc = s->o.read(&n, buf, READ_SIZE, s->o.read_payload)) != 0) {
				rc = rc < 0 ? rc : limg__error_after_callback(rc, "reading");
				break;
			}
			if (!n)
				break;
			if ((rc = limg_decompressor_update(dec, buf, n > READ_SIZE ? READ_SIZE : n, to_pipe, s->pipe)) != 0)
				break;
		}
		if (rc == 0)
			rc = limg_decompressor_finish(dec);
	}
	if (rc && rc != LIMG_ECANCELLED && s->o.label)
		limg__error_prefix("%s", s->o.label);
	limg_decompressor_free(dec);
	limg__free(buf);
	limg__pipe_finish(s->pipe, rc);
	return NULL;
}

static int hash_and_tee(limg__tar_stream *s, const void *data, size_t len)
{
	int rc;

	limg_hasher_update(s->hasher, data, len);
	s->out += (int64_t)len;
	if (s->o.tee && !s->tee_rc && (rc = s->o.tee(data, len, s->o.tee_payload)) != 0) {
		s->tee_rc = rc < 0 ? rc : limg__error_after_callback(rc, "reading");
		limg__error_save(&s->tee_error);
	}
	return s->tee_rc;
}

/* libarchive's reader: the pipe's next bytes, hashed on their way. */
static la_ssize_t pipe_read(struct archive *ar, void *payload, const void **data)
{
	limg__tar_stream *s = payload;
	ssize_t n = limg__pipe_read(s->pipe, data);

	if (n < 0) {
		s->pipe_rc = (int)n;
		limg__error_save(&s->pipe_error);
		archive_set_error(ar, -1, "%s", limg_error_message(limg_error_last()));
		return -1;
	}
	if (n > 0 && hash_and_tee(s, *data, (size_t)n) != 0) {
		archive_set_error(ar, -1, "stopped");
		return -1;
	}
	return n;
}

/* The error after libarchive failed: the stream's own (a digest, a limit,
 * a callback) says more than libarchive's. */
static int failed(limg__tar_stream *s, const char *what)
{
	const char *why = s->ar && archive_error_string(s->ar) ? archive_error_string(s->ar) : "unreadable";

	if (s->tee_rc)
		return limg__error_restore(&s->tee_error);
	if (s->pipe_rc)
		return limg__error_restore(&s->pipe_error);
	if (limg_cancel_requested(s->o.cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	return limg__error_set_about(LIMG_ECORRUPT, s->o.subject, s->o.label, "%s: %s: %s",
	                             s->o.label ? s->o.label : "tar", what, why);
}

int limg__tar_stream_open(limg__tar_stream **out, const limg__tar_stream_opts *opts)
{
	limg__tar_stream *s;
	int rc;

	*out = NULL;
	if (!opts || !opts->read)
		return limg__error_invalid("read");
	if ((rc = limg__libarchive_load()) < 0)
		return rc;
	if (!(s = limg__calloc(1, sizeof *s)))
		return limg__error_oom();
	s->o = *opts;
	if (!s->o.limit)
		s->o.limit = LIMG_LAYER_SIZE_MAX_DEFAULT;
	if (!s->o.max_entries)
		s->o.max_entries = LIMG_LAYER_ENTRIES_MAX_DEFAULT;
	if ((rc = limg_hasher_new(&s->hasher, LIMG_DIGEST_SHA256)) < 0 ||
	    (rc = limg__pipe_new(&s->pipe, PIPE_SLOTS, PIPE_SLOT)) < 0)
		goto fail;
	if (!(s->ar = archive_read_new()) || archive_read_support_format_tar(s->ar) != ARCHIVE_OK) {
		rc = limg__error_oom();
		goto fail;
	}
	if (limg__thread_start(&s->thread, produce, s) != 0) {
		rc = limg__error_set(LIMG_ESYSTEM, "cannot start a thread to read %s", s->o.label ? s->o.label : "a tar");
		goto fail;
	}
	s->started = true;
	if (archive_read_open(s->ar, s, NULL, pipe_read, NULL) != ARCHIVE_OK) {
		rc = failed(s, "not a valid tar");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	limg__tar_stream_free(s);
	return rc;
}

static int entry_type(struct archive_entry *ae)
{
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG: return LIMG__TAR_REG;
	case AE_IFDIR: return LIMG__TAR_DIR;
	case AE_IFLNK: return LIMG__TAR_SYMLINK;
	case AE_IFCHR: return LIMG__TAR_CHAR;
	case AE_IFBLK: return LIMG__TAR_BLOCK;
	case AE_IFIFO: return LIMG__TAR_FIFO;
	default: return 0;
	}
}

int limg__tar_stream_next(limg__tar_stream *s, limg__tar_entry *e)
{
	struct archive_entry *ae;
	const char *name, *xname;
	const void *xvalue;
	size_t xlen;
	int st;

	memset(e, 0, sizeof *e);
	if (s->at_end)
		return LIMG_ITEROVER;
	if (limg_cancel_requested(s->o.cancel))
		return limg__error_set(LIMG_ECANCELLED, "cancelled");
	st = archive_read_next_header(s->ar, &ae);
	if (st == ARCHIVE_EOF) {
		s->at_end = true;
		return LIMG_ITEROVER;
	}
	if (st != ARCHIVE_OK && st != ARCHIVE_WARN)
		return failed(s, "not a valid tar");
	if (++s->entries > s->o.max_entries)
		return limg__error_set_about(LIMG_ETOOBIG, s->o.subject, s->o.label, "%s: more than %lld entries",
		                             s->o.label ? s->o.label : "tar", (long long)s->o.max_entries);
	name = archive_entry_pathname(ae);
	e->name = name ? name : "";
	e->mode = archive_entry_perm(ae) & 07777;
	e->uid = archive_entry_uid(ae);
	e->gid = archive_entry_gid(ae);
	e->uname = archive_entry_uname(ae);
	e->gname = archive_entry_gname(ae);
	e->mtime = archive_entry_mtime(ae);
	if (archive_entry_hardlink(ae)) {
		e->type = LIMG__TAR_HARDLINK;
		e->link = archive_entry_hardlink(ae);
	} else {
		e->type = entry_type(ae);
		if (!e->type) {
			char quoted[160];
			limg__quote(quoted, sizeof quoted, e->name, strlen(e->name));
			return limg__error_set_about(LIMG_EUNSUPPORTED, s->o.subject, s->o.label,
			                             "%s: entry %s is of a type a layer cannot hold",
			                             s->o.label ? s->o.label : "tar", quoted);
		}
		if (e->type == LIMG__TAR_SYMLINK)
			e->link = archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "";
		if (e->type == LIMG__TAR_REG)
			e->size = archive_entry_size(ae);
		if (e->type == LIMG__TAR_CHAR || e->type == LIMG__TAR_BLOCK) {
			e->devmajor = major(archive_entry_rdev(ae));
			e->devminor = minor(archive_entry_rdev(ae));
		}
	}
	if (e->size < 0)
		e->size = 0;
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &xname, &xvalue, &xlen) == ARCHIVE_OK) {
		if (e->nxattrs == XATTRS_MAX)
			return limg__error_set_about(LIMG_ETOOBIG, s->o.subject, s->o.label,
			                             "%s: an entry with more than %d extended attributes",
			                             s->o.label ? s->o.label : "tar", XATTRS_MAX);
		s->xattrs[e->nxattrs++] = (limg__tar_xattr){ xname, xvalue, xlen };
	}
	e->xattrs = s->xattrs;
	s->size = e->size;
	s->pos = 0;
	s->block = NULL;
	s->block_len = 0;
	return 0;
}

int limg__tar_stream_data(limg__tar_stream *s, const void **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	for (;;) {
		if (s->block) {
			/* zeros for a hole, then the block */
			if (s->block_off > s->pos) {
				int64_t gap = s->block_off - s->pos;
				*data = zeros;
				*len = gap < (int64_t)ZEROS ? (size_t)gap : ZEROS;
			} else {
				*data = s->block;
				*len = s->block_len;
				s->block = NULL;
			}
			s->pos += (int64_t)*len;
			if (s->pos > s->size)
				return limg__error_set_about(LIMG_ECORRUPT, s->o.subject, s->o.label,
				                             "%s: an entry with more data than its size",
				                             s->o.label ? s->o.label : "tar");
			return 0;
		}
		if (s->pos < s->size || s->size == 0) {
			const void *buf;
			size_t n;
			la_int64_t off;
			int st = archive_read_data_block(s->ar, &buf, &n, &off);
			if (st == ARCHIVE_EOF) {
				if (s->pos < s->size) {
					/* a trailing hole */
					int64_t gap = s->size - s->pos;
					*data = zeros;
					*len = gap < (int64_t)ZEROS ? (size_t)gap : ZEROS;
					s->pos += (int64_t)*len;
				}
				return 0;
			}
			if (st != ARCHIVE_OK && st != ARCHIVE_WARN)
				return failed(s, "a damaged entry");
			if (off < s->pos)
				return limg__error_set_about(LIMG_ECORRUPT, s->o.subject, s->o.label,
				                             "%s: an entry whose data goes backwards",
				                             s->o.label ? s->o.label : "tar");
			if (!n && off == s->pos)
				continue;
			s->block = buf;
			s->block_len = n;
			s->block_off = off;
			continue;
		}
		return 0;
	}
}

int limg__tar_stream_finish(limg__tar_stream *s, char diff_id[80], int64_t *size)
{
	struct archive_entry *ae;
	const void *data;
	const char *got;
	ssize_t n;
	int st, rc;

	while (!s->at_end) {
		st = archive_read_next_header(s->ar, &ae);
		if (st == ARCHIVE_EOF)
			s->at_end = true;
		else if (st != ARCHIVE_OK && st != ARCHIVE_WARN)
			return failed(s, "not a valid tar");
	}
	/* what follows the tar's end is hashed too: the digest covers every byte */
	while ((n = limg__pipe_read(s->pipe, &data)) > 0)
		if ((rc = hash_and_tee(s, data, (size_t)n)) != 0)
			return limg__error_restore(&s->tee_error);
	if (n < 0)
		return (int)n;
	if ((rc = limg_hasher_finish(&got, s->hasher)) < 0)
		return rc;
	snprintf(diff_id, 80, "%s", got);
	*size = s->out;
	return 0;
}

void limg__tar_stream_free(limg__tar_stream *s)
{
	if (!s)
		return;
	if (s->started) {
		limg__pipe_abandon(s->pipe); /* a worker still writing stops */
		pthread_join(s->thread, NULL);
	}
	if (s->ar)
		archive_read_free(s->ar);
	limg__pipe_free(s->pipe);
	limg_hasher_free(s->hasher);
	limg__free(s);
}
