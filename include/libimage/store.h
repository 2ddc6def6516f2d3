/* SPDX-License-Identifier: MIT */
/**
 * @file store.h
 * @brief The content-addressed blob store.
 *
 * A store is a directory that is a valid OCI image layout (oci-layout,
 * index.json, `blobs/<alg>/<hex>`), so other tools (skopeo, crane, oras,
 * umoci) read it as it is. Blobs arrive through a writer that checks size
 * and digest before anything appears under blobs/; partial data waits in
 * an ingest area (.libimage/ingest) and an interrupted ingest resumes from
 * it. Everything read back is checked again against its digest.
 *
 * A store handle may be used from several threads; each writer, reader
 * and iterator belongs to one thread at a time. Several processes may use
 * one store directory at once.
 */
#ifndef LIBIMAGE_STORE_H
#define LIBIMAGE_STORE_H

#include <stdint.h>

#include "bounds.h"
#include "cancel.h"
#include "common.h"
#include "context.h"

LIMG_BEGIN_DECL

/** An open store. @since 1.0 */
typedef struct limg_store limg_store;

/** What limg_store_open() does when there is no layout, and whether the store may be written. Values are ABI. @since 1.0 */
typedef enum limg_store_mode {
	LIMG_STORE_CREATE = 0,   /**< create the layout when it is missing */
	LIMG_STORE_EXISTING = 1, /**< the layout must exist (LIMG_ENOTFOUND, subject STORE, if not) */
	LIMG_STORE_READ_ONLY = 2 /**< the layout must exist, and nothing in it is created or changed: for
	                              reading a layout another tool wrote (skopeo's, umoci's) or one this
	                              user may not write. Listings then cache nothing; every call that would
	                              write fails with LIMG_EINVALID, subject STORE. */
} limg_store_mode;

/** Options for limg_store_open(); zero means the default. @since 1.0 */
typedef struct limg_store_opts {
	size_t size;  /**< sizeof the struct as the caller knows it */
	int mode;     /**< a limg_store_mode */
} limg_store_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_STORE_OPTS_INIT LIMG_SIZED_INIT(limg_store_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_store_opts_init(limg_store_opts *opts, size_t size);

/**
 * Opens a store, creating the OCI layout when asked.
 *
 * @param out receives the store; close with limg_store_close()
 * @param ctx settings (logging) of every operation on the store; may be
 *        NULL; must outlive the store
 * @param path the layout directory
 * @param opts options, or NULL for the defaults
 * @return 0, LIMG_ENOTFOUND (missing and not created; subject STORE),
 *         LIMG_ECORRUPT (not an OCI layout we can use), LIMG_ESYSTEM,
 *         LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_open(limg_store **out, limg_context *ctx, const char *path, const limg_store_opts *opts);

/**
 * Closes a store; NULL is accepted. Safe while other threads are inside calls
 * on it: each call holds a reference, so the store is freed when the last of
 * them returns; a running pull, push or unpack is asked to stop and returns
 * LIMG_ECANCELLED at its next check (the store consistent, a partial download
 * resumable), other calls finish. A call that starts after the close fails
 * with LIMG_EINVALID as long as others keep the store alive; do not use the
 * handle again, and close it once.
 * @since 1.0
 */
LIMG_EXTERN(void) limg_store_close(limg_store *store);

/** The layout directory; borrowed until the store is closed. @since 1.0 */
LIMG_EXTERN(const char *) limg_store_path(const limg_store *store);

/**
 * Where a program keeps its store when the user does not say:
 * $LIBIMAGE_STORE, else $XDG_DATA_HOME/libimage, else
 * $HOME/.local/share/libimage.
 * @param out receives the path; release with limg_buf_dispose()
 * @return 0, LIMG_ENOTFOUND (none of the three is set), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_default_path(limg_buf *out);

/**
 * Size of a stored blob.
 * @param out_size receives the size in bytes
 * @param store the store
 * @param digest the blob
 * @return 0, LIMG_ENOTFOUND (subject BLOB), or a digest validation error
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_blob_stat(int64_t *out_size, limg_store *store, const char *digest);

/**
 * The file that holds a blob (for mmap or zero-copy use). Do not modify it.
 * @param out receives the path; release with limg_buf_dispose()
 * @param store the store
 * @param digest the blob
 * @return 0, LIMG_ENOTFOUND (subject BLOB), or a digest validation error
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_blob_path(limg_buf *out, limg_store *store, const char *digest);

/**
 * Reads a whole (small) blob and checks its digest.
 * @param out receives the bytes; release with limg_buf_dispose()
 * @param store the store
 * @param digest the blob
 * @param max_size blobs larger than this give LIMG_ETOOBIG
 * @return 0, LIMG_ENOTFOUND (subject BLOB), LIMG_ETOOBIG, LIMG_ECORRUPT (bytes
 *         do not match the digest)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_blob_read(limg_buf *out, limg_store *store, const char *digest, size_t max_size);

/**
 * Deletes a blob. Tags that reach it become broken: prefer limg_store_gc().
 * @return 0, LIMG_ENOTFOUND (subject BLOB), LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_blob_delete(limg_store *store, const char *digest);

/** Streams a stored blob, checking its digest at the end. @since 1.0 */
typedef struct limg_blob_reader limg_blob_reader;

/**
 * Opens a blob for reading.
 * @param out receives the reader; close with limg_blob_reader_close()
 * @param store the store
 * @param digest the blob
 * @return 0, LIMG_ENOTFOUND (subject BLOB), digest errors
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_reader_open(limg_blob_reader **out, limg_store *store, const char *digest);

/**
 * Reads the next bytes.
 * @param out_len receives the count; 0 at the end, once the digest has been checked
 * @param reader the reader
 * @param buf where to write
 * @param cap room in @p buf
 * @return 0, LIMG_ECORRUPT (the bytes read do not match the digest), LIMG_ESYSTEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_reader_read(size_t *out_len, limg_blob_reader *reader, void *buf, size_t cap);

/** Closes a reader; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_blob_reader_close(limg_blob_reader *reader);

/** Writes one blob into the store. @since 1.0 */
typedef struct limg_blob_writer limg_blob_writer;

/**
 * Starts or resumes the ingest of a blob.
 *
 * When partial data of this digest is on disk, it is re-hashed and the
 * writer continues after it: limg_blob_writer_offset() says from where.
 * When another writer (in any process) is ingesting the same digest, this
 * one writes a private copy; both may commit and one copy lands.
 *
 * @param out receives the writer; close with limg_blob_writer_close()
 * @param store the store
 * @param digest the expected digest
 * @param size the expected size, or -1 when unknown
 * @return 0, LIMG_EEXISTS (the blob is stored already; no writer),
 *         digest validation errors, LIMG_ESYSTEM, LIMG_ENOSPACE
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_writer_open(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size);

/** Bytes the writer holds: where the next write continues. @since 1.0 */
LIMG_EXTERN(int64_t) limg_blob_writer_offset(const limg_blob_writer *writer);

/**
 * Appends bytes.
 * @return 0, LIMG_EDIGEST_MISMATCH (more bytes than the expected size),
 *         LIMG_ENOSPACE, LIMG_ESYSTEM, LIMG_EINVALID (writer already finished)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_writer_write(limg_blob_writer *writer, const void *data, size_t len);

/**
 * Checks size and digest, flushes the data to disk and moves it into
 * blobs/ atomically. On a mismatch the partial data is discarded.
 * @return 0, LIMG_EDIGEST_MISMATCH, LIMG_ENOSPACE, LIMG_ESYSTEM, LIMG_EINVALID
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_writer_commit(limg_blob_writer *writer);

/** Discards the partial data. @return 0, LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_blob_writer_abort(limg_blob_writer *writer);

/**
 * Closes a writer; NULL is accepted. Data neither committed nor aborted
 * stays in the ingest area, and a later writer of the same digest resumes it.
 * @since 1.0
 */
LIMG_EXTERN(void) limg_blob_writer_close(limg_blob_writer *writer);

/** Iterates over the stored blobs. @since 1.0 */
typedef struct limg_blob_iterator limg_blob_iterator;

/**
 * Lists the blobs as they are now.
 * @param out receives the iterator; free with limg_blob_iterator_free()
 * @param store the store
 * @return 0, LIMG_ESYSTEM, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_iterator_new(limg_blob_iterator **out, limg_store *store);

/**
 * The next blob, in digest order.
 * @param out_digest receives the digest; borrowed until the next call or free
 * @param out_size receives the size; may be NULL
 * @param it the iterator
 * @return 0, or LIMG_ITEROVER at the end
 * @since 1.0
 */
LIMG_EXTERN(int) limg_blob_iterator_next(const char **out_digest, int64_t *out_size, limg_blob_iterator *it);

/** Frees an iterator; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_blob_iterator_free(limg_blob_iterator *it);

/**
 * Receives one problem limg_store_fsck() found.
 * @param object the digest or file concerned
 * @param code LIMG_ECORRUPT (damaged data) or LIMG_ENOTFOUND (something referenced is missing)
 * @param message one line naming the file
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops (errors.h)
 * @since 1.0
 */
typedef int (*limg_problem_cb)(const char *object, int code, const char *message, void *payload);

/** Options for limg_store_fsck(); zero means the default. @since 1.0 */
typedef struct limg_store_fsck_opts {
	size_t size;         /**< sizeof the struct as the caller knows it */
	const char *digest;  /**< check this one blob only; NULL: the whole store */
	limg_cancel *cancel; /**< stops the check from any thread; may be NULL */
} limg_store_fsck_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_STORE_FSCK_OPTS_INIT LIMG_SIZED_INIT(limg_store_fsck_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_store_fsck_opts_init(limg_store_fsck_opts *opts, size_t size);

/** Callbacks of limg_store_fsck(). @since 1.0 */
typedef struct limg_store_fsck_callbacks {
	size_t size;             /**< sizeof the struct as the caller knows it */
	limg_problem_cb problem; /**< called per problem; may be NULL */
	void *payload;           /**< passed last to every callback */
} limg_store_fsck_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_STORE_FSCK_CALLBACKS_INIT LIMG_SIZED_INIT(limg_store_fsck_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_store_fsck_callbacks_init(limg_store_fsck_callbacks *cb, size_t size);

/**
 * Checks the store: the layout files parse, every blob (or just
 * opts->digest) hashes to its name and has the size its descriptors say,
 * and everything index.json reaches is present.
 * @param out_problems receives how many problems were found (0: the store is sound)
 * @param store the store
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0 (whatever was found), LIMG_ESYSTEM (the check itself failed),
 *         LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_fsck(size_t *out_problems, limg_store *store, const limg_store_fsck_opts *opts,
                                 const limg_store_fsck_callbacks *cb);

/**
 * Receives one item limg_store_gc() removes (or would remove, in a dry run).
 * @param what a blob digest, or the name of a stale ingest
 * @param size its size in bytes
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops (errors.h)
 * @since 1.0
 */
typedef int (*limg_removed_cb)(const char *what, int64_t size, void *payload);

/** Options for limg_store_gc(); zero means the default. @since 1.0 */
typedef struct limg_store_gc_opts {
	size_t size;             /**< sizeof the struct as the caller knows it */
	int64_t ingest_max_age;  /**< seconds; older unfinished ingests are removed; 0: 86400 */
	int keep_ingests;        /**< remove no unfinished ingest, whatever its age */
	int dry_run;             /**< report, remove nothing */
	limg_cancel *cancel;     /**< stops the collection from any thread (what is removed stays removed) */
} limg_store_gc_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_STORE_GC_OPTS_INIT LIMG_SIZED_INIT(limg_store_gc_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_store_gc_opts_init(limg_store_gc_opts *opts, size_t size);

/** Callbacks of limg_store_gc(). @since 1.0 */
typedef struct limg_store_gc_callbacks {
	size_t size;             /**< sizeof the struct as the caller knows it */
	limg_removed_cb removed; /**< called per removed item; may be NULL */
	void *payload;           /**< passed last to every callback */
} limg_store_gc_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_STORE_GC_CALLBACKS_INIT LIMG_SIZED_INIT(limg_store_gc_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_store_gc_callbacks_init(limg_store_gc_callbacks *cb, size_t size);

/**
 * Removes the blobs that nothing in index.json reaches (tags and untagged
 * images, through indexes and manifests to configs and layers) and no
 * running operation holds, and stale ingests. Holds the index lock while
 * it runs.
 * @param out_reclaimed receives the bytes removed (or that would be); may be NULL
 * @param store the store
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0, LIMG_ECORRUPT (index.json unreadable: nothing is removed),
 *         LIMG_ESYSTEM, LIMG_ECANCELLED, or what the callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_store_gc(int64_t *out_reclaimed, limg_store *store, const limg_store_gc_opts *opts,
                               const limg_store_gc_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_STORE_H */
