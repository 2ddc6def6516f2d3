/* SPDX-License-Identifier: MIT */
/*
 * The tag index's sidecar, .libimage/index.db: an SQLite table of
 * index.json's slots (where each line is, what its entry says), so that a
 * lookup, a repository's tags or a change read a few pages instead of the
 * whole file (40 MB at 100,000 tags). A cache, never the truth: it keeps
 * the stamp of the index.json it describes, and is rebuilt from the file
 * when the stamp differs (another program wrote index.json). SQLite because
 * this needs a B-tree with two orders (reference, digest), transactions a
 * crash cannot tear, and readers that see one snapshot while a writer
 * works (WAL), which is more than a sorted file gives without being a
 * database itself.
 */
#ifndef LIMG_TAGS_SIDECAR_H
#define LIMG_TAGS_SIDECAR_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store_internal.h"

/* The sidecar cannot describe index.json now: read the file, or retry. */
#define LIMG__SIDECAR_STALE 2

/* A slot's row, in the column order of LIMG__SLOT_COLUMNS. Strings are the
 * statement's, valid until its next step. */
#define LIMG__SLOT_COLUMNS "off,len,used,ref,digest,media_type,size,id,created,usize,repository,other"
typedef struct {
	int64_t off, len;
	bool used;
	const char *ref, *digest, *media_type;
	int64_t size;
	const char *id, *created, *usize, *repository;
	const char *other; /* other annotations, a JSON object */
} limg__slot_row;

enum limg__sidecar_stmt {
	LIMG__SC_META_GET,
	LIMG__SC_META_SET,
	LIMG__SC_INSERT,         /* off, len, used, then the entry's 9 columns */
	LIMG__SC_SET,            /* off, used, then the entry's 9 columns */
	LIMG__SC_ROW,            /* off */
	LIMG__SC_BY_REF,         /* ref: used slots, lowest offset first */
	LIMG__SC_OF_DIGEST,      /* digest: used slots */
	LIMG__SC_UNTAGGED_OF,    /* digest: untagged slots */
	LIMG__SC_TAGGED_OF,      /* digest: tagged slots */
	LIMG__SC_OTHER_OF,       /* digest, off: a used slot of the digest but that one */
	LIMG__SC_FREE_SLOT,      /* length, after: the smallest blank slot that fits */
	LIMG__SC_FIRST_USED,
	LIMG__SC_BLANK_BYTES,
	LIMG__SC_COUNT
};

typedef struct {
	limg_store *store;
	sqlite3 *db;
	sqlite3_stmt *stmt[LIMG__SC_COUNT];
	bool in_txn;
	bool rebuilt; /* in this transaction */
	int log_frames; /* pages in the log after the last commit */
	int lock;       /* a read-only store's: the index lock, shared, while open */
} limg__sidecar;

/* Opens (creating it when missing) the sidecar of @s. An error (raised)
 * when it cannot be used (a file system SQLite cannot lock; in a store
 * opened read-only, a sidecar that is not there: it is opened read-only and
 * nothing is made, the index lock held shared until it is closed); the
 * caller then reads index.json itself. */
int limg__sidecar_open(limg__sidecar **out, limg_store *s);
void limg__sidecar_close(limg__sidecar *sc);

/* Begins a read: 0 with a read transaction (one snapshot) of a sidecar
 * that describes index.json as it is now, rebuilt first when it did not
 * (never in a store opened read-only); LIMG__SIDECAR_STALE when it cannot
 * be made to (busy writers, a read-only store); an error. */
int limg__sidecar_read(limg__sidecar *sc);
/* Begins a change, with the index lock held exclusively: a write
 * transaction of a sidecar that describes index.json (rebuilt first when it
 * does not, or when @rebuild). */
int limg__sidecar_write(limg__sidecar *sc, bool rebuild);
int limg__sidecar_commit(limg__sidecar *sc);
/* Ends a read, or drops a change not committed. */
void limg__sidecar_end(limg__sidecar *sc);

/* A prepared statement, reset, bindings cleared; NULL with the error raised. */
sqlite3_stmt *limg__sidecar_stmt(limg__sidecar *sc, enum limg__sidecar_stmt which);
/* Prepares another statement (the listings'); the caller finalizes it. */
int limg__sidecar_prepare(limg__sidecar *sc, sqlite3_stmt **out, const char *sql);
/* Raises SQLite's error as ours (LIMG_ENOSPACE, LIMG_ECORRUPT, LIMG_ESYSTEM), naming the sidecar. */
int limg__sidecar_error(limg__sidecar *sc, const char *what);
/* Steps a statement: 1 a row, 0 done, or the error raised. */
int limg__sidecar_step(limg__sidecar *sc, sqlite3_stmt *st);

/* Reads the row a statement selected LIMG__SLOT_COLUMNS for, from column @first. */
void limg__sidecar_row(sqlite3_stmt *st, int first, limg__slot_row *row);
/* Binds the 9 entry columns (ref .. other) of @e from parameter @first. */
int limg__sidecar_bind_entry(sqlite3_stmt *st, int first, const limg__index_entry *e);

int limg__sidecar_meta_int(limg__sidecar *sc, const char *key, int64_t *out);
int limg__sidecar_meta_text(limg__sidecar *sc, const char *key, limg_buf *out);
int limg__sidecar_set_meta_int(limg__sidecar *sc, const char *key, int64_t value);
int limg__sidecar_set_meta_text(limg__sidecar *sc, const char *key, const char *value);

#endif
