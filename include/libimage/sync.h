/* SPDX-License-Identifier: MIT */
/**
 * @file sync.h
 * @brief Mirroring many images, as `skopeo sync` does: from a list of
 *        repositories and tag selections (skopeo's YAML is read as it is)
 *        to a registry, to directories an air gap can carry, or to a store.
 *
 * A sync that finds nothing changed is cheap: the destination's tags are
 * listed once per repository, and each image costs one HEAD at the source
 * and, when the destination lists its tag, one HEAD there (no manifest GET,
 * which Docker Hub counts, and no blob). Images and blobs move in parallel,
 * sharing one session (one connection pool and token cache per registry;
 * its max_requests_per_second paces each registry, max_connections bounds
 * what is in flight there at once, and a 429 holds back
 * every request to that registry). A blob that several images share moves
 * once and is mounted from the repository that got it for the others. A
 * killed sync resumes: finished images are up to date, blobs already at the
 * destination are not sent again. One image that fails does not stop the
 * others; the report says what was copied, what was up to date, what failed
 * and why, and how many requests each registry received.
 *
 * Everything a source or a destination says is untrusted: manifests and
 * blobs are checked against their digests, listed tags against the
 * reference grammar (others are never chosen), messages escaped.
 */
#ifndef LIBIMAGE_SYNC_H
#define LIBIMAGE_SYNC_H

#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "registry.h"
#include "sign.h"

LIMG_BEGIN_DECL

/** What to mirror: repositories with their tag selections, directories, and per-registry settings. @since 1.0 */
typedef struct limg_sync_list limg_sync_list;

/**
 * Reads a source list in skopeo sync's YAML format (`--src yaml`):
 *
 *     registry.example.com:
 *       images:
 *         busybox: []                     # every tag
 *         redis: ["1.0", "2.0", "sha256:<hex>"]
 *       images-by-tag-regex:
 *         nginx: ^1\.13\.[12]-alpine-perl$
 *       images-by-semver:
 *         alpine: ">= 3.18, < 4"
 *       credentials: { ... }              # username: ..., password: ...
 *       tls-verify: false
 *       cert-dir: /home/john/certs
 *
 * The YAML is read by a strict reader of the subset such files use (block
 * maps and lists, plain and quoted scalars on one line, flow lists of
 * scalars); anything else, an unknown key, a regular expression or range
 * that does not compile, is refused with the file and line.
 *
 * @param out receives the list; free with limg_sync_list_free()
 * @param text the YAML
 * @param len its length in bytes
 * @param name names it in error messages (the file name); may be NULL
 * @return 0, LIMG_ECORRUPT (YAML it refuses; subject FILE), LIMG_EINVALID (an
 *         unknown key, a value of the wrong kind), LIMG_EPATTERN (a regular
 *         expression or version range that does not compile), reference
 *         errors (a registry or repository name), LIMG_ETOOBIG, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_parse(limg_sync_list **out, const char *text, size_t len, const char *name);

/**
 * Creates an empty list, for sources given one by one.
 * @param out receives the list; free with limg_sync_list_free()
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_new(limg_sync_list **out);

/** Frees a list; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_sync_list_free(limg_sync_list *list);

/** How a repository's tags are chosen; zero means the default in every field. @since 1.0 */
typedef struct limg_sync_select {
	size_t size;                 /**< sizeof the struct as the caller knows it */
	const char *const *tags;     /**< exactly these tags or digests ("1.0", "sha256:<hex>"), without
	                                  listing the repository; NULL: the repository's tags, chosen by the
	                                  fields below (every tag when none is set) */
	size_t tags_len;             /**< number of @ref tags */
	const char *tag_regex;       /**< a POSIX extended regular expression a tag must match somewhere
	                                  (anchor it with ^ and $), as skopeo's images-by-tag-regex; Go's
	                                  \\d, \\s and \\w are read as [0-9], [[:space:]] and [[:alnum:]_],
	                                  and Go-only syntax ((?i), lazy quantifiers) is refused; NULL: any */
	const char *tag_exclude;     /**< the same: tags that match it are left out; NULL: none */
	const char *semver;          /**< a range of versions a tag must be in, as skopeo's images-by-semver
	                                  (Masterminds' syntax: ">=1.2 <2", ">= 1.2, < 2", "^1.4", "~2.0",
	                                  "1.2.x", "1.2 - 1.4", "|| " between alternatives); tags that are
	                                  no versions are left out, pre-releases unless the range names
	                                  one; NULL: any */
	int latest;                  /**< of the tags chosen, only the N highest versions (tags that are
	                                  no versions are left out); 0: all */
} limg_sync_select;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SYNC_SELECT_INIT LIMG_SIZED_INIT(limg_sync_select)

/** Fills @p select with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_sync_select_init(limg_sync_select *select, size_t size);

/**
 * Adds a repository of a registry, or one image (skopeo sync's `--src
 * docker`).
 *
 * @param list the list
 * @param source a repository as docker reads it ("registry.example.com/team/app";
 *        "redis" is docker.io/library/redis), or an image with a tag or digest: that
 *        image alone (@p select must then be NULL)
 * @param select which tags, or NULL: every tag of a repository
 * @return 0, reference errors, LIMG_EINVALID (a selection for one image, tags
 *         with filters, a tag that is none), LIMG_EPATTERN, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_add(limg_sync_list *list, const char *source, const limg_sync_select *select);

/**
 * Adds every tagged image of a store (an OCI image layout, as a sync to a
 * store writes it): the way back across an air gap. Each goes to the
 * destination registry under its repository's last component (or, scoped,
 * its whole name) and its tag. Read when the sync runs.
 *
 * @param list the list
 * @param path the store's directory
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_add_store(limg_sync_list *list, const char *path);

/**
 * Adds every image of a directory in skopeo's `dir:` layout, as a sync to
 * LIMG_SYNC_TO_DIR or `skopeo sync --dest dir` writes it (`skopeo sync
 * --src dir`): each directory beneath @p path that holds a manifest.json is
 * an image, and goes to the destination registry as PREFIX/RELATIVE-PATH
 * (`DIR/team/app:1.0` to `PREFIX/team/app:1.0`; @p path itself an image:
 * PREFIX/ITS-NAME; no tag in the name: latest), as skopeo names them. The
 * directory is untrusted: links are not followed, every file must be a
 * regular file of the size its descriptor says, every blob is checked
 * against its digest before its upload can finish, and no manifest goes up
 * before what it names. An index needs its images (HEX.manifest.json, as
 * `--all` writes them). Read when the sync runs; signatures and referrers
 * are not read from such a directory (a policy or referrers with it fail
 * the image: a store carries them across an air gap).
 *
 * @param list the list
 * @param path the directory
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_add_dir(limg_sync_list *list, const char *path);

/**
 * Settings of a registry the list names (skopeo's tls-verify, cert-dir and
 * credentials): fields left zero (or NULL) keep what the sync's session
 * says for it. Applied to the session when the sync starts, before the
 * registry is first used.
 *
 * @param list the list
 * @param domain the registry ("registry.example.com", "localhost:5000")
 * @param opts the settings to change
 * @return 0, LIMG_EINVALID, LIMG_EVERSION, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_list_set_registry_opts(limg_sync_list *list, const char *domain,
                                                  const limg_registry_opts *opts);

/** Where a sync writes. Values are ABI. @since 1.0 */
typedef enum limg_sync_target {
	LIMG_SYNC_TO_REGISTRY = 0, /**< "host[:port][/prefix]": each image goes to prefix/NAME:TAG (skopeo's
	                                `--dest docker`) */
	LIMG_SYNC_TO_STORE = 1,    /**< a libimage store (an OCI image layout, a directory an air gap can
	                                carry), opened or created at the path: each image tagged with its
	                                source reference */
	LIMG_SYNC_TO_DIR = 2       /**< a directory (made if missing; not by a dry run) in skopeo's `dir:` layout:
	                                each image in DIR/NAME:TAG (scoped: DIR/REGISTRY/PATH:TAG) with
	                                "version", "manifest.json", every blob under its hex digest and,
	                                for an index copied whole, each image's manifest as
	                                HEX.manifest.json; written at NAME:TAG.partial and renamed into
	                                place (a killed sync keeps the blobs it finished). An image whose
	                                manifest.json has the source's digest moves nothing. Blobs images
	                                share are fetched once and hard-linked. No referrers (refused) */
} limg_sync_target;

/** Options of limg_sync(); zero means the default in every field. @since 1.0 */
typedef struct limg_sync_opts {
	size_t size;                    /**< sizeof the struct as the caller knows it */
	int target;                     /**< a limg_sync_target */
	int scoped;                     /**< name images at a registry destination by their whole source name,
	                                     registry included (skopeo's --scoped: a port's ':' becomes '_');
	                                     0: by the repository's last component */
	const char *platform;           /**< of an index, only this platform's image under the destination tag
	                                     (a re-sync then checks it blob by blob); NULL: an index is copied
	                                     whole to a registry (skopeo's --all), and a store keeps this
	                                     machine's platform */
	int dry_run;                    /**< decide and report, change nothing (skopeo's --dry-run): images
	                                     that would move are reported as LIMG_SYNC_WOULD_COPY */
	int fail_fast;                  /**< stop at the first image that fails; 0: go on with the others and
	                                     fail at the end (skopeo's --keep-going) */
	int images_parallel;            /**< images at once; 0: 4 */
	int blobs_parallel;             /**< blobs at once within one image; 0: 4 */
	int64_t chunk_size;             /**< uploads in PATCH chunks of this many bytes; 0: one PUT per blob */
	limg_cancel *cancel;            /**< stops the sync from any thread; may be NULL */
	int referrers;                  /**< nonzero: each image's cosign `.sig` signatures and OCI referrers
	                                     (and theirs) go with it, to a registry or a store and from a store
	                                     back (see limg_sync() for what an image up to date costs) */
	const limg_policy *policy;      /**< a signature policy (limg_policy_load()) the source must satisfy
	                                     for each image, checked before anything of it moves (also when it
	                                     is up to date, and in a dry run): the signatures of what the
	                                     source's tag names (an index's own, as containers/image checks a
	                                     whole copy; with a platform too). An image it refuses is
	                                     LIMG_SYNC_FAILED with LIMG_EREJECTED and the policy's reason, and
	                                     the others go on. Each check fetches the image's signatures;
	                                     NULL: none */
} limg_sync_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SYNC_OPTS_INIT LIMG_SIZED_INIT(limg_sync_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_sync_opts_init(limg_sync_opts *opts, size_t size);

/** Where an image of a sync is. Values are ABI. @since 1.0 */
typedef enum limg_sync_status {
	LIMG_SYNC_PENDING = 0,    /**< not started */
	LIMG_SYNC_RUNNING = 1,    /**< being decided or copied */
	LIMG_SYNC_COPIED = 2,     /**< copied: the destination has it now */
	LIMG_SYNC_UP_TO_DATE = 3, /**< skipped: the destination had it already */
	LIMG_SYNC_FAILED = 4,     /**< not copied (limg_sync_image_error() says why); the destination's tag
	                               is as it was */
	LIMG_SYNC_WOULD_COPY = 5  /**< a dry run would copy it */
} limg_sync_status;

/** One image of a sync (or a repository whose tags could not be listed). @since 1.0 */
typedef struct limg_sync_image limg_sync_image;

/** Where it comes from: "registry/repository:tag" (or with a digest), or a stored image's reference. @since 1.0 */
LIMG_EXTERN(const char *) limg_sync_image_source(const limg_sync_image *image);
/** Where it goes: "registry/prefix/name:tag", or the reference it has in the destination store. @since 1.0 */
LIMG_EXTERN(const char *) limg_sync_image_destination(const limg_sync_image *image);
/** A limg_sync_status. @since 1.0 */
LIMG_EXTERN(int) limg_sync_image_status(const limg_sync_image *image);
/** The digest the destination tag names (or would), or NULL while unknown. @since 1.0 */
LIMG_EXTERN(const char *) limg_sync_image_digest(const limg_sync_image *image);
/**
 * Why it is in its state: "new tag", "tag moved", "up to date (HEAD)",
 * "up to date (store)", the error's message, ... Never NULL; escaped.
 * @since 1.0
 */
LIMG_EXTERN(const char *) limg_sync_image_reason(const limg_sync_image *image);
/** The failure's code (LIMG_E*), or 0. @since 1.0 */
LIMG_EXTERN(int) limg_sync_image_error(const limg_sync_image *image);
/** Bytes of blobs it moved (mounted and shared ones not counted). @since 1.0 */
LIMG_EXTERN(int64_t) limg_sync_image_bytes(const limg_sync_image *image);

/**
 * Told about an image: once when it starts (LIMG_SYNC_RUNNING) and once
 * when it ends. Calls never overlap.
 * @param image borrowed for the call
 * @param payload the sync's payload
 * @return 0 to go on; anything else stops the sync (errors.h)
 * @since 1.0
 */
typedef int (*limg_sync_image_cb)(const limg_sync_image *image, void *payload);

/** Callbacks of limg_sync(). @since 1.0 */
typedef struct limg_sync_callbacks {
	size_t size;               /**< sizeof the struct as the caller knows it */
	limg_sync_image_cb image;  /**< an image starts or ends; may be NULL */
	limg_progress_cb progress; /**< blob events of every image (detail: the image's destination), and
	                                LIMG_EVENT_OVERALL: images done of all (digest NULL); may be NULL */
	void *payload;             /**< passed last to every callback */
} limg_sync_callbacks;

/** Static initializer. @since 1.0 */
#define LIMG_SYNC_CALLBACKS_INIT LIMG_SIZED_INIT(limg_sync_callbacks)

/** Fills @p cb with no callbacks (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_sync_callbacks_init(limg_sync_callbacks *cb, size_t size);

/** What a sync did. @since 1.0 */
typedef struct limg_sync_report limg_sync_report;

/**
 * Mirrors what @p list names to @p destination.
 *
 * Per image: the source tag's digest is asked for with HEAD (a digest
 * needs no asking); the destination is up to date when its tag list has
 * the tag and a HEAD of it says that digest (a store: when its tag names
 * the digest); otherwise the manifests are fetched by digest and
 * the blobs it lacks are sent (mounted when another repository of the
 * destination has them, streamed from the source otherwise), manifests
 * last, the tag last of all.
 *
 * With opts->referrers, an image that is copied takes what refers to each
 * manifest copied with it (limg_copy_opts.referrers, limg_pull_opts.referrers,
 * limg_push_opts.referrers). An image up to date still gets referrers that
 * appeared at the source since the last sync (a signature added later):
 * each side is asked for the `.sig` tag of the manifest its tag names (one
 * manifest HEAD) and for that manifest's referrers (one listing: the
 * referrers API, or where a registry lacks it the `sha256-<hex>` tag,
 * after the API's 404 for each image that starts before the registry's
 * first answer is known); a store answers from its directory. When the destination lacks one of them, those artifacts
 * are carried (their blobs that the destination has are not sent again)
 * and the image is LIMG_SYNC_COPIED with the reason "new referrers";
 * otherwise nothing more is asked. Referrers of an index's images, and
 * referrers of referrers, are carried when the image is copied but not
 * looked for again while it is up to date.
 *
 * @param out receives the report (free with limg_sync_report_free()) when
 *        the sync ran, also when it returns LIMG_EPARTIAL or LIMG_ECANCELLED;
 *        NULL otherwise; may be NULL
 * @param session the registries' settings, connections and tokens; NULL: a
 *        session of the sync's own with the defaults
 * @param list what to mirror
 * @param destination a registry with an optional path ("mirror.local:5000/base"),
 *        or a store's path (opts->target says which)
 * @param opts options, or NULL
 * @param cb callbacks, or NULL
 * @return 0 when every image is at the destination; LIMG_EPARTIAL when some
 *         failed (the report says which and why); LIMG_EINVALID, reference errors
 *         (a destination that is none), LIMG_EEXISTS (the session used a registry
 *         already that the list has settings for), the errors of opening the
 *         destination (LIMG_ENOTFOUND, LIMG_ESYSTEM, ...), LIMG_ECANCELLED, or
 *         what a callback returned to stop; with fail_fast, the first image's error
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync(limg_sync_report **out, limg_session *session, const limg_sync_list *list,
                           const char *destination, const limg_sync_opts *opts, const limg_sync_callbacks *cb);

/** Frees a report; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_sync_report_free(limg_sync_report *report);
/** How many images (and repositories that could not be listed) it names. @since 1.0 */
LIMG_EXTERN(size_t) limg_sync_report_count(const limg_sync_report *report);
/** The @p index th image, in the list's order; NULL past the end. Borrowed until the report is freed. @since 1.0 */
LIMG_EXTERN(const limg_sync_image *) limg_sync_report_image(const limg_sync_report *report, size_t index);
/** How many images ended in @p status (a limg_sync_status). @since 1.0 */
LIMG_EXTERN(size_t) limg_sync_report_tally(const limg_sync_report *report, int status);

/**
 * The report as JSON, for scripts: every image (source, destination,
 * status, digest, reason, error name, bytes), the tallies, the seconds it
 * took, and per registry the requests it received by kind (manifest HEAD,
 * GET and PUT, blob HEAD, GET and uploads, tag lists, others) and the 429s
 * it answered.
 * @param out receives the text (NUL-terminated)
 * @param report the report
 * @return 0, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sync_report_json(limg_buf *out, const limg_sync_report *report);

LIMG_END_DECL

#endif /* LIBIMAGE_SYNC_H */
