/* SPDX-License-Identifier: MIT */
/*
 * One change of the tag index: under the index lock, a write transaction
 * of the sidecar; entries put into slots (in place when they fit, else in
 * a blank slot or appended) and slots blanked; at commit the lines that
 * changed are written into index.json in place (journaled), then the
 * sidecar commits. However many tags a change sets, index.json is written
 * once.
 */
#ifndef LIMG_TAGS_EDIT_H
#define LIMG_TAGS_EDIT_H

#include "sidecar.h"

typedef struct limg__tagedit limg__tagedit;

/* Takes the index lock and opens the change (the sidecar rebuilt first when
 * index.json was written by another program, or when @rebuild). */
int limg__tagedit_begin(limg__tagedit **out, limg_store *s, bool rebuild);
/* Writes the change and ends it (the lock released, @ed freed). */
int limg__tagedit_commit(limg__tagedit *ed);
/* Drops a change (NULL accepted): index.json untouched. */
void limg__tagedit_abort(limg__tagedit *ed);

limg_store *limg__tagedit_store(const limg__tagedit *ed);
/* Entries index.json has that no change may rewrite (no media type, digest or size). */
int64_t limg__tagedit_unusable(const limg__tagedit *ed);

/* The first row a lookup statement (LIMG__SC_BY_REF, _OF_DIGEST,
 * _UNTAGGED_OF, _TAGGED_OF) gives for @key: 1 with @row filled (its strings
 * valid until the next call on @ed), 0 when none, or an error. */
int limg__tagedit_first(limg__tagedit *ed, enum limg__sidecar_stmt which, const char *key, limg__slot_row *row);
/* 1 when a used slot other than @except (-1: none) holds @digest, 0 when none, or an error. */
int limg__tagedit_other(limg__tagedit *ed, const char *digest, int64_t except);
/* Calls @cb for every row of @which with @key (offsets only: rows may change under it). */
typedef int (*limg__tagedit_cb)(limg__tagedit *ed, int64_t off, void *payload);
int limg__tagedit_each(limg__tagedit *ed, enum limg__sidecar_stmt which, const char *key, limg__tagedit_cb cb,
                       void *payload);

/* The entry in the used slot at @off, as it will be written, parsed into
 * @ix (its arena holds the strings). The line read from index.json must say
 * what the sidecar says, else LIMG__SIDECAR_STALE (the change starts again
 * on a rebuilt sidecar). */
int limg__tagedit_entry(limg__tagedit *ed, int64_t off, limg__index *ix, limg__index_entry *out);
/* Puts @e into the slot at @off when it fits there (@off -1: wherever),
 * else into the smallest blank slot that fits, else at the end; *@at (may
 * be NULL) receives where. */
int limg__tagedit_put(limg__tagedit *ed, int64_t off, const limg__index_entry *e, int64_t *at);
/* Blanks the slot at @off. */
int limg__tagedit_blank(limg__tagedit *ed, int64_t off);

#endif
