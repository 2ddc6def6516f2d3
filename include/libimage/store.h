/*
 * libimage: the content-addressed blob store.
 *
 * A store is a directory that is a valid OCI image layout (oci-layout,
 * index.json, blobs/<alg>/<hex>), so other tools (skopeo, crane, oras) read
 * it as it is. Blobs arrive through a writer that checks size and digest
 * before anything appears under blobs/; partial data waits in an ingest
 * area (.libimage/ingest) and an interrupted ingest resumes from it.
 *
 * A store handle may be used from several threads; each writer, reader
 * and iterator belongs to one thread at a time. Several processes may use
 * one store directory at once.
 */
#ifndef LIBIMAGE_STORE_H
#define LIBIMAGE_STORE_H

#include <stdint.h>

#include "common.h"
#include "context.h"

LIMG_BEGIN_DECL

/** An open store. @since 0.1 */
typedef struct limg_store limg_store;

/** Options for limg_store_open(). @since 0.1 */
typedef struct limg_store_opts {
	size_t size;  /**< sizeof the struct as the caller knows it */
	int create;   /**< create the layout when missing (default 1) */
} limg_store_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_STORE_OPTS_INIT { sizeof(limg_store_opts), 1 }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_store_opts_init(limg_store_opts *opts, size_t size);

/**
 * Opens a store, creating the OCI layout when asked.
 *
 * @param out receives the store; close with limg_store_close()
 * @param ctx settings (logging); may be NULL; must outlive the store
 * @param path the layout directory
 * @param opts options, or NULL for the defaults
 * @return 0, LIMG_ENOTFOUND (missing and not created), LIMG_ECORRUPT (not an
 *         OCI layout we can use), LIMG_EOS, LIMG_EINVALID, LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_open(limg_store **out, limg_context *ctx, const char *path, const limg_store_opts *opts);

/**
 * Closes a store; NULL is accepted. Safe while other threads are inside calls
 * on it: each call holds a reference, so the store is freed when the last of
 * them returns; a running pull, push or unpack is asked to stop and returns
 * at its next check (the store consistent, a partial download resumable),
 * other calls finish. A call that starts after the close fails with LIMG_EINVALID
 * as long as others keep the store alive; do not use the handle again, and
 * close it once.
 * @since 0.1
 */
LIMG_EXTERN(void) limg_store_close(limg_store *store);

/** The layout directory; borrowed until the store is closed. @since 0.1 */
LIMG_EXTERN(const char *) limg_store_path(const limg_store *store);

/**
 * Size of a stored blob.
 * @param out_size receives the size in bytes
 * @return 0, LIMG_ENOTFOUND, or a digest validation error
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_blob_stat(int64_t *out_size, limg_store *store, const char *digest);

/**
 * The file that holds a blob (for mmap or zero-copy use). Do not modify it.
 * @param out receives the path; release with limg_buf_dispose()
 * @return 0, LIMG_ENOTFOUND, or a digest validation error
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_blob_path(limg_buf *out, limg_store *store, const char *digest);

/**
 * Reads a whole (small) blob and checks its digest.
 * @param out receives the bytes; release with limg_buf_dispose()
 * @param max_size blobs larger than this give LIMG_ETOOBIG
 * @return 0, LIMG_ENOTFOUND, LIMG_ETOOBIG, LIMG_ECORRUPT (bytes do not match the digest)
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_blob_read(limg_buf *out, limg_store *store, const char *digest, size_t max_size);

/**
 * Deletes a blob. Tags that reach it become broken: prefer limg_store_gc().
 * @return 0, LIMG_ENOTFOUND, LIMG_EOS
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_blob_delete(limg_store *store, const char *digest);

/** Streams a stored blob, checking its digest at the end. @since 0.1 */
typedef struct limg_blob_reader limg_blob_reader;

/** Opens a blob for reading. @return 0, LIMG_ENOTFOUND, digest errors. @since 0.1 */
LIMG_EXTERN(int) limg_blob_reader_open(limg_blob_reader **out, limg_store *store, const char *digest);

/**
 * Reads the next bytes.
 * @param out_len receives the count; 0 at the end, once the digest has been checked
 * @return 0, LIMG_ECORRUPT (the bytes read do not match the digest), LIMG_EOS
 * @since 0.1
 */
LIMG_EXTERN(int) limg_blob_reader_read(size_t *out_len, limg_blob_reader *reader, void *buf, size_t cap);

/** Closes a reader; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_blob_reader_free(limg_blob_reader *reader);

/** Writes one blob into the store. @since 0.1 */
typedef struct limg_blob_writer limg_blob_writer;

/**
 * Starts or resumes the ingest of a blob.
 *
 * When partial data of this digest is on disk, it is re-hashed and the
 * writer continues after it: limg_blob_writer_offset() says from where.
 * When another writer (in any process) is ingesting the same digest, this
 * one writes a private copy; both may commit and one copy lands.
 *
 * @param out receives the writer; free with limg_blob_writer_free()
 * @param digest the expected digest
 * @param size the expected size, or -1 when unknown
 * @return 0, LIMG_EEXISTS (the blob is stored already; no writer),
 *         digest validation errors, LIMG_EOS, LIMG_ENOSPACE
 * @since 0.1
 */
LIMG_EXTERN(int) limg_blob_writer_open(limg_blob_writer **out, limg_store *store, const char *digest, int64_t size);

/** Bytes the writer holds: where the next write continues. @since 0.1 */
LIMG_EXTERN(int64_t) limg_blob_writer_offset(const limg_blob_writer *writer);

/**
 * Appends bytes.
 * @return 0, LIMG_EDIGEST_MISMATCH (more bytes than the expected size),
 *         LIMG_ENOSPACE, LIMG_EOS, LIMG_EINVALID (writer already finished)
 * @since 0.1
 */
LIMG_EXTERN(int) limg_blob_writer_write(limg_blob_writer *writer, const void *data, size_t len);

/**
 * Checks size and digest, flushes the data to disk and moves it into
 * blobs/ atomically. On a mismatch the partial data is discarded.
 * @return 0, LIMG_EDIGEST_MISMATCH, LIMG_ENOSPACE, LIMG_EOS, LIMG_EINVALID
 * @since 0.1
 */
LIMG_EXTERN(int) limg_blob_writer_commit(limg_blob_writer *writer);

/** Discards the partial data. @return 0, LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_blob_writer_abort(limg_blob_writer *writer);

/**
 * Frees a writer; NULL is accepted. Data neither committed nor aborted stays
 * in the ingest area, and a later writer of the same digest resumes it.
 * @since 0.1
 */
LIMG_EXTERN(void) limg_blob_writer_free(limg_blob_writer *writer);

/** Iterates over the stored blobs. @since 0.1 */
typedef struct limg_blob_iterator limg_blob_iterator;

/** Lists the blobs as they are now. @return 0, LIMG_EOS, LIMG_ENOMEM. @since 0.1 */
LIMG_EXTERN(int) limg_blob_iterator_new(limg_blob_iterator **out, limg_store *store);

/**
 * The next blob, in digest order.
 * @param out_digest receives the digest; borrowed until the next call or free
 * @param out_size receives the size; may be NULL
 * @return 0, or LIMG_ITEROVER at the end
 * @since 0.1
 */
LIMG_EXTERN(int) limg_blob_iterator_next(const char **out_digest, int64_t *out_size, limg_blob_iterator *it);

/** Frees an iterator; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_blob_iterator_free(limg_blob_iterator *it);

/**
 * Receives one problem found by limg_store_fsck().
 * @param subject the digest or file concerned
 * @param code LIMG_ECORRUPT (damaged data) or LIMG_ENOTFOUND (something referenced is missing)
 * @param message one line naming the file
 * @return 0 to go on, non-zero to stop (returned by limg_store_fsck())
 * @since 0.1
 */
typedef int (*limg_fsck_cb)(const char *subject, int code, const char *message, void *payload);

/**
 * Checks the store: the layout files parse, every blob (or just @p digest)
 * hashes to its name, and everything index.json reaches is present.
 * @param digest one blob to check, or NULL for the whole store
 * @param cb called per problem; may be NULL
 * @return 0 when nothing is wrong, LIMG_ECORRUPT when problems were found,
 *         or the callback's non-zero value
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_fsck(limg_store *store, const char *digest, limg_fsck_cb cb, void *payload);

/**
 * Receives one item limg_store_gc() removes (or would remove, in a dry run).
 * @param what a blob digest, or the name of a stale ingest
 * @return 0 to go on, non-zero to stop
 * @since 0.1
 */
typedef int (*limg_gc_cb)(const char *what, int64_t size, void *payload);

/** Options for limg_store_gc(). @since 0.1 */
typedef struct limg_gc_opts {
	size_t size;             /**< sizeof the struct as the caller knows it */
	int64_t ingest_max_age;  /**< seconds; older unfinished ingests are removed; <0 keeps all (default 86400) */
	int dry_run;             /**< report, remove nothing */
	limg_gc_cb removed;      /**< called per removed item; may be NULL */
	void *payload;           /**< passed to @ref removed */
} limg_gc_opts;

/** Static initializer with the defaults. @since 0.1 */
#define LIMG_GC_OPTS_INIT { sizeof(limg_gc_opts), 86400, 0, NULL, NULL }

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 0.1 */
LIMG_EXTERN(int) limg_gc_opts_init(limg_gc_opts *opts, size_t size);

/**
 * Removes the blobs that nothing in index.json reaches (tags and untagged
 * images, through indexes and manifests to configs and layers), and stale
 * ingests. Holds the index lock while it runs.
 * @return 0, LIMG_ECORRUPT (index.json unreadable: nothing is removed),
 *         LIMG_EOS, or the callback's non-zero value
 * @since 0.1
 */
LIMG_EXTERN(int) limg_store_gc(limg_store *store, const limg_gc_opts *opts);

LIMG_END_DECL

#endif /* LIBIMAGE_STORE_H */
