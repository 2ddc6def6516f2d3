/* SPDX-License-Identifier: MIT */
/**
 * @file common.h
 * @brief What every public header shares: the calling convention, the
 *        export macro, byte buffers, byte-stream callbacks and progress.
 *
 * # The calling convention (every public function follows it)
 *
 * - **Names.** Functions are `limg_<module>_<verb>`, types `limg_<noun>`,
 *   macros and enum values `LIMG_`. Verbs: `_new`/`_free` (heap objects),
 *   `_open`/`_close` (backed by a path, a file or the network), `_parse`,
 *   `_lookup` (not-found is an expected answer: LIMG_ENOTFOUND),
 *   `_foreach` (callbacks), `_iterator_new`/`_iterator_next`/`_iterator_free`
 *   (LIMG_ITEROVER at the end). Getters are the bare noun
 *   (limg_reference_tag()), setters `_set_<noun>`. Nothing ends in `_of`.
 * - **Results.** A function that can fail returns `int`: 0, or a negative
 *   `LIMG_E*` code (errors.h); never a positive value. limg_error_last()
 *   then says what failed, and limg_error_subject() what was not found.
 *   A getter that cannot fail returns its value.
 * - **Out-parameters first**, named `out` or `out_<what>`: on failure they
 *   are set to NULL (or empty). What `_new`, `_open` and `_parse` give is the
 *   caller's, released by the matching `_free` or `_close` (which accept
 *   NULL). A returned `const char *` is borrowed; its declaration says until
 *   when.
 * - **Handles carry the context.** An operation works on a store, a
 *   registry or a session, and logs and identifies itself through that
 *   handle's limg_context; no options struct carries a context. An
 *   operation on a store that may reach registries (pull, push, verify)
 *   takes the session that reaches them in its options (NULL: one of its
 *   own for the call); copy and sync, which have no store, take the session
 *   as their handle.
 * - **Options** are `limg_<op>_opts` structs whose first field is
 *   `size_t size`; **zero means the default in every field**, so every
 *   `LIMG_<OP>_OPTS_INIT` is `{ sizeof(T) }` (LIMG_SIZED_INIT()) and
 *   `limg_<op>_opts_init()` does the same for FFI. NULL options mean all
 *   defaults. Fields are only ever appended; a caller whose struct sets a
 *   field this library does not know gets LIMG_EVERSION, never silent
 *   ignorance. Choices are named enum
 *   values, never magic numbers or tri-states.
 * - **Callbacks** of an operation come in one `limg_<op>_callbacks` struct
 *   (`size` first, then the callbacks, then one `void *payload` that every
 *   callback of the operation receives last), passed right after the
 *   options. What a callback returns is ruled once, in errors.h. Three
 *   take a bare callback instead, for they are no operation: a context's
 *   log (limg_context_set_log(), set once for every call), and the stream
 *   primitives limg_decompressor_update() and limg_digest_verify_stream(),
 *   whose callback is where their output goes.
 * - **Cancellation.** Every call that may block takes a limg_cancel token
 *   in its options (`cancel`), which any thread may trigger.
 * - **Arrays of structs that may grow** are passed as arrays of pointers
 *   (`const limg_endpoint *const *`), so each element carries its own size.
 * - **Byte streams** go through limg_read_cb and limg_write_cb; progress of
 *   every long operation through limg_progress_cb.
 * - No variadic functions, no global state to set up, nothing printed.
 */
#ifndef LIBIMAGE_COMMON_H
#define LIBIMAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
# define LIMG_BEGIN_DECL extern "C" {
# define LIMG_END_DECL }
#else
/** Opens the C linkage block of a header (`extern "C" {` for C++). */
# define LIMG_BEGIN_DECL
/** Closes the C linkage block of a header (`}` for C++). */
# define LIMG_END_DECL
#endif

/** Marks a function as part of the public ABI (exported; everything else is hidden). */
#if defined(_WIN32)
# if defined(LIMG_BUILDING_SHARED)
#  define LIMG_EXTERN(type) extern __declspec(dllexport) type
# else
#  define LIMG_EXTERN(type) extern type
# endif
#elif defined(__GNUC__)
# define LIMG_EXTERN(type) extern __attribute__((visibility("default"))) type
#else
# define LIMG_EXTERN(type) extern type
#endif

/**
 * The initializer every `LIMG_*_INIT` macro of an options or callbacks
 * struct expands to: the size field set, every other field zero (the
 * default). Designated in C, so that -Wextra stays quiet.
 * @since 1.0
 */
#ifdef __cplusplus
# define LIMG_SIZED_INIT(type) { sizeof(type) }
#else
# define LIMG_SIZED_INIT(type) { .size = sizeof(type) }
#endif

LIMG_BEGIN_DECL

/**
 * A byte buffer the library fills and the caller releases.
 *
 * `ptr` is NUL-terminated when the library fills it with text; `size` does
 * not count that NUL. Release with limg_buf_dispose(); a buffer set to
 * LIMG_BUF_INIT needs no release. Its memory is the library's (see
 * limg_allocator): never free() it, and put bytes of your own into a buffer
 * with limg_buf_set(), never by setting `ptr`.
 *
 * @since 1.0
 */
typedef struct limg_buf {
	char *ptr;       /**< the bytes, or NULL when empty */
	size_t size;     /**< number of bytes in use */
	size_t reserved; /**< bytes allocated; 0 when the buffer owns nothing */
} limg_buf;

/** Static initializer for an empty limg_buf. @since 1.0 */
#define LIMG_BUF_INIT { NULL, 0, 0 }

/**
 * Frees what a limg_buf owns and resets it to empty.
 *
 * @param buf the buffer; NULL is accepted and ignored.
 * @since 1.0
 */
LIMG_EXTERN(void) limg_buf_dispose(limg_buf *buf);

/**
 * Replaces a buffer's contents with a copy of @p len bytes (NUL-terminated),
 * for callbacks that hand data back to the library.
 *
 * @param buf the buffer
 * @param data the bytes (may be NULL when @p len is 0)
 * @param len number of bytes
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_buf_set(limg_buf *buf, const void *data, size_t len);

/**
 * Supplies the next bytes of a stream the library reads (an archive to
 * load, a blob to upload).
 *
 * @param out_len receives how many bytes were written to @p buf; 0 means
 *        the end of the stream
 * @param buf where to write
 * @param cap room in @p buf (never 0)
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops the operation (errors.h)
 * @since 1.0
 */
typedef int (*limg_read_cb)(size_t *out_len, void *buf, size_t cap, void *payload);

/**
 * Receives the next bytes of a stream the library writes (an archive
 * saved, a blob fetched, decompressed data).
 *
 * @param data the bytes; borrowed for the call
 * @param len how many (never 0)
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops the operation (errors.h)
 * @since 1.0
 */
typedef int (*limg_write_cb)(const void *data, size_t len, void *payload);

/** The kinds of blob a progress report is about. Values are ABI. @since 1.0 */
typedef enum limg_blob_kind {
	LIMG_BLOB_NONE = 0,     /**< no blob: an overall report */
	LIMG_BLOB_LAYER = 1,    /**< a layer */
	LIMG_BLOB_CONFIG = 2,   /**< an image config */
	LIMG_BLOB_MANIFEST = 3  /**< a manifest or an index */
} limg_blob_kind;

/**
 * What a progress report says. One set for every operation, so that one
 * display serves pull, push, copy, unpack, save and load. Values are ABI.
 * @since 1.0
 */
typedef enum limg_event {
	/* moving blobs (pull, push, copy) */
	LIMG_EVENT_WAITING = 1,      /**< queued ("Pulling fs layer", "Preparing", "Waiting") */
	LIMG_EVENT_EXISTS = 2,       /**< the destination has it ("Already exists", "Layer already exists") */
	LIMG_EVENT_DOWNLOADING = 3,  /**< bytes arriving: done of total */
	LIMG_EVENT_VERIFYING = 4,    /**< all bytes here; checking digests */
	LIMG_EVENT_DOWNLOADED = 5,   /**< verified ("Download complete") */
	LIMG_EVENT_COMPLETE = 6,     /**< committed to the store ("Pull complete") */
	LIMG_EVENT_SKIPPED = 7,      /**< a foreign layer that is not moved */
	LIMG_EVENT_OVERALL = 8,      /**< all blobs together: done of total bytes (digest NULL) */
	LIMG_EVENT_MOUNTED = 9,      /**< mounted from another repository (detail: that repository) */
	LIMG_EVENT_UPLOADING = 10,   /**< bytes going out: done of total ("Pushing") */
	LIMG_EVENT_PUSHED = 11,      /**< uploaded ("Pushed") */
	LIMG_EVENT_MANIFEST_PUT = 12,/**< a manifest was put: total its size; detail the tag, or NULL (by digest) */
	/* applying layers (unpack) */
	LIMG_EVENT_LAYER_START = 20, /**< a layer starts: done is its index (from 0), total the count */
	LIMG_EVENT_APPLYING = 21,    /**< compressed bytes of the layer applied: done of total */
	LIMG_EVENT_LAYER_DONE = 22,  /**< the layer is applied and verified */
	LIMG_EVENT_BUNDLE = 23,      /**< a runtime bundle's config.json was written (digest NULL) */
	/* archives (save, load) */
	LIMG_EVENT_WRITING = 30,     /**< a blob goes into the archive: done of total */
	LIMG_EVENT_READING = 31      /**< archive bytes read: done of total (-1: unknown) */
} limg_event;

/**
 * Reports progress of a long operation. Calls of one operation never
 * overlap, though they may come from different threads. Operations send
 * only the events that concern them; a program should ignore events it
 * does not know (a newer library may add some).
 *
 * @param digest the blob, or NULL for reports about the whole operation
 * @param kind a limg_blob_kind
 * @param event a limg_event
 * @param done bytes (or items) so far
 * @param total bytes (or items) expected, or -1 when unknown
 * @param detail what the event names (see limg_event), or NULL; borrowed for the call
 * @param payload the operation's payload
 * @return 0 to go on; anything else stops the operation promptly (errors.h)
 * @since 1.0
 */
typedef int (*limg_progress_cb)(const char *digest, int kind, int event, int64_t done, int64_t total,
                                const char *detail, void *payload);

LIMG_END_DECL

#endif /* LIBIMAGE_COMMON_H */
