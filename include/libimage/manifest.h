/*
 * libimage: image manifests, indexes (manifest lists) and image configs,
 * in both the OCI and the Docker schema 2 media types, and platform choice.
 *
 * Parsing is strict: documents over 4 MiB, documents that mix manifest and
 * index fields, and schema 1 manifests are refused with a clear error.
 * Every descriptor's digest is validated, so it is safe as a file name.
 */
#ifndef LIBIMAGE_MANIFEST_H
#define LIBIMAGE_MANIFEST_H

#include <stdint.h>

#include "common.h"

LIMG_BEGIN_DECL

#define LIMG_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define LIMG_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define LIMG_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define LIMG_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define LIMG_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define LIMG_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/** Largest manifest, index or config accepted (4 MiB). @since 0.1 */
#define LIMG_MANIFEST_SIZE_MAX (4 * 1024 * 1024)

/** The default ceiling on the uncompressed size of one layer (64 GiB): the
 * point where unpacking stops with LIMG_ETOOBIG (gzip bombs). @since 0.2 */
#define LIMG_LAYER_SIZE_MAX_DEFAULT ((int64_t)64 << 30)

/** What a manifest document is. @since 0.1 */
typedef enum limg_manifest_kind {
	LIMG_MANIFEST_IMAGE = 1, /**< one image: config and layers */
	LIMG_MANIFEST_INDEX = 2  /**< a list of images, one per platform */
} limg_manifest_kind;

/** A parsed manifest or index. @since 0.1 */
typedef struct limg_manifest limg_manifest;
/** A descriptor (media type, digest, size, platform) inside a manifest. @since 0.1 */
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
 * @since 0.1
 */
LIMG_EXTERN(int) limg_manifest_parse(limg_manifest **out, const void *data, size_t len, const char *content_type);

/** Frees a manifest; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_manifest_free(limg_manifest *manifest);

/** LIMG_MANIFEST_IMAGE or LIMG_MANIFEST_INDEX. @since 0.1 */
LIMG_EXTERN(int) limg_manifest_kind_of(const limg_manifest *manifest);

/** The media type; borrowed until the manifest is freed. @since 0.1 */
LIMG_EXTERN(const char *) limg_manifest_media_type(const limg_manifest *manifest);

/** An image manifest's config descriptor; NULL for an index. @since 0.1 */
LIMG_EXTERN(const limg_descriptor *) limg_manifest_config(const limg_manifest *manifest);

/** Number of layers (image) or of entries (index). @since 0.1 */
LIMG_EXTERN(size_t) limg_manifest_count(const limg_manifest *manifest);

/** Layer (image) or entry (index) @p i, or NULL past the end. @since 0.1 */
LIMG_EXTERN(const limg_descriptor *) limg_manifest_get(const limg_manifest *manifest, size_t i);

/**
 * Chooses an index entry for a platform, as Docker does: exact os and
 * architecture; arm64 with variant "v8" or none; an arm variant runs older
 * ones (v7 takes v6, v5); for Windows, a matching os.version is preferred.
 *
 * @param out receives the entry; borrowed from @p index
 * @param platform "os/arch[/variant]", or NULL for this machine's
 * @return 0, LIMG_EPLATFORM (no entry fits; the message lists those there are),
 *         LIMG_EINVALID (not an index, or a malformed platform)
 * @since 0.1
 */
LIMG_EXTERN(int) limg_manifest_select(const limg_descriptor **out, const limg_manifest *index, const char *platform);

/** This machine's platform ("linux/amd64", "linux/arm64/v8", ...); static. @since 0.1 */
LIMG_EXTERN(const char *) limg_platform_host(void);

/** The descriptor's media type. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_media_type(const limg_descriptor *d);
/** The descriptor's digest (validated). @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_digest(const limg_descriptor *d);
/** The descriptor's size in bytes. @since 0.1 */
LIMG_EXTERN(int64_t) limg_descriptor_size(const limg_descriptor *d);
/** Platform os of an index entry, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_os(const limg_descriptor *d);
/** Platform architecture of an index entry, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_architecture(const limg_descriptor *d);
/** Platform variant of an index entry, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_variant(const limg_descriptor *d);
/** Platform os.version of an index entry, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_os_version(const limg_descriptor *d);
/** An annotation, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_descriptor_annotation(const limg_descriptor *d, const char *key);
/** Number of alternative download URLs (foreign layers). @since 0.1 */
LIMG_EXTERN(size_t) limg_descriptor_url_count(const limg_descriptor *d);
/**
 * True (1) for layers that registries need not serve: Docker foreign layers
 * and OCI non-distributable layers. @since 0.1
 */
LIMG_EXTERN(int) limg_descriptor_is_foreign(const limg_descriptor *d);

/** A parsed image configuration. @since 0.1 */
typedef struct limg_image_config limg_image_config;

/**
 * Parses an image config (OCI or Docker).
 * @return 0, LIMG_EMANIFEST, LIMG_ETOOBIG, LIMG_EINVALID, LIMG_ENOMEM
 * @since 0.1
 */
LIMG_EXTERN(int) limg_image_config_parse(limg_image_config **out, const void *data, size_t len);

/** Frees a config; NULL is accepted. @since 0.1 */
LIMG_EXTERN(void) limg_image_config_free(limg_image_config *config);

/** "created" as written (RFC 3339), or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_created(const limg_image_config *config);
/** "created" in seconds since the epoch, or -1 when absent or unreadable. @since 0.1 */
LIMG_EXTERN(int64_t) limg_image_config_created_unix(const limg_image_config *config);
/** Architecture, or "". @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_architecture(const limg_image_config *config);
/** Operating system, or "". @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_os(const limg_image_config *config);
/** Variant, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_variant(const limg_image_config *config);
/** os.version, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_os_version(const limg_image_config *config);
/** Number of rootfs.diff_ids. @since 0.1 */
LIMG_EXTERN(size_t) limg_image_config_diff_id_count(const limg_image_config *config);
/** rootfs.diff_ids[i] (validated digest), or NULL past the end. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_diff_id(const limg_image_config *config, size_t i);
/** Number of history entries. @since 0.1 */
LIMG_EXTERN(size_t) limg_image_config_history_count(const limg_image_config *config);
/** A label of config.Labels, or NULL. @since 0.1 */
LIMG_EXTERN(const char *) limg_image_config_label(const limg_image_config *config, const char *key);
/**
 * The container settings ("config": Env, Cmd, Labels, ...) as compact JSON
 * text, "{}" when absent; borrowed until the config is freed. @since 0.1
 */
LIMG_EXTERN(const char *) limg_image_config_settings_json(const limg_image_config *config);

LIMG_END_DECL

#endif /* LIBIMAGE_MANIFEST_H */
