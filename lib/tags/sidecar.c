/* SPDX-License-Identifier: MIT */
/* The sidecar: opening it safely, keeping it in step with index.json, rebuilding it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/json.h"
#include "sidecar.h"
#include "tags_internal.h"

#define NAME "index.db"
#define VERSION 1
#define LOG_FRAMES_MAX 256 /* pages (1 MB): what every opening process reads, in well under a millisecond */

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v);"
	"CREATE TABLE IF NOT EXISTS slots(off INTEGER PRIMARY KEY, len INTEGER NOT NULL, used INTEGER NOT NULL,"
	" ref TEXT, digest TEXT, media_type TEXT, size INTEGER, id TEXT, created TEXT, usize TEXT, repository TEXT,"
	" other TEXT);";
static const char *const indexes =
	"CREATE INDEX IF NOT EXISTS slots_ref ON slots(ref, digest) WHERE ref IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS slots_digest ON slots(digest) WHERE digest IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS slots_untagged ON slots(digest) WHERE used=1 AND ref IS NULL;"
	"CREATE INDEX IF NOT EXISTS slots_free ON slots(len) WHERE used=0;";
static const char *const drop_indexes = "DROP INDEX IF EXISTS slots_ref; DROP INDEX IF EXISTS slots_digest;"
                                        "DROP INDEX IF EXISTS slots_untagged; DROP INDEX IF EXISTS slots_free;";

static const char *const sql[LIMG__SC_COUNT] = {
	[LIMG__SC_META_GET] = "SELECT v FROM meta WHERE k=?1",
	[LIMG__SC_META_SET] = "INSERT OR REPLACE INTO meta(k, v) VALUES(?1, ?2)",
	[LIMG__SC_INSERT] = "INSERT INTO slots(" LIMG__SLOT_COLUMNS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
	[LIMG__SC_SET] = "UPDATE slots SET used=?2, ref=?3, digest=?4, media_type=?5, size=?6, id=?7, created=?8,"
	                 " usize=?9, repository=?10, other=?11 WHERE off=?1",
	[LIMG__SC_ROW] = "SELECT " LIMG__SLOT_COLUMNS " FROM slots WHERE off=?1",
	[LIMG__SC_BY_REF] = "SELECT " LIMG__SLOT_COLUMNS " FROM slots WHERE ref=?1 AND used=1 ORDER BY off",
	[LIMG__SC_OF_DIGEST] = "SELECT " LIMG__SLOT_COLUMNS " FROM slots WHERE digest=?1 AND used=1 ORDER BY off",
	[LIMG__SC_UNTAGGED_OF] = "SELECT " LIMG__SLOT_COLUMNS
	                         " FROM slots WHERE used=1 AND ref IS NULL AND digest=?1 ORDER BY off",
	[LIMG__SC_TAGGED_OF] = "SELECT " LIMG__SLOT_COLUMNS
	                       " FROM slots WHERE digest=?1 AND used=1 AND ref IS NOT NULL ORDER BY off LIMIT 1",
	[LIMG__SC_OTHER_OF] = "SELECT off FROM slots WHERE digest=?1 AND used=1 AND off<>?2 LIMIT 1",
	[LIMG__SC_FREE_SLOT] = "SELECT off, len FROM slots WHERE used=0 AND len>=?1 AND off>?2 ORDER BY len, off LIMIT 1",
	[LIMG__SC_FIRST_USED] = "SELECT MIN(off) FROM slots WHERE used=1",
	[LIMG__SC_BLANK_BYTES] = "SELECT COALESCE(SUM(len), 0) FROM slots WHERE used=0",
};

static void label(char *out, size_t cap, const limg__sidecar *sc)
{
	snprintf(out, cap, "%s/.libimage/" NAME, sc->store->root);
}

int limg__sidecar_error(limg__sidecar *sc, const char *what)
{
	char where[4096];
	int err = sqlite3_errcode(sc->db) & 0xff;
	int code = err == SQLITE_FULL ? LIMG_ENOSPACE : err == SQLITE_CORRUPT || err == SQLITE_NOTADB ? LIMG_ECORRUPT
	                                                                                                : LIMG_ESYSTEM;

	label(where, sizeof where, sc);
	return limg__error_set(code, "%s: %s: %s", where, what, sqlite3_errmsg(sc->db));
}

static int exec(limg__sidecar *sc, const char *text)
{
	return sqlite3_exec(sc->db, text, NULL, NULL, NULL) == SQLITE_OK ? 0 : limg__sidecar_error(sc, "cannot update");
}

sqlite3_stmt *limg__sidecar_stmt(limg__sidecar *sc, enum limg__sidecar_stmt which)
{
	sqlite3_stmt *st = sc->stmt[which];

	if (!st) {
		if (sqlite3_prepare_v3(sc->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			limg__sidecar_error(sc, "cannot query");
			return NULL;
		}
		sc->stmt[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int limg__sidecar_prepare(limg__sidecar *sc, sqlite3_stmt **out, const char *text)
{
	return sqlite3_prepare_v2(sc->db, text, -1, out, NULL) == SQLITE_OK ? 0 : limg__sidecar_error(sc, "cannot query");
}

int limg__sidecar_step(limg__sidecar *sc, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	return limg__sidecar_error(sc, "cannot read");
}

static const char *text_at(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, i);
}

void limg__sidecar_row(sqlite3_stmt *st, int first, limg__slot_row *r)
{
	r->off = sqlite3_column_int64(st, first);
	r->len = sqlite3_column_int64(st, first + 1);
	r->used = sqlite3_column_int(st, first + 2) != 0;
	r->ref = text_at(st, first + 3);
	r->digest = text_at(st, first + 4);
	r->media_type = text_at(st, first + 5);
	r->size = sqlite3_column_type(st, first + 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, first + 6);
	r->id = text_at(st, first + 7);
	r->created = text_at(st, first + 8);
	r->usize = text_at(st, first + 9);
	r->repository = text_at(st, first + 10);
	r->other = text_at(st, first + 11);
}

static bool known_key(const char *k)
{
	return !strcmp(k, LIMG_REF_NAME_KEY) || !strcmp(k, LIMG_CACHE_ID_KEY) || !strcmp(k, LIMG_CACHE_CREATED_KEY) ||
	       !strcmp(k, LIMG_CACHE_SIZE_KEY) || !strcmp(k, LIMG_REPOSITORY_KEY);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int limg__sidecar_bind_entry(sqlite3_stmt *st, int first, const limg__index_entry *e)
{
	limg_buf other = LIMG_BUF_INIT;
	int r = SQLITE_OK;

	for (size_t i = 0; i < e->nann; i++) {
		const limg__annotation *a = &e->ann[i];
		if (known_key(a->key))
			continue;
		if (limg__buf_put(&other, other.size ? "," : "{", 1) < 0 ||
		    limg__json_put_string(&other, a->key, strlen(a->key)) < 0 || limg__buf_put(&other, ":", 1) < 0 ||
		    limg__json_put_string(&other, a->value, strlen(a->value)) < 0) {
			limg_buf_dispose(&other);
			return limg__error_oom();
		}
	}
	if (other.size && limg__buf_put(&other, "}", 1) < 0) {
		limg_buf_dispose(&other);
		return limg__error_oom();
	}
	if (bind_text(st, first, limg__index_annotation(e, LIMG_REF_NAME_KEY)) != SQLITE_OK ||
	    bind_text(st, first + 1, e->digest) != SQLITE_OK || bind_text(st, first + 2, e->media_type) != SQLITE_OK ||
	    (e->size >= 0 ? sqlite3_bind_int64(st, first + 3, e->size) : sqlite3_bind_null(st, first + 3)) != SQLITE_OK ||
	    bind_text(st, first + 4, limg__index_annotation(e, LIMG_CACHE_ID_KEY)) != SQLITE_OK ||
	    bind_text(st, first + 5, limg__index_annotation(e, LIMG_CACHE_CREATED_KEY)) != SQLITE_OK ||
	    bind_text(st, first + 6, limg__index_annotation(e, LIMG_CACHE_SIZE_KEY)) != SQLITE_OK ||
	    bind_text(st, first + 7, limg__index_annotation(e, LIMG_REPOSITORY_KEY)) != SQLITE_OK ||
	    bind_text(st, first + 8, other.size ? other.ptr : NULL) != SQLITE_OK)
		r = SQLITE_NOMEM;
	limg_buf_dispose(&other);
	return r == SQLITE_OK ? 0 : limg__error_oom();
}

/* ---- meta ----------------------------------------------------------------- */

int limg__sidecar_meta_int(limg__sidecar *sc, const char *key, int64_t *out)
{
	sqlite3_stmt *st = limg__sidecar_stmt(sc, LIMG__SC_META_GET);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = limg__sidecar_step(sc, st)) < 0)
		return rc;
	if (rc == 0 || sqlite3_column_type(st, 0) != SQLITE_INTEGER)
		return LIMG_ENOTFOUND;
	*out = sqlite3_column_int64(st, 0);
	return 0;
}

int limg__sidecar_meta_text(limg__sidecar *sc, const char *key, limg_buf *out)
{
	sqlite3_stmt *st = limg__sidecar_stmt(sc, LIMG__SC_META_GET);
	int rc;

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = limg__sidecar_step(sc, st)) < 0)
		return rc;
	if (rc == 0 || sqlite3_column_type(st, 0) != SQLITE_TEXT)
		return LIMG_ENOTFOUND;
	return limg_buf_set(out, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
}

int limg__sidecar_set_meta_int(limg__sidecar *sc, const char *key, int64_t value)
{
	sqlite3_stmt *st = limg__sidecar_stmt(sc, LIMG__SC_META_SET);

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	return limg__sidecar_step(sc, st) < 0 ? LIMG_ESYSTEM : 0;
}

int limg__sidecar_set_meta_text(limg__sidecar *sc, const char *key, const char *value)
{
	sqlite3_stmt *st = limg__sidecar_stmt(sc, LIMG__SC_META_SET);

	if (!st)
		return LIMG_ESYSTEM;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	bind_text(st, 2, value);
	return limg__sidecar_step(sc, st) < 0 ? LIMG_ESYSTEM : 0;
}

/* ---- opening -------------------------------------------------------------- */

/* Our names only, and only when they are not regular files (a symlink
 * planted there is removed, never followed: SQLite refuses them too). */
static void remove_odd(limg_store *s, bool all)
{
	static const char *const names[] = { NAME, NAME "-wal", NAME "-shm" };
	struct stat st;

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (fstatat(s->meta_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && (all || !S_ISREG(st.st_mode)))
			unlinkat(s->meta_fd, names[i], 0);
}

/* SQLite's own busy handler sleeps 1, 2, 5 ... 100 ms between tries; the
 * locks it waits for here (another process opening the log, a checkpoint)
 * last microseconds, so it tries again soon, for at most a minute. */
static int busy(void *payload, int count)
{
	(void)payload;
	if (count >= 60 * 5000)
		return 0;
	usleep(count < 100 ? 50 : 200);
	return 1;
}

/* After each commit: how many pages the log holds. */
static int log_size(void *payload, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((limg__sidecar *)payload)->log_frames = frames;
	return SQLITE_OK;
}

/* A read-only connection changes nothing: no journal mode, no schema; a
 * sidecar of another version is stale to it. */
static int configure_read_only(limg__sidecar *sc)
{
	sqlite3_stmt *st = NULL;
	int version = 0;

	sqlite3_db_config(sc->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(sc->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_busy_handler(sc->db, busy, NULL);
	if (sqlite3_prepare_v2(sc->db, "SELECT v FROM meta WHERE k='version'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version == VERSION ? 0 : limg__error_set(LIMG_ECORRUPT, "%s/.libimage/" NAME ": not of this version",
	                                                 sc->store->root);
}

static int configure(limg__sidecar *sc)
{
	sqlite3_stmt *st = NULL;
	int one = 1, rc, version = 0;

	sqlite3_db_config(sc->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(sc->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	/* Every process that opens the database first reads all of its log (to
	 * index it; what was folded already is forgotten with the last process
	 * that knew it), so the log is kept short (commit()); not at closing,
	 * which costs every change two more flushes. SQLite's own checkpoints
	 * are off: in a process that has not emptied the log they fold all of
	 * it again at every commit. */
	sqlite3_db_config(sc->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(sc->db, log_size, sc);
	sqlite3_busy_handler(sc->db, busy, NULL);
	sqlite3_file_control(sc->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if ((rc = exec(sc, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
	                   "PRAGMA cell_size_check=ON; PRAGMA cache_size=-2048; "
	                   "PRAGMA journal_size_limit=1048576;")) < 0)
		return rc;
	if (sqlite3_prepare_v2(sc->db, "SELECT v FROM meta WHERE k='version'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == VERSION)
		return 0;
	/* new, or of another version: made afresh (and rebuilt at first use) */
	if ((rc = exec(sc, "BEGIN IMMEDIATE")) < 0)
		return rc;
	if ((rc = exec(sc, "DROP TABLE IF EXISTS slots; DROP TABLE IF EXISTS meta;")) == 0 &&
	    (rc = exec(sc, schema)) == 0 && (rc = exec(sc, indexes)) == 0 &&
	    (rc = limg__sidecar_set_meta_int(sc, "version", VERSION)) == 0)
		rc = exec(sc, "COMMIT");
	if (rc < 0)
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int open_db(limg__sidecar *sc)
{
	char dir[PATH_MAX], proc[64], path[PATH_MAX + 16];
	ssize_t n;

	/* by the store's descriptor, not the path it was opened by */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", sc->store->meta_fd);
	if ((n = readlink(proc, dir, sizeof dir - 1)) > 0 && dir[0] == '/') {
		dir[n] = '\0';
		snprintf(path, sizeof path, "%s/" NAME, dir);
	} else {
		snprintf(path, sizeof path, "%s/.libimage/" NAME, sc->store->root);
	}
	remove_odd(sc->store, false);
	if (sqlite3_open_v2(path, &sc->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
	                                       SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	                    NULL) != SQLITE_OK)
		return sc->db ? limg__sidecar_error(sc, "cannot open") : limg__error_oom();
	return configure(sc);
}

/* The sidecar in directory @dir as a read-only SQLite URI: every byte of
 * the path but unreserved ones and '/' percent-encoded. */
static int read_only_uri(limg_buf *out, const char *dir)
{
	static const char hex[] = "0123456789ABCDEF";
	/* readonly_shm: the -shm file opened read-only too (SQLite then keeps its own index of the log) */
	static const char tail[] = "/" NAME "?mode=ro&readonly_shm=1";

	if (limg__buf_put(out, "file:", 5) < 0)
		return limg__error_oom();
	for (const unsigned char *p = (const unsigned char *)dir; *p; p++) {
		char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		             strchr("/-._~", *p);
		if ((plain ? limg__buf_put(out, (const char *)p, 1) : limg__buf_put(out, esc, 3)) < 0)
			return limg__error_oom();
	}
	return limg__buf_put(out, tail, sizeof tail) < 0 ? limg__error_oom() : 0; /* with its '\0' */
}

/* A store opened read-only: the sidecar is read, never made, fixed or
 * rebuilt, and nothing is created (SQLite's open of the log creates it when
 * missing: it must be there, and stays there under the shared index lock,
 * held until the sidecar is closed, as every writer takes it exclusively). */
static int open_read_only(limg__sidecar *sc)
{
	static const char *const names[] = { NAME, NAME "-wal", NAME "-shm" };
	char dir[PATH_MAX], proc[64];
	limg_buf uri = LIMG_BUF_INIT;
	struct stat st;
	ssize_t n;
	int rc;

	if (sc->store->meta_fd < 0) /* another tool's layout */
		return limg__error_set(LIMG_ENOTFOUND, "%s: no sidecar", sc->store->root);
	if ((rc = limg__index_lock_shared(&sc->lock, sc->store)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (fstatat(sc->store->meta_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			return limg__error_set(LIMG_ENOTFOUND, "%s/.libimage/%s: missing or not a regular file",
			                       sc->store->root, names[i]);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", sc->store->meta_fd);
	if ((n = readlink(proc, dir, sizeof dir - 1)) <= 0 || dir[0] != '/')
		return limg__error_set(LIMG_ESYSTEM, "%s/.libimage: cannot name it", sc->store->root);
	dir[n] = '\0';
	if ((rc = read_only_uri(&uri, dir)) < 0)
		;
	else if (sqlite3_open_v2(uri.ptr, &sc->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW |
	                                               SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	                         NULL) != SQLITE_OK)
		rc = sc->db ? limg__sidecar_error(sc, "cannot open") : limg__error_oom();
	else
		rc = configure_read_only(sc);
	limg_buf_dispose(&uri);
	return rc;
}

int limg__sidecar_open(limg__sidecar **out, limg_store *s)
{
	limg__sidecar *sc = limg__calloc(1, sizeof *sc);
	int rc;

	*out = NULL;
	if (!sc)
		return limg__error_oom();
	sc->store = s;
	sc->lock = -1;
	if (s->read_only) {
		if ((rc = open_read_only(sc)) < 0) {
			limg__sidecar_close(sc);
			return rc;
		}
		*out = sc;
		return 0;
	}
	if ((rc = open_db(sc)) == LIMG_ECORRUPT) {
		/* not a database (any program may have written it): a cache, made again */
		limg__log(s->ctx, LIMG_LOG_WARN, "%s/.libimage/" NAME " is damaged: made again", s->root);
		sqlite3_close(sc->db);
		sc->db = NULL;
		remove_odd(s, true);
		rc = open_db(sc);
	}
	if (rc < 0) {
		limg__sidecar_close(sc);
		return rc;
	}
	*out = sc;
	return 0;
}

void limg__sidecar_close(limg__sidecar *sc)
{
	if (!sc)
		return;
	if (sc->in_txn)
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < LIMG__SC_COUNT; i++)
		sqlite3_finalize(sc->stmt[i]);
	sqlite3_close(sc->db);
	if (sc->lock >= 0)
		limg__index_unlock(sc->lock);
	limg__free(sc);
}

/* ---- rebuilding from index.json ---------------------------------------------- */

struct rebuild {
	limg__sidecar *sc;
	sqlite3_stmt *insert;
	limg__index *scratch;
	int64_t first, blank, unusable, rows;
	char label[4096];
};

static int on_slot(int64_t off, int64_t len, const char *entry, size_t entry_len, void *payload)
{
	struct rebuild *r = payload;
	sqlite3_stmt *st = r->insert;
	limg__index_entry e;
	char why[200];
	int rc;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, off);
	sqlite3_bind_int64(st, 2, len);
	sqlite3_bind_int(st, 3, entry != NULL);
	if (!entry) {
		r->blank += len;
	} else {
		if (limg__index_entry_parse(r->scratch, &e, entry, entry_len, why, sizeof why) < 0)
			return limg__error_set(LIMG_ECORRUPT, "%s is corrupt at byte %lld: %s", r->label, (long long)off, why);
		if (!limg__index_entry_usable(&e))
			r->unusable++;
		if (r->first < 0)
			r->first = off;
		if ((rc = limg__sidecar_bind_entry(st, 4, &e)) < 0)
			return rc;
	}
	if ((rc = limg__sidecar_step(r->sc, st)) < 0)
		return rc;
	/* the parsed strings were copied: the scratch arena starts again now and then */
	if (++r->rows % 1024 == 0) {
		limg__arena_free(&r->scratch->arena);
		r->scratch->arena.chunk_size = 64u << 10;
	}
	return 0;
}

static int scan_into(limg__sidecar *sc, struct rebuild *r, limg__index_layout *layout)
{
	int rc;

	if ((rc = exec(sc, "DELETE FROM slots")) < 0)
		return rc;
	r->first = -1;
	r->blank = r->unusable = r->rows = 0;
	return limg__index_scan(sc->store, on_slot, r, layout);
}

/* Another program wrote index.json in its own layout: read whole and written back in slots. */
static int convert(limg_store *s)
{
	limg__index *ix = NULL;
	int rc;

	if ((rc = limg__index_load(&ix, s)) == 0) {
		limg__log(s->ctx, LIMG_LOG_DEBUG, "%s/index.json: laid out in slots again", s->root);
		rc = limg__index_save(s, ix);
	}
	limg__index_free(ix);
	return rc;
}

/* Statements left on a row hold the snapshot they read (ours and the
 * caller's: every statement of the connection): reset, so that the
 * transaction ends and a checkpoint may fold the log into the database. */
static void reset_all(limg__sidecar *sc)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(sc->db, NULL); st; st = sqlite3_next_stmt(sc->db, st))
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

static int rebuild(limg__sidecar *sc)
{
	struct rebuild r = { sc, NULL, NULL, -1, 0, 0, 0, "" };
	limg__index_layout layout = { 0 };
	int rc;

	limg__store_label(r.label, sizeof r.label, sc->store, "index.json");
	/* written by another program since (or never described): index.json
	 * flushed and the journal emptied, so that no record of ours is ever
	 * replayed over that program's bytes */
	if ((rc = limg__index_checkpoint(sc->store)) < 0)
		return rc;
	if (!(r.scratch = limg__calloc(1, sizeof *r.scratch)))
		return limg__error_oom();
	r.scratch->arena.chunk_size = 64u << 10;
	reset_all(sc); /* a table a statement still reads cannot have its indexes dropped */
	/* indexes made once at the end: several times faster than kept row by row */
	if ((rc = exec(sc, drop_indexes)) < 0 ||
	    (rc = limg__sidecar_prepare(sc, &r.insert, sql[LIMG__SC_INSERT])) < 0)
		goto out;
	rc = scan_into(sc, &r, &layout);
	if (rc == LIMG__INDEX_FOREIGN && (rc = convert(sc->store)) == 0) {
		rc = scan_into(sc, &r, &layout);
		if (rc == LIMG__INDEX_FOREIGN)
			rc = limg__error_set(LIMG_ESYSTEM, "%s: not laid out in slots after it was rewritten", r.label);
	}
	if (rc == 0 && (rc = exec(sc, indexes)) == 0 && (rc = limg__sidecar_set_meta_text(sc, "stamp", layout.stamp)) == 0 &&
	    (rc = limg__sidecar_set_meta_int(sc, "tail_off", layout.tail_off)) == 0 &&
	    (rc = limg__sidecar_set_meta_int(sc, "end", layout.end)) == 0 &&
	    (rc = limg__sidecar_set_meta_text(sc, "tail", layout.tail)) == 0 &&
	    (rc = limg__sidecar_set_meta_int(sc, "first", r.first)) == 0 &&
	    (rc = limg__sidecar_set_meta_int(sc, "unusable", r.unusable)) == 0)
		limg__log(sc->store->ctx, LIMG_LOG_DEBUG, "%s: sidecar rebuilt, %lld slots", r.label, (long long)r.rows);
out:
	limg__free(layout.tail);
	sqlite3_finalize(r.insert);
	limg__index_free(r.scratch);
	return rc;
}

/* ---- transactions ----------------------------------------------------------- */

/* 0 when the sidecar describes index.json as it is, LIMG__SIDECAR_STALE when not. */
static int current(limg__sidecar *sc)
{
	char now[LIMG_INDEX_STAMP_MAX];
	limg_buf kept = LIMG_BUF_INIT;
	int rc;

	if ((rc = limg__sidecar_meta_text(sc, "stamp", &kept)) == LIMG_ENOTFOUND)
		return LIMG__SIDECAR_STALE;
	if (rc == 0 && (rc = limg__index_stamp(now, sc->store)) == 0)
		rc = strcmp(now, kept.ptr) == 0 ? 0 : LIMG__SIDECAR_STALE;
	limg_buf_dispose(&kept);
	return rc;
}

int limg__sidecar_write(limg__sidecar *sc, bool force)
{
	int rc;

	if ((rc = exec(sc, "BEGIN IMMEDIATE")) < 0)
		return rc;
	sc->in_txn = true;
	if ((rc = force ? LIMG__SIDECAR_STALE : current(sc)) == LIMG__SIDECAR_STALE) {
		rc = rebuild(sc);
		sc->rebuilt = rc == 0;
	}
	if (rc < 0)
		limg__sidecar_end(sc);
	return rc;
}

int limg__sidecar_commit(limg__sidecar *sc)
{
	int rc;

	reset_all(sc);
	rc = exec(sc, "COMMIT");

	if (rc < 0)
		limg__sidecar_end(sc);
	sc->in_txn = false;
	/* the log kept short: folded into the database and emptied once it holds
	 * LOG_FRAMES_MAX pages (a rebuild's: all of them), as far as readers allow
	 * and never waiting for them (a later commit tries again) */
	if (rc == 0 && (sc->rebuilt || sc->log_frames >= LOG_FRAMES_MAX)) {
		sqlite3_busy_handler(sc->db, NULL, NULL);
		if (sqlite3_wal_checkpoint_v2(sc->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
			limg__log(sc->store->ctx, LIMG_LOG_DEBUG, "%s/.libimage/" NAME ": %s", sc->store->root,
			          sqlite3_errmsg(sc->db));
		sqlite3_busy_handler(sc->db, busy, NULL);
	}
	sc->rebuilt = false;
	return rc;
}

void limg__sidecar_end(limg__sidecar *sc)
{
	reset_all(sc);
	if (sc->in_txn)
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
	sc->in_txn = false;
}

int limg__sidecar_read(limg__sidecar *sc)
{
	int rc, lock;

	for (int tries = 0; tries < 3; tries++) {
		if ((rc = exec(sc, "BEGIN")) < 0)
			return rc;
		sc->in_txn = true;
		if ((rc = current(sc)) != LIMG__SIDECAR_STALE) {
			if (rc < 0)
				limg__sidecar_end(sc);
			return rc;
		}
		limg__sidecar_end(sc);
		if (sc->store->read_only) /* never rebuilt here: the caller reads index.json */
			return LIMG__SIDECAR_STALE;
		/* rebuilt (or a writer finished meanwhile), under the lock writers take */
		if ((rc = limg__index_lock(&lock, sc->store)) < 0)
			return rc;
		if ((rc = limg__sidecar_write(sc, false)) == 0)
			rc = limg__sidecar_commit(sc);
		limg__index_unlock(lock);
		if (rc < 0)
			return rc;
	}
	return LIMG__SIDECAR_STALE;
}
