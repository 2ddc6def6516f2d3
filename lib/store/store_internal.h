/* SPDX-License-Identifier: MIT */
/* The inside of limg_store, shared by the store's files and the layers above. */
#ifndef LIMG_STORE_INTERNAL_H
#define LIMG_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/arena.h"
#include "core/strset.h"

#include "libimage/cancel.h"
#include "libimage/store.h"
#include "libimage/manifest.h"
#include "manifest/walk.h"

/*
 * A store directory may be written by other programs and users, so nothing
 * beneath the root is reached by path: every file is opened relative to
 * one of these directory descriptors, never through a symlink.
 */
struct limg_store {
	limg_context *ctx;
	char *root;        /* the layout directory as given, for messages */
	int root_fd;       /* the layout directory */
	int blobs_fd;      /* root/blobs */
	int meta_fd;       /* root/.libimage */
	int ingest_fd;     /* .libimage/ingest: resumable partial blobs */
	int tmp_fd;        /* .libimage/tmp: private copies when an ingest is busy */
	int layers_fd;     /* .libimage/layers: uncompressed digest and size per layer */
	int leases_fd;     /* .libimage/leases: what running operations protect from gc */
	int sources_fd;    /* .libimage/sources: where blobs came from; -1 until first needed */
	int referrers_fd;  /* .libimage/referrers: what refers to each manifest; -1 until first needed */
	int algo_fd[2];    /* blobs/sha256, blobs/sha512; -1 until first needed */
	pthread_mutex_t lock; /* algo_fd, refs */
	int refs;          /* the owner's reference plus one per call in progress */
	bool closed;
	bool read_only;    /* LIMG_STORE_READ_ONLY: nothing is created or changed; the fds above may be -1 */
	limg_cancel *closing; /* requested by limg_store_close(): running operations stop */
};

/* Largest index.json we read, and the largest manifest/index/config blob
 * the store parses (4 MiB, as containers/image). */
#define LIMG_INDEX_MAX (1024u << 20)

/* Every public call on a store holds a reference for its duration, so that
 * limg_store_close() from another thread never frees what a call uses.
 * enter fails (LIMG_EINVALID) on a NULL or closed store. */
int limg__store_enter(limg_store *s);
void limg__store_leave(limg_store *s);

/* The directory descriptor of an algorithm's blobs (0 = sha256, 1 =
 * sha512), created when @create. LIMG_ENOTFOUND (not raised) when absent. */
int limg__store_algo_dir(int *out, limg_store *s, int algorithm, bool create);

/* Validates @digest (raising the error); gives the algorithm directory and
 * the file name (the hex part, borrowed from @digest). */
int limg__store_blob_locate(limg_store *s, const char *digest, bool create_dir, int *dirfd, const char **name);

/* "ROOT/blobs/<alg>/<hex>" for messages and limg_store_blob_path(). */
int limg__store_blob_file(limg_buf *out, const limg_store *s, const char *digest);

/* "ROOT/<relative>" for messages. */
void limg__store_label(char *out, size_t cap, const limg_store *s, const char *relative);

/* Opens a blob that must be a regular file: LIMG_ENOTFOUND (raised) when
 * absent, LIMG_ECORRUPT when something else is there. */
int limg__store_blob_open(int *fd, limg_store *s, const char *digest);

/* Told the bytes a resumed ingest re-reads from disk, in order (so that
 * the caller can inflate them too); non-zero stops the open. */
typedef int (*limg__blob_resume_cb)(const void *data, size_t len, void *payload);
/* limg_blob_writer_open() with that callback (may be NULL). */
int limg__blob_writer_open(limg_blob_writer **out, limg_store *s, const char *digest, int64_t size,
                           limg__blob_resume_cb on_resume, void *payload);
/* For a download in byte ranges written at their offsets: only the first
 * @trusted bytes of a partial file are re-read (the ranges finished in
 * order); what lies beyond stays for the ranges to come. */
int limg__blob_writer_open_ranged(limg_blob_writer **out, limg_store *s, const char *digest, int64_t size,
                                  int64_t trusted, limg__blob_resume_cb on_resume, void *payload);
/* A writer of a blob whose digest is not known before its bytes (a layer
 * of a legacy archive): its sha256 names it at commit, when it may turn out
 * to be stored already (then the copy goes). */
int limg__blob_writer_open_unnamed(limg_blob_writer **out, limg_store *s, int64_t size);
/* The writer's digest: after commit, the content's. */
const char *limg__blob_writer_digest(const limg_blob_writer *w);
/* The file being written (ranged downloads pwrite into it). */
int limg__blob_writer_fd(const limg_blob_writer *w);
/* Bytes of the file that are written and hashed, in order (the offset
 * without what is still gathered in memory). */
int64_t limg__blob_writer_flushed(const limg_blob_writer *w);
/* True when the writer writes a private copy, which nobody can resume. */
bool limg__blob_writer_private(const limg_blob_writer *w);
/* From now on the bytes are hashed on a thread of their own, beside the
 * caller's reading and writing (for a big blob from a fast source). */
void limg__blob_writer_hash_aside(limg_blob_writer *w);
/* Hashes @len bytes that are already in the file at the writer's offset
 * (put there with pwrite), and moves past them. */
int limg__blob_writer_adopt(limg_blob_writer *w, const void *data, size_t len);

/* ---- held blobs: verified, kept aside until an operation knows it needs them ---- */

/*
 * An archive names its images only at its end, so what it holds is read
 * before anyone knows which of it an image needs. A held area keeps such
 * blobs out of blobs/: .libimage/tmp/held-XXXXXX, locked by its owner for
 * its whole life (gc removes an area whose owner died). A blob is written
 * into it, verified as any, and stays there under its digest until it is
 * committed into blobs/ (flushed, renamed) or the area goes with
 * everything that nothing needed.
 */
typedef struct limg__held limg__held;

int limg__held_new(limg__held **out, limg_store *s);
/* A writer into the area: of the blob @digest (checked at commit), or
 * with @digest NULL of one named by its content (limg__blob_writer_digest()
 * after commit). limg_blob_writer_commit() keeps it in the area. */
int limg__held_writer_open(limg_blob_writer **out, limg__held *h, const char *digest, int64_t size);
/* A held blob for reading: LIMG_ENOTFOUND (not raised) when the area lacks it. */
int limg__held_open(int *fd, limg__held *h, const char *digest);
/* Moves a held blob into blobs/ (flushed first); one stored already stays
 * as it is. LIMG_ENOTFOUND (raised) when it is neither held nor stored. */
int limg__held_commit(limg__held *h, const char *digest);
/* Removes the area and what it still holds. */
void limg__held_free(limg__held *h);
/* (writer.c) The writer limg__held_writer_open() makes. */
int limg__blob_writer_open_held(limg_blob_writer **out, limg_store *s, int area_fd, const char *area_label,
                                const char *digest, int64_t size);

/* The blobs (or, with @irregular, names of blobs that are not regular files). */
int limg__blob_list(limg_blob_iterator **out, limg_store *s, bool irregular);

/* ---- index.json, decoded into a compact model ------------------------- */

typedef struct {
	char *key, *value;
} limg__annotation;

/* One descriptor of index.json. Strings live in the index's arena. */
typedef struct {
	char *media_type;      /* NULL when absent or not a string */
	char *digest;          /* NULL when absent or not a string */
	int64_t size;          /* -1 when absent or not an integer */
	limg__annotation *ann; /* string annotations, in file order */
	size_t nann;
	char *extra;           /* every other member as JSON text ("\"platform\":{...}"), or NULL */
} limg__index_entry;

typedef struct {
	limg__arena arena;
	limg__index_entry *entries;
	size_t count, cap;
	char *extra; /* top-level members other than schemaVersion, mediaType, manifests */
} limg__index;

/* Loads index.json (LIMG_ECORRUPT naming the file when it is not a valid,
 * unambiguous OCI index). Hold the lock (either kind): limg__index_read()
 * takes it. */
int limg__index_load(limg__index **out, limg_store *s);
/* limg__index_load() under the shared lock. */
int limg__index_read(limg__index **out, limg_store *s);
/* Replaces index.json atomically and durably (laid out in slots). Hold the lock. */
int limg__index_save(limg_store *s, const limg__index *ix);
void limg__index_free(limg__index *ix);
/* Parses index.json text (for tests and fuzzing too); @label names it in errors. */
int limg__index_parse(limg__index **out, const char *text, size_t len, const char *label);
/* Serializes the model (what save writes). */
int limg__index_format(limg_buf *out, const limg__index *ix);
/* Parses one descriptor (a slot's text): 0, or -1 with the reason in @why. */
int limg__index_entry_parse(limg__index *ix, limg__index_entry *e, const char *text, size_t len, char *why,
                            size_t cap);
/* Appends one descriptor as compact JSON (no newline in it). */
int limg__index_entry_format(limg_buf *out, const limg__index_entry *e);

/*
 * index.json as libimage writes it: each descriptor on a line of its own,
 * padded with spaces (a "slot"), so that a change rewrites a few lines in
 * place instead of the whole file (which at 100,000 tags is 40 MB):
 *
 *   {"schemaVersion":2,"mediaType":"...index.v1+json","manifests":[   the head line
 *    {...first descriptor...}<spaces>                                  ' ' before the first
 *   ,{...descriptor...}<spaces>                                        ',' before the others
 *   <spaces>                                                           a blank slot
 *   ]<,other top-level members>}                                       the last line
 *
 * Every line ends with '\n' (JSON strings hold no raw newline), any JSON
 * reader reads it as the same document, and every change keeps each write
 * a valid document (index_file.c).
 */
#define LIMG_INDEX_HEAD "{\"schemaVersion\":2,\"mediaType\":\"" LIMG_MEDIA_OCI_INDEX "\",\"manifests\":[\n"
/* The line length given to an entry of @entry_len bytes: room to grow in place. */
size_t limg__index_slot_size(size_t entry_len);
/* Appends a slot line of exactly @size bytes: the entry (NULL: a blank
 * slot) after its separator (' ' when @first, else ','), padded. */
int limg__index_slot_put(limg_buf *out, const char *entry, size_t len, bool first, size_t size);
/* Appends the last line: "]", the other top-level members (@extra, may be NULL), "}\n". */
int limg__index_tail_put(limg_buf *out, const char *extra);

/* What index.json is now: device, inode, size, change times, and a hash of
 * its first and last bytes. Any write by another program changes it. */
#define LIMG_INDEX_STAMP_MAX 200
int limg__index_stamp(char out[LIMG_INDEX_STAMP_MAX], limg_store *s);

/* The slots of index.json, in order: @cb is told each slot's offset and
 * length and its descriptor's text (NULL for a blank slot); a non-zero
 * return stops the scan and is returned. */
typedef int (*limg__index_slot_cb)(int64_t off, int64_t len, const char *entry, size_t entry_len, void *payload);
typedef struct {
	int64_t tail_off, end; /* where the last line starts; the file's size */
	char *tail;            /* the other top-level members ("\"annotations\":{...}"), malloc'd, or NULL */
	char stamp[LIMG_INDEX_STAMP_MAX];
} limg__index_layout;
/* 0 (*@out filled: free out->tail), LIMG__INDEX_FOREIGN when index.json is
 * not laid out in slots (another program wrote it: read it whole), or an
 * error raised (LIMG_ECORRUPT naming the file). Hold the lock. */
#define LIMG__INDEX_FOREIGN 1
int limg__index_scan(limg_store *s, limg__index_slot_cb cb, void *payload, limg__index_layout *out);

/* One range of index.json to write in place. */
typedef struct {
	int64_t off;
	const char *data;
	size_t len;
} limg__index_write;
/*
 * Writes @n ranges of index.json in place, in order, as one change: the
 * ranges and what they held are appended to .libimage/index.journal first
 * (flushed: the change's one flush), so that a crash at any point is
 * finished or undone by the next limg__index_lock(). index.json itself is
 * flushed only now and then (when the journal fills): until then the
 * journal replays what a power loss took. Each range must leave a valid
 * document on its own (other programs read without our lock). On failure
 * index.json is as it was. @stamp_after (may be NULL) receives the new
 * stamp. Hold the lock.
 */
int limg__index_write_in_place(limg_store *s, const limg__index_write *w, size_t n,
                               char stamp_after[LIMG_INDEX_STAMP_MAX]);
/* Finishes or undoes what a crash left in the journal (limg__index_lock does). */
int limg__index_recover(limg_store *s);
/* True when the journal holds a change index.json may lack (a crash
 * interrupted it, or the machine restarted before index.json was flushed). */
bool limg__index_journal_pending(limg_store *s);
/* Flushes index.json and empties the journal: before index.json is
 * replaced, or rebuilt on after another program wrote it. Hold the lock. */
int limg__index_checkpoint(limg_store *s);

/* index.json opened (@write: O_RDWR) as a regular file, never through a symlink. */
int limg__index_open(int *fd, limg_store *s, bool write);
int limg__index_stamp_fd(char out[LIMG_INDEX_STAMP_MAX], int fd, const char *label);
/* pread/pwrite of all @len bytes, retried on EINTR: the bytes read (short at the end), or -1; 0 or -1. */
ssize_t limg__pread_all(int fd, void *buf, size_t len, int64_t off);
int limg__pwrite_all(int fd, const void *buf, size_t len, int64_t off);

const char *limg__index_annotation(const limg__index_entry *e, const char *key);
/* Sets (or replaces) an annotation, copying both strings into the arena. */
int limg__index_set_annotation(limg__index *ix, limg__index_entry *e, const char *key, const char *value);
/* Appends an entry with copies of the given fields; *@out points at it
 * (valid until the next append). */
int limg__index_append(limg__index *ix, const char *media_type, const char *digest, int64_t size,
                       limg__index_entry **out);
void limg__index_remove(limg__index *ix, size_t i);
/* An entry with media type, valid digest and size: one the store can act on. */
bool limg__index_entry_usable(const limg__index_entry *e);

/* Serializes index.json updates across threads and processes
 * (.libimage/index.lock), after finishing what a crash interrupted. */
int limg__index_lock(int *fd, limg_store *s);
/* The same lock shared: index.json does not change while it is held. */
int limg__index_lock_shared(int *fd, limg_store *s);
void limg__index_unlock(int fd);

/* ---- leases: what running operations have ingested, kept from gc ------- */

/*
 * A lease is a file in .libimage/leases that its owner holds locked for
 * its whole life and appends digests to. gc keeps every digest of a lease
 * whose lock is held; a lease whose owner died (its lock released by the
 * kernel) has expired and is removed. Adding a digest takes the gc lock
 * shared and gc holds it exclusively, so a digest is either seen by a
 * running gc or added after it finished; callers add a digest before
 * checking that its blob is present.
 */
typedef struct limg__lease limg__lease;

int limg__lease_new(limg__lease **out, limg_store *s);
/* Protects @digest (and, through gc's walk, what a stored manifest lists). */
int limg__lease_add(limg__lease *l, const char *digest);
void limg__lease_free(limg__lease *l);

/* gc's side: takes the gc lock exclusively and adds every live lease's
 * digests to @keep; expired leases are removed. The caller releases the
 * lock with limg__index_unlock(). */
int limg__leases_collect(int *gc_lock, limg_store *s, limg__strset *keep);
/* The same, leaving out the lease @mine (may be NULL). */
int limg__leases_collect_except(int *gc_lock, limg_store *s, limg__strset *keep, const limg__lease *mine);

/* Removes the @n layer blobs @digests that the image @top (an index entry's
 * digest) was just tagged with, unless something else needs them: another
 * image of index.json, or a running operation's lease other than @mine.
 * Their facts stay, marked discarded, so that the image is known as
 * incomplete rather than damaged. Best effort: 0, or the first error. */
int limg__store_discard_layers(limg_store *s, const limg__lease *mine, const char *top, const char *const *digests,
                               size_t n);

/* ---- walking manifests ------------------------------------------------ */

/* Everything the roots reach, through what manifests and indexes list.
 * Digests go into @reached. Problems (a root or an image's config or layer
 * missing, a manifest unreadable) go to @problem, which may be NULL;
 * absent children of an index are normal (one platform pulled). */
typedef int (*limg__problem_cb)(const char *subject, int code, const char *message, void *payload);
int limg__store_reach(limg_store *s, const limg__index *ix, limg__strset *reached, limg__problem_cb problem,
                      void *payload);
/* Checks that everything @digest reaches is stored: 0, or LIMG_ENOTFOUND /
 * LIMG_ECORRUPT (raised) naming what is missing or damaged. */
int limg__store_check_complete(limg_store *s, const char *digest);

/* What pull learnt about a layer: its uncompressed digest and size, kept in
 * .libimage/layers so listings need not inflate layers again. */
int limg__store_layer_info_put(limg_store *s, const char *digest, const char *diff_id, int64_t size);
/* 0, or LIMG_ENOTFOUND (not raised) when nothing is known. */
int limg__store_layer_info_get(limg_store *s, const char *digest, char diff_id[160], int64_t *size);
/* True when the layer's blob was removed on purpose after it was unpacked
 * (limg__store_discard_layers), its facts kept. */
bool limg__store_layer_discarded(limg_store *s, const char *digest);
/* Marks a layer's facts discarded (its blob goes). */
int limg__store_layer_info_discarded(limg_store *s, const char *digest);
/* Drops layer facts of blobs that are gone. */
int limg__store_layer_info_sweep(limg_store *s, const limg__strset *keep);

/* Where a blob came from ("<domain>/<repository>", for cross-repository
 * mounts on push): recorded best-effort (a read-only store records
 * nothing), listed to @cb in the order recorded; @cb's non-zero stops the
 * listing and is returned. */
typedef int (*limg__source_cb)(const char *source, void *payload);
int limg__store_source_add(limg_store *s, const char *digest, const char *source);
int limg__store_sources(limg_store *s, const char *digest, limg__source_cb cb, void *payload);
/* Drops the sources of blobs that are gone. */
int limg__store_sources_sweep(limg_store *s, const limg__strset *keep);

/* ---- referrers: what refers to a manifest, kept beside it ------------- */

/*
 * .libimage/referrers/<alg>-<hex> is an OCI index of the manifests that
 * refer to that manifest (signatures, SBOMs: OCI 1.1 referrers, and
 * cosign's `.sig` manifests, marked with LIMG_REFERRER_TAG_KEY, the tag
 * they live under in a registry). gc keeps a subject's referrers while it
 * keeps the subject, and drops the sidecar with it; index.json never
 * lists them, so an OCI layout reader sees the images only.
 */
#define LIMG_REFERRER_TAG_KEY "io.libimage.referrer.tag"

/* Adds a stored manifest to @subject's referrers (once). @media_type,
 * @artifact_type (may be NULL) and the annotations (@nann strings: key,
 * value, ...) describe it as a referrers listing does. Under the index
 * lock, so that gc sees it whole. */
int limg__store_referrer_add(limg_store *s, const char *subject, const char *media_type, const char *digest,
                             int64_t size, const char *artifact_type, const char *const *annotations, size_t nann);
/* The referrers of @subject as an index (parse it with limg_manifest_parse());
 * empty (size 0) when it has none. */
int limg__store_referrers_read(limg_buf *out, limg_store *s, const char *subject);

/* gc's and fsck's walk: calls @root with every referrer (not in @reached yet)
 * of what @reached holds, until nothing new is found; @root's non-zero stops. */
typedef int (*limg__store_root_cb)(const char *digest, void *payload);
int limg__store_reach_referrers(limg_store *s, limg__strset *reached, limg__store_root_cb root, void *payload);
/* Drops the referrers of manifests that are gone (and leftovers of killed writers). */
int limg__store_referrers_sweep(limg_store *s, const limg__strset *keep);

/* A long operation on @s stops on @stop, which follows the caller's
 * @cancel and the store's closing. */
int limg__store_link_stop(limg_store *s, limg_cancel *stop, const limg_cancel *cancel);

/* 0 when the store may be written; LIMG_EINVALID (raised, subject STORE)
 * when it was opened read-only. Every write checks it first. */
int limg__store_writable(const limg_store *s);

/* The context of the store: every operation on it logs through it. */
limg_context *limg__store_context(const limg_store *s);
/* @rc, with a LIMG_ECANCELLED said as what stopped "@what of @name": the
 * caller's token or the store's closing. */
int limg__store_stopped(int rc, limg_store *s, const limg_cancel *cancel, const char *what, const char *name);

/* "sha256:<hex>" -> "sha256-<hex>" in @out (of at least 160 bytes): the
 * flat file names of .libimage. */
void limg__store_flat_name(char *out, size_t cap, const char *digest);
/* The reverse, for names libimage made; false for any other name. */
bool limg__store_unflat_name(char *out, size_t cap, const char *name);
/* Removes from @dir the flat names of blobs not in @keep (and no other name). */
int limg__store_sweep_flat(int dir, const limg__strset *keep);

#endif
