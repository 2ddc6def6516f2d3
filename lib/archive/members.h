/* SPDX-License-Identifier: MIT */
/*
 * The members of an archive being loaded, found by name in constant time
 * (the last entry of a name wins, as tar extraction has it; links followed
 * at most LIMG__LINKS_MAX times) and by content digest. A member's content
 * is kept where it costs least until the images are known: small ones in
 * memory, big ones in a held area of the store (verified, out of blobs/),
 * none at all when the store has the blob already. Only what an image
 * needs is committed into blobs/; the rest goes when the load ends.
 */
#ifndef LIMG_ARCHIVE_MEMBERS_H
#define LIMG_ARCHIVE_MEMBERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strmap.h"
#include "libimage/store.h"
#include "store/store_internal.h"
#include "tar/reader.h"

#define LIMG__LINKS_MAX 16

typedef struct {
	char *name;       /* cleaned; "" for a blob the load made (a manifest) */
	char *link;       /* a link's target, cleaned; NULL for a file */
	char *digest;     /* sha256 of the content (files) */
	int64_t size;
	limg_buf data;    /* the content, when kept in memory */
	bool held;        /* the content is in the held area */
	bool stored;      /* the store has this blob already: no content kept */
	char *diff_id;    /* a big compressed member's uncompressed digest, worked out as it was read */
	int64_t usize;    /* and its uncompressed size */
	int compression;  /* of that: a limg_compression */
} limg__member;

typedef struct {
	limg_store *store;
	limg__held *held;
	limg__lease *lease;    /* what the load relies on or commits, kept from gc */
	int64_t max_size;      /* largest member */
	limg__member *v;
	size_t n, cap;
	limg__strmap by_name;  /* name -> index of its last entry */
	limg__strmap by_digest; /* digest -> index of a member with that content */
	size_t memory, json;   /* bytes kept in memory: contents, and JSON files */
} limg__members;

int limg__members_init(limg__members *m, limg_store *store, limg__lease *lease, int64_t max_size);
void limg__members_dispose(limg__members *m);

/* Takes the entry libarchive is on (its header read): a file's content, a
 * link's target. Directories and special files are passed over. Names and
 * link targets that leave the archive are refused (LIMG_ECORRUPT). */
int limg__members_take(limg__members *m, struct archive *ar, struct archive_entry *e);

/* The file @name leads to (through links), or NULL with *@rc: LIMG_ENOTFOUND
 * (not raised) when the archive lacks it, LIMG_ECORRUPT (raised) for a
 * chain of links longer than LIMG__LINKS_MAX (a loop). */
const limg__member *limg__members_find(const limg__members *m, const char *name, int *rc);

/* Content by digest, from wherever it is kept (the store for blobs it had). */
int limg__members_size(const limg__members *m, const char *digest, int64_t *size); /* LIMG_ENOTFOUND, not raised */
int limg__members_read(const limg__members *m, const char *digest, size_t max, limg_buf *out);
/* The content in order to @cb (what it returns stops it and comes back). */
int limg__members_stream(const limg__members *m, const char *digest, limg_write_cb cb, void *payload);
/* A blob the load made (a manifest docker load would make): kept in memory. */
int limg__members_add_made(limg__members *m, const char *text, size_t len, char digest[80]);
/* Makes the blob part of the store (blobs/): from memory, from the held area, or already there. */
int limg__members_commit(limg__members *m, const char *digest);

#endif
