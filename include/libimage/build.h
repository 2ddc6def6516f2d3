/* SPDX-License-Identifier: MIT */
/**
 * @file build.h
 * @brief Building images without a daemon: layers from directories, files,
 *        tars and image differences; an image builder (base or scratch,
 *        config, history, annotations, commit under a tag); indexes; and
 *        crane's verbs on stored images (flatten, rebase; mutate and append
 *        are the builder started from an image).
 *
 * # Reproducible by default
 *
 * The same inputs give the same digests, on any day, in any directory
 * order, as any user:
 *
 * - Entries are sorted (each directory right before what it holds, names
 *   in byte order: what `tar --sort=name` writes), every parent directory
 *   is present, owners are 0:0 with empty user and group names (or the
 *   files' numeric ids, limg_layer_opts.owner), and every mtime is
 *   limg_layer_opts.epoch (SOURCE_DATE_EPOCH; 1970-01-01 when unset), or
 *   clamped to it. No atime, ctime, user database or process id reaches a
 *   header. ustar headers, a PAX header only where ustar cannot say it
 *   (names over 256 bytes, link targets over 100, big ids and sizes,
 *   extended attributes such as file capabilities). Hard links stay links;
 *   device nodes and FIFOs are kept; sockets are left out.
 * - The diff_id (the tar's sha256) depends on the entries alone. The
 *   compressed digest also depends on the compressor, pinned here: gzip is
 *   libdeflate's at level 6 (1-12), one gzip member per 1 MiB of tar;
 *   zstd is libzstd's at level 3 (1-19) with its worker jobs (same bytes
 *   whatever the number of threads). Another libdeflate or libzstd version
 *   may compress differently: its diff_ids stay the same, its digests may
 *   not.
 * - Image times are the base's, or limg_builder_opts.created when set; a
 *   base's own history entries are never rewritten.
 *
 * # Untrusted directories
 *
 * A directory is read beneath its descriptors, never following a symlink
 * (a symlink loop is just links in the layer); a directory mounted inside
 * itself is refused (LIMG_ECONFLICT). A file that changes while it is read
 * (its size, mtime or ctime, or what the name points to) fails the layer
 * with LIMG_ECONFLICT and subject FILE: the tar is never one whose digest
 * lies about its content. Paths longer than 4095 bytes fail with
 * LIMG_ETOOBIG; unreadable files and directories with LIMG_ESYSTEM naming
 * them. Memory stays flat with the number of entries: one directory's
 * names at a time are held, not the tree.
 */
#ifndef LIBIMAGE_BUILD_H
#define LIBIMAGE_BUILD_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "store.h"

LIMG_BEGIN_DECL

/* ---- layers ------------------------------------------------------------- */

/** How a new layer is compressed. Values are ABI. @since 1.0 */
typedef enum limg_layer_codec {
	LIMG_LAYER_GZIP = 0,        /**< gzip: libdeflate, level 6 by default (1-12) */
	LIMG_LAYER_ZSTD = 1,        /**< zstd: libzstd, level 3 by default (1-19) */
	LIMG_LAYER_UNCOMPRESSED = 2 /**< a plain tar */
} limg_layer_codec;

/** The mtimes a new layer's entries get. Values are ABI. @since 1.0 */
typedef enum limg_layer_times {
	LIMG_TIMES_EPOCH = 0, /**< every entry: limg_layer_opts.epoch */
	LIMG_TIMES_CLAMP = 1, /**< the file's own, but none later than limg_layer_opts.epoch */
	LIMG_TIMES_KEEP = 2   /**< the file's own (seconds) */
} limg_layer_times;

/** The owners a new layer's entries get. Values are ABI. @since 1.0 */
typedef enum limg_layer_owner {
	LIMG_OWNER_FIXED = 0, /**< limg_layer_opts.uid and gid (0:0 by default) */
	LIMG_OWNER_KEEP = 1   /**< the files' numeric uid and gid */
} limg_layer_owner;

/** Options of the limg_layer_new_* functions; zero means the default in every field. @since 1.0 */
typedef struct limg_layer_opts {
	size_t size;                /**< sizeof the struct as the caller knows it */
	int compression;            /**< a limg_layer_codec */
	int level;                  /**< the compression level; 0: the default of the compression */
	int times;                  /**< a limg_layer_times */
	int64_t epoch;              /**< seconds since 1970 (SOURCE_DATE_EPOCH); 0: 1970-01-01 */
	int owner;                  /**< a limg_layer_owner */
	uint32_t uid;               /**< with LIMG_OWNER_FIXED */
	uint32_t gid;               /**< with LIMG_OWNER_FIXED */
	const char *prefix;         /**< where the directory's root (or the files' paths) go in the image
	                                 ("/app"); NULL: the image's root. Its parents are made 0755 unless
	                                 the base (below) has them */
	const char *const *removed; /**< paths to remove from the layers below ("/etc/motd"): whiteouts */
	size_t removed_len;         /**< number of @ref removed */
	int no_xattrs;              /**< leave extended attributes out (default: all but security.selinux) */
	int threads;                /**< compression threads; 0: 2 */
	int64_t max_entries;        /**< entries a layer (written or read) may hold; 0: LIMG_LAYER_ENTRIES_MAX_DEFAULT */
	const char *platform;       /**< limg_layer_new_from_diff() and the base (below): the image of an index;
	                                 NULL: as limg_image_lookup() chooses */
	limg_cancel *cancel;        /**< stops the layer from any thread; may be NULL */
	const char *base;           /**< the stored image the layer will sit on: the directories the layer
	                                 writes above @ref prefix and above @ref removed paths get that
	                                 image's owner, mode, times and xattrs (applying the layer leaves
	                                 them as they were, as in the layers docker builds; the base is
	                                 read once), and one that is no directory there (a symlink) is
	                                 refused (LIMG_ECONFLICT); NULL: they are made 0755 with the
	                                 layer's owner. limg_layer_new_from_diff() takes them from its
	                                 image */
} limg_layer_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_LAYER_OPTS_INIT LIMG_SIZED_INIT(limg_layer_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_layer_opts_init(limg_layer_opts *opts, size_t size);

/** Callbacks of the limg_layer_new_* functions and of limg_build_flatten(). @since 1.0 */
typedef struct limg_layer_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_progress_cb progress; /**< LIMG_EVENT_WRITING (tar bytes written so far, total -1; every
	                                4 MiB), LIMG_EVENT_COMPLETE (digest: the stored layer); from the
	                                caller's thread; may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_layer_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_LAYER_CALLBACKS_INIT LIMG_SIZED_INIT(limg_layer_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_layer_callbacks_init(limg_layer_callbacks *cb, size_t size);

/** A layer in the store, with what an image needs to list it. @since 1.0 */
typedef struct limg_layer limg_layer;

/**
 * A layer from a directory tree: everything beneath @p dir (which itself
 * may be a symlink), in the order and with the metadata the file comment
 * describes, streamed into the store: the tar is hashed (diff_id) and
 * compressed as it is written, the compressed bytes hashed (digest) as they
 * are stored; nothing is held whole in memory or written twice.
 *
 * @param out receives the layer; free with limg_layer_free(). While it
 *        lives, a store gc keeps its blob.
 * @param store the store
 * @param dir the directory
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0; LIMG_ENOTFOUND (subject FILE: no such directory);
 *         LIMG_ECONFLICT (subject FILE: a file changed while read, a
 *         directory mounted in itself, a removed path the directory also
 *         holds); LIMG_ETOOBIG (a path over 4095 bytes, more entries than
 *         max_entries); LIMG_ESYSTEM (subject FILE: unreadable);
 *         LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOSPACE, LIMG_ECANCELLED, or
 *         what a callback returned to stop. On failure nothing is stored.
 * @since 1.0
 */
LIMG_EXTERN(int) limg_layer_new_from_dir(limg_layer **out, limg_store *store, const char *dir,
                                         const limg_layer_opts *opts, const limg_layer_callbacks *cb);

/** What a limg_layer_file is. Values are ABI. @since 1.0 */
typedef enum limg_file_type {
	LIMG_FILE_REGULAR = 0,   /**< a regular file: its bytes from `source` or `data` */
	LIMG_FILE_DIRECTORY = 1, /**< a directory */
	LIMG_FILE_SYMLINK = 2    /**< a symbolic link to `link` */
} limg_file_type;

/** One entry of limg_layer_new_from_files(); zero means the default in every field. @since 1.0 */
typedef struct limg_layer_file {
	size_t size;         /**< sizeof the struct as the caller knows it */
	const char *path;    /**< where it goes in the image ("/app/server"), under limg_layer_opts.prefix */
	int type;            /**< a limg_file_type */
	const char *source;  /**< a regular file's bytes: this file (symlinks followed) */
	const void *data;    /**< or these bytes (when @ref source is NULL) */
	size_t data_len;     /**< number of bytes at @ref data */
	unsigned mode;       /**< permission bits (07777); 0: the source's, else 0644 (0755 for a
	                          directory, 0777 for a symlink) */
	const char *link;    /**< a symlink's target */
	uint32_t uid;        /**< owner (the layer's owner options do not apply to listed files) */
	uint32_t gid;        /**< group */
} limg_layer_file;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_LAYER_FILE_INIT LIMG_SIZED_INIT(limg_layer_file)

/** Fills @p file with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_layer_file_init(limg_layer_file *file, size_t size);

/**
 * A layer from a list of files with their in-image paths and modes (what
 * ko and jib make): sorted, parents made (0755, 0:0), mtimes by
 * limg_layer_opts.times (the epoch for data and directories).
 * @param out receives the layer; free with limg_layer_free()
 * @param store the store
 * @param files the entries (each with its own size)
 * @param files_len how many
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return as limg_layer_new_from_dir(); LIMG_EINVALID (subject FILE) for
 *         a path listed twice, or one that is not a clean absolute or
 *         relative path
 * @since 1.0
 */
LIMG_EXTERN(int) limg_layer_new_from_files(limg_layer **out, limg_store *store, const limg_layer_file *const *files,
                                           size_t files_len, const limg_layer_opts *opts,
                                           const limg_layer_callbacks *cb);

/**
 * A layer from a tar (what `crane append -f` takes): plain, gzip or zstd,
 * as its first bytes say. A compressed tar is stored as it is; a plain one
 * is compressed as the options say (times, owners, prefix and removed do
 * not apply: the tar is the layer). Every entry is read through, so what
 * is not a tar is refused.
 * @param out receives the layer; free with limg_layer_free()
 * @param store the store
 * @param fd where the tar is read from (to its end; not closed)
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0; LIMG_ECORRUPT (subject LAYER: not a tar, a damaged stream, a
 *         name that leaves the root); LIMG_ESYSTEM; and as above
 * @since 1.0
 */
LIMG_EXTERN(int) limg_layer_new_from_tar(limg_layer **out, limg_store *store, int fd, const limg_layer_opts *opts,
                                         const limg_layer_callbacks *cb);

/**
 * The layer that turns an image's root filesystem into @p dir (what
 * `umoci repack` writes): entries new or changed in @p dir (type, mode,
 * owner, size, content, link target, device, extended attributes; mtimes
 * are not compared, as they are not kept), and a whiteout for each path of
 * the image @p dir no longer has. The image's layers are read and checked
 * against their diff_ids; @p dir is read once, a file's content only when
 * its size matches. Owners are always the directory's (as if
 * limg_layer_opts.owner were LIMG_OWNER_KEEP): a directory unpacked by
 * limg_unpack() as root and left alone gives a layer with no entry.
 * @param out receives the layer; free with limg_layer_free()
 * @param store the store
 * @param image the image (a reference, digest or ID, as limg_image_lookup())
 * @param dir its root filesystem, changed
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return as limg_layer_new_from_dir(); LIMG_ENOTFOUND (subject IMAGE)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_layer_new_from_diff(limg_layer **out, limg_store *store, const char *image, const char *dir,
                                          const limg_layer_opts *opts, const limg_layer_callbacks *cb);

/**
 * A stored blob as a layer (crane's append of a layer by digest): its
 * compression from its first bytes, its diff_id from what the store knows
 * or by reading it through.
 * @param out receives the layer; free with limg_layer_free()
 * @param store the store
 * @param digest the blob
 * @return 0, LIMG_ENOTFOUND (subject BLOB), LIMG_ECORRUPT (not a tar),
 *         digest errors
 * @since 1.0
 */
LIMG_EXTERN(int) limg_layer_lookup(limg_layer **out, limg_store *store, const char *digest);

/** Frees a layer (the blob stays in the store); NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_layer_free(limg_layer *layer);
/** The stored blob's digest ("sha256:..."); borrowed until the layer is freed. @since 1.0 */
LIMG_EXTERN(const char *) limg_layer_digest(const limg_layer *layer);
/** The tar's digest (the config's diff_id); borrowed until the layer is freed. @since 1.0 */
LIMG_EXTERN(const char *) limg_layer_diff_id(const limg_layer *layer);
/** The stored blob's size in bytes. @since 1.0 */
LIMG_EXTERN(int64_t) limg_layer_size(const limg_layer *layer);
/** The tar's size in bytes. @since 1.0 */
LIMG_EXTERN(int64_t) limg_layer_tar_size(const limg_layer *layer);
/** The blob's compression, a limg_compression (compress.h). @since 1.0 */
LIMG_EXTERN(int) limg_layer_compression(const limg_layer *layer);

/* ---- the image builder -------------------------------------------------- */

/** Which media types a built image has. Values are ABI. @since 1.0 */
typedef enum limg_build_format {
	LIMG_FORMAT_AUTO = 0,  /**< the base's; OCI from scratch */
	LIMG_FORMAT_OCI = 1,   /**< OCI image manifest and config */
	LIMG_FORMAT_DOCKER = 2 /**< Docker schema 2 (no zstd layers) */
} limg_build_format;

/** Options of limg_builder_new(); zero means the default in every field. @since 1.0 */
typedef struct limg_builder_opts {
	size_t size;              /**< sizeof the struct as the caller knows it */
	const char *platform;     /**< of a base index: which image; of scratch: the new image's
	                               ("linux/arm64/v8"); NULL: this machine's */
	int format;               /**< a limg_build_format */
	int set_created;          /**< the image's time is @ref created (also every new history entry's);
	                               else the base's (1970-01-01 from scratch) */
	int64_t created;          /**< seconds since 1970 (SOURCE_DATE_EPOCH), with @ref set_created */
	int no_base_annotations;  /**< do not record the base as org.opencontainers.image.base.name and
	                               .base.digest (default: recorded when there is a base) */
	limg_cancel *cancel;      /**< stops limg_builder_commit() from any thread; may be NULL */
} limg_builder_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_BUILDER_OPTS_INIT LIMG_SIZED_INIT(limg_builder_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_builder_opts_init(limg_builder_opts *opts, size_t size);

/** An image being built: a base, layers appended, config edits. @since 1.0 */
typedef struct limg_builder limg_builder;

/**
 * Starts an image from a stored image (found as limg_image_lookup() finds
 * it: a reference, digest or ID) or from nothing.
 * @param out receives the builder; free with limg_builder_free(). While it
 *        lives, a store gc keeps the base's blobs and what it added.
 * @param store the store
 * @param base the base image, or NULL or "scratch" for none
 * @param opts options, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_EPLATFORM,
 *         LIMG_EUNSUPPORTED (a base whose config is not an image config, or
 *         holds numbers JSON cannot carry exactly), LIMG_EMANIFEST,
 *         LIMG_EINVALID, LIMG_EVERSION
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_new(limg_builder **out, limg_store *store, const char *base,
                                  const limg_builder_opts *opts);

/** Frees a builder (what it stored stays until a gc); NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_builder_free(limg_builder *builder);

/**
 * Appends a layer: to the manifest, its diff_id to the config, and a
 * history entry (created, created_by, comment).
 * @param builder the builder
 * @param layer the layer (the builder keeps what it needs; free it when you like)
 * @param created_by the history's created_by ("COPY app /app"), or NULL
 * @param comment the history's comment, or NULL
 * @return 0, LIMG_EUNSUPPORTED (a zstd layer in a Docker-format image),
 *         LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_append_layer(limg_builder *builder, const limg_layer *layer, const char *created_by,
                                           const char *comment);

/**
 * Adds a history entry without a layer (`empty_layer`), as Docker records
 * ENV or CMD steps.
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_add_history(limg_builder *builder, const char *created_by, const char *comment);

/**
 * Sets Entrypoint (Dockerfile ENTRYPOINT, exec form).
 * @param builder the builder
 * @param args the words; NULL removes the setting (an empty list sets `[]`)
 * @param args_len how many
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_entrypoint(limg_builder *builder, const char *const *args, size_t args_len);
/** Sets Cmd (Dockerfile CMD, exec form), as limg_builder_set_entrypoint(). @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_cmd(limg_builder *builder, const char *const *args, size_t args_len);
/**
 * Sets Shell (Dockerfile SHELL: the program and arguments shell-form
 * commands run with, `["/bin/sh", "-c"]` when unset), as
 * limg_builder_set_entrypoint() (an empty list is refused, as docker does).
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_shell(limg_builder *builder, const char *const *args, size_t args_len);
/**
 * Sets OnBuild (Dockerfile ONBUILD: the instructions, as text such as
 * `"RUN make"`, that a build on this image runs first), as
 * limg_builder_set_entrypoint().
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_onbuild(limg_builder *builder, const char *const *triggers, size_t triggers_len);
/**
 * Sets an environment variable (Dockerfile ENV), replacing one of the same
 * name where it stands, else at the end.
 * @param builder the builder
 * @param name the name (no "=")
 * @param value the value; NULL removes the variable
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_env(limg_builder *builder, const char *name, const char *value);
/** Sets a label (Dockerfile LABEL); a NULL @p value removes it. Labels are kept sorted. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_label(limg_builder *builder, const char *key, const char *value);
/** Sets User (Dockerfile USER: "user", "uid", "user:group"); NULL removes it. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_user(limg_builder *builder, const char *user);
/** Sets WorkingDir (Dockerfile WORKDIR; absolute); NULL removes it. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_working_dir(limg_builder *builder, const char *dir);
/** Sets StopSignal (Dockerfile STOPSIGNAL: "SIGTERM", "15"); NULL removes it. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_stop_signal(limg_builder *builder, const char *signal);
/** Sets the config's author (Dockerfile MAINTAINER); NULL removes it. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_author(limg_builder *builder, const char *author);
/**
 * Adds an exposed port (Dockerfile EXPOSE): "80", "80/tcp", "53/udp",
 * "8000-8002/tcp" (each port of a range). Kept sorted.
 * @return 0, LIMG_EINVALID (not a port), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_add_exposed_port(limg_builder *builder, const char *port);
/** Adds a volume (Dockerfile VOLUME; an absolute path). Kept sorted. @since 1.0 */
LIMG_EXTERN(int) limg_builder_add_volume(limg_builder *builder, const char *path);

/** Options of limg_builder_set_healthcheck(); zero means unset (the runtime's default). @since 1.0 */
typedef struct limg_healthcheck_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	int64_t interval;       /**< nanoseconds between checks */
	int64_t timeout;        /**< nanoseconds a check may take */
	int64_t start_period;   /**< nanoseconds of start-up during which failures do not count */
	int64_t start_interval; /**< nanoseconds between checks during the start period */
	int retries;            /**< failures in a row that make the container unhealthy */
} limg_healthcheck_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_HEALTHCHECK_OPTS_INIT LIMG_SIZED_INIT(limg_healthcheck_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_healthcheck_opts_init(limg_healthcheck_opts *opts, size_t size);

/**
 * Sets Healthcheck (Dockerfile HEALTHCHECK).
 * @param builder the builder
 * @param test the test: {"CMD", arg...}, {"CMD-SHELL", command} or {"NONE"}
 *        (checks off); NULL removes the setting (the base's is inherited no more)
 * @param test_len how many words
 * @param opts interval, timeout, start period, retries; NULL: all unset
 * @return 0, LIMG_EINVALID (another first word, negative durations), LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_healthcheck(limg_builder *builder, const char *const *test, size_t test_len,
                                              const limg_healthcheck_opts *opts);
/**
 * Sets the image's platform (architecture, os, variant) in its config.
 * @param builder the builder
 * @param platform "os/arch[/variant]" ("linux/arm64/v8")
 * @return 0, LIMG_EINVALID (subject PLATFORM), LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_set_platform(limg_builder *builder, const char *platform);
/** Sets a manifest annotation; a NULL @p value removes it. @since 1.0 */
LIMG_EXTERN(int) limg_builder_set_annotation(limg_builder *builder, const char *key, const char *value);

/**
 * Writes the config and the manifest into the store and, with @p tag, tags
 * the image (else it is kept as an untagged image). The builder may go on
 * and commit again.
 * @param out_digest receives the manifest's digest; release with limg_buf_dispose()
 * @param builder the builder
 * @param tag a reference to tag the image with ("myapp:1.0"), or NULL
 * @return 0, LIMG_EREF_* (the tag), LIMG_ESYSTEM, LIMG_ENOSPACE, LIMG_ECANCELLED
 * @since 1.0
 */
LIMG_EXTERN(int) limg_builder_commit(limg_buf *out_digest, limg_builder *builder, const char *tag);

/* ---- verbs on stored images -------------------------------------------- */

/** Options of limg_build_flatten(); zero means the default in every field. @since 1.0 */
typedef struct limg_flatten_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	int compression;      /**< the new layer's, a limg_layer_codec */
	int level;            /**< its level; 0: the default */
	int threads;          /**< compression threads; 0: 2 */
	limg_cancel *cancel;  /**< stops the flatten from any thread; may be NULL */
} limg_flatten_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_FLATTEN_OPTS_INIT LIMG_SIZED_INIT(limg_flatten_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_flatten_opts_init(limg_flatten_opts *opts, size_t size);

/**
 * Flattens an image (crane flatten): one layer holding what its layers
 * unpack to (whiteouts applied, every entry's metadata kept, layers checked
 * against their diff_ids), the config with one history entry whose comment
 * is the JSON of the old history, the manifest's annotations kept. An
 * index gives an index of the flattened images of its stored platforms
 * (platforms not in the store are left out of it).
 * @param out_digest receives the new manifest's (or index's) digest; release with limg_buf_dispose()
 * @param store the store
 * @param image the image (as limg_image_lookup() takes it; an index when the name is one)
 * @param tag a reference for the result, or NULL (kept untagged)
 * @param opts options, or NULL
 * @param cb callbacks (progress of the new layer), or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECORRUPT, LIMG_EDIGEST_MISMATCH
 *         (a layer is not what its config says), LIMG_EUNSUPPORTED (a layer
 *         that lists a file twice), LIMG_ECANCELLED, ...
 * @since 1.0
 */
LIMG_EXTERN(int) limg_build_flatten(limg_buf *out_digest, limg_store *store, const char *image, const char *tag,
                                    const limg_flatten_opts *opts, const limg_layer_callbacks *cb);

/** Options of limg_build_rebase(); zero means the default in every field. @since 1.0 */
typedef struct limg_rebase_opts {
	size_t size;              /**< sizeof the struct as the caller knows it */
	const char *platform;     /**< of indexes: which image of each; NULL: as limg_image_lookup() chooses */
	int no_base_annotations;  /**< do not record the new base as org.opencontainers.image.base.* */
	limg_cancel *cancel;      /**< stops the rebase from any thread; may be NULL */
} limg_rebase_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_REBASE_OPTS_INIT LIMG_SIZED_INIT(limg_rebase_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_rebase_opts_init(limg_rebase_opts *opts, size_t size);

/**
 * Rebases an image (crane rebase): its layers above @p old_base on top of
 * @p new_base's layers, after checking that its first layers are
 * @p old_base's (by diff_id). The config is the image's, with the new
 * base's platform and diff_ids; history is the new base's followed by the
 * image's own entries above the old base's. Only safe where the layers on
 * top do not depend on what changed below (crane's warning holds here too).
 * @param out_digest receives the new manifest's digest; release with limg_buf_dispose()
 * @param store the store
 * @param image the image to rebase
 * @param old_base the base it was built on
 * @param new_base the base to put under it
 * @param tag a reference for the result, or NULL (kept untagged)
 * @param opts options, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECONFLICT (subject IMAGE:
 *         @p image does not sit on @p old_base), LIMG_EUNSUPPORTED, ...
 * @since 1.0
 */
LIMG_EXTERN(int) limg_build_rebase(limg_buf *out_digest, limg_store *store, const char *image, const char *old_base,
                                   const char *new_base, const char *tag, const limg_rebase_opts *opts);

/** Options of limg_build_index(); zero means the default in every field. @since 1.0 */
typedef struct limg_index_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	int format;           /**< a limg_build_format: AUTO is a Docker manifest list when every image
	                           is Docker's, else an OCI index */
	limg_cancel *cancel;  /**< stops the assembly from any thread; may be NULL */
} limg_index_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_INDEX_OPTS_INIT LIMG_SIZED_INIT(limg_index_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_index_opts_init(limg_index_opts *opts, size_t size);

/**
 * Assembles an index (manifest list) from per-platform images, each entry's
 * platform read from its config.
 * @param out_digest receives the index's digest; release with limg_buf_dispose()
 * @param store the store
 * @param images the images (references, digests or IDs of image manifests)
 * @param images_len how many (at least one)
 * @param tag a reference for the index, or NULL (kept untagged)
 * @param opts options, or NULL
 * @return 0, LIMG_ENOTFOUND (subject IMAGE), LIMG_ECONFLICT (two images of
 *         one platform; with LIMG_FORMAT_DOCKER, an image of OCI media types),
 *         LIMG_EINVALID (an index among the images), ...
 * @since 1.0
 */
LIMG_EXTERN(int) limg_build_index(limg_buf *out_digest, limg_store *store, const char *const *images,
                                  size_t images_len, const char *tag, const limg_index_opts *opts);

/** Options of limg_build_spec(); zero means the default in every field. @since 1.0 */
typedef struct limg_spec_opts {
	size_t size;          /**< sizeof the struct as the caller knows it */
	const char *dir;      /**< what the spec's relative paths are relative to; NULL: the current directory */
	const char *tag;      /**< tags the image instead of the spec's "tag" (NULL: the spec's, if any) */
	int set_epoch;        /**< @ref epoch is SOURCE_DATE_EPOCH: the image's time and the layers' mtimes */
	int64_t epoch;        /**< seconds since 1970, with @ref set_epoch (the spec's "created" wins) */
	limg_cancel *cancel;  /**< stops the build from any thread; may be NULL */
} limg_spec_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SPEC_OPTS_INIT LIMG_SIZED_INIT(limg_spec_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_spec_opts_init(limg_spec_opts *opts, size_t size);

/**
 * Builds an image from a small JSON description (what `limg-build FILE`
 * reads), read strictly: an unknown key, a duplicate key or a value of the
 * wrong type is an error naming where it is.
 *
 * ```json
 * {
 *   "base": "debian:bookworm",            (or "scratch", the default)
 *   "platform": "linux/amd64",            (of a base index; of scratch)
 *   "format": "oci",                      (or "docker"; default: the base's)
 *   "created": 1700000000,                (seconds; default: SOURCE_DATE_EPOCH, else the base's)
 *   "layers": [
 *     {"dir": "rootfs", "prefix": "/app", "removed": ["/etc/motd"],
 *      "owner": "root", "times": "epoch", "compression": "gzip", "created_by": "COPY rootfs /app"},
 *     {"tar": "extra.tar.gz"}
 *   ],
 *   "config": {
 *     "Entrypoint": ["/app/run"], "Cmd": ["--serve"], "Env": ["MODE=prod"],
 *     "Labels": {"org.example": "x"}, "User": "1000:1000", "WorkingDir": "/app",
 *     "ExposedPorts": ["8080/tcp"], "Volumes": ["/data"], "StopSignal": "SIGTERM",
 *     "Healthcheck": {"Test": ["CMD", "/app/run", "--check"], "Interval": "30s",
 *                     "Timeout": "5s", "StartPeriod": "1m", "Retries": 3}
 *   },
 *   "annotations": {"org.opencontainers.image.source": "https://example.com/app"},
 *   "tag": "myapp:1.0"
 * }
 * ```
 *
 * Layer keys: "dir" or "tar" (one of them), and for a directory "prefix",
 * "removed", "owner" ("root": 0:0, or "keep"), "times" ("epoch", "clamp",
 * "keep"); for both "compression" ("gzip", "zstd", "none"), "created_by"
 * and "comment" (the history entry). Durations are Go's ("1m30s", "500ms")
 * or nanoseconds.
 * @param out_digest receives the image's manifest digest; release with limg_buf_dispose()
 * @param store the store
 * @param text the JSON
 * @param len its length in bytes
 * @param opts options, or NULL
 * @param cb the layers' progress (each layer's blob, as the limg_layer_new_*
 *        functions report it), or NULL
 * @return 0; LIMG_EINVALID (subject FILE: the spec, with where in it), and
 *         what limg_builder_new(), the limg_layer_new_* functions and
 *         limg_builder_commit() return, or what a callback returned to stop
 * @since 1.0
 */
LIMG_EXTERN(int) limg_build_spec(limg_buf *out_digest, limg_store *store, const char *text, size_t len,
                                 const limg_spec_opts *opts, const limg_layer_callbacks *cb);

LIMG_END_DECL

#endif /* LIBIMAGE_BUILD_H */
