/* SPDX-License-Identifier: MIT */
/*
 * Changes of index.json in place, through a journal, with one flush each.
 *
 * .libimage/index.journal holds, at offset 0, a header:
 *   "LIMGJRN2", u64 epoch, u64 applied (the last record written into
 *   index.json), u64 tail (where the next record goes), the boot id it was
 *   written in (36 bytes), 16 hex digits of its sha256;
 * and from offset RECORDS_AT, records one after another, each
 *   "LIMGIDX2", u64 length, u64 epoch, u64 seq (1, 2, ...), i64 size before,
 *   u64 ranges, per range: i64 offset, u64 length, u64 length of the bytes
 *   there before (as far as the file went), those bytes, the new bytes;
 *   then the sha256 of all that, in hex.
 *
 * A change appends its record and flushes the journal (its one flush), then
 * writes index.json in place without flushing it, then notes in the header
 * (unflushed) that the record is applied. What a change wrote is in the
 * page cache for every reader at once; what a power loss may take from
 * index.json is in the journal. So a record needs replaying only when its
 * writer died before noting it applied, or when the machine restarted (the
 * boot id differs) and index.json does not already hold the last record's
 * bytes. When the journal fills, index.json is flushed and the journal
 * starts again (a new epoch: records of older ones are not read).
 *
 * Replaying is checked first: a power loss leaves each sector of index.json
 * as it was at some point of the chain of records (or zeros where the file
 * grew); anything else means another program rewrote the file since, and
 * the records are dropped rather than written over its bytes.
 *
 * A journal of the earlier format ("LIMGIDX1" at offset 0, one record) is
 * replayed as a chain of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "digest/digest_internal.h"
#include "libimage/digest.h"
#include "store_internal.h"

#define JOURNAL "index.journal"
#define HEADER_MAGIC "LIMGJRN2"
#define RECORD_MAGIC "LIMGIDX2"
#define LEGACY_MAGIC "LIMGIDX1"
#define BOOT 36                    /* a boot id: 8-4-4-4-12 hex digits */
#define HEADER_LEN (32 + BOOT)     /* then 16 hex digits of its sha256 */
#define RECORDS_AT 512             /* the header alone in the first sector */
#define HEAD 48                    /* of a record, to its ranges (legacy: 32) */
#define SECTOR 512                 /* what a crash may leave of one state or another */
#define SUM 64                     /* a record's sha256, in hex */
#define JOURNAL_SIZE (256u << 10)  /* written once with zeros: a flush of a record is of data only */

typedef struct {
	uint64_t epoch, applied, tail;
	char boot[BOOT];
	bool valid;
} header;

typedef struct {
	int64_t off;
	uint64_t len;     /* of the new bytes */
	uint64_t old_len; /* of the old bytes: what of [off, off+len) the file held */
	const unsigned char *old, *data;
} range;

typedef struct {
	uint64_t len, epoch, seq;
	int64_t old_size;
	range *ranges;
	size_t n;
} record;

typedef struct {
	record *r;
	size_t n, cap;
} chain;

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void labels(limg_store *s, char *label, char *jlabel, size_t cap)
{
	snprintf(label, cap, "%s/index.json", s->root);
	snprintf(jlabel, cap, "%s/.libimage/" JOURNAL, s->root);
}

/* This boot's id; zeros when the kernel does not say (then every open checks index.json). */
static void boot_id(char out[BOOT])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	memset(out, '0', BOOT);
	if (fd >= 0) {
		if (limg__pread_all(fd, out, BOOT, 0) != BOOT)
			memset(out, '0', BOOT);
		close(fd);
	}
}

static uint64_t new_epoch(void)
{
	uint64_t e = 0;

	if (getrandom(&e, sizeof e, GRND_NONBLOCK) != (ssize_t)sizeof e)
		e = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid() ^ (uint64_t)clock();
	return e ? e : 1;
}

/* ---- the header ------------------------------------------------------------ */

/* The first 16 hex digits of the SHA-256 of @n bytes at @p (allocates nothing:
 * a header must read the same whatever memory is left). */
static void sum16(char out[16], const unsigned char *p, size_t n)
{
	char hex[65];

	limg__sha256_hex(hex, p, n);
	memcpy(out, hex, 16);
}

static void parse_header(header *h, const unsigned char *p, size_t size)
{
	char sum[16];

	memset(h, 0, sizeof *h);
	if (size < HEADER_LEN + 16 || memcmp(p, HEADER_MAGIC, 8) != 0)
		return;
	sum16(sum, p, HEADER_LEN);
	if (memcmp(sum, p + HEADER_LEN, 16) != 0)
		return;
	h->epoch = get_u64(p + 8);
	h->applied = get_u64(p + 16);
	h->tail = get_u64(p + 24);
	memcpy(h->boot, p + 32, BOOT);
	h->valid = h->tail >= RECORDS_AT && h->tail <= 2 * (uint64_t)LIMG_INDEX_MAX;
}

static int write_header(int jfd, const header *h)
{
	unsigned char p[HEADER_LEN + 16];

	memcpy(p, HEADER_MAGIC, 8);
	put_u64(p + 8, h->epoch);
	put_u64(p + 16, h->applied);
	put_u64(p + 24, h->tail);
	memcpy(p + 32, h->boot, BOOT);
	sum16((char *)p + HEADER_LEN, p, HEADER_LEN);
	return limg__pwrite_all(jfd, p, sizeof p, 0) < 0 ? -1 : 0;
}

/* ---- records --------------------------------------------------------------- */

/* Reads a record (untrusted: any program may have written the store);
 * false when it is not a whole, intact record. */
static bool parse_record(record *r, const unsigned char *p, size_t size, bool legacy)
{
	size_t head = legacy ? 32 : HEAD, at = head, n;
	char sum[65];
	uint64_t len;

	memset(r, 0, sizeof *r);
	if (size < head + SUM || memcmp(p, legacy ? LEGACY_MAGIC : RECORD_MAGIC, 8) != 0)
		return false;
	len = get_u64(p + 8);
	if (len < head + SUM || len > size)
		return false;
	size = (size_t)len;
	limg__sha256_hex(sum, p, size - SUM); /* allocates nothing: a replay never fails for memory */
	if (memcmp(sum, p + size - SUM, SUM) != 0)
		return false;
	r->len = len;
	r->epoch = legacy ? 0 : get_u64(p + 16);
	r->seq = legacy ? 1 : get_u64(p + 24);
	r->old_size = (int64_t)get_u64(p + head - 16);
	n = (size_t)get_u64(p + head - 8);
	if (r->old_size < 0 || n > (size - head - SUM) / 24 || !(r->ranges = limg__calloc(n ? n : 1, sizeof *r->ranges)))
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
	limg__free(r->ranges);
	r->ranges = NULL;
	return false;
}

static void chain_free(chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		limg__free(c->r[i].ranges);
	limg__free(c->r);
	memset(c, 0, sizeof *c);
}

/* The records to replay, in @text (the journal, whole): from RECORDS_AT,
 * of one epoch (the header's when it is intact), seq 1, 2, ... up to the
 * first that is not. */
static int read_chain(chain *c, const unsigned char *text, size_t size, const header *h)
{
	size_t at = RECORDS_AT;
	record r;

	memset(c, 0, sizeof *c);
	if (size >= 8 && !memcmp(text, LEGACY_MAGIC, 8)) {
		if (!parse_record(&r, text, size, true))
			return 0;
		if (limg__array_grow((void **)&c->r, &c->cap, 1, sizeof *c->r) < 0) {
			limg__free(r.ranges);
			return LIMG_ENOMEM;
		}
		c->r[c->n++] = r;
		return 0;
	}
	while (at < size && parse_record(&r, text + at, size - at, false)) {
		uint64_t epoch = h->valid ? h->epoch : c->n ? c->r[0].epoch : r.epoch;
		if (r.epoch != epoch || r.seq != c->n + 1 ||
		    limg__array_grow((void **)&c->r, &c->cap, c->n + 1, sizeof *c->r) < 0) {
			limg__free(r.ranges);
			break;
		}
		c->r[c->n++] = r;
		at += (size_t)r.len;
	}
	return 0;
}

/* ---- checking a chain against index.json ----------------------------------- */

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Lays the bytes @g has in [base, base+SECTOR) over @sector: its old ones
 * (zeros where the file grew) or its new ones. */
static bool overlay(unsigned char *sector, int64_t base, const range *g, bool old)
{
	int64_t from = g->off > base ? g->off : base, to = g->off + (int64_t)g->len;

	if (to > base + SECTOR)
		to = base + SECTOR;
	for (int64_t p = from; p < to; p++) {
		uint64_t i = (uint64_t)(p - g->off);
		sector[p - base] = !old ? g->data[i] : i < g->old_len ? g->old[i] : 0;
	}
	return from < to;
}

/* Whether each sector the chain touches holds one of its states (*@ours)
 * and whether all hold the last one (*@applied). */
static int check_chain(int fd, const chain *c, bool *ours, bool *applied)
{
	struct stat st;
	int64_t *sectors = NULL, final_size = 0;
	size_t n = 0, cap = 0;
	int rc = 0;

	*ours = *applied = false;
	if (fstat(fd, &st) < 0)
		return -1;
	for (size_t k = 0; k < c->n; k++) {
		const record *r = &c->r[k];
		if (r->old_size > final_size)
			final_size = r->old_size;
		for (size_t i = 0; i < r->n; i++) {
			const range *g = &r->ranges[i];
			if (g->off + (int64_t)g->len > final_size)
				final_size = g->off + (int64_t)g->len;
			for (int64_t sec = g->off / SECTOR; g->len && sec <= (g->off + (int64_t)g->len - 1) / SECTOR; sec++) {
				if (limg__array_grow((void **)&sectors, &cap, n + 1, sizeof *sectors) < 0) {
					limg__free(sectors);
					return LIMG_ENOMEM;
				}
				sectors[n++] = sec;
			}
		}
	}
	if (c->n == 0 || st.st_size < c->r[0].old_size)
		goto out;
	qsort(sectors, n, sizeof *sectors, by_value);
	*ours = true;
	*applied = st.st_size >= final_size;
	for (size_t j = 0; j < n && *ours; j++) {
		unsigned char disk[SECTOR] = { 0 }, state[SECTOR];
		int64_t base = sectors[j] * SECTOR;
		ssize_t got;
		size_t have;
		bool any;
		if (j && sectors[j] == sectors[j - 1])
			continue;
		if ((got = limg__pread_all(fd, disk, SECTOR, base)) < 0) {
			rc = -1;
			break;
		}
		have = (size_t)got; /* what is past the end now is written by a replay, not compared */
		memcpy(state, disk, SECTOR);
		for (size_t k = c->n; k-- > 0;) /* the first record's old bytes: the state before the chain */
			for (size_t i = 0; i < c->r[k].n; i++)
				overlay(state, base, &c->r[k].ranges[i], true);
		any = !memcmp(state, disk, have);
		for (size_t k = 0; k < c->n; k++) {
			bool touched = false;
			for (size_t i = 0; i < c->r[k].n; i++)
				touched |= overlay(state, base, &c->r[k].ranges[i], false);
			any |= touched && !memcmp(state, disk, have);
		}
		*ours = any;
		*applied = *applied && !memcmp(state, disk, have);
	}
out:
	*applied = *applied && *ours;
	limg__free(sectors);
	return rc;
}

/* ---- emptying the journal ----------------------------------------------------- */

/* A new epoch, nothing to replay; flushed. */
static int reset(int jfd)
{
	static const char zeros[8];
	header h = { new_epoch(), 0, RECORDS_AT, { 0 }, true };

	int rc;

	boot_id(h.boot);
	if ((rc = write_header(jfd, &h)) == LIMG_ENOMEM)
		return rc;
	if (rc < 0 || limg__pwrite_all(jfd, zeros, sizeof zeros, RECORDS_AT) < 0 || fdatasync(jfd) < 0)
		return -1;
	return 0;
}

int limg__index_checkpoint(limg_store *s)
{
	char label[4096], jlabel[4096];
	int fd, jfd, rc;

	labels(s, label, jlabel, sizeof label);
	if ((rc = limg__index_open(&fd, s, true)) < 0)
		return rc;
	if (fdatasync(fd) < 0)
		rc = limg__fs_error("cannot flush", label);
	close(fd);
	if (rc < 0)
		return rc;
	jfd = openat(s->meta_fd, JOURNAL, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (jfd < 0)
		return errno == ENOENT ? 0 : limg__fs_error("cannot open", jlabel);
	if ((rc = reset(jfd)) < 0 && rc != LIMG_ENOMEM)
		rc = limg__fs_error("cannot write", jlabel);
	close(jfd);
	return rc;
}

/* ---- a change ----------------------------------------------------------------- */

static int open_journal(int *jfd, limg_store *s, const char *jlabel)
{
	struct stat st;

	*jfd = openat(s->meta_fd, JOURNAL, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (*jfd < 0 || fstat(*jfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int rc = *jfd < 0 && errno != ELOOP ? limg__fs_error("cannot open", jlabel)
		                                    : limg__error_set(LIMG_ECORRUPT, "%s is not a regular file", jlabel);
		if (*jfd >= 0)
			close(*jfd);
		*jfd = -1;
		return rc;
	}
	if (st.st_size < (off_t)JOURNAL_SIZE) { /* made once: its blocks written, so that later flushes are data only */
		static const char zeros[4096];
		for (off_t at = st.st_size & ~(off_t)4095; at < (off_t)JOURNAL_SIZE; at += sizeof zeros)
			if (limg__pwrite_all(*jfd, zeros, sizeof zeros, at) < 0)
				return limg__fs_error("cannot write", jlabel);
	}
	return 0;
}

/* The record of a change: every range with what it replaces. */
static int make_record(limg_buf *rec, int fd, const limg__index_write *w, size_t n, int64_t size, const char *label)
{
	limg_buf old = LIMG_BUF_INIT;
	unsigned char num[8];
	bool ok = limg__buf_put(rec, RECORD_MAGIC, 8) == 0 && limg__buf_grow(rec, HEAD + 1) == 0;
	int rc = 0;

	if (ok) { /* length, epoch and seq set when it is written */
		memset(rec->ptr + 8, 0, 24);
		put_u64((unsigned char *)rec->ptr + 32, (uint64_t)size);
		put_u64((unsigned char *)rec->ptr + 40, (uint64_t)n);
		rec->size = HEAD;
	}
	for (size_t i = 0; i < n && ok; i++) {
		size_t have = w[i].off >= size ? 0 : (size_t)(size - w[i].off < (int64_t)w[i].len ? size - w[i].off : (int64_t)w[i].len);
		ssize_t got;
		if (limg__buf_grow(&old, have + 1) < 0) {
			ok = false;
			break;
		}
		if ((got = limg__pread_all(fd, old.ptr, have, w[i].off)) < 0 || (size_t)got != have) {
			rc = limg__fs_error("cannot read", label);
			break;
		}
		put_u64(num, (uint64_t)w[i].off);
		ok = limg__buf_put(rec, num, 8) == 0;
		put_u64(num, (uint64_t)w[i].len);
		ok = ok && limg__buf_put(rec, num, 8) == 0;
		put_u64(num, (uint64_t)have);
		ok = ok && limg__buf_put(rec, num, 8) == 0 && limg__buf_put(rec, old.ptr, have) == 0 &&
		     limg__buf_put(rec, w[i].data, w[i].len) == 0;
	}
	limg_buf_dispose(&old);
	return rc < 0 ? rc : ok ? 0 : limg__error_oom();
}

/* Numbers the record and seals it with its sum. */
static int seal(limg_buf *rec, uint64_t epoch, uint64_t seq)
{
	char sum[65];

	put_u64((unsigned char *)rec->ptr + 8, rec->size + SUM);
	put_u64((unsigned char *)rec->ptr + 16, epoch);
	put_u64((unsigned char *)rec->ptr + 24, seq);
	limg__sha256_hex(sum, rec->ptr, rec->size);
	return limg__buf_put(rec, sum, SUM);
}

int limg__index_write_in_place(limg_store *s, const limg__index_write *w, size_t n,
                               char stamp_after[LIMG_INDEX_STAMP_MAX])
{
	char label[4096], jlabel[4096], now[BOOT];
	unsigned char first[HEADER_LEN + 16];
	limg_buf rec = LIMG_BUF_INIT;
	struct stat st;
	header h;
	size_t applied = 0;
	ssize_t got;
	int fd = -1, jfd = -1, rc;

	labels(s, label, jlabel, sizeof label);
	if ((rc = limg__index_open(&fd, s, true)) < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = limg__fs_error("cannot stat", label);
		goto out;
	}
	if ((rc = make_record(&rec, fd, w, n, st.st_size, label)) < 0 || (rc = open_journal(&jfd, s, jlabel)) < 0)
		goto out;
	if ((got = limg__pread_all(jfd, first, sizeof first, 0)) < 0) {
		rc = limg__fs_error("cannot read", jlabel);
		goto out;
	}
	parse_header(&h, first, (size_t)got);
	boot_id(now);
	/* index.json flushed and the journal started again: when it is full, or
	 * its header is not this boot's (limg__index_lock replayed what needed it) */
	if (!h.valid || memcmp(h.boot, now, BOOT) != 0 ||
	    (h.tail > RECORDS_AT && h.tail + rec.size + SUM > JOURNAL_SIZE)) {
		if (fdatasync(fd) < 0) {
			rc = limg__fs_error("cannot flush", label);
			goto out;
		}
		h = (header){ new_epoch(), 0, RECORDS_AT, { 0 }, true };
	}
	memcpy(h.boot, now, BOOT);
	if ((rc = seal(&rec, h.epoch, h.applied + 1)) < 0)
		goto out;
	/* the record (and the header before it) flushed before index.json is
	 * touched: a half-written record fails its sum, and is not replayed */
	if ((rc = write_header(jfd, &h)) == LIMG_ENOMEM)
		goto out; /* nothing written yet */
	if (rc < 0 || limg__pwrite_all(jfd, rec.ptr, rec.size, (int64_t)h.tail) < 0 || fdatasync(jfd) < 0) {
		rc = limg__fs_error("cannot write", jlabel);
		goto out;
	}
	for (applied = 0; applied < n; applied++)
		if (limg__pwrite_all(fd, w[applied].data, w[applied].len, w[applied].off) < 0)
			break;
	if (applied < n) {
		static const char zeros[8];
		int code = limg__fs_error("cannot write", label);
		record r;
		/* undone from the record's copy of what was there, then the record voided */
		if (parse_record(&r, (const unsigned char *)rec.ptr, rec.size, false)) {
			bool undone = true;
			for (size_t i = 0; i < r.n; i++)
				undone = undone && limg__pwrite_all(fd, r.ranges[i].old, r.ranges[i].old_len, r.ranges[i].off) == 0;
			if (undone && ftruncate(fd, (off_t)r.old_size) == 0 && fdatasync(fd) == 0 &&
			    limg__pwrite_all(jfd, zeros, sizeof zeros, (int64_t)h.tail) == 0 && fdatasync(jfd) == 0)
				limg__log(s->ctx, LIMG_LOG_WARN, "%s: a change failed and was undone", label);
			limg__free(r.ranges);
		}
		rc = code;
		goto out;
	}
	/* written: noted in the header, unflushed (a crash from here on replays the record, which changes nothing) */
	h.applied++;
	h.tail += rec.size;
	if (write_header(jfd, &h) < 0)
		limg__log(s->ctx, LIMG_LOG_WARN, "%s: cannot note a change done: %s", jlabel, strerror(errno));
	if (stamp_after)
		rc = limg__index_stamp_fd(stamp_after, fd, label);
out:
	if (jfd >= 0)
		close(jfd);
	close(fd);
	limg_buf_dispose(&rec);
	return rc;
}

/* ---- after a crash -------------------------------------------------------------- */

/* The journal whole, its header and its chain; 0, or an error raised. */
static int load(limg_store *s, limg_buf *text, header *h, chain *c, const char *jlabel)
{
	int rc;

	if ((rc = limg__fs_read_at(text, s->meta_fd, JOURNAL, 2 * (size_t)LIMG_INDEX_MAX, jlabel)) < 0)
		return rc;
	parse_header(h, (const unsigned char *)text->ptr, text->size);
	return read_chain(c, (const unsigned char *)text->ptr, text->size, h) < 0 ? limg__error_oom() : 0;
}

bool limg__index_journal_pending(limg_store *s)
{
	char label[4096], jlabel[4096], now[BOOT];
	unsigned char first[RECORDS_AT], next[HEAD];
	limg_buf text = LIMG_BUF_INIT;
	header h;
	chain c = { 0 };
	ssize_t got;
	bool pending = false, ours, applied;
	int fd, jfd;

	if (s->meta_fd < 0 || (jfd = openat(s->meta_fd, JOURNAL, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return false;
	got = limg__pread_all(jfd, first, sizeof first, 0);
	if (got >= 8 && !memcmp(first, LEGACY_MAGIC, 8)) {
		close(jfd);
		return true;
	}
	parse_header(&h, first, got < 0 ? 0 : (size_t)got);
	boot_id(now);
	if (h.valid && !memcmp(h.boot, now, BOOT)) {
		/* this boot's: pending only when a writer died between its record and the header's note */
		pending = limg__pread_all(jfd, next, sizeof next, (int64_t)h.tail) == (ssize_t)sizeof next &&
		          !memcmp(next, RECORD_MAGIC, 8) && get_u64(next + 16) == h.epoch && get_u64(next + 24) == h.applied + 1;
		close(jfd);
		return pending;
	}
	close(jfd);
	/* another boot's (or no header): pending unless index.json holds what the records wrote */
	labels(s, label, jlabel, sizeof label);
	if (load(s, &text, &h, &c, jlabel) < 0 || limg__index_open(&fd, s, false) < 0) {
		limg_error_clear();
		pending = c.n > 0;
	} else {
		pending = c.n > 0 && (check_chain(fd, &c, &ours, &applied) < 0 || !applied);
		close(fd);
	}
	chain_free(&c);
	limg_buf_dispose(&text);
	return pending;
}

int limg__index_recover(limg_store *s)
{
	char label[4096], jlabel[4096];
	limg_buf text = LIMG_BUF_INIT;
	header h;
	chain c = { 0 };
	bool ours = false, applied = false;
	int fd = -1, jfd = -1, rc;

	if (!limg__index_journal_pending(s))
		return 0;
	labels(s, label, jlabel, sizeof label);
	if ((rc = load(s, &text, &h, &c, jlabel)) < 0)
		goto out;
	if (c.n == 0) { /* cut short before it was flushed: index.json was never touched */
		limg__log(s->ctx, LIMG_LOG_INFO, "%s: an unfinished record, dropped", jlabel);
		goto empty;
	}
	if ((rc = limg__index_open(&fd, s, true)) < 0)
		goto out;
	if (check_chain(fd, &c, &ours, &applied) < 0) {
		rc = limg__fs_error("cannot read", label);
		goto out;
	}
	if (!ours) {
		limg__log(s->ctx, LIMG_LOG_WARN, "%s was rewritten since an interrupted change; the change is dropped",
		          label);
		goto empty;
	}
	for (size_t k = 0; k < c.n && !applied; k++)
		for (size_t i = 0; i < c.r[k].n; i++)
			if (limg__pwrite_all(fd, c.r[k].ranges[i].data, (size_t)c.r[k].ranges[i].len, c.r[k].ranges[i].off) < 0) {
				rc = limg__fs_error("cannot finish an interrupted change of", label);
				goto out;
			}
	if (fdatasync(fd) < 0) {
		rc = limg__fs_error("cannot flush", label);
		goto out;
	}
	if (!applied)
		limg__log(s->ctx, LIMG_LOG_INFO, "%s: %zu interrupted change(s) finished", label, c.n);
empty:
	jfd = openat(s->meta_fd, JOURNAL, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (jfd < 0 || (rc = reset(jfd)) < 0)
		rc = jfd >= 0 && rc == LIMG_ENOMEM ? rc : limg__fs_error("cannot empty", jlabel);
out:
	if (jfd >= 0)
		close(jfd);
	if (fd >= 0)
		close(fd);
	chain_free(&c);
	limg_buf_dispose(&text);
	return rc;
}
