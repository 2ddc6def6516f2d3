/* SPDX-License-Identifier: MIT */
/*
 * A change of the tag index, written into index.json's slots in place.
 * Each write keeps the file a valid document for programs that read it
 * without our lock: a slot is rewritten whole, blanked, or filled; the
 * first entry, which alone has no ',' before it, changes with the slots
 * between the old and the new first in one write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "edit.h"
#include "tags_internal.h"

struct limg__tagedit {
	limg_store *store;
	limg__sidecar *sc;
	int lock;
	int index_fd;          /* index.json, read for the entries of slots */
	int64_t first;         /* the first used slot before the change (-1: none) */
	int64_t tail_off, end; /* the last line and the size before the change */
	int64_t append;        /* where the next appended slot goes */
	int64_t unusable;
	limg_buf tail;         /* the other top-level members, or empty */
	sqlite3_stmt *pend_put, *pend_get, *pend_all;
	sqlite3_stmt *each[LIMG__SC_COUNT]; /* limg__tagedit_each's, prepared once per change (a load calls it per tag) */
	limg_buf line, text;   /* scratch */
};

void limg__tagedit_abort(limg__tagedit *ed)
{
	if (!ed)
		return;
	sqlite3_finalize(ed->pend_put);
	sqlite3_finalize(ed->pend_get);
	sqlite3_finalize(ed->pend_all);
	for (int i = 0; i < LIMG__SC_COUNT; i++)
		sqlite3_finalize(ed->each[i]);
	if (ed->sc) {
		limg__sidecar_end(ed->sc);
		limg__sidecar_close(ed->sc);
	}
	if (ed->index_fd >= 0)
		close(ed->index_fd);
	limg__index_unlock(ed->lock);
	limg_buf_dispose(&ed->tail);
	limg_buf_dispose(&ed->line);
	limg_buf_dispose(&ed->text);
	limg__free(ed);
}

int limg__tagedit_begin(limg__tagedit **out, limg_store *s, bool rebuild)
{
	limg__tagedit *ed = limg__calloc(1, sizeof *ed);
	char label[4096];
	int rc;

	*out = NULL;
	if (!ed)
		return limg__error_oom();
	ed->store = s;
	ed->lock = ed->index_fd = -1;
	if ((rc = limg__index_lock(&ed->lock, s)) < 0 || (rc = limg__sidecar_open(&ed->sc, s)) < 0 ||
	    (rc = limg__sidecar_write(ed->sc, rebuild)) < 0)
		goto fail;
	if ((rc = limg__sidecar_meta_int(ed->sc, "first", &ed->first)) < 0 ||
	    (rc = limg__sidecar_meta_int(ed->sc, "tail_off", &ed->tail_off)) < 0 ||
	    (rc = limg__sidecar_meta_int(ed->sc, "end", &ed->end)) < 0 ||
	    (rc = limg__sidecar_meta_int(ed->sc, "unusable", &ed->unusable)) < 0) {
		rc = rc == LIMG_ENOTFOUND ? limg__error_set(LIMG_ECORRUPT, "%s/.libimage/index.db lacks what it must hold",
		                                            s->root)
		                          : rc;
		goto fail;
	}
	if ((rc = limg__sidecar_meta_text(ed->sc, "tail", &ed->tail)) == LIMG_ENOTFOUND)
		rc = 0;
	if (rc < 0)
		goto fail;
	ed->append = ed->tail_off;
	if (sqlite3_exec(ed->sc->db,
	                 "CREATE TEMP TABLE IF NOT EXISTS pending(off INTEGER PRIMARY KEY, len INTEGER, entry TEXT);"
	                 "DELETE FROM temp.pending;",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    (rc = limg__sidecar_prepare(ed->sc, &ed->pend_put,
	                                "INSERT OR REPLACE INTO temp.pending(off, len, entry) VALUES(?1, ?2, ?3)")) < 0 ||
	    (rc = limg__sidecar_prepare(ed->sc, &ed->pend_get, "SELECT entry FROM temp.pending WHERE off=?1")) < 0 ||
	    (rc = limg__sidecar_prepare(ed->sc, &ed->pend_all, "SELECT off, len, entry FROM temp.pending ORDER BY off")) < 0) {
		rc = rc < 0 ? rc : limg__sidecar_error(ed->sc, "cannot begin a change");
		goto fail;
	}
	limg__store_label(label, sizeof label, s, "index.json");
	if ((rc = limg__fs_open_regular_at(&ed->index_fd, s->root_fd, "index.json", label)) < 0)
		goto fail;
	*out = ed;
	return 0;
fail:
	limg__tagedit_abort(ed);
	return rc;
}

limg_store *limg__tagedit_store(const limg__tagedit *ed)
{
	return ed->store;
}

int64_t limg__tagedit_unusable(const limg__tagedit *ed)
{
	return ed->unusable;
}

int limg__tagedit_first(limg__tagedit *ed, enum limg__sidecar_stmt which, const char *key, limg__slot_row *row)
{
	sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, which);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	if ((rc = limg__sidecar_step(ed->sc, st)) == 1)
		limg__sidecar_row(st, 0, row);
	return rc;
}

int limg__tagedit_other(limg__tagedit *ed, const char *digest, int64_t except)
{
	sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, LIMG__SC_OTHER_OF);

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, except);
	return limg__sidecar_step(ed->sc, st);
}

int limg__tagedit_each(limg__tagedit *ed, enum limg__sidecar_stmt which, const char *key, limg__tagedit_cb cb,
                       void *payload)
{
	sqlite3_stmt *st = NULL;
	int64_t *offs = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* the offsets first: @cb changes rows, which a running statement would
	 * see; its own statement, not the shared one @cb may step meanwhile */
	if (!(st = ed->each[which])) {
		sqlite3_stmt *like = limg__sidecar_stmt(ed->sc, which);
		if (!like)
			return LIMG_ESYSTEM;
		if ((rc = limg__sidecar_prepare(ed->sc, &st, sqlite3_sql(like))) < 0)
			return rc;
		ed->each[which] = st;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	while ((rc = limg__sidecar_step(ed->sc, st)) == 1) {
		if ((rc = limg__array_grow((void **)&offs, &cap, n + 1, sizeof *offs)) < 0)
			break;
		offs[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cb(ed, offs[i], payload);
	limg__free(offs);
	return rc;
}

static int row_at(limg__tagedit *ed, int64_t off, limg__slot_row *row)
{
	sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, LIMG__SC_ROW);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_int64(st, 1, off);
	if ((rc = limg__sidecar_step(ed->sc, st)) == 1) {
		limg__sidecar_row(st, 0, row);
		return 0;
	}
	return rc < 0 ? rc : LIMG__SIDECAR_STALE;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int limg__tagedit_entry(limg__tagedit *ed, int64_t off, limg__index *ix, limg__index_entry *out)
{
	limg__slot_row row; /* its strings stay valid: nothing else steps LIMG__SC_ROW meanwhile */
	char why[200];
	const char *entry;
	size_t len;
	int rc;

	if ((rc = row_at(ed, off, &row)) < 0 || rc == LIMG__SIDECAR_STALE)
		return rc;
	if (!row.used || row.len < 2 || row.len > (8 << 20))
		return LIMG__SIDECAR_STALE;
	/* rewritten earlier in this change, or as index.json has it */
	sqlite3_reset(ed->pend_get);
	sqlite3_bind_int64(ed->pend_get, 1, off);
	if ((rc = limg__sidecar_step(ed->sc, ed->pend_get)) < 0)
		return rc;
	if (rc == 1 && sqlite3_column_type(ed->pend_get, 0) == SQLITE_TEXT) {
		if ((rc = limg_buf_set(&ed->text, (const char *)sqlite3_column_text(ed->pend_get, 0),
		                       (size_t)sqlite3_column_bytes(ed->pend_get, 0))) < 0)
			return rc;
		entry = ed->text.ptr;
		len = ed->text.size;
	} else {
		ssize_t n;
		if (limg__buf_grow(&ed->line, (size_t)row.len + 1) < 0)
			return limg__error_oom();
		do
			n = pread(ed->index_fd, ed->line.ptr, (size_t)row.len, (off_t)off);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return limg__fs_error("cannot read", "index.json");
		if (n != row.len || ed->line.ptr[row.len - 1] != '\n' || (ed->line.ptr[0] != ' ' && ed->line.ptr[0] != ','))
			return LIMG__SIDECAR_STALE;
		entry = ed->line.ptr + 1;
		len = (size_t)row.len - 2;
		while (len && entry[len - 1] == ' ')
			len--;
	}
	if (limg__index_entry_parse(ix, out, entry, len, why, sizeof why) < 0)
		return LIMG__SIDECAR_STALE;
	/* the sidecar's word about the line must be the line's */
	if (!same(limg__index_annotation(out, LIMG_REF_NAME_KEY), row.ref) || !same(out->digest, row.digest))
		return LIMG__SIDECAR_STALE;
	return 0;
}

static int pend(limg__tagedit *ed, int64_t off, int64_t len, const char *entry, size_t entry_len)
{
	sqlite3_reset(ed->pend_put);
	sqlite3_bind_int64(ed->pend_put, 1, off);
	sqlite3_bind_int64(ed->pend_put, 2, len);
	if (entry)
		sqlite3_bind_text(ed->pend_put, 3, entry, (int)entry_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(ed->pend_put, 3);
	return limg__sidecar_step(ed->sc, ed->pend_put) < 0 ? LIMG_ESYSTEM : 0;
}

static int set_row(limg__tagedit *ed, int64_t off, const limg__index_entry *e)
{
	sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, LIMG__SC_SET);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_int64(st, 1, off);
	sqlite3_bind_int(st, 2, e != NULL);
	if (e && (rc = limg__sidecar_bind_entry(st, 3, e)) < 0)
		return rc;
	return limg__sidecar_step(ed->sc, st) < 0 ? LIMG_ESYSTEM : 0;
}

int limg__tagedit_blank(limg__tagedit *ed, int64_t off)
{
	limg__slot_row row;
	int rc;

	if ((rc = row_at(ed, off, &row)) != 0)
		return rc;
	if ((rc = set_row(ed, off, NULL)) < 0)
		return rc;
	return pend(ed, off, row.len, NULL, 0);
}

static int first_used(limg__tagedit *ed, int64_t *first)
{
	sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, LIMG__SC_FIRST_USED);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	if ((rc = limg__sidecar_step(ed->sc, st)) < 0)
		return rc;
	*first = rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0) : -1;
	return 0;
}

int limg__tagedit_put(limg__tagedit *ed, int64_t off, const limg__index_entry *e, int64_t *at)
{
	limg__slot_row row;
	sqlite3_stmt *st;
	int64_t first, size;
	int rc;

	ed->text.size = 0;
	if (limg__index_entry_format(&ed->text, e) < 0)
		return limg__error_oom();
	if (off >= 0) {
		if ((rc = row_at(ed, off, &row)) != 0)
			return rc;
		if (row.len >= (int64_t)ed->text.size + 2)
			goto place;
		if ((rc = limg__tagedit_blank(ed, off)) < 0)
			return rc;
	}
	/* the smallest blank slot that holds it, after the first entry (a slot before it would be first) */
	if ((rc = first_used(ed, &first)) < 0 || !(st = limg__sidecar_stmt(ed->sc, LIMG__SC_FREE_SLOT)))
		return rc < 0 ? rc : LIMG_ESYSTEM;
	sqlite3_bind_int64(st, 1, (int64_t)ed->text.size + 2);
	sqlite3_bind_int64(st, 2, first);
	if ((rc = limg__sidecar_step(ed->sc, st)) < 0)
		return rc;
	if (rc == 1) {
		off = sqlite3_column_int64(st, 0);
		if ((rc = row_at(ed, off, &row)) != 0)
			return rc;
		goto place;
	}
	/* at the end */
	size = (int64_t)limg__index_slot_size(ed->text.size);
	off = ed->append;
	if (off + size > (int64_t)LIMG_INDEX_MAX)
		return limg__error_set(LIMG_ETOOBIG, "%s/index.json would grow over %u bytes", ed->store->root,
		                       LIMG_INDEX_MAX);
	if (!(st = limg__sidecar_stmt(ed->sc, LIMG__SC_INSERT)))
		return LIMG_ESYSTEM;
	sqlite3_bind_int64(st, 1, off);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int(st, 3, 1);
	if ((rc = limg__sidecar_bind_entry(st, 4, e)) < 0 || (rc = limg__sidecar_step(ed->sc, st)) < 0)
		return rc;
	ed->append += size;
	if (at)
		*at = off;
	return pend(ed, off, size, ed->text.ptr, ed->text.size);
place:
	if ((rc = set_row(ed, off, e)) < 0)
		return rc;
	if (at)
		*at = off;
	return pend(ed, off, row.len, ed->text.ptr, ed->text.size);
}

/* ---- commit ------------------------------------------------------------------ */

typedef struct {
	int64_t off;
	limg_buf bytes;
} region;

typedef struct {
	region *r;
	size_t n, cap;
} regions;

static int add_region(regions *rs, int64_t off, const char *bytes, size_t len)
{
	region *g;

	if (limg__array_grow((void **)&rs->r, &rs->cap, rs->n + 1, sizeof *rs->r) < 0)
		return LIMG_ENOMEM;
	g = &rs->r[rs->n++];
	g->off = off;
	g->bytes = (limg_buf)LIMG_BUF_INIT;
	return limg_buf_set(&g->bytes, bytes, len);
}

static int by_offset(const void *a, const void *b)
{
	int64_t x = ((const region *)a)->off, y = ((const region *)b)->off;
	return x < y ? -1 : x > y;
}

/* Joins regions that overlap or touch (lines appended together: one write,
 * not one per line) and those @hull_from..@hull_to asks to be one write,
 * gaps filled with what index.json holds. */
static int merge(limg__tagedit *ed, regions *rs, int64_t hull_from, int64_t hull_to)
{
	size_t out = 0;

	qsort(rs->r, rs->n, sizeof *rs->r, by_offset);
	for (size_t i = 0; i < rs->n; i++) {
		region *cur = out ? &rs->r[out - 1] : NULL, *next = &rs->r[i];
		int64_t cur_end = cur ? cur->off + (int64_t)cur->bytes.size : 0;
		int64_t next_end = next->off + (int64_t)next->bytes.size;
		/* overlapping, or both within what must be one write */
		bool join = cur && (next->off <= cur_end || (cur->off < hull_to && cur_end > hull_from && next->off < hull_to &&
		                                             next_end > hull_from));
		if (!join) {
			rs->r[out++] = *next;
			continue;
		}
		if (next->off > cur_end) { /* the bytes between, as they are */
			size_t gap = (size_t)(next->off - cur_end);
			ssize_t n;
			if (limg__buf_grow(&cur->bytes, cur->bytes.size + gap + 1) < 0)
				return limg__error_oom();
			do
				n = pread(ed->index_fd, cur->bytes.ptr + cur->bytes.size, gap, (off_t)cur_end);
			while (n < 0 && errno == EINTR);
			if (n != (ssize_t)gap)
				return limg__error_set(LIMG_ESYSTEM, "%s/index.json: cannot read it back", ed->store->root);
			cur->bytes.size += gap;
			cur_end = next->off;
		}
		{
			int64_t end = next_end > cur_end ? next_end : cur_end;
			if (limg__buf_grow(&cur->bytes, (size_t)(end - cur->off) + 1) < 0)
				return limg__error_oom();
			memcpy(cur->bytes.ptr + (next->off - cur->off), next->bytes.ptr, next->bytes.size);
			cur->bytes.size = (size_t)(end - cur->off);
		}
		limg_buf_dispose(&next->bytes);
	}
	rs->n = out;
	return 0;
}

static void free_regions(regions *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		limg_buf_dispose(&rs->r[i].bytes);
	limg__free(rs->r);
}

int limg__tagedit_commit(limg__tagedit *ed)
{
	char stamp[LIMG_INDEX_STAMP_MAX];
	regions rs = { NULL, 0, 0 };
	limg__index_write *w = NULL;
	int64_t first, blank = 0, hull_from = -1, hull_to = -1;
	bool first_written = false;
	int rc;

	if ((rc = first_used(ed, &first)) < 0)
		goto out;
	sqlite3_reset(ed->pend_all);
	/* every slot the change touched, whole */
	while ((rc = limg__sidecar_step(ed->sc, ed->pend_all)) == 1) {
		int64_t off = sqlite3_column_int64(ed->pend_all, 0), len = sqlite3_column_int64(ed->pend_all, 1);
		const char *entry = sqlite3_column_type(ed->pend_all, 2) == SQLITE_TEXT
		                    ? (const char *)sqlite3_column_text(ed->pend_all, 2) : NULL;
		ed->line.size = 0;
		if ((rc = limg__index_slot_put(&ed->line, entry, entry ? (size_t)sqlite3_column_bytes(ed->pend_all, 2) : 0,
		                               off == first, (size_t)len)) < 0 ||
		    (rc = add_region(&rs, off, ed->line.ptr, ed->line.size)) < 0)
			goto out;
		first_written |= off == first;
	}
	if (rc < 0)
		goto out;
	if (!rs.n) { /* nothing changed */
		rc = limg__sidecar_commit(ed->sc);
		goto out;
	}
	/* appended: the last line moves behind them */
	if (ed->append != ed->tail_off) {
		ed->line.size = 0;
		if ((rc = limg__index_tail_put(&ed->line, ed->tail.size ? ed->tail.ptr : NULL)) < 0 ||
		    (rc = add_region(&rs, ed->append, ed->line.ptr, ed->line.size)) < 0)
			goto out;
	}
	/* a new first entry: its ',' goes, in the same write as what was first before it */
	if (first != ed->first && first >= 0) {
		if (!first_written && (rc = add_region(&rs, first, " ", 1)) < 0)
			goto out;
		if (ed->first >= 0) {
			hull_from = first < ed->first ? first : ed->first;
			hull_to = (first > ed->first ? first : ed->first) + 1;
		}
	}
	if ((rc = merge(ed, &rs, hull_from, hull_to)) < 0)
		goto out;
	if (!(w = limg__calloc(rs.n, sizeof *w))) {
		rc = limg__error_oom();
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++)
		w[i] = (limg__index_write){ rs.r[i].off, rs.r[i].bytes.ptr, rs.r[i].bytes.size };
	if ((rc = limg__index_write_in_place(ed->store, w, rs.n, stamp)) < 0)
		goto out;
	/* index.json is changed and flushed: the sidecar follows (if it cannot, the stamp makes it rebuilt) */
	{
		sqlite3_stmt *st = limg__sidecar_stmt(ed->sc, LIMG__SC_BLANK_BYTES);
		if (st && limg__sidecar_step(ed->sc, st) == 1)
			blank = sqlite3_column_int64(st, 0);
	}
	if (limg__sidecar_set_meta_text(ed->sc, "stamp", stamp) < 0 ||
	    limg__sidecar_set_meta_int(ed->sc, "first", first) < 0 ||
	    limg__sidecar_set_meta_int(ed->sc, "tail_off", ed->append) < 0 ||
	    limg__sidecar_set_meta_int(ed->sc, "end", ed->end + (ed->append - ed->tail_off)) < 0 ||
	    limg__sidecar_set_meta_int(ed->sc, "blank", blank) < 0 || limg__sidecar_commit(ed->sc) < 0) {
		limg__log(ed->store->ctx, LIMG_LOG_WARN, "%s: %s (it will be rebuilt)", ed->store->root,
		          limg_error_message(limg_error_last()));
		limg_error_clear();
	}
	rc = 0;
out:
	limg__free(w);
	free_regions(&rs);
	limg__tagedit_abort(ed); /* after a commit: only the lock and memory to release */
	return rc;
}
