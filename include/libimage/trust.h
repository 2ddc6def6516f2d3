/* SPDX-License-Identifier: MIT */
/**
 * @file trust.h
 * @brief Checking an image against a signature policy where it lives (a
 *        registry, or a store for an air-gapped copy), and signing images
 *        in a registry, as `cosign verify`/`cosign sign --key` and
 *        containers/image's policy do.
 *
 * # Where signatures are looked for
 *
 * Only where registries.d says `use-sigstore-attachments: true` for the
 * image's namespace (podman's rule; limg_policy_opts.registries_d), and
 * only when the scope's requirements need signatures (a scope of
 * `insecureAcceptAnything` or `reject` costs no request). In this order,
 * stopping at the first set that satisfies the policy:
 *
 * 1. the `sha256-<hex>.sig` tag of the image's manifest (cosign before v3,
 *    skopeo, podman): one GET of the manifest, one GET per signature layer
 *    (of at most 4 MiB, refused before any byte when larger; an attachment
 *    manifest that is not an OCI manifest is refused);
 * 2. the manifest's referrers of type `application/vnd.dev.sigstore.bundle.v0.3+json`
 *    (cosign v3), through the referrers API or the referrers tag: the
 *    listing, then each bundle's manifest and layer (attestations, told by
 *    their `dev.sigstore.bundle.predicateType` annotation, are not fetched);
 * 3. for an image chosen from an index, the same for the index's digest,
 *    unless limg_index_signatures says not to.
 *
 * A store keeps signatures beside the images they sign when they were
 * pulled with limg_pull_opts.referrers (or loaded from an archive that has
 * them); limg_verify_opts.store checks those, with no network.
 */
#ifndef LIBIMAGE_TRUST_H
#define LIBIMAGE_TRUST_H

#include "cancel.h"
#include "common.h"
#include "registry.h"
#include "sign.h"
#include "store.h"

LIMG_BEGIN_DECL

/** Options of limg_verify(); zero means the default in every field. @since 1.0 */
typedef struct limg_verify_opts {
	size_t size;            /**< sizeof the struct as the caller knows it */
	const char *platform;   /**< of an index: the platform whose image is checked; NULL: this machine's */
	int index_signatures;   /**< a limg_index_signatures */
	limg_session *session;  /**< registries' settings, connections and tokens; NULL: a session of the
	                             call's own with the defaults */
	limg_store *store;      /**< check the image stored here, with the signatures stored beside it (no
	                             network); NULL: the image in its registry */
	limg_cancel *cancel;    /**< stops the call from any thread; may be NULL */
} limg_verify_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_VERIFY_OPTS_INIT LIMG_SIZED_INIT(limg_verify_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_verify_opts_init(limg_verify_opts *opts, size_t size);

/**
 * Decides whether @p policy admits an image, as a pull would (the same
 * requests, nothing stored), and says which requirement accepted or
 * rejected it.
 *
 * @param out receives the verdict (free with limg_verdict_free()); set also when
 *        the result is LIMG_EREJECTED, so that it can say why
 * @param policy the policy
 * @param reference the image, as docker reads it
 * @param opts options, or NULL
 * @return 0 (accepted), LIMG_EREJECTED (subject POLICY), reference errors,
 *         LIMG_ENOTFOUND (subject MANIFEST, REPOSITORY, IMAGE), LIMG_EPLATFORM,
 *         LIMG_EAUTH, network errors (a signature that could not be fetched is
 *         no reason to admit an image: the check fails), LIMG_ECANCELLED,
 *         LIMG_EINVALID, LIMG_EVERSION
 * @since 1.0
 */
LIMG_EXTERN(int) limg_verify(limg_verdict **out, const limg_policy *policy, const char *reference,
                             const limg_verify_opts *opts);

/** Options of limg_sign(); zero means the default in every field. @since 1.0 */
typedef struct limg_sign_opts {
	size_t size;           /**< sizeof the struct as the caller knows it */
	int format;            /**< a limg_signature_format */
	const char *identity;  /**< the docker-reference a simple-signing payload names; NULL: the reference
	                            signed, in its full form with its tag (skopeo's choice; cosign names the
	                            repository alone) */
	int recursive;         /**< of an index: sign each listed image too (cosign sign --recursive: what
	                            podman and containers/image need) */
	limg_session *session; /**< registries' settings, connections and tokens; NULL: a session of the
	                            call's own with the defaults */
	limg_cancel *cancel;   /**< stops the call from any thread; may be NULL */
} limg_sign_opts;

/** Static initializer with the defaults. @since 1.0 */
#define LIMG_SIGN_OPTS_INIT LIMG_SIZED_INIT(limg_sign_opts)

/** Fills @p opts with the defaults (for FFI). @return 0 or LIMG_EINVALID. @since 1.0 */
LIMG_EXTERN(int) limg_sign_opts_init(limg_sign_opts *opts, size_t size);

/**
 * Signs an image in its registry, as `cosign sign --key` does: the simple
 * signing format adds a layer to the `sha256-<hex>.sig` manifest (the
 * signatures there are kept); the bundle format attaches a Sigstore bundle
 * as a referrer (keeping the referrers tag where the registry lacks the
 * API).
 *
 * @param out_digest receives the digest signed (what @p reference names); may be NULL
 * @param signer the private key
 * @param reference the image, as docker reads it
 * @param opts options, or NULL
 * @return 0, reference errors, LIMG_ENOTFOUND, LIMG_EAUTH (no push access),
 *         LIMG_EMANIFEST (the `.sig` tag holds something else than a cosign
 *         signature manifest: left as it is), network errors, LIMG_ECANCELLED,
 *         LIMG_EINVALID, LIMG_EVERSION
 * @since 1.0
 */
LIMG_EXTERN(int) limg_sign(limg_buf *out_digest, const limg_signer *signer, const char *reference,
                           const limg_sign_opts *opts);

LIMG_END_DECL

#endif /* LIBIMAGE_TRUST_H */
