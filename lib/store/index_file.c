/* SPDX-License-Identifier: MIT */
/*
 * index.json on disk beyond reading and replacing it whole (index.c): a
 * stamp that any other program's write changes, its slots read one line at
 * a time, and changes written in place through a journal, so that a crash
 * never leaves half a change: the next holder of the lock finishes it, or
 * undoes it when index.json has been rewritten by someone else since.
 *
 * The journal (.libimage/index.journal) holds one change:
 *   "LIMGIDX1", u64 length of the record, i64 size before, u64 ranges,
 *   per range: i64 offset, u64 length, u64 length of the bytes there before
 *   (as far as the file went), those bytes, the new bytes; then the sha256
 *   of all that, in hex.
 * It is written and flushed before index.json is touched, and marked spent
 * (its first bytes zeroed) once index.json is flushed. The file keeps its
 * size (JOURNAL_SIZE, written once with zeros), so that flushing a record
 * flushes data only, no metadata: a fraction of the cost on ext4.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/json.h"
#include "digest/digest_internal.h"
#include "libimage/digest.h"
#include "store_internal.h"

#define JOURNAL "index.journal"
#define MAGIC "LIMGIDX1"
#define SAMPLE 256                 /* bytes of each end hashed into the stamp */
#define LINE_MAX_BYTES (8u << 20)  /* a longer line is not ours: read the file whole */
#define SECTOR 512                 /* what a crash may leave half old, half new */
#define SUM 64                     /* the record's sha256, in hex */
#define JOURNAL_SIZE (64u << 10)   /* most changes' records fit */

static void label_of(char *out, size_t cap, limg_store *s, const char *name)
{
	snprintf(out, cap, "%s/%s", s->root, name);
}

static int open_index(int *fd, limg_store *s, bool write)
{
	char label[4096];
	int rc;

	label_of(label, sizeof label, s, "index.json");
	if (!write) {
		rc = limg__fs_open_regular_at(fd, s->root_fd, "index.json", label);
		return rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "%s is missing", label) : rc;
	}
	*fd = openat(s->root_fd, "index.json", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return errno == ELOOP ? limg__error_set(LIMG_ECORRUPT, "%s is a symlink, which is refused", label)
		       : errno == ENOENT ? limg__error_set(LIMG_ECORRUPT, "%s is missing", label)
		                         : limg__fs_error("cannot open", label);
	{
		struct stat st;
		if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(*fd);
			*fd = -1;
			return limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", label);
		}
	}
	return 0;
}

static ssize_t pread_all(int fd, void *buf, size_t len, int64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + (int64_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int pwrite_all(int fd, const void *buf, size_t len, int64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + (int64_t)done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---- the stamp ----------------------------------------------------------- */

static int stamp_fd(char out[LIMG_INDEX_STAMP_MAX], int fd, const char *label)
{
	unsigned char head[2 * SAMPLE];
	limg_buf hex = LIMG_BUF_INIT;
	struct stat st;
	ssize_t a, b = 0;
	int rc;

	if (fstat(fd, &st) < 0)
		return limg__fs_error("cannot stat", label);
	if ((a = pread_all(fd, head, SAMPLE, 0)) < 0 ||
	    (st.st_size > SAMPLE && (b = pread_all(fd, head + a, SAMPLE, st.st_size > 2 * SAMPLE ? st.st_size - SAMPLE : SAMPLE)) < 0))
		return limg__fs_error("cannot read", label);
	if ((rc = limg_digest_compute(&hex, LIMG_DIGEST_SHA256, head, (size_t)(a + b))) < 0)
		return rc;
	snprintf(out, LIMG_INDEX_STAMP_MAX, "%ju:%ju:%jd:%jd.%09ld:%jd.%09ld:%.16s", (uintmax_t)st.st_dev,
	         (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	         (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, hex.ptr + 7);
	limg_buf_dispose(&hex);
	return 0;
}

int limg__index_stamp(char out[LIMG_INDEX_STAMP_MAX], limg_store *s)
{
	char label[4096];
	int fd, rc;

	label_of(label, sizeof label, s, "index.json");
	if ((rc = open_index(&fd, s, false)) < 0)
		return rc;
	rc = stamp_fd(out, fd, label);
	close(fd);
	return rc;
}

/* ---- reading slot by slot ----------------------------------------------- */

static int corrupt(const char *label, int64_t off, const char *why)
{
	return limg__error_set(LIMG_ECORRUPT, "%s is corrupt at byte %" PRId64 ": %s", label, off, why);
}

/* The members after "]" on the last line, without "," and "}": checked as
 * JSON members that do not repeat the head's. */
static int check_tail(const char *text, size_t len, char **extra, const char *label, int64_t off)
{
	limg_buf doc = LIMG_BUF_INIT, key = LIMG_BUF_INIT;
	limg__json j;
	int more, rc = 0;

	*extra = NULL;
	if (len == 0)
		return 0;
	if (text[0] != ',')
		return LIMG__INDEX_FOREIGN;
	if (limg__buf_put(&doc, "{", 1) < 0 || limg__buf_put(&doc, text + 1, len - 1) < 0 || limg__buf_put(&doc, "}", 1) < 0)
		return limg__error_oom();
	limg__json_init(&j, doc.ptr, doc.size, NULL);
	if (limg__json_begin_object(&j) == 0) {
		while ((more = limg__json_next_key(&j, &key)) == 1) {
			if (limg__json_key_is(key.ptr, "manifests") || limg__json_key_is(key.ptr, "schemaVersion") ||
			    limg__json_key_is(key.ptr, "mediaType")) {
				limg__json_fail(&j, "a member of the head line again");
				break;
			}
			if (limg__json_skip(&j, NULL, NULL) < 0)
				break;
		}
		if (!j.failed)
			limg__json_finish(&j);
	}
	if (j.failed)
		rc = corrupt(label, off, j.why);
	else if (!(*extra = strndup(text + 1, len - 1)))
		rc = limg__error_oom();
	limg__json_dispose(&j);
	limg_buf_dispose(&doc);
	limg_buf_dispose(&key);
	return rc;
}

static bool all_spaces(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ')
			return false;
	return true;
}

int limg__index_scan(limg_store *s, limg__index_slot_cb cb, void *payload, limg__index_layout *out)
{
	static const char head[] = LIMG_INDEX_HEAD;
	char label[4096], stamp_after[LIMG_INDEX_STAMP_MAX];
	limg_buf buf = LIMG_BUF_INIT;
	size_t start = 0;         /* of the unread part of buf */
	int64_t off, base = 0;   /* file offset of buf.ptr[0] */
	bool eof = false, seen_entry = false, tail = false;
	int fd, rc;

	memset(out, 0, sizeof *out);
	label_of(label, sizeof label, s, "index.json");
	if ((rc = open_index(&fd, s, false)) < 0)
		return rc;
	if ((rc = stamp_fd(out->stamp, fd, label)) < 0)
		goto done;
	off = 0;
	for (;;) {
		char *line, *nl;
		size_t len;
		/* a whole line in the buffer, reading more as needed */
		while (!(nl = buf.size > start ? memchr(buf.ptr + start, '\n', buf.size - start) : NULL) && !eof) {
			ssize_t n;
			if (start) { /* keep only the unread part */
				memmove(buf.ptr, buf.ptr + start, buf.size - start);
				buf.size -= start;
				base += (int64_t)start;
				start = 0;
			}
			if (buf.size >= LINE_MAX_BYTES) {
				rc = LIMG__INDEX_FOREIGN;
				goto done;
			}
			if (limg__buf_grow(&buf, buf.size + (1u << 20) + 1) < 0) {
				rc = limg__error_oom();
				goto done;
			}
			n = read(fd, buf.ptr + buf.size, (1u << 20));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = limg__fs_error("cannot read", label);
				goto done;
			}
			eof = n == 0;
			buf.size += (size_t)n;
		}
		if (!nl) {
			if (buf.size != start || !tail) /* text after the last line, or no last line */
				rc = tail ? corrupt(label, off, "text after the end") : LIMG__INDEX_FOREIGN;
			break;
		}
		if (tail) { /* a line after the last one */
			rc = LIMG__INDEX_FOREIGN;
			break;
		}
		line = buf.ptr + start;
		len = (size_t)(nl - line);
		off = base + (int64_t)start;
		start += len + 1;
		if (off == 0) {
			if (len + 1 != sizeof head - 1 || memcmp(line, head, len + 1) != 0) {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			continue;
		}
		if (len && line[0] == ']') {
			/* the last line: "]" members "}" */
			size_t end = len;
			if (end < 2 || line[end - 1] != '}') {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			out->tail_off = off;
			if ((rc = check_tail(line + 1, end - 2, &out->tail, label, off)) != 0)
				break;
			tail = true;
			continue;
		}
		if (all_spaces(line, len)) {
			if ((rc = cb(off, (int64_t)len + 1, NULL, 0, payload)) != 0)
				break;
			continue;
		}
		{
			size_t n = len;
			while (n > 1 && line[n - 1] == ' ')
				n--;
			/* ' ' before the first entry, ',' before the others, then one object */
			if (line[0] != (seen_entry ? ',' : ' ') || line[1] != '{' || line[n - 1] != '}') {
				rc = LIMG__INDEX_FOREIGN;
				break;
			}
			seen_entry = true;
			if ((rc = cb(off, (int64_t)len + 1, line + 1, n - 1, payload)) != 0)
				break;
		}
	}
	if (rc == 0) {
		out->end = base + (int64_t)buf.size;
		/* written while we read (by a program that does not take our lock): not a layout to trust */
		if ((rc = stamp_fd(stamp_after, fd, label)) == 0 && strcmp(stamp_after, out->stamp) != 0)
			rc = limg__error_set(LIMG_ECORRUPT, "%s changed while it was read (another program writing it?)", label);
	}
done:
	if (rc != 0) {
		free(out->tail);
		out->tail = NULL;
	}
	close(fd);
	limg_buf_dispose(&buf);
	return rc;
}

/* ---- changes in place, through the journal ------------------------------- */

static void put_u64(limg_buf *b, uint64_t v, bool *ok)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	*ok = *ok && limg__buf_put(b, x, 8) == 0;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

typedef struct {
	int64_t off;
	uint64_t len;               /* of the new bytes */
	uint64_t old_len;           /* of the old bytes: what of [off, off+len) the file held */
	const unsigned char *old, *data;
} range;

typedef struct {
	int64_t old_size;
	range *ranges;
	size_t n;
} record;

/* Reads a journal record (untrusted: any program may have written the
 * store); false when it is not a whole, intact record. */
static bool parse_record(record *r, const unsigned char *p, size_t size)
{
	size_t at = 32, n;
	limg_buf sum = LIMG_BUF_INIT;
	uint64_t len;
	bool ok;

	memset(r, 0, sizeof *r);
	if (size < 32 + SUM || memcmp(p, MAGIC, 8) != 0)
		return false;
	len = get_u64(p + 8);
	if (len < 32 + SUM || len > size)
		return false;
	size = (size_t)len;
	if (limg_digest_compute(&sum, LIMG_DIGEST_SHA256, p, size - SUM) < 0) {
		limg_error_clear();
		return false;
	}
	ok = memcmp(sum.ptr + 7, p + size - SUM, SUM) == 0;
	limg_buf_dispose(&sum);
	if (!ok)
		return false;
	r->old_size = (int64_t)get_u64(p + 16);
	n = (size_t)get_u64(p + 24);
	if (r->old_size < 0 || n > (size - 32 - SUM) / 24 || !(r->ranges = calloc(n ? n : 1, sizeof *r->ranges)))
		return false;
	for (size_t i = 0; i < n; i++) {
		range *g = &r->ranges[i];
		if (size - SUM - at < 24)
			goto bad;
		g->off = (int64_t)get_u64(p + at);
		g->len = get_u64(p + at + 8);
		g->old_len = get_u64(p + at + 16);
		at += 24;
		if (g->off < 0 || g->off > (int64_t)LIMG_INDEX_MAX || g->old_len > g->len || g->len > size ||
		    size - SUM - at < g->old_len + g->len)
			goto bad;
		g->old = p + at;
		g->data = p + at + g->old_len;
		at += (size_t)(g->old_len + g->len);
	}
	if (at != size - SUM)
		goto bad;
	r->n = n;
	return true;
bad:
	free(r->ranges);
	r->ranges = NULL;
	return false;
}

/* A record no longer to replay: its magic zeroed. */
static int spend(int jfd)
{
	static const char zeros[8];

	return pwrite_all(jfd, zeros, sizeof zeros, 0);
}

int limg__index_write_in_place(limg_store *s, const limg__index_write *w, size_t n,
                               char stamp_after[LIMG_INDEX_STAMP_MAX])
{
	char label[4096], jlabel[4096];
	limg_buf rec = LIMG_BUF_INIT, sum = LIMG_BUF_INIT, old = LIMG_BUF_INIT;
	struct stat st;
	size_t applied = 0;
	int fd = -1, jfd = -1, rc = 0;
	bool ok = true;

	label_of(label, sizeof label, s, "index.json");
	snprintf(jlabel, sizeof jlabel, "%s/.libimage/" JOURNAL, s->root);
	if ((rc = open_index(&fd, s, true)) < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", label);
		goto out;
	}
	/* the record: every range with what it replaces */
	ok = limg__buf_put(&rec, MAGIC, 8) == 0;
	put_u64(&rec, 0, &ok); /* length, set below */
	put_u64(&rec, (uint64_t)st.st_size, &ok);
	put_u64(&rec, (uint64_t)n, &ok);
	for (size_t i = 0; i < n && ok; i++) {
		size_t have = w[i].off >= st.st_size ? 0
		              : (size_t)(st.st_size - w[i].off < (int64_t)w[i].len ? st.st_size - w[i].off : (int64_t)w[i].len);
		ssize_t got;
		if (limg__buf_grow(&old, have + 1) < 0) {
			ok = false;
			break;
		}
		if ((got = pread_all(fd, old.ptr, have, w[i].off)) < 0 || (size_t)got != have) {
			rc = limg__fs_error("cannot read", label);
			goto out;
		}
		put_u64(&rec, (uint64_t)w[i].off, &ok);
		put_u64(&rec, (uint64_t)w[i].len, &ok);
		put_u64(&rec, (uint64_t)have, &ok);
		ok = ok && limg__buf_put(&rec, old.ptr, have) == 0 && limg__buf_put(&rec, w[i].data, w[i].len) == 0;
	}
	if (!ok) {
		rc = limg__error_oom();
		goto out;
	}
	{
		uint64_t total = rec.size + SUM;
		for (int b = 0; b < 8; b++)
			rec.ptr[8 + b] = (char)(total >> (8 * b));
	}
	if ((rc = limg_digest_compute(&sum, LIMG_DIGEST_SHA256, rec.ptr, rec.size)) < 0)
		goto out;
	if (limg__buf_put(&rec, sum.ptr + 7, SUM) < 0) {
		rc = limg__error_oom();
		goto out;
	}
	jfd = openat(s->meta_fd, JOURNAL, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (jfd < 0 || fstat(jfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = jfd < 0 && errno != ELOOP ? limg__fs_error("cannot open", jlabel)
		                               : limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", jlabel);
		goto out;
	}
	if (st.st_size < (off_t)JOURNAL_SIZE) { /* made once: its blocks written, so that later flushes are data only */
		static const char zeros[4096];
		for (off_t at = st.st_size & ~(off_t)4095; at < (off_t)JOURNAL_SIZE; at += sizeof zeros)
			if (pwrite_all(jfd, zeros, sizeof zeros, at) < 0) {
				rc = limg__fs_error("cannot write", jlabel);
				goto out;
			}
	}
	/* the journal is flushed before index.json is touched (a half-written record fails its checksum) */
	if (pwrite_all(jfd, rec.ptr, rec.size, 0) < 0 || fdatasync(jfd) < 0) {
		rc = limg__fs_error("cannot write", jlabel);
		goto out;
	}
	for (applied = 0; applied < n; applied++)
		if (pwrite_all(fd, w[applied].data, w[applied].len, w[applied].off) < 0)
			break;
	if (applied < n || fdatasync(fd) < 0) {
		int code = limg__fs_error("cannot write", label);
		record r;
		/* undone from the journal's copy of what was there */
		if (parse_record(&r, (const unsigned char *)rec.ptr, rec.size)) {
			bool undone = true;
			for (size_t i = 0; i < r.n; i++)
				undone = undone && pwrite_all(fd, r.ranges[i].old, r.ranges[i].old_len, r.ranges[i].off) == 0;
			if (undone && ftruncate(fd, (off_t)r.old_size) == 0 && fdatasync(fd) == 0 && spend(jfd) == 0)
				limg__log(s->ctx, LIMG_LOG_WARN, "%s: a change failed and was undone", label);
			free(r.ranges);
		}
		rc = code;
		goto out;
	}
	/* done and flushed: the journal is spent (if the mark is lost, replaying it changes nothing) */
	if (spend(jfd) < 0)
		limg__log(s->ctx, LIMG_LOG_WARN, "%s: cannot mark spent: %s", jlabel, strerror(errno));
	if (stamp_after)
		rc = stamp_fd(stamp_after, fd, label);
out:
	if (jfd >= 0)
		close(jfd);
	close(fd);
	limg_buf_dispose(&rec);
	limg_buf_dispose(&sum);
	limg_buf_dispose(&old);
	return rc;
}

bool limg__index_journal_pending(limg_store *s)
{
	char head[8];
	int fd = openat(s->meta_fd, JOURNAL, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	bool pending;

	if (fd < 0)
		return false;
	pending = pread_all(fd, head, sizeof head, 0) == (ssize_t)sizeof head && !memcmp(head, MAGIC, 8);
	close(fd);
	return pending;
}

static bool zeros(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Each sector of what the file holds at a range is its old or its new
 * bytes (a crash may have written some sectors and not others), or zeros
 * where the file grew (its size reached the disk, the bytes did not). */
static bool old_or_new(int fd, const range *g, int64_t size, unsigned char *buf)
{
	int64_t have = g->off >= size ? 0 : (size - g->off < (int64_t)g->len ? size - g->off : (int64_t)g->len);
	ssize_t got = pread_all(fd, buf, (size_t)have, g->off);

	if (got != have)
		return false;
	for (int64_t at = 0; at < have;) {
		int64_t end = ((g->off + at) / SECTOR + 1) * SECTOR - g->off;
		size_t k;
		if (end > have)
			end = have;
		if (at < (int64_t)g->old_len && end > (int64_t)g->old_len)
			end = (int64_t)g->old_len; /* old bytes, then where the file grew */
		k = (size_t)(end - at);
		if (memcmp(buf + at, g->data + at, k) != 0 &&
		    ((uint64_t)end > g->old_len || memcmp(buf + at, g->old + at, k) != 0) &&
		    ((uint64_t)at < g->old_len || !zeros(buf + at, k)))
			return false;
		at = end;
	}
	return true;
}

int limg__index_recover(limg_store *s)
{
	char label[4096], jlabel[4096];
	limg_buf text = LIMG_BUF_INIT, scratch = LIMG_BUF_INIT;
	record r = { 0 };
	struct stat st;
	int fd = -1, jfd, rc = 0;
	bool ours = true;

	if (!limg__index_journal_pending(s))
		return 0;
	label_of(label, sizeof label, s, "index.json");
	snprintf(jlabel, sizeof jlabel, "%s/.libimage/" JOURNAL, s->root);
	if ((rc = limg__fs_read_at(&text, s->meta_fd, JOURNAL, 2 * (size_t)LIMG_INDEX_MAX, jlabel)) < 0)
		goto out;
	if (!parse_record(&r, (const unsigned char *)text.ptr, text.size)) {
		/* cut short before it was flushed: index.json was never touched */
		limg__log(s->ctx, LIMG_LOG_INFO, "%s: an unfinished record, dropped", jlabel);
		goto empty;
	}
	if ((rc = open_index(&fd, s, true)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", label);
		goto out;
	}
	/* still the file the change was made to? every range holds its old or new bytes */
	ours = st.st_size >= r.old_size;
	for (size_t i = 0; i < r.n && ours; i++) {
		if (limg__buf_grow(&scratch, (size_t)r.ranges[i].len + 1) < 0) {
			rc = limg__error_oom();
			goto out;
		}
		ours = old_or_new(fd, &r.ranges[i], st.st_size, (unsigned char *)scratch.ptr);
	}
	if (!ours) {
		limg__log(s->ctx, LIMG_LOG_WARN, "%s was rewritten since an interrupted change; the change is dropped",
		          label);
		goto empty;
	}
	for (size_t i = 0; i < r.n; i++)
		if (pwrite_all(fd, r.ranges[i].data, (size_t)r.ranges[i].len, r.ranges[i].off) < 0) {
			rc = limg__fs_error("cannot finish an interrupted change of", label);
			goto out;
		}
	if (fdatasync(fd) < 0) {
		rc = limg__fs_error("cannot flush", label);
		goto out;
	}
	limg__log(s->ctx, LIMG_LOG_INFO, "%s: an interrupted change was finished", label);
empty:
	jfd = openat(s->meta_fd, JOURNAL, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (jfd < 0 || spend(jfd) < 0 || fdatasync(jfd) < 0)
		rc = limg__fs_error("cannot mark spent", jlabel);
	if (jfd >= 0)
		close(jfd);
out:
	if (fd >= 0)
		close(fd);
	free(r.ranges);
	limg_buf_dispose(&text);
	limg_buf_dispose(&scratch);
	return rc;
}
