/* SPDX-License-Identifier: MIT */
/* An archive's members (members.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress_internal.h"
#include "core/core.h"
#include "libimage/bounds.h"
#include "libimage/compress.h"
#include "libimage/digest.h"
#include "members.h"
#include "tar/path.h"

#define SMALL_MAX (64u * 1024)    /* a member this small is kept in memory ... */
#define MEMORY_MAX (64u << 20)    /* ... while all such together stay under this */
#define CHUNK (256u * 1024)

int limg__members_init(limg__members *m, limg_store *store, limg__lease *lease, int64_t max_size)
{
	memset(m, 0, sizeof *m);
	m->store = store;
	m->lease = lease;
	m->max_size = max_size;
	return limg__held_new(&m->held, store);
}

void limg__members_dispose(limg__members *m)
{
	for (size_t i = 0; i < m->n; i++) {
		limg__free(m->v[i].name);
		limg__free(m->v[i].link);
		limg__free(m->v[i].digest);
		limg__free(m->v[i].diff_id);
		limg_buf_dispose(&m->v[i].data);
	}
	limg__free(m->v);
	limg__strmap_free(&m->by_name);
	limg__strmap_free(&m->by_digest);
	limg__held_free(m->held);
	memset(m, 0, sizeof *m);
}

/* ---- taking entries ----------------------------------------------------- */



static int entry_error(const char *fmt, const char *a, const char *b)
{
	char qa[300], qb[300];

	limg__quote(qa, sizeof qa, a, strlen(a));
	if (b)
		limg__quote(qb, sizeof qb, b, strlen(b));
	else
		qb[0] = '\0';
	return limg__error_set(LIMG_ECORRUPT, fmt, qa, qb);
}

/* "./a//b" -> "a/b" in *@out; LIMG_ECORRUPT for names that leave the archive
 * (or do not fit), LIMG_ENOMEM. */
static int clean(char **out, const char *name)
{
	size_t cap = strlen(name) + 1; /* never longer than it was */

	if (!(*out = limg__malloc(cap)))
		return limg__error_oom();
	if (limg__path_clean(name, *out, cap, 0) < 0) {
		limg__free(*out);
		*out = NULL;
		return entry_error("archive entry %s leads out of the archive%s", name, NULL);
	}
	return 0;
}

static limg__member *add(limg__members *m, char *name)
{
	limg__member *mb;

	if (limg__array_grow((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v) < 0)
		return NULL;
	mb = &m->v[m->n++];
	memset(mb, 0, sizeof *mb);
	mb->name = name;
	return mb;
}

static bool blob_name(const char *name, char digest[80])
{
	if (strncmp(name, "blobs/sha256/", 13) != 0 || strlen(name + 13) != 64 ||
	    strspn(name + 13, "0123456789abcdef") != 64)
		return false;
	snprintf(digest, 80, "sha256:%s", name + 13);
	return true;
}

/* A link's target as an archive path in *@out: a hard link's is one
 * already; a symlink's is relative to the link's directory ("/" is the
 * archive's root, as docker load reads its archives beneath a root).
 * LIMG_ECORRUPT (naming @raw) when it leaves the archive, LIMG_ENOMEM. */
static int link_target(char **out, const char *raw, const char *name, const char *target, bool hard)
{
	const char *slash = strrchr(name, '/');
	char *joined = NULL;
	int rc;

	*out = NULL;
	if (hard || !slash || target[0] == '/')
		joined = limg__strdup(target);
	else if (limg__asprintf(&joined, "%.*s/%s", (int)(slash - name), name, target) < 0)
		joined = NULL;
	if (!joined)
		return limg__error_oom();
	rc = clean(out, joined);
	limg__free(joined);
	if (rc == LIMG_ECORRUPT)
		rc = entry_error("archive entry %s links to %s, outside the archive", raw, target);
	return rc;
}

/* Reads the entry's data into @w (a held blob) or @keep (memory); a big
 * compressed one is inflated and hashed on other cores as it goes, so that
 * its diff_id is known without reading it again. */
static int read_data(struct archive *ar, limg_blob_writer *w, limg_buf *keep, limg__member *mb)
{
	limg__digester *dg = NULL;
	const void *buf;
	size_t len;
	la_int64_t offset;
	bool first = true;
	int r, rc = 0;

	while ((r = archive_read_data_block(ar, &buf, &len, &offset)) == ARCHIVE_OK) {
		if (first && w && len) {
			int c = limg_compression_detect(buf, len);
			first = false;
			if ((c == LIMG_COMPRESSION_GZIP || c == LIMG_COMPRESSION_ZSTD) &&
			    limg__digester_new(&dg, c, LIMG_LAYER_SIZE_MAX_DEFAULT, mb->size > (16 << 20) ? 3 : 2) == 0)
				mb->compression = c;
			else if (mb->size >= (1 << 20))
				limg__blob_writer_hash_aside(w); /* an uncompressed layer: hashing is all its work */
			limg_error_clear();
		}
		rc = w ? limg_blob_writer_write(w, buf, len) : limg__buf_put(keep, buf, len) < 0 ? limg__error_oom() : 0;
		if (rc < 0)
			break;
		if (dg && limg__digester_feed(dg, buf, len) != 0) {
			limg__digester_free(dg); /* not what it looked like: checked the slow way later */
			dg = NULL;
			mb->compression = 0;
			limg_error_clear();
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF) {
		char q[300];
		limg__quote(q, sizeof q, mb->name, strlen(mb->name));
		rc = limg__error_set(LIMG_ECORRUPT, "archive entry %s: %s", q,
		                     archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
	}
	if (rc == 0 && dg) {
		const char *got;
		int64_t usize;
		if (limg__digester_finish(dg, &got, &usize) == 0) {
			mb->diff_id = limg__strdup(got);
			mb->usize = usize;
		}
		limg_error_clear();
	}
	limg__digester_free(dg);
	return rc;
}

/* A blob the store has already: its content is not kept (nor read). */
static int already_stored(limg__members *m, limg__member *mb, const char *digest, int64_t size, bool *stored)
{
	int64_t have;
	int rc;

	*stored = false;
	if ((rc = limg__lease_add(m->lease, digest)) < 0)
		return rc;
	if (limg_store_blob_stat(&have, m->store, digest) == 0 && have == size)
		*stored = mb->stored = true;
	limg_error_clear();
	return 0;
}

static int take_file(limg__members *m, struct archive *ar, struct archive_entry *e, limg__member *mb)
{
	int64_t size = archive_entry_size(e);
	limg_blob_writer *w = NULL;
	limg_buf got = LIMG_BUF_INIT;
	char digest[80], q[300];
	bool named = blob_name(mb->name, digest), stored;
	int rc;

	limg__quote(q, sizeof q, mb->name, strlen(mb->name));
	if (size < 0 || size > m->max_size)
		return limg__error_set(LIMG_ETOOBIG, "archive entry %s: %lld bytes, over the %lld-byte limit", q,
		                       (long long)size, (long long)m->max_size);
	mb->size = size;
	if (named) {
		if ((rc = already_stored(m, mb, digest, size, &stored)) < 0)
			return rc;
		if (stored) {
			if (!(mb->digest = limg__strdup(digest)))
				return limg__error_oom();
			return archive_read_data_skip(ar) == ARCHIVE_OK ? 0
			       : limg__error_set(LIMG_ECORRUPT, "archive entry %s: unreadable", q);
		}
	}
	if (size <= (int64_t)SMALL_MAX && m->memory + (size_t)size <= MEMORY_MAX) {
		if ((rc = read_data(ar, NULL, &mb->data, mb)) < 0)
			return rc;
		if ((size_t)size != mb->data.size)
			return limg__error_set(LIMG_ECORRUPT, "archive entry %s: %zu bytes, its header says %lld", q,
			                       mb->data.size, (long long)size);
		m->memory += (size_t)size;
		if ((rc = limg_digest_compute(&got, LIMG_DIGEST_SHA256, mb->data.ptr ? mb->data.ptr : "", mb->data.size)) < 0)
			return rc;
		if (named && strcmp(got.ptr, digest) != 0) {
			rc = limg__error_set(LIMG_EDIGEST_MISMATCH, "archive entry %s: blob %s does not match its digest: "
			                     "the content hashes to %s", q, digest, got.ptr);
			limg_buf_dispose(&got);
			return rc;
		}
		mb->digest = got.ptr; /* (taken from the buffer) */
		return 0;
	}
	if ((rc = limg__held_writer_open(&w, m->held, named ? digest : NULL, size)) < 0)
		return rc;
	if ((rc = read_data(ar, w, NULL, mb)) == 0 && (rc = limg_blob_writer_commit(w)) == 0) {
		mb->held = true;
		if (!(mb->digest = limg__strdup(limg__blob_writer_digest(w))))
			rc = limg__error_oom();
	}
	if (rc == LIMG_EDIGEST_MISMATCH)
		limg__error_prefix("archive entry %s", q);
	limg_blob_writer_close(w);
	return rc;
}

int limg__members_take(limg__members *m, struct archive *ar, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	const char *hard = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	char *name = NULL;
	limg__member *mb;
	int rc;

	if (!raw)
		return limg__error_set(LIMG_ECORRUPT, "archive entry without a name");
	if ((rc = clean(&name, raw)) < 0)
		return rc;
	if (!*name || type == AE_IFDIR || (!hard && type != AE_IFREG && type != AE_IFLNK)) {
		limg__free(name);
		return 0; /* the root, directories, devices, FIFOs: nothing an image is made of */
	}
	if (!(mb = add(m, name))) {
		limg__free(name);
		return limg__error_oom();
	}
	if (hard || type == AE_IFLNK) {
		/* legacy archives link repeated layers to their first copy */
		const char *target = hard ? hard : archive_entry_symlink(e);
		if (!target || !*target)
			return entry_error("archive entry %s is a link to nothing%s", raw, NULL);
		if ((rc = link_target(&mb->link, raw, name, target, hard != NULL)) < 0)
			return rc;
		return limg__strmap_put(&m->by_name, mb->name, m->n - 1);
	}
	if ((rc = take_file(m, ar, e, mb)) < 0)
		return rc;
	mb = &m->v[m->n - 1];
	if ((rc = limg__strmap_put(&m->by_name, mb->name, m->n - 1)) < 0)
		return rc;
	return limg__strmap_put(&m->by_digest, mb->digest, m->n - 1);
}

/* ---- lookups ---------------------------------------------------------------- */

const limg__member *limg__members_find(const limg__members *m, const char *name, int *rc)
{
	const char *asked = name;
	size_t i;

	for (int hops = 0; hops <= LIMG__LINKS_MAX; hops++) {
		if (!limg__strmap_get(&m->by_name, name, &i)) {
			*rc = LIMG_ENOTFOUND;
			return NULL;
		}
		if (!m->v[i].link) {
			*rc = 0;
			return &m->v[i];
		}
		name = m->v[i].link;
	}
	*rc = entry_error("archive entry %s leads through more than 16 links (a loop?)%s", asked, NULL);
	return NULL;
}

static const limg__member *by_digest(const limg__members *m, const char *digest)
{
	size_t i;

	return limg__strmap_get(&m->by_digest, digest, &i) ? &m->v[i] : NULL;
}

int limg__members_size(const limg__members *m, const char *digest, int64_t *size)
{
	const limg__member *mb = by_digest(m, digest);
	int rc;

	if (mb) {
		*size = mb->size;
		return 0;
	}
	if ((rc = limg__lease_add(m->lease, digest)) < 0)
		return rc;
	rc = limg_store_blob_stat(size, m->store, digest);
	if (rc == LIMG_ENOTFOUND)
		limg_error_clear();
	return rc;
}

int limg__members_stream(const limg__members *m, const char *digest, limg_write_cb cb, void *payload)
{
	const limg__member *mb = by_digest(m, digest);
	limg_blob_reader *r = NULL;
	unsigned char *buf;
	size_t n;
	int fd = -1, rc = 0;

	if (mb && !mb->held && !mb->stored)
		return mb->data.size ? cb(mb->data.ptr, mb->data.size, payload) : 0;
	if (!(buf = limg__malloc(CHUNK)))
		return limg__error_oom();
	if (mb && mb->held) {
		if ((rc = limg__held_open(&fd, m->held, digest)) == LIMG_ENOTFOUND)
			rc = limg__error_set(LIMG_ESYSTEM, "blob %s is no longer held", digest);
		while (rc == 0) {
			ssize_t got = read(fd, buf, CHUNK);
			if (got < 0)
				rc = limg__error_set(LIMG_ESYSTEM, "cannot read blob %s: %m", digest);
			else if (got == 0)
				break;
			else
				rc = cb(buf, (size_t)got, payload);
		}
	} else if ((rc = limg__lease_add(m->lease, digest)) == 0 && (rc = limg_blob_reader_open(&r, m->store, digest)) == 0) {
		while ((rc = limg_blob_reader_read(&n, r, buf, CHUNK)) == 0 && n)
			if ((rc = cb(buf, n, payload)) != 0)
				break;
	}
	limg_blob_reader_close(r);
	if (fd >= 0)
		close(fd);
	limg__free(buf);
	return rc;
}

static int gather(const void *data, size_t len, void *payload)
{
	limg_buf *out = payload;

	if (out->size + len > out->reserved - 1 || out->size + len < out->size)
		return LIMG_ETOOBIG;
	memcpy(out->ptr + out->size, data, len);
	out->size += len;
	out->ptr[out->size] = '\0';
	return 0;
}

int limg__members_read(const limg__members *m, const char *digest, size_t max, limg_buf *out)
{
	const limg__member *mb = by_digest(m, digest);
	int rc;

	out->size = 0;
	if (!mb || mb->stored) {
		if ((rc = limg__lease_add(m->lease, digest)) < 0)
			return rc;
		return limg_store_blob_read(out, m->store, digest, max);
	}
	if ((uint64_t)mb->size > max)
		return limg__error_set(LIMG_ETOOBIG, "blob %s: %lld bytes, over the %zu-byte limit", digest,
		                       (long long)mb->size, max);
	if ((rc = limg__buf_grow(out, (size_t)mb->size + 1)) < 0)
		return rc;
	rc = limg__members_stream(m, digest, gather, out);
	if (rc == LIMG_ETOOBIG)
		rc = limg__error_set(LIMG_ECORRUPT, "held blob %s grew past its %lld bytes", digest, (long long)mb->size);
	if (rc == 0 && out->size != (size_t)mb->size)
		rc = limg__error_set(LIMG_ECORRUPT, "held blob %s: %zu bytes, %lld expected", digest, out->size,
		                     (long long)mb->size);
	if (rc < 0)
		limg_buf_dispose(out);
	return rc;
}

int limg__members_add_made(limg__members *m, const char *text, size_t len, char digest[80])
{
	limg_buf d = LIMG_BUF_INIT;
	limg__member *mb;
	char *name = limg__strdup("");
	int rc;

	if ((rc = limg_digest_compute(&d, LIMG_DIGEST_SHA256, text, len)) < 0) {
		limg__free(name);
		return rc;
	}
	snprintf(digest, 80, "%s", d.ptr);
	if (!name || !(mb = add(m, name))) {
		limg__free(name);
		limg_buf_dispose(&d);
		return limg__error_oom();
	}
	mb->digest = d.ptr;
	mb->size = (int64_t)len;
	if ((rc = limg_buf_set(&mb->data, text, len)) < 0)
		return rc;
	return limg__strmap_put(&m->by_digest, mb->digest, m->n - 1);
}

int limg__members_commit(limg__members *m, const char *digest)
{
	const limg__member *mb = by_digest(m, digest);
	limg_blob_writer *w = NULL;
	int rc;

	if ((rc = limg__lease_add(m->lease, digest)) < 0)
		return rc;
	if (!mb || mb->stored)
		return 0; /* the store's already (its presence was checked) */
	if (!mb->held) {
		/* through the held area, never through a shared ingest that might hold a stale partial blob */
		if ((rc = limg__held_writer_open(&w, m->held, digest, mb->size)) == 0 &&
		    (rc = limg_blob_writer_write(w, mb->data.ptr ? mb->data.ptr : "", mb->data.size)) == 0)
			rc = limg_blob_writer_commit(w);
		limg_blob_writer_close(w);
		if (rc < 0)
			return rc;
	}
	return limg__held_commit(m->held, digest);
}
