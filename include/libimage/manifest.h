/* SPDX-License-Identifier: MIT */
/**
 * @file manifest.h
 * @brief Image manifests, indexes (manifest lists) and image configs, in
 *        both the OCI and the Docker schema 2 media types.
 *
 * Parsing is strict: documents over LIMG_MANIFEST_SIZE_MAX, documents that
 * mix manifest and index fields, duplicate keys, and schema 1 manifests
 * are refused with a clear error. Every descriptor's digest is validated,
 * so it is safe as a file name. Everything a parsed document returns is
 * borrowed from it until it is freed.
 */
#ifndef LIBIMAGE_MANIFEST_H
#define LIBIMAGE_MANIFEST_H

#include <stdint.h>

#include "bounds.h"
#include "common.h"

LIMG_BEGIN_DECL

/** OCI image manifest. @since 1.0 */
#define LIMG_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
/** OCI image index. @since 1.0 */
#define LIMG_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
/** OCI image config. @since 1.0 */
#define LIMG_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
/** OCI gzip layer. @since 1.0 */
#define LIMG_MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
/** OCI zstd layer. @since 1.0 */
#define LIMG_MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
/** OCI uncompressed layer. @since 1.0 */
#define LIMG_MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
/** OCI empty JSON ("{}"), the config of artifacts. @since 1.0 */
#define LIMG_MEDIA_OCI_EMPTY "application/vnd.oci.empty.v1+json"
/** Docker schema 2 manifest. @since 1.0 */
#define LIMG_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
/** Docker manifest list. @since 1.0 */
#define LIMG_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
/** Docker image config. @since 1.0 */
#define LIMG_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
/** Docker gzip layer. @since 1.0 */
#define LIMG_MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
/** Docker foreign (non-distributable) gzip layer. @since 1.0 */
#define LIMG_MEDIA_DOCKER_FOREIGN_LAYER "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/** What a manifest document is. Values are ABI. @since 1.0 */
typedef enum limg_manifest_type {
	LIMG_MANIFEST_IMAGE = 1, /**< one image (or artifact): config and layers */
	LIMG_MANIFEST_INDEX = 2  /**< a list of manifests, one per platform */
} limg_manifest_type;

/** A parsed manifest or index. @since 1.0 */
typedef struct limg_manifest limg_manifest;
/** A descriptor (media type, digest, size, platform) inside a manifest. @since 1.0 */
typedef struct limg_descriptor limg_descriptor;

/**
 * Parses a manifest or index.
 *
 * @param out receives the manifest; free with limg_manifest_free()
 * @param data the document
 * @param len its length
 * @param content_type the Content-Type it came with, or NULL; parameters
 *        after ";" are ignored; when both are given it must agree with the
 *        document's mediaType
 * @return 0, LIMG_EMANIFEST (invalid, ambiguous, or type mismatch),
 *         LIMG_EUNSUPPORTED (schema 1, or an unknown media type), LIMG_ETOOBIG,
 *         LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_manifest_parse(limg_manifest **out, const void *data, size_t len, const char *content_type);

/** Frees a manifest; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_manifest_free(limg_manifest *manifest);

/** LIMG_MANIFEST_IMAGE or LIMG_MANIFEST_INDEX (a limg_manifest_type). @since 1.0 */
LIMG_EXTERN(int) limg_manifest_kind(const limg_manifest *manifest);

/** The media type. @since 1.0 */
LIMG_EXTERN(const char *) limg_manifest_media_type(const limg_manifest *manifest);

/** An image manifest's config descriptor; NULL for an index. @since 1.0 */
LIMG_EXTERN(const limg_descriptor *) limg_manifest_config(const limg_manifest *manifest);

/** Number of layers (image) or of entries (index). @since 1.0 */
LIMG_EXTERN(size_t) limg_manifest_count(const limg_manifest *manifest);

/** Layer (image) or entry (index) @p i, or NULL past the end. @since 1.0 */
LIMG_EXTERN(const limg_descriptor *) limg_manifest_entry(const limg_manifest *manifest, size_t i);

/** The manifest's artifactType, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_manifest_artifact_type(const limg_manifest *manifest);

/** The manifest's subject (the image it refers to), or NULL. @since 1.0 */
LIMG_EXTERN(const limg_descriptor *) limg_manifest_subject(const limg_manifest *manifest);

/** A top-level annotation, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_manifest_annotation(const limg_manifest *manifest, const char *key);

/**
 * Chooses an index entry for a platform, as Docker does: exact os and
 * architecture; arm64 with variant "v8" or none; an arm variant runs older
 * ones (v7 takes v6, v5); for Windows, a matching os.version is preferred.
 *
 * @param out receives the entry; borrowed from @p index
 * @param index the index
 * @param platform "os[(os.version)]/arch[/variant]", or NULL for this machine's
 * @return 0, LIMG_EPLATFORM (no entry fits; the message lists those there are),
 *         LIMG_EINVALID (not an index, or a malformed platform)
 * @since 1.0
 */
LIMG_EXTERN(int) limg_manifest_select(const limg_descriptor **out, const limg_manifest *index, const char *platform);

/** The descriptor's media type. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_media_type(const limg_descriptor *d);
/** The descriptor's digest (validated). @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_digest(const limg_descriptor *d);
/** The descriptor's size in bytes. @since 1.0 */
LIMG_EXTERN(int64_t) limg_descriptor_size(const limg_descriptor *d);
/** The descriptor's artifactType, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_artifact_type(const limg_descriptor *d);
/** Platform os of an index entry, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_os(const limg_descriptor *d);
/** Platform architecture of an index entry, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_architecture(const limg_descriptor *d);
/** Platform variant of an index entry, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_variant(const limg_descriptor *d);
/** Platform os.version of an index entry, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_os_version(const limg_descriptor *d);
/** An annotation, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_annotation(const limg_descriptor *d, const char *key);
/** Number of alternative download URLs (foreign layers). @since 1.0 */
LIMG_EXTERN(size_t) limg_descriptor_url_count(const limg_descriptor *d);
/** Alternative download URL @p i, or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_descriptor_url(const limg_descriptor *d, size_t i);
/**
 * True (1) for layers that registries need not serve: Docker foreign layers
 * and OCI non-distributable layers. @since 1.0
 */
LIMG_EXTERN(int) limg_descriptor_is_foreign(const limg_descriptor *d);

/** A parsed image configuration. @since 1.0 */
typedef struct limg_config limg_config;

/**
 * Parses an image config (OCI or Docker).
 * @param out receives the config; free with limg_config_free()
 * @param data the document
 * @param len its length
 * @return 0, LIMG_EMANIFEST, LIMG_ETOOBIG, LIMG_EINVALID, LIMG_ENOMEM
 * @since 1.0
 */
LIMG_EXTERN(int) limg_config_parse(limg_config **out, const void *data, size_t len);

/** Frees a config; NULL is accepted. @since 1.0 */
LIMG_EXTERN(void) limg_config_free(limg_config *config);

/** "created" as written (RFC 3339), or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_created(const limg_config *config);
/** "created" in seconds since the epoch, or -1 when absent or unreadable. @since 1.0 */
LIMG_EXTERN(int64_t) limg_config_created_unix(const limg_config *config);
/** "author", or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_author(const limg_config *config);
/** Architecture, or "". @since 1.0 */
LIMG_EXTERN(const char *) limg_config_architecture(const limg_config *config);
/** Operating system, or "". @since 1.0 */
LIMG_EXTERN(const char *) limg_config_os(const limg_config *config);
/** Variant, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_variant(const limg_config *config);
/** os.version, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_os_version(const limg_config *config);
/** Number of rootfs.diff_ids. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_diff_id_count(const limg_config *config);
/** rootfs.diff_ids[i] (validated digest), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_diff_id(const limg_config *config, size_t i);

/** config.User, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_user(const limg_config *config);
/** config.WorkingDir, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_working_dir(const limg_config *config);
/** config.StopSignal, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_stop_signal(const limg_config *config);
/** Number of config.Env entries. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_env_count(const limg_config *config);
/** config.Env[i] ("KEY=value"), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_env(const limg_config *config, size_t i);
/** Number of config.Entrypoint words (0 when absent). @since 1.0 */
LIMG_EXTERN(size_t) limg_config_entrypoint_count(const limg_config *config);
/** config.Entrypoint[i], or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_entrypoint(const limg_config *config, size_t i);
/** Number of config.Cmd words (0 when absent). @since 1.0 */
LIMG_EXTERN(size_t) limg_config_cmd_count(const limg_config *config);
/** config.Cmd[i], or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_cmd(const limg_config *config, size_t i);
/** Number of config.Labels. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_label_count(const limg_config *config);
/** The key of label @p i (in the document's order), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_label_key(const limg_config *config, size_t i);
/** The value of the label @p key, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_label(const limg_config *config, const char *key);
/** Number of config.ExposedPorts. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_exposed_port_count(const limg_config *config);
/** ExposedPorts key @p i ("80/tcp"), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_exposed_port(const limg_config *config, size_t i);
/** Number of config.Volumes. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_volume_count(const limg_config *config);
/** Volumes key @p i ("/data"), or NULL past the end. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_volume(const limg_config *config, size_t i);
/**
 * The container settings ("config": Env, Cmd, Labels, Healthcheck, ...) as
 * compact JSON text, "{}" when absent. @since 1.0
 */
LIMG_EXTERN(const char *) limg_config_container_json(const limg_config *config);

/** Number of history entries. @since 1.0 */
LIMG_EXTERN(size_t) limg_config_history_count(const limg_config *config);
/** history[i].created (RFC 3339), or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_history_created(const limg_config *config, size_t i);
/** history[i].created_by, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_history_created_by(const limg_config *config, size_t i);
/** history[i].comment, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_history_comment(const limg_config *config, size_t i);
/** history[i].author, or NULL. @since 1.0 */
LIMG_EXTERN(const char *) limg_config_history_author(const limg_config *config, size_t i);
/** True (1) when history[i] made no layer (empty_layer), else 0. @since 1.0 */
LIMG_EXTERN(int) limg_config_history_empty_layer(const limg_config *config, size_t i);

LIMG_END_DECL

#endif /* LIBIMAGE_MANIFEST_H */
